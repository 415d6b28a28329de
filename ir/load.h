// The entry point of ir/: from what the user names on the command line to a checked Program.
//
//   MODEL.pt2                 a torch.export.save archive (zip)
//   DIR/                      the same tree unpacked: DIR/models/model.json, DIR/data/...
//   graph.json                a model.json on its own; weights from `weights_path` (safetensors
//                             keyed by FQN), else from a data/ folder beside it (or beside its
//                             models/ folder); a graph without weights needs none.
#pragma once

#include <string>

#include "ir/graph.h"

namespace aotic::ir {

struct LoadOptions {
  /// Safetensors file with the weights, keyed by FQN (for a bare model.json).
  std::string weights_path;
  /// Skip reading weight bytes (metadata is still checked against the configs).
  bool read_weights = true;
};

/// Loads, parses and verifies a program. Throws UserError with a one-line message that starts
/// with `path` and names the entry and node at fault.
Program load_program(const std::string& path, const LoadOptions& options = {});

}  // namespace aotic::ir
