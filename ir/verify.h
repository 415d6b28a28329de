// Checks a loaded program for consistency before anything is compiled from it:
//  - every node's target is a known operator (the ATen schema list, `getitem`, `cond`, Python
//    operators on sizes); all unknown targets are reported at once;
//  - every node's arguments fit its schema: no unknown argument, no missing required one, and each
//    argument's variant is one the schema type accepts;
//  - every value is defined before it is read, and every tensor a node defines has metadata;
//  - the signature matches the graph's inputs and outputs.
#pragma once

#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::ir {

/// Throws UserError naming the node and argument, e.g.
/// "node 'addmm' (aten.addmm.default): argument 'mat2': expected Tensor, got as_int".
void verify_program(const Program& program, const SchemaRegistry& schemas);

/// Targets that are not ATen/prims operators but may appear in exported graphs.
bool is_builtin_target(const std::string& target);

}  // namespace aotic::ir
