// The lowering passes, in the order codegen/pipeline.cc runs them. Each lives in its own file
// (codegen/passes/<name>.cc) and rewrites the wrapper IR (codegen/wrapper_ir.h) in place.
// `aotic compile --dump-after NAME` prints the IR after any of them.
#pragma once

#include <set>
#include <string>

#include "codegen/constants.h"
#include "codegen/wrapper_ir.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::codegen {

/// The C shim functions a model.so may call: aotic's own fallback ops (--shim=bundled), or only
/// those PyTorch 2.11's libtorch exports (--shim=host).
struct ShimFunctions {
  std::set<std::string> names;  // "aoti_torch_cpu_addmm_out", ...
  std::string origin;           // for messages: "shim/fallback_ops.txt", "PyTorch 2.11's C shim"
  /// Use generated kernels for the pointwise ops they cover even when a shim function exists.
  bool prefer_kernels = false;
  /// The device the functions are for: "cpu" (aoti_torch_cpu_*) or "cuda" (aoti_torch_cuda_*).
  std::string device = "cpu";
};

/// Optimising, on a copy of the program before import_graph, first: in-place ops (relu_, add_, ...)
/// on values nothing reads afterwards become their functional forms. Returns whether it changed
/// anything.
bool functionalize(ir::Program& program, const ShimFunctions& shim);

/// Optimising, on the same copy: a batch norm in inference mode after
/// a convolution, with constant parameters, folded into the convolution's weight and bias (new ops
/// on constants, which fold_constants moves to fold()). Returns whether it changed anything.
bool fold_batch_norm(ir::Program& program);

/// Optimising, CUDA, on the same copy: convolution -> relu and convolution -> add -> relu become
/// cuDNN's fused cudnn_convolution_relu / cudnn_convolution_add_relu. Returns whether it changed
/// anything.
bool fuse_conv_relu(ir::Program& program);

/// Optimising, on the same copy: 2-d convolutions and the pointwise, pooling and cat ops between
/// them run on channels-last tensors (new strides in the metadata, clones where the layout
/// changes; weights' clones are folded). `device` is "cpu" or "cuda" (CUDA leaves models with
/// grouped convolutions alone). Returns whether it changed anything.
bool to_channels_last(ir::Program& program, const std::string& device);

/// Optimising, CPU, on the same copy, with aotic's bundled shim: float32 2-d convolutions with
/// weights computed from constants call oneDNN with the weight reordered once (ops that
/// fold_constants moves to fold()), a following activation or residual add (and relu) fused as
/// post-ops. Returns whether it changed anything.
bool pack_conv_weights(ir::Program& program);

/// Optimising, CPU with generated kernels, on the same copy: a 1x1 convolution left to libtorch
/// (stride 1, one group, float32/float64) is called without its bias, and the bias added after it,
/// in the kernel of the ops that follow. Returns whether it changed anything.
bool split_conv_bias(ir::Program& program);

/// Optimising, CPU, on the same copy: float32 linears (and addmm/mm of a transposed weight) whose
/// weight is computed from constants read it transposed once into a contiguous [K, N] constant
/// (ops that fold_constants moves to fold()), through addmm or mm; with `bias_in_kernels` (generated
/// kernels on) a bias is an add after mm, for the kernel of the ops that follow. Returns whether it
/// changed anything.
bool pack_linear_weights(ir::Program& program, bool bias_in_kernels);

/// One `op` statement per graph node, the weights and user inputs bound, a `return` of the outputs.
wir::Module import_graph(const ir::Program& program, const ConstantsLayout& constants);

/// Dtypes and shapes from the export's metadata: the input/output specs and the size symbols the
/// inputs bind (with their export ranges). User error for inputs aotic cannot bind.
void bind_shapes(wir::Module& module);

/// Resolves each op's schema; ops whose result aliases an input (schema `Tensor(a) -> Tensor(a)`)
/// become views, and aten.view is called as reshape (see the note it leaves).
void lower_views(wir::Module& module, const ir::SchemaRegistry& schemas);

/// Where aotic knows an op's result type itself (views, schema-fixed dtypes, a dtype= argument,
/// generated kernels, getitem, sym_size), it must be the export's: an internal error naming the
/// node otherwise. Rewrites nothing.
void check_types(const wir::Module& module);

/// Optimising: ops that read only constants move to the model's fold() (run when its constants are
/// set), their results used by run() becoming folded constants (Module::folded).
void fold_constants(wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim);

/// Each op becomes a shim call, an allocation plus the .out variant's call, a generated loop, a
/// size expression or an alias. User error listing every op that has none of these.
void fuse_kernels(wir::Module& module);

/// Optimising: kernels that print as the same function (all but the name) become one, called by
/// every launch of them.
void dedup_kernels(wir::Module& module);

/// Lowers the ops of fold() and run() to calls (see select_ops.cc for the order of preference).
void select_ops(wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim);

/// Whether select_ops can run the `op` statement with a library call (a shim function, its .out
/// variant, a getitem) rather than only fuse_kernels' generated code.
bool library_lowers(const wir::Stmt& op, const ir::SchemaRegistry& schemas, const ShimFunctions& shim);

/// --debug-checks: a `check` of each tensor a node defines (dtype, rank, sizes whose symbols are
/// bound there) after the statements it was lowered to.
void insert_checks(wir::Module& module);

/// A `free` right after the last use of every value the model owns (graph order).
void plan_lifetimes(wir::Module& module);

/// Optimising: an allocation takes a dead buffer of the same dtype, device, sizes and strides
/// instead (AOTInductor's exact buffer reuse); a buffer is dead when nothing that may alias it
/// (per the schemas' alias annotations) is alive.
void reuse_buffers(wir::Module& module);

/// Optimising: static-size buffers the model allocates come from one arena per run, at offsets
/// chosen from their lifetimes (aoti_torch__alloc_from_pool); Module::arena says how big.
void plan_memory(wir::Module& module);

/// Optimising, CUDA with aotic's shim: whether runs are captured into CUDA graphs and replayed
/// (Module::cuda_graphs; Module::cuda_graphs_why when not).
void plan_cuda_graphs(wir::Module& module);

}  // namespace aotic::codegen
