// The CppWrapperCpu port: lowers a checked Program to the C++ source of model.cpp, which calls
// libtorch only through the C shim (aotic/shim.h, aotic/c_shim_cpu.h) and plugs into the runtime
// through aotic_model_spec() (aotic/runtime/model.h).
//
// Each node becomes one of (the op table, lower_kind()):
//   fallback   a call of the shim function PyTorch names aoti_torch_cpu_<op>, results held by RAII
//              handles and released right after their last use;
//   in-place   the same for ops without a C return (relu_): the result is the updated input;
//   out        the .out variant's shim function writing into a buffer allocated from the
//              export's sizes and strides (addmm -> aoti_torch_cpu_addmm_out);
//   kernel     a loop generated into model.cpp for float32 unary pointwise ops (relu, sigmoid,
//              gelu, ...), used when no shim function is available;
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
  /// The weights ship in this file beside model.so instead of inside it ("" = embedded).
  std::string external_weights_file;
};

enum class LowerKind { kFallback, kInplace, kOutVariant, kKernel, kGetItem, kSize, kCond, kUnsupported };

/// The C shim functions a model.so may call: aotic's own fallback ops (--shim=bundled), or only
/// those PyTorch 2.11's libtorch exports (--shim=host).
struct ShimFunctions {
  std::set<std::string> names;  // "aoti_torch_cpu_addmm_out", ...
  std::string origin;           // for messages: "shim/fallback_ops.txt", "PyTorch 2.11's C shim"
  /// Use generated kernels for the pointwise ops they cover even when a shim function exists.
  bool prefer_kernels = false;
};

/// How `node` of `graph` is lowered, in order of preference: a shim function for the op; the
/// shim function of its .out variant into a buffer allocated from the export's metadata; a
/// generated float32 kernel for unary pointwise ops. `why` says what is missing when unsupported.
LowerKind lower_kind(const ir::Node& node, const ir::Graph& graph, const ir::SchemaRegistry& schemas,
                     const ShimFunctions& shim, std::string* why = nullptr);

/// Every node that cannot be lowered, as "target (node 'name'): reason", in graph order, one per
/// distinct target. Empty when the whole program is supported.
std::vector<std::string> unsupported_nodes(const ir::Program& program, const ir::SchemaRegistry& schemas,
                                           const ShimFunctions& shim);

/// The text of model.cpp. Throws UserError for what cannot be compiled (call unsupported_nodes
/// first to report every unsupported op at once).
std::string emit_model_cpp(const ir::Program& program, const ConstantsLayout& constants,
                           const ir::SchemaRegistry& schemas, const ShimFunctions& shim,
                           const WrapperOptions& options);

}  // namespace aotic::codegen
