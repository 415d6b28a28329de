// Reads the serialized ExportedProgram (`models/model.json`, schema major version 8) into the IR.
#pragma once

#include <string_view>

#include "ir/graph.h"
#include "ir/json_reader.h"

namespace aotic::ir {

/// The schema major version aotic reads.
constexpr int64_t kSupportedSchemaMajor = 8;

/// Fills graph, signature, range constraints and versions of `program` from model.json text.
/// Throws UserError with the place inside the document, e.g.
/// "graph.nodes[3] 'addmm_1': inputs[0] 'self': unknown argument variant 'as_foo'".
void parse_model_json(std::string_view text, Program& program);

/// Reads one serialized Argument (any variant of the export schema's union).
Argument read_argument(const JsonReader& reader);

/// Reads one serialized TensorMeta object (also used by the weights configs).
TensorMeta read_tensor_meta(const JsonReader& reader);

}  // namespace aotic::ir
