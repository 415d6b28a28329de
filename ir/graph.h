// aotic's typed IR of a torch.export program: what `ir::load` produces from `models/model.json`
// (see tests/data/fixtures/README.md and the PT2 format notes in README.md).
//
// The IR mirrors the export schema closely (so nothing the export says is lost) but with typed
// fields instead of JSON: every argument variant, tensor metadata with symbolic sizes, the
// signature with FQNs, subgraphs of higher-order ops, range constraints and the weights.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/dtype.h"
#include "ir/sym_expr.h"

namespace aotic::ir {

struct Graph;
struct Argument;

/// "cpu", "cuda:0".
struct Device {
  std::string type = "cpu";
  std::optional<int64_t> index;
  std::string to_string() const;
  bool operator==(const Device& other) const { return type == other.type && index == other.index; }
};

/// Type and shape of a tensor value. Sizes/strides are symbolic in general; a static size is a
/// constant SymExpr.
struct TensorMeta {
  DType dtype = DType::kFloat32;
  std::vector<SymExpr> sizes;
  std::vector<SymExpr> strides;
  SymExpr storage_offset;
  Device device;
  Layout layout = Layout::kStrided;
  bool requires_grad = false;

  /// True when no size, stride or offset mentions a symbol.
  bool is_static() const;
  /// Element count when static.
  std::optional<int64_t> static_numel() const;
  /// Bytes from the storage start to one past the last element (offset + span), when static.
  std::optional<int64_t> static_storage_bytes() const;
  /// "float32[s77, 64]".
  std::string to_string() const;
};

/// Row-major (contiguous) strides for `sizes`.
std::vector<SymExpr> contiguous_strides(const std::vector<SymExpr>& sizes);

/// The serialized Argument union of torch.export (schema.py `Argument`), one kind per variant.
enum class ArgKind {
  kNone,
  kTensor,
  kTensors,
  kInt,
  kInts,
  kFloat,
  kFloats,
  kString,
  kStrings,
  kSymInt,
  kSymInts,
  kScalarType,
  kMemoryFormat,
  kLayout,
  kDevice,
  kBool,
  kBools,
  kSymBool,
  kSymBools,
  kGraph,
  kOptionalTensors,
  kCustomObj,
  kOperator,
  kSymFloat,
  kSymFloats,
  kOptionalTensor,
  kComplex,
  kNestedTensors,
  kIntLists,
  kStringToArgument,
};

/// The JSON key of a kind ("as_tensor", ...).
const char* arg_kind_key(ArgKind kind);

/// One item of SymInt/SymBool/SymFloat arguments and of optional-tensor lists: either a reference to
/// a named value of the graph, or a literal (the export mixes both in one list, e.g. [s0, 64]).
struct ValueRef {
  enum class Kind { kName, kInt, kFloat, kBool, kNone };
  Kind kind = Kind::kNone;
  std::string name;  // kName
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::string to_string() const;
};

/// A subgraph argument (`torch.ops.higher_order.cond` branches).
struct GraphArgument {
  std::string name;
  std::shared_ptr<Graph> graph;
};

/// One argument of a node, graph input/output or output spec. Which fields hold the value
/// depends on `kind`; the comment on each field lists the kinds that use it.
struct Argument {
  ArgKind kind = ArgKind::kNone;
  bool bool_value = false;         // kBool
  int64_t int_value = 0;           // kInt; the code of kScalarType, kMemoryFormat, kLayout
  double float_value = 0;          // kFloat; the real part of kComplex
  double imag_value = 0;           // kComplex
  std::string name;                // kTensor, kString, kOperator, kCustomObj (value name)
  std::string class_fqn;           // kCustomObj
  std::vector<std::string> names;  // kTensors, kStrings
  std::vector<int64_t> ints;       // kInts
  std::vector<double> floats;      // kFloats
  std::vector<bool> bools;         // kBools
  std::vector<ValueRef> refs;      // kSymInt(s), kSymBool(s), kSymFloat(s), kOptionalTensor(s): one per item
  std::vector<std::vector<std::string>> nested_names;  // kNestedTensors
  std::vector<std::vector<int64_t>> int_lists;         // kIntLists
  Device device;                                       // kDevice
  GraphArgument graph;                                 // kGraph
  std::vector<std::pair<std::string, Argument>> dict;  // kStringToArgument, in file order

  /// Names of the graph values (tensors and symbols) this argument reads.
  std::vector<std::string> value_names() const;
  /// Short readable form: "%x", "[%a, %b]", "3", "[s0, 64]", "float32", "<graph true_graph_0>".
  std::string to_string() const;
};

/// Positional or keyword, as the export recorded how the argument was passed.
enum class ArgPassing { kUnknown = 0, kPositional = 1, kKeyword = 2 };

struct NamedArgument {
  std::string name;  // the schema's argument name
  Argument arg;
  ArgPassing passing = ArgPassing::kUnknown;
};

/// One operator call.
struct Node {
  std::string name;    // unique within its graph ("addmm_1"); may be empty in old exports
  std::string target;  // as exported: "torch.ops.aten.addmm.default", "<built-in function getitem>"
  std::vector<NamedArgument> inputs;
  std::vector<Argument> outputs;
  std::map<std::string, std::string> metadata;
  std::optional<bool> is_hop_single_tensor_return;

  /// "aten.addmm.default" for "torch.ops.aten.addmm.default"; other targets unchanged.
  std::string op_name() const;
  const NamedArgument* find_input(const std::string& argument_name) const;
};

/// A value produced by an integer-valued node (`aten.sym_size.int`) or referenced by name.
struct SymValue {
  SymExpr expr;
  std::optional<int64_t> hint;
};

struct Graph {
  std::vector<Argument> inputs;
  std::vector<Argument> outputs;
  std::vector<Node> nodes;
  /// Tensor values by name, sorted by name (std::map keeps iteration deterministic).
  std::map<std::string, TensorMeta> tensor_values;
  std::map<std::string, SymValue> sym_int_values;
  std::map<std::string, SymValue> sym_bool_values;
  std::map<std::string, SymValue> sym_float_values;
  std::map<std::string, std::string> custom_obj_values;  // name -> class FQN
  bool is_single_tensor_return = false;

  const TensorMeta* find_tensor(const std::string& name) const;
};

/// How a graph input is fed: by the user, or from a weight/constant named by its FQN.
enum class InputKind { kUserInput, kParameter, kBuffer, kTensorConstant, kCustomObj, kToken, kConstantInput };
const char* input_kind_name(InputKind kind);

struct InputSpec {
  InputKind kind = InputKind::kUserInput;
  Argument arg;             // the graph input (kTensor for tensors; any kind for user inputs)
  std::string fqn;          // parameter/buffer/constant/custom-object FQN; empty for user inputs
  bool persistent = true;   // buffers only
  Argument constant_value;  // kConstantInput only
  /// The graph-side value name: the tensor/symbol/token name.
  std::string value_name() const;
};

enum class OutputKind {
  kUserOutput,
  kLossOutput,
  kBufferMutation,
  kGradientToParameter,
  kGradientToUserInput,
  kUserInputMutation,
  kToken,
  kParameterMutation,
};
const char* output_kind_name(OutputKind kind);

struct OutputSpec {
  OutputKind kind = OutputKind::kUserOutput;
  Argument arg;
  std::string target;  // the FQN or user input a mutation/gradient refers to
};

struct Signature {
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
};

/// Range of a size symbol as the export constrained it. A missing bound is unbounded.
struct RangeConstraint {
  std::optional<int64_t> min;
  std::optional<int64_t> max;
  std::string to_string() const;  // "1..1024", "2..inf"
};

/// Bytes of one weight, owned (read out of the archive once) and aligned for any dtype.
class Storage {
 public:
  explicit Storage(size_t size);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_;
};

/// A parameter, buffer or tensor constant with its bytes.
struct Weight {
  std::string fqn;
  TensorMeta meta;  // static
  bool is_param = false;
  std::shared_ptr<const Storage> storage;  // several FQNs may share one storage
};

/// A loaded export: the graph, its signature and everything needed to compile it.
struct Program {
  std::string source;  // what the user named, used in messages ("mlp.pt2")
  Graph graph;
  Signature signature;
  std::map<std::string, RangeConstraint> range_constraints;
  int64_t schema_major = 0;
  int64_t schema_minor = 0;
  std::map<std::string, int64_t> opset_version;
  std::string torch_version;
  std::vector<std::string> verifiers;
  /// The pytree specs of the root module's call signature (module_call_graph[fqn=""]): JSON text
  /// that PyTorch's runner reads back through the model.so's GetCallSpec. Empty when absent.
  std::string in_spec;
  std::string out_spec;
  /// The user's argument names of forward(), when recorded.
  std::vector<std::string> forward_arg_names;
  std::vector<Weight> weights;  // in signature order

  const Weight* find_weight(const std::string& fqn) const;
};

}  // namespace aotic::ir
