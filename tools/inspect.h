// `aotic inspect`: a readable summary of a loaded program.
#pragma once

#include <string>

#include "ir/graph.h"

namespace aotic {

/// Inputs and outputs with shapes (symbolic sizes with their ranges), the op histogram (nodes of
/// subgraphs included), weight count and bytes, schema and torch versions. Deterministic.
std::string inspect_program(const ir::Program& program);

}  // namespace aotic
