// The CppWrapperCpu port: lowers a checked Program to the C++ source of model.cpp, which calls
// libtorch only through the C shim (aotic/shim.h, aotic/c_shim_cpu.h) and plugs into the runtime
// through aotic_model_spec() (aotic/runtime/model.h).
//
// Each node becomes one of (the op table, lower_kind()):
//   fallback   a call of the shim function PyTorch names aoti_torch_cpu_<op>, results held by RAII
//              handles and released right after their last use;
//   in-place   the same for ops without a C return (relu_): the result is the updated input;
//   getitem    an element of a multi-output node;
//   size       an integer computed from the input sizes (aten.sym_size.int, _operator.floordiv):
//              emitted from its symbolic expression;
//   cond       torch.ops.higher_order.cond: if/else over its two subgraphs, the predicate read
//              with aoti_torch_item_bool.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "codegen/constants.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::codegen {

struct WrapperOptions {
  /// Symbol of the constants blob defined by the assembly file ("" when there are no weights).
  std::string blob_symbol = "aotic_constants_blob";
  /// Text for the banner: what was compiled (a file name, never a machine path).
  std::string source_name;
};

enum class LowerKind { kFallback, kInplace, kGetItem, kSize, kCond, kUnsupported };

/// How `node` is lowered, given the shim's fallback ops. `why` says what is missing when
/// unsupported.
LowerKind lower_kind(const ir::Node& node, const ir::SchemaRegistry& schemas,
                     const std::set<std::string>& fallback_ops, std::string* why = nullptr);

/// Every node that cannot be lowered, as "target (node 'name'): reason", in graph order, one per
/// distinct target. Empty when the whole program is supported.
std::vector<std::string> unsupported_nodes(const ir::Program& program, const ir::SchemaRegistry& schemas,
                                           const std::set<std::string>& fallback_ops);

/// The text of model.cpp. Throws UserError for what cannot be compiled (call unsupported_nodes
/// first to report every unsupported op at once).
std::string emit_model_cpp(const ir::Program& program, const ConstantsLayout& constants,
                           const ir::SchemaRegistry& schemas, const std::set<std::string>& fallback_ops,
                           const WrapperOptions& options);

}  // namespace aotic::codegen
