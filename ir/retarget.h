// Moves a whole program to one device: what `aotic compile --device cuda` does to an export made
// on the CPU (and `--device cpu` to one made on a GPU). Every tensor's metadata, every Device
// argument of an op (factory ops such as arange or zeros carry the export's device), the weights
// and the subgraphs of higher-order ops get `target`; nothing else changes. The same as PyTorch's
// `torch.export.passes.move_to_device_pass` for the whole program.
#pragma once

#include "ir/graph.h"

namespace aotic::ir {

/// A copy of `program` with every device replaced by `target` (subgraphs deep-copied).
Program retarget(const Program& program, const Device& target);

/// "cpu" or "cuda" -> Device (no index: the loader picks the GPU). UserError for anything else.
Device parse_target_device(const std::string& text);

}  // namespace aotic::ir
