// The wrapper IR: what model.cpp's run() does, as a small list of typed statements that the
// lowering passes (codegen/pipeline.cc) build and rewrite and one printer (codegen/cpu_printer.h)
// turns into C++. Values are named by the export's value names; the printer picks C names.
//
//   op addmm = aten.addmm.default(p_l1_bias, x, permute)      <- import_graph
//   alloc addmm : f32[8, 128] strides [128, 1]                <- select_ops (.out variant)
//   call aoti_torch_cpu_addmm_out(addmm, p_l1_bias, x, permute, 1.0, 1.0)
//   free permute                                              <- plan_lifetimes
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/constants.h"
#include "ir/graph.h"
#include "ir/op_schema.h"
#include "kernel/kernel_ir.h"

namespace aotic::codegen::wir {

/// One argument of a shim call, already in the C function's terms. Some print as two C
/// arguments (a list: pointer and length; a device: type and index; an optional list).
struct Arg {
  enum class Kind {
    kTensor,        // value: a tensor's handle
    kInt,           // int_value
    kIntValue,      // value: an integer defined by a size statement
    kDouble,        // double_value
    kBool,          // bool_value
    kString,        // text
    kDType,         // dtype: printed as a named constant
    kDevice,        // device (two C arguments: type and index)
    kLayout,        // int_value: the shim's layout code
    kMemoryFormat,  // int_value: the shim's memory format code
    kNull,          // nullptr (plus a 0 / -1 second argument when `pair`)
    kScalarTensor,  // items[0] (kInt / kDouble / kBool / kIntValue): a 0-dim tensor made for the call
    kOptional,      // items[0]: passed by pointer to a temporary of type `c_type`
    kArray,         // items: a temporary array of `c_type` and its length
  };
  Kind kind = Kind::kNull;
  std::string value;
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
  std::string text;
  ir::DType dtype = ir::DType::kFloat32;
  ir::Device device;
  std::vector<Arg> items;
  /// kOptional / kArray: the element's C type ("int64_t", "AtenTensorHandle", ...); kIntValue:
  /// "double" when it is passed as a double (a SymInt given for a Scalar).
  std::string c_type;
  std::string name;   // the schema parameter, for naming temporaries
  bool pair = false;  // kNull standing for a pointer and a length (or device type and index)
  int64_t pair_value = 0;
  /// kScalarTensor: made on the model's GPU rather than as a CPU scalar (a Scalar that aotic
  /// passes as a Tensor, to an op that may not take a CPU tensor beside GPU ones).
  bool on_device = false;
};

/// The export's metadata of a buffer aotic allocates itself.
struct BufferMeta {
  ir::DType dtype = ir::DType::kFloat32;
  ir::Device device;
  std::vector<ir::SymExpr> sizes;
  std::vector<ir::SymExpr> strides;

  /// dtype, device, sizes and strides as text: equal keys mean interchangeable buffers.
  std::string key() const;
};

struct Stmt;
using Block = std::vector<Stmt>;

/// One branch of a cond: its subgraph's inputs (bound to the operands) and outputs.
struct Branch {
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  Block body;
};

struct Stmt {
  enum class Kind {
    kOp,       // a graph node not lowered yet (node, graph)
    kAlloc,    // value = a new buffer with `buffer` (or `reuse`'s buffer, when set)
    kCall,     // function(args) defining `outs`
    kView,     // a call whose result shares `alias_of`'s storage (no copy)
    kKernel,   // kernel(expression) reading `inputs[0]`, writing `value` (already allocated)
    kLaunch,   // generated kernel module.kernels[kernel] over buffers `inputs` (read, laid out as
               // `layouts` says) and `outs` (written, already allocated)
    kSize,     // integer `value` = expr
    kReadInt,  // integer `value` read at run time from tensor `inputs[0]` (`read` says what): a
               // data-dependent (unbacked) symbol that an op's result decides
    kAssert,   // the run fails with `text` unless integer `pred` is nonzero (aten._assert_scalar)
    kCheck,    // --debug-checks: `value` has buffer's dtype, rank and sizes (dimensions whose
               // `checked` is false, sized by symbols unbound there, only by rank)
    kAlias,    // value = a new reference to `alias_of` (getitem, an in-place op's result)
    kFree,     // value's handle is released (`reused_by`: kept for that buffer instead)
    kCond,     // if (pred) branches[0] else branches[1], defining `outs`
    kReturn,   // outputs[i] = outs[i]
  };
  Kind kind = Kind::kOp;
  /// Where it came from, for error messages and comments: "node 'addmm' (aten.addmm.default)".
  std::string place;
  /// A reader's note printed above the statement ("aten.view.default called as ...").
  std::string note;

  // kOp; select_ops keeps `node` and `graph` on the statements it lowers the node to
  const ir::Node* node = nullptr;
  std::shared_ptr<const ir::Node> rewritten;  // owns `node` when a pass rewrote it
  const ir::Graph* graph = nullptr;
  const ir::OpSchema* schema = nullptr;  // the schema the op is called with (set by lower_views)
  bool view = false;                     // lower_views: the result may share alias_of's storage

  std::string value;          // kAlloc, kKernel, kSize, kReadInt, kAlias, kFree, kCheck
  BufferMeta buffer;          // kAlloc; kCheck: the dtype and sizes to check
  std::vector<bool> checked;  // kCheck: per dimension, whether its size is checked
  int64_t dim = 0;            // kReadInt (kSize)
  enum class Read { kSize, kStorageOffset, kItem };
  Read read = Read::kSize;          // kReadInt: size `dim`, the storage offset, or the only element
  std::string reuse;                // kAlloc: take this dead buffer instead of allocating
  int64_t pool_offset = -1;         // kAlloc: carved from the run's arena at this byte offset
  std::string reused_by;            // kFree
  std::string function;             // kCall, kView, kKernel, kLaunch (the kernel's name)
  int kernel = -1;                  // kLaunch: index into Module::kernels
  std::vector<BufferMeta> layouts;  // kLaunch: per input, the sizes and strides the kernel reads it with
  std::vector<Arg> args;
  std::vector<std::string> outs;    // kCall/kView (by C return order, "" = ignored), kCond, kReturn, kLaunch
  bool list_out = false;            // kCall: the last return is a Tensor[], outs[list_start..] its elements
  size_t list_start = 0;            // kCall with list_out: the outs before it are single tensors
  std::vector<std::string> inputs;  // kKernel, kReadInt: the tensor read; kCond: the operands; kLaunch
  std::string alias_of;             // kOp (views), kView, kAlias, kCall (a result may share it)
  std::string expression;           // kKernel: the C++ of one element, from `v` (float)
  std::string comment;              // kKernel: what the kernel computes
  bool inplace = false;             // kKernel: `value` is also the input
  ir::SymExpr expr;                 // kSize
  std::string pred;                 // kCond, kAssert
  std::string text;                 // kAssert: the message
  std::vector<Branch> branches;     // kCond
};

/// A size symbol bound from an input dimension, with its range.
struct Symbol {
  std::string name;
  int64_t min = 0;
  int64_t max = INT64_MAX;
};

/// How the runtime sees one dimension of an input or output (runtime's DimSpec): a static size, or
/// multiplier * symbols[symbol] + offset, or neither (size -1: not checked).
struct DimBinding {
  int64_t size = -1;
  int32_t symbol = -1;
  int64_t multiplier = 0;
  int64_t offset = 0;
  std::string expr;  // "8*s0", "s0 + 1"; empty for a plain symbol or a static size
};

/// A graph input or output as the model's spec describes it.
struct TensorSpec {
  std::string name;
  ir::TensorMeta meta;
  std::vector<DimBinding> dims;
};

/// The whole model: its interface and the body of run().
struct Module {
  const ir::Program* program = nullptr;
  /// The program as a pass before import_graph rewrote it (fold_batch_norm), when one did:
  /// `program` points to it.
  std::shared_ptr<const ir::Program> rewritten_program;
  /// What model.so runs on: "cpu" or "cuda" (every tensor of the program is there).
  std::string device = "cpu";
  /// plan_cuda_graphs: a CUDA model's runs are captured into a graph and replayed; else why not.
  bool cuda_graphs = false;
  std::string cuda_graphs_why;
  std::vector<Symbol> symbols;
  std::vector<TensorSpec> inputs;   // user inputs, bound to inputs[i] of run()
  std::vector<TensorSpec> outputs;  // what run() returns
  ConstantsLayout constants;        // weights, bound to state.constant(i)
  /// fold_constants: values computed from the constants alone. The model's fold() computes them
  /// once whenever the constants are set; run() reads folded[i] as
  /// state.constant(constants.entries.size() + i).
  struct Folded {
    std::string value;
    ir::TensorMeta meta;
  };
  std::vector<Folded> folded;
  Block fold;  // fold()'s statements, ending in a return of `folded`
  Block body;
  std::vector<kernel::Kernel> kernels;  // generated kernels (fuse_kernels), printed before run()
  /// plan_memory: the one allocation per run that buffers with a pool_offset are carved from.
  struct Arena {
    int64_t bytes = 0;           // 0: no arena
    int64_t buffers = 0;         // how many buffers it holds
    int64_t separate_bytes = 0;  // what they would take allocated one by one
  } arena;
};

/// `call aoti_torch_copy_(dst, src, 0)`: src's elements copied into dst (a function every shim
/// has).
Stmt copy_call(const std::string& dst, const std::string& src);

/// The readable form `--dump-after` prints: one statement per line, blocks indented.
std::string to_text(const Module& module);

/// Every value a statement reads (tensors and integers), in argument order.
std::vector<std::string> reads(const Stmt& stmt);
/// Every value a statement defines.
std::vector<std::string> defines(const Stmt& stmt);

}  // namespace aotic::codegen::wir
