// The program the eager cache compiles for one call: a graph with the call's tensors as inputs,
// one node calling the op with the call's other arguments as literals, and its results as outputs.
#pragma once

#include <vector>

#include "eager/call_key.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::eager {

/// `results`: the metadata of each of the op's results (result_meta()). The program is checked
/// with ir::verify_program; throws UserError when it does not fit the schema.
ir::Program one_op_program(const ir::OpSchema& schema, const CallDescription& call,
                           const std::vector<ir::TensorMeta>& results);

}  // namespace aotic::eager
