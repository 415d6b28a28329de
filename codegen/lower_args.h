// Schema arguments to wrapper-IR call arguments (wir::Arg), the C shim's conventions: what
// select_ops uses to build a call of a shim function from a graph node.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "codegen/wrapper_ir.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::codegen {

/// An Argument for a schema default ("None", "1", "[1,1]", "True", "\"none\"", "long", ...);
/// nullopt when aotic cannot express it.
std::optional<ir::Argument> default_argument(const ir::SchemaType& type, const std::string& text);

/// The call argument for one schema parameter given `arg`. `ints` are the integer values defined
/// so far (by size statements); `what` names the place for UserErrors ("node 'x' (...): argument
/// 'dim'").
wir::Arg lower_arg(const ir::SchemaArgument& param, const ir::Argument& arg, const ir::SchemaType& type,
                   const std::set<std::string>& ints, const std::string& what);

/// PyTorch's c10 codes of export layout and memory format codes.
int32_t shim_layout(int64_t export_code);
int32_t shim_memory_format(int64_t export_code);

}  // namespace aotic::codegen
