// A readable text form of the IR, for `aotic compile --dump-after load` and debugging:
//
//   graph(%x: float32[s77, 64], %p_l1_weight: float32[128, 64], ...):
//     %linear: float32[s77, 128] = aten.linear.default(input=%x, weight=%p_l1_weight, ...)
//     return (%linear_1)
#pragma once

#include <string>

#include "ir/graph.h"

namespace aotic::ir {

/// The graph and its subgraphs, one node per line, deterministic.
std::string print_graph(const Graph& graph, int indent = 0);

}  // namespace aotic::ir
