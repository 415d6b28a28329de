// Loads the parameters, buffers and tensor constants a program's signature names, by FQN, from
// the export's `data/` tree or from a safetensors file, checking each against the graph.
#pragma once

#include <string>

#include "ir/archive.h"
#include "ir/graph.h"

namespace aotic::ir {

/// Reads `data/weights/model_weights_config.json` and `data/constants/model_constants_config.json`
/// of `archive` and the payloads they name. Every weight is read once, straight into its storage.
/// Errors name the FQN: "mlp.pt2: weight 'l1.weight': data/weights/weight_0 has 100 bytes, ...".
void load_archive_weights(const Archive& archive, Program& program);

/// Loads weights keyed by FQN from a safetensors file.
void load_safetensors_weights(const std::string& path, Program& program);

}  // namespace aotic::ir
