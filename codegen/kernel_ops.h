// What each ATen op is in the kernel IR, for fuse_kernels (codegen/passes/fuse_kernels.cc):
//
// - pointwise ops: the expression of one result element, from the elements of the inputs at the
//   same position (broadcast), Python numbers as constants, and PyTorch's type rules spelled out as
//   casts (`add(x_int64, 2.5)` casts x to float32, then adds);
// - views and layout ops: the input position each result position reads (permute reorders,
//   expand and unsqueeze drop dimensions, slice and select offset them), so no copy is made;
// - reductions over trailing dimensions (sum, mean, amax, amin, var, std, softmax, log_softmax,
//   layer_norm): loops computing one row per iteration of the outer dimensions.
//
// A node is fusible when its op is in the table and its values have dtypes the kernels handle
// (float32, float64, int64, int32, int16, int8, uint8, bool), all on the CPU.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/op_schema.h"
#include "kernel/kernel_ir.h"

namespace aotic::codegen::kops {

/// A position in a tensor: one affine index per dimension.
using Position = std::vector<kernel::Index>;
/// The element of a value at a position.
using Loader = std::function<kernel::ExprPtr(const Position&)>;

enum class Kind { kPointwise, kView, kReduction };

/// How a node is fused, or nullopt when it is not. `inputs` are the tensor values it reads.
struct Fusible {
  Kind kind = Kind::kPointwise;
  std::vector<std::string> inputs;
  /// The result computed (the node's first output); other outputs must be unused.
  std::string result;
};
std::optional<Fusible> classify(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema);

/// Pointwise ops and views: the loader of the node's result from the loaders of its inputs.
Loader result_loader(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema,
                     const std::map<std::string, Loader>& inputs);

/// Reductions: the loop nest computing the node's result into buffer `out` (element offsets from
/// `out_strides`), reading its tensor inputs through `inputs` (by value name). Outer loops are
/// i0, i1, ...; loops over the reduced dimensions r0, r1, ...
std::vector<kernel::Stmt> reduction_body(const ir::Node& node, const ir::Graph& graph,
                                         const ir::OpSchema& schema,
                                         const std::map<std::string, Loader>& inputs, const std::string& out,
                                         const std::vector<ir::SymExpr>& out_strides);

/// The dtypes generated kernels compute with.
bool kernel_dtype(ir::DType dtype);

}  // namespace aotic::codegen::kops
