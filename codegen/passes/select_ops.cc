// select_ops: decides how each op runs, in order of preference:
//   a shim function for the op           call relu = aoti_torch_cpu_relu(x)
//   in-place (no C return)               call aoti_torch_cpu_relu_(x); alias relu_ = x
//   the .out variant into a new buffer   alloc addmm : f32[8, 128]; call aoti_torch_cpu_addmm_out(addmm, ...)
//   a generated loop (float32 unary)     alloc relu : f32[8, 128]; kernel kernel_relu(x -> relu)
// plus getitem (an alias of a list element) and integer nodes (a size expression over the symbols).
// Every op with none of these is reported at once, in one user error.
#include <functional>
#include <map>
#include <set>

#include "codegen/lower_args.h"
#include "codegen/passes/passes.h"
#include "ir/dtype.h"
#include "ir/error.h"
#include "kernel/writer.h"
#include "shim/gen/shim_gen.h"

namespace aotic::codegen {

using kernel::cpp_identifier;
namespace {

using ir::ArgKind;
using ir::Node;
using wir::Stmt;

bool is_getitem(const std::string& target) {
  return target == "<built-in function getitem>" || target == "_operator.getitem";
}

/// Targets whose only output is an integer (or a SymBool: 0 or 1) recorded with its symbolic
/// expression.
bool is_size_node(const Node& node) {
  if (node.outputs.size() != 1) return false;
  const bool operator_target = node.target.rfind("_operator.", 0) == 0;
  if (node.outputs[0].kind == ArgKind::kSymBool) return operator_target;
  if (node.outputs[0].kind != ArgKind::kSymInt) return false;
  return node.target == "torch.ops.aten.sym_size.int" || operator_target || node.target == "torch.sym_max" ||
         node.target == "torch.sym_min" || node.target == "torch.ops.aten.sym_numel.default" ||
         node.target == "torch.ops.aten.sym_stride.int" ||
         node.target == "torch.ops.aten.sym_storage_offset.default";
}

/// aten._local_scalar_dense and aten.item: a tensor's only element as a SymInt (or SymBool).
bool is_item(const Node& node) {
  return node.outputs.size() == 1 && (node.target == "torch.ops.aten._local_scalar_dense.default" ||
                                      node.target == "torch.ops.aten.item.default");
}

/// Range hints on a size symbol for the export's own reasoning; their checks are the export's
/// `_assert_scalar` nodes.
bool is_range_hint(const Node& node) {
  return node.target == "torch.ops.aten.sym_constrain_range_for_size.default" ||
         node.target == "torch.ops.aten.sym_constrain_range.default";
}

/// Unary pointwise ops with a generated float32 kernel: the expression of `v`, and whether the op
/// updates its input in place.
struct KernelOp {
  const char* expression;
  bool inplace;
};

const std::map<std::string, KernelOp>& kernel_ops() {
  static const std::map<std::string, KernelOp> kOps = {
      {"aten.relu.default", {"v < 0.f ? 0.f : v", false}},
      {"aten.relu_.default", {"v < 0.f ? 0.f : v", true}},
      {"aten.sigmoid.default", {"1.f / (1.f + std::exp(-v))", false}},
      {"aten.silu.default", {"v / (1.f + std::exp(-v))", false}},
      {"aten.silu_.default", {"v / (1.f + std::exp(-v))", true}},
      {"aten.tanh.default", {"std::tanh(v)", false}},
      {"aten.exp.default", {"std::exp(v)", false}},
      {"aten.log.default", {"std::log(v)", false}},
      {"aten.sqrt.default", {"std::sqrt(v)", false}},
      {"aten.rsqrt.default", {"1.f / std::sqrt(v)", false}},
      {"aten.neg.default", {"-v", false}},
      {"aten.abs.default", {"std::fabs(v)", false}},
      {"aten.hardsigmoid.default", {"std::min(std::max(v + 3.f, 0.f), 6.f) / 6.f", false}},
      {"aten.hardswish.default", {"v * std::min(std::max(v + 3.f, 0.f), 6.f) / 6.f", false}},
      {"aten.hardswish_.default", {"v * std::min(std::max(v + 3.f, 0.f), 6.f) / 6.f", true}},
      {"aten.gelu.default", {"0.5f * v * (1.f + std::erf(v * 0.70710678118654752f))", false}},
  };
  return kOps;
}

/// gelu(approximate='tanh').
constexpr const char* kGeluTanh =
    "0.5f * v * (1.f + std::tanh(0.79788456080286536f * (v + 0.044715f * v * v * v)))";

/// A node a kernel can compute: one float32 tensor in, one float32 tensor out.
bool kernel_applies(const Node& node, const ir::Graph& graph, std::string* why) {
  if (kernel_ops().count(node.op_name()) == 0) return false;
  const ir::NamedArgument* self = node.inputs.empty() ? nullptr : &node.inputs[0];
  if (self == nullptr || self->arg.kind != ArgKind::kTensor || node.outputs.size() != 1 ||
      node.outputs[0].kind != ArgKind::kTensor) {
    return false;
  }
  const ir::TensorMeta* in = graph.find_tensor(self->arg.name);
  const ir::TensorMeta* out = graph.find_tensor(node.outputs[0].name);
  if (in == nullptr || out == nullptr || in->dtype != ir::DType::kFloat32 ||
      out->dtype != ir::DType::kFloat32) {
    if (why) *why = "generated kernels handle float32 only";
    return false;
  }
  for (const ir::NamedArgument& input : node.inputs) {
    if (input.name == "approximate" && input.arg.kind == ArgKind::kString && input.arg.name != "none" &&
        input.arg.name != "tanh") {
      return false;
    }
  }
  return true;
}

/// 0 bool, 1 integer, 2 floating point, 3 complex: PyTorch's type promotion categories.
int promotion_category(ir::DType dtype) {
  if (dtype == ir::DType::kBool) return 0;
  if (dtype == ir::DType::kComplex64 || dtype == ir::DType::kComplex128) return 3;
  return ir::dtype_is_floating(dtype) ? 2 : 1;
}

/// A Python number passed where the schema takes a Tensor (`sub.Tensor(x, 1)`) is, in eager
/// PyTorch, a "wrapped number": it never raises the dtype of the other operands within its
/// category. The C ABI's scalar_to_tensor makes a plain 0-dim tensor, which does (0-dim float32
/// minus a 0-dim float64 is float64), so each one is made in the dtype promotion would give: that
/// of the op's other plain Tensor operands (the first of the highest category) when the number's
/// category is not above theirs, else the default dtype of its kind (float32, int64). Conditions,
/// masks and indices take no part in promotion.
void type_scalar_tensors(const ir::Graph& graph, const std::vector<const ir::SchemaArgument*>& params,
                         const ShimFunctions& shim, std::vector<wir::Arg>& args) {
  std::optional<ir::DType> peer;
  for (size_t i = 0; i < params.size() && i < args.size(); ++i) {
    const std::string& name = params[i]->name;
    if (args[i].kind != wir::Arg::Kind::kTensor || params[i]->type.kind != ir::SchemaType::Kind::Tensor ||
        params[i]->is_out() || name == "condition" || name == "mask" || name == "index" ||
        name == "indices") {
      continue;
    }
    const ir::TensorMeta* meta = graph.find_tensor(args[i].value);
    if (meta == nullptr) continue;
    if (!peer || promotion_category(meta->dtype) > promotion_category(*peer)) peer = meta->dtype;
  }
  const std::function<void(wir::Arg&)> assign = [&](wir::Arg& a) {
    for (wir::Arg& item : a.items) assign(item);  // inside optionals and lists too
    if (a.kind != wir::Arg::Kind::kScalarTensor) return;
    const wir::Arg::Kind kind = a.items.at(0).kind;
    const int category = kind == wir::Arg::Kind::kDouble ? 2 : kind == wir::Arg::Kind::kBool ? 0 : 1;
    if (!peer) {
      a.dtype = category == 2 ? ir::DType::kFloat64 : category == 0 ? ir::DType::kBool : ir::DType::kInt64;
    } else if (category <= promotion_category(*peer)) {
      a.dtype = *peer;
      // The C ABI makes no 16-bit float scalar: float32, converted with _to_copy where the shim
      // has it (else float32 stands in: the same category, only a 0-dim operand sees it).
      if ((a.dtype == ir::DType::kFloat16 || a.dtype == ir::DType::kBFloat16) &&
          shim.names.count("aoti_torch_" + shim.device + "__to_copy") == 0) {
        a.dtype = ir::DType::kFloat32;
      }
    } else {
      a.dtype = category == 2 ? ir::DType::kFloat32 : ir::DType::kInt64;
    }
  };
  for (wir::Arg& a : args) assign(a);
}

bool has_c_return(const shim_gen::CFunction& fn) {
  for (const shim_gen::CParam& p : fn.params) {
    if (p.name.rfind("ret", 0) == 0) return true;
  }
  return false;
}

/// An op given Python ints (or bools, or None) for its Scalars whose result the export records as
/// an integer tensor is called through the overload taking Tensors there, when the shim has one:
/// the C shim passes every Scalar as a double, which would promote the result to float, while a
/// 0-dim integer tensor promotes as the Python int does (clamp(x_int64, 0, 5) stays int64).
const ir::OpSchema* integer_scalar_overload(const Stmt& op, const ir::SchemaRegistry& schemas,
                                            const ShimFunctions& shim) {
  using Kind = ir::SchemaType::Kind;
  const Node& node = *op.node;
  if (op.schema == nullptr || node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kTensor)
    return nullptr;
  const ir::TensorMeta* result = op.graph->find_tensor(node.outputs[0].name);
  if (result == nullptr || ir::dtype_is_floating(result->dtype) || result->dtype == ir::DType::kBool ||
      result->dtype == ir::DType::kComplex32 || result->dtype == ir::DType::kComplex64 ||
      result->dtype == ir::DType::kComplex128) {
    return nullptr;
  }
  // The candidate's argument types: each Scalar a Tensor, each Scalar? a Tensor?.
  std::vector<std::string> wanted;
  bool any_scalar = false;
  for (const ir::SchemaArgument& param : op.schema->arguments) {
    const bool scalar = param.type.kind == Kind::Scalar;
    const bool optional_scalar =
        param.type.kind == Kind::Optional && param.type.elems.at(0).kind == Kind::Scalar;
    wanted.push_back(scalar ? "Tensor" : optional_scalar ? "Tensor?" : param.type.to_string());
    if (!scalar && !optional_scalar) continue;
    const ir::NamedArgument* given = node.find_input(param.name);
    const ArgKind kind = given == nullptr ? ArgKind::kNone : given->arg.kind;
    if (kind == ArgKind::kInt || kind == ArgKind::kSymInt || kind == ArgKind::kBool) {
      any_scalar = true;
    } else if (kind != ArgKind::kNone) {
      return nullptr;  // a float Scalar: the double is right
    }
  }
  if (!any_scalar) return nullptr;
  for (const ir::OpSchema* candidate : schemas.overloads("aten", op.schema->name)) {
    if (candidate == op.schema || candidate->arguments.size() != wanted.size() ||
        candidate->returns.size() != op.schema->returns.size() || candidate->is_mutable()) {
      continue;
    }
    bool matches = true;
    for (size_t i = 0; i < wanted.size() && matches; ++i) {
      matches = candidate->arguments[i].name == op.schema->arguments[i].name &&
                candidate->arguments[i].type.to_string() == wanted[i];
    }
    if (matches && shim.names.count(shim_gen::c_function(*candidate, shim.device).name) != 0)
      return candidate;
  }
  return nullptr;
}

enum class Lowering { kFallback, kInplace, kOutVariant, kOutArgument, kCopy, kKernel, kUnsupported };

/// The arguments an op writes its results into: its out= arguments, or self for an in-place
/// op (`clamp_`). Empty for functional ops.
std::vector<const ir::SchemaArgument*> written_params(const ir::OpSchema& schema) {
  std::vector<const ir::SchemaArgument*> written;
  for (const ir::SchemaArgument& param : schema.arguments) {
    if (param.is_out()) written.push_back(&param);
  }
  if (written.empty() && !schema.arguments.empty() && schema.arguments[0].is_write() &&
      !schema.name.empty() && schema.name.back() == '_') {
    written.push_back(&schema.arguments[0]);
  }
  return written;
}

/// A factory's optional tensor option (`ScalarType? dtype=None`, `Layout? layout=None`, `Device?
/// device=None`, `bool? pin_memory=None`).
bool factory_option(const ir::SchemaArgument& param) {
  static const std::set<std::string> kOptions = {"dtype", "layout", "device", "pin_memory"};
  return kOptions.count(param.name) != 0 && param.type.kind == ir::SchemaType::Kind::Optional &&
         param.default_text == "None";
}

/// For an op that writes into its arguments (`add.out`, `clamp_.Tensor`), the functional overload
/// computing the same values: the name without the trailing '_', the same arguments without the
/// out ones, a result per written argument (the same overload name preferred).
const ir::OpSchema* functional_of(const ir::OpSchema& schema, const ir::SchemaRegistry& schemas) {
  const std::vector<const ir::SchemaArgument*> written = written_params(schema);
  if (written.empty()) return nullptr;
  const bool inplace = !written[0]->is_out();
  const std::string name = inplace ? schema.name.substr(0, schema.name.size() - 1) : schema.name;
  std::vector<const ir::SchemaArgument*> inputs;
  for (const ir::SchemaArgument& param : schema.arguments) {
    if (!param.is_out()) inputs.push_back(&param);
  }
  const ir::OpSchema* found = nullptr;
  for (const ir::OpSchema* candidate : schemas.overloads("aten", name)) {
    if (candidate == &schema || candidate->is_mutable() || candidate->arguments.size() < inputs.size() ||
        candidate->returns.size() != written.size()) {
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < inputs.size() && same; ++i) {
      same = candidate->arguments[i].name == inputs[i]->name &&
             candidate->arguments[i].type.to_string() == inputs[i]->type.to_string();
    }
    // A factory's functional form has its tensor options besides (linspace.Tensor_Tensor against
    // linspace.Tensor_Tensor_out): the written tensor's dtype and device are passed there.
    for (size_t i = inputs.size(); i < candidate->arguments.size() && same; ++i)
      same = factory_option(candidate->arguments[i]);
    if (!same) continue;
    if (candidate->overload == schema.overload) return candidate;
    if (found == nullptr) found = candidate;
  }
  return found;
}

Lowering choose(const Stmt& op, const ir::SchemaRegistry& schemas, const ShimFunctions& shim,
                std::string* why) {
  const Node& node = *op.node;
  if (op.schema == nullptr) {
    *why = "not an ATen operator";
    return Lowering::kUnsupported;
  }
  const ir::OpSchema& schema = *op.schema;
  if (schema.ns != "aten" && schema.ns != "mkldnn" && schema.ns != "mkl") {
    *why = fmt::format("a {} operator: only aten, mkldnn and mkl operators have C shim functions", schema.ns);
    return Lowering::kUnsupported;
  }
  shim_gen::CFunction fn = shim_gen::c_function(schema, shim.device);
  // The single-op loops of kKernel run on the host: CPU only (on a GPU, fuse_kernels makes kernels).
  const bool host_kernels = shim.device == "cpu";
  if (host_kernels && shim.prefer_kernels && kernel_applies(node, *op.graph, nullptr))
    return Lowering::kKernel;
  const ir::OpSchema* out = schemas.find("aten." + schema.name + ".out");
  const bool out_ok = out != nullptr && out != &schema && written_params(schema).empty() &&
                      shim.names.count(shim_gen::c_function(*out, shim.device).name) != 0 &&
                      node.outputs.size() == 1 && node.outputs[0].kind == ArgKind::kTensor &&
                      op.graph->find_tensor(node.outputs[0].name) != nullptr;
  // Matrix products write into buffers aotic plans (and reuses) rather than allocating per call.
  static const std::set<std::string> kPreferOut = {"addmm", "mm", "bmm", "baddbmm"};
  if (out_ok && kPreferOut.count(schema.name) != 0) return Lowering::kOutVariant;
  if (shim.names.count(fn.name) != 0) {
    // An op without results (an assertion such as _assert_tensor_metadata) is a call for its check.
    if (has_c_return(fn) || schema.returns.empty()) return Lowering::kFallback;
    if (!schema.arguments.empty() && schema.arguments[0].is_write()) return Lowering::kInplace;
  }
  if (out_ok) return Lowering::kOutVariant;
  // clone without a shim function (PyTorch's C shim): a buffer laid out as the export's result,
  // filled by aoti_torch_copy_, which every shim has.
  if (schema.target() == "aten.clone.default" && node.outputs.size() == 1 &&
      node.outputs[0].kind == ArgKind::kTensor && op.graph->find_tensor(node.outputs[0].name) != nullptr)
    return Lowering::kCopy;
  if (!written_params(schema).empty()) {
    // A node calling an out= overload itself, or an in-place op the shim lacks: the shim's out
    // function, else the functional op and a copy into the written tensor.
    const ir::OpSchema* functional = functional_of(schema, schemas);
    if (shim.names.count(fn.name) != 0 ||
        (functional != nullptr &&
         shim.names.count(shim_gen::c_function(*functional, shim.device).name) != 0)) {
      return Lowering::kOutArgument;
    }
    if (functional != nullptr) {
      *why = fmt::format("no shim function {} (nor {}) in {}", fn.name,
                         shim_gen::c_function(*functional, shim.device).name, shim.origin);
      return Lowering::kUnsupported;
    }
  }
  std::string kernel_why;
  if (host_kernels && kernel_applies(node, *op.graph, &kernel_why)) return Lowering::kKernel;
  *why = kernel_why.empty()
             ? fmt::format("no shim function {} in {}", fn.name, shim.origin)
             : fmt::format("no shim function {} in {}, and {}", fn.name, shim.origin, kernel_why);
  return Lowering::kUnsupported;
}

/// Lowers the ops of one block (a graph or a cond branch); values are scoped to it.
class Selector {
 public:
  Selector(const wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim,
           std::vector<std::string>* unsupported, std::set<std::string>* reported)
      : module_(module), schemas_(schemas), shim_(shim), unsupported_(unsupported), reported_(reported) {
    for (const wir::Symbol& s : module.symbols) symbols_.insert(s.name);
  }

  wir::Block lower(wir::Block& block) {
    wir::Block out;
    for (Stmt& s : block) {
      if (s.kind == Stmt::Kind::kCond) {
        for (wir::Branch& b : s.branches) {
          Selector inner(module_, schemas_, shim_, unsupported_, reported_);
          inner.symbols_ = symbols_;
          b.body = inner.lower(b.body);
        }
        for (const std::string& n : s.outs) owned_.insert(n);
        out.push_back(std::move(s));
      } else if (s.kind == Stmt::Kind::kOp) {
        lower_op(s, out);
      } else {
        if (s.kind == Stmt::Kind::kAlloc) owned_.insert(s.value);  // a generated kernel's result
        out.push_back(std::move(s));
      }
    }
    return out;
  }

 private:
  void lower_op(const Stmt& op, wir::Block& out) {
    const size_t unsupported = unsupported_->size();
    lower_node(op, out);
    bind_data_dependent_sizes(op, out, unsupported != unsupported_->size());
  }

  /// After an op whose result is sized by symbols no input binds (nonzero's [u0, 1]): each such
  /// symbol is read from the first dimension of the result that is exactly that symbol.
  /// An op already reported unsupported: its symbols count as bound, so that only the op is reported.
  void bind_data_dependent_sizes(const Stmt& op, wir::Block& out, bool reported) {
    for (const ir::Argument& result : op.node->outputs) {
      std::vector<std::string> names;
      if (result.kind == ArgKind::kTensor) names = {result.name};
      if (result.kind == ArgKind::kTensors) names = result.names;
      for (const std::string& name : names) {
        const ir::TensorMeta* meta = op.graph->find_tensor(name);
        if (meta == nullptr) continue;
        for (size_t d = 0; d < meta->sizes.size(); ++d) {
          std::optional<std::string> symbol = meta->sizes[d].as_symbol();
          if (!symbol || symbols_.count(*symbol) != 0) continue;
          if (reported) {
            symbols_.insert(*symbol);
            continue;
          }
          if (owned_.count(name) == 0) continue;
          Stmt s = like(op, Stmt::Kind::kReadInt);
          s.note.clear();
          s.value = *symbol;
          s.inputs = {name};
          s.dim = static_cast<int64_t>(d);
          symbols_.insert(*symbol);
          out.push_back(std::move(s));
        }
      }
    }
  }

  void lower_node(const Stmt& op, wir::Block& out) {
    const Node& node = *op.node;
    if (is_range_hint(node)) return;
    if (node.target == "torch.ops.aten._assert_scalar.default") {
      const ir::NamedArgument* self = node.find_input("self");
      const ir::NamedArgument* message = node.find_input("assert_msg");
      if (self == nullptr || self->arg.refs.size() != 1) user_error("{}: unsupported assertion", op.place);
      const ir::ValueRef& ref = self->arg.refs[0];
      if (ref.kind == ir::ValueRef::Kind::kBool && ref.bool_value) return;  // asserts True
      if (ref.kind != ir::ValueRef::Kind::kName || ints_.count(ref.name) == 0) {
        user_error("{}: unsupported assertion of {}", op.place, self->arg.to_string());
      }
      Stmt s = like(op, Stmt::Kind::kAssert);
      s.pred = ref.name;
      s.text = fmt::format("{}: {}", op.place,
                           message != nullptr && message->arg.kind == ArgKind::kString ? message->arg.name
                                                                                       : "assertion failed");
      out.push_back(std::move(s));
      return;
    }
    if (is_item(node)) {
      lower_item(op, out);
      return;
    }
    if (is_size_node(node)) {
      const ir::SymExpr& expr = recorded_expr(op);
      read_unbound_symbol(op, expr, out);
      check_symbols(op, expr);
      define_size(op, expr, out);
      return;
    }
    if (is_getitem(node.target)) {
      const ir::Argument& list = node.inputs.at(0).arg;
      int64_t index = node.inputs.size() > 1 ? node.inputs[1].arg.int_value : -1;
      if (list.kind != ArgKind::kTensors || index < 0 || index >= static_cast<int64_t>(list.names.size()) ||
          node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kTensor) {
        user_error("{}: unsupported getitem", op.place);
      }
      Stmt s = like(op, Stmt::Kind::kAlias);
      s.value = node.outputs[0].name;
      s.alias_of = list.names[static_cast<size_t>(index)];
      owned_.insert(s.value);
      out.push_back(std::move(s));
      return;
    }
    if (node.target == "torch.ops.prims.convert_element_type.default" && node.inputs.size() == 2 &&
        node.inputs[0].name == "a") {
      // Left by some decompositions (renorm's); the same cast as aten._to_copy(self, dtype=).
      const ir::OpSchema* to_copy = schemas_.find("aten._to_copy.default");
      AOTIC_CHECK(to_copy != nullptr, "aten._to_copy.default has no schema");
      auto rewritten = std::make_shared<Node>(node);
      rewritten->target = "torch.ops.aten._to_copy.default";
      rewritten->inputs[0].name = "self";
      Stmt retargeted = op;
      retargeted.rewritten = rewritten;
      retargeted.node = rewritten.get();
      retargeted.schema = to_copy;
      retargeted.note = "prims.convert_element_type.default called as aten._to_copy.default";
      lower_node(retargeted, out);
      return;
    }
    if (const ir::OpSchema* overload = integer_scalar_overload(op, schemas_, shim_)) {
      Stmt retargeted = op;
      retargeted.schema = overload;
      retargeted.note = fmt::format("{} with an integer Scalar, called as {}: keeps the integer type",
                                    op.schema->target(), overload->target());
      const size_t first = out.size();
      lower_call_of(retargeted, *retargeted.node, *overload, false, out);
      // The Scalars became 0-dim tensors; on a GPU they are made there (clamp.Tensor takes no
      // CPU tensor beside GPU ones).
      const std::function<void(wir::Arg&)> on_device = [&](wir::Arg& a) {
        for (wir::Arg& item : a.items) on_device(item);
        if (a.kind == wir::Arg::Kind::kScalarTensor)
          a.on_device = shim_.device == "cuda" && shim_.names.count("aoti_torch_cuda_fill__Scalar") != 0;
      };
      for (size_t i = first; i < out.size(); ++i) {
        for (wir::Arg& a : out[i].args) on_device(a);
      }
      return;
    }
    std::string why;
    Lowering lowering = choose(op, schemas_, shim_, &why);
    switch (lowering) {
      case Lowering::kUnsupported:
        if (reported_->insert(node.target).second) {
          unsupported_->push_back(fmt::format("{} (node '{}'): {}", node.op_name(), node.name, why));
        }
        return;
      case Lowering::kKernel:
        lower_kernel(op, out);
        return;
      case Lowering::kOutVariant:
        if (const std::string symbol = unbound_symbol(*op.graph->find_tensor(node.outputs[0].name));
            !symbol.empty()) {
          // A buffer cannot be allocated before the op decides its size.
          if (reported_->insert(node.target).second) {
            unsupported_->push_back(
                fmt::format("{} (node '{}'): its result's size {} is data-dependent, and the shim has only "
                            "its .out variant",
                            node.op_name(), node.name, symbol));
          }
          return;
        }
        lower_out_variant(op, out);
        return;
      case Lowering::kOutArgument:
        lower_out_argument(op, out);
        return;
      case Lowering::kCopy:
        if (const std::string symbol = unbound_symbol(*op.graph->find_tensor(node.outputs[0].name));
            !symbol.empty()) {
          if (reported_->insert(node.target).second) {
            unsupported_->push_back(fmt::format(
                "{} (node '{}'): its result's size {} is data-dependent, and the shim has no {}",
                node.op_name(), node.name, symbol, shim_gen::c_function(*op.schema, shim_.device).name));
          }
          return;
        }
        lower_copy(op, out);
        return;
      case Lowering::kFallback:
      case Lowering::kInplace:
        lower_call_of(op, *op.node, *op.schema, lowering == Lowering::kInplace, out);
        return;
    }
  }

  /// aten._local_scalar_dense / aten.item of an integer or bool tensor: the symbol the export gave
  /// its value, read from the tensor at run time, then the node's own name bound to it.
  void lower_item(const Stmt& op, wir::Block& out) {
    const Node& node = *op.node;
    const ir::NamedArgument* self = node.find_input("self");
    if (self == nullptr || self->arg.kind != ArgKind::kTensor)
      user_error("{}: unsupported .item()", op.place);
    if (node.outputs.at(0).kind == ArgKind::kSymFloat) {
      user_error(
          "{}: .item() of a floating-point tensor (a SymFloat) is not supported; only integer and "
          "bool tensors",
          op.place);
    }
    const std::string& name = node.outputs[0].refs.at(0).name;
    const ir::SymExpr& expr = recorded_expr(op);
    std::optional<std::string> symbol = expr.as_symbol();
    if (!symbol) user_error("{}: .item() recorded as {}, not a new symbol", op.place, expr.to_string());
    Stmt read = like(op, Stmt::Kind::kReadInt);
    read.read = Stmt::Read::kItem;
    read.inputs = {self->arg.name};
    if (symbols_.count(*symbol) != 0) {
      // The export equated the value with a symbol already bound (torch._check(x.item() == n)):
      // the value is read under the node's own name, the bound symbol left as it is.
      read.value = name;
      ints_.insert(name);
      out.push_back(std::move(read));
      return;
    }
    read.value = *symbol;
    symbols_.insert(*symbol);
    out.push_back(std::move(read));
    define_size(op, expr, out);
    out.back().note.clear();  // the read above carries it
  }

  /// The expression the export recorded for the node's one integer (or SymBool) output.
  static const ir::SymExpr& recorded_expr(const Stmt& op) {
    const ir::Argument& result = op.node->outputs.at(0);
    const std::string& name = result.refs.at(0).name;
    const std::map<std::string, ir::SymValue>& values =
        result.kind == ArgKind::kSymBool ? op.graph->sym_bool_values : op.graph->sym_int_values;
    auto it = values.find(name);
    if (it == values.end()) user_error("{}: no expression recorded for '{}'", op.place, name);
    return it->second.expr;
  }

  /// The node's integer output defined as `expr`.
  void define_size(const Stmt& op, const ir::SymExpr& expr, wir::Block& out) {
    Stmt s = like(op, Stmt::Kind::kSize);
    s.value = op.node->outputs.at(0).refs.at(0).name;
    s.expr = expr;
    ints_.insert(s.value);
    out.push_back(std::move(s));
  }

  /// sym_size / sym_storage_offset of a tensor whose size or offset is a symbol nothing has bound
  /// yet (a view an op made with data-dependent bounds): read from the tensor at run time.
  void read_unbound_symbol(const Stmt& op, const ir::SymExpr& expr, wir::Block& out) {
    const Node& node = *op.node;
    const bool size = node.target == "torch.ops.aten.sym_size.int";
    const bool offset = node.target == "torch.ops.aten.sym_storage_offset.default";
    if (!size && !offset) return;
    std::optional<std::string> symbol = expr.as_symbol();
    if (!symbol || symbols_.count(*symbol) != 0) return;
    const ir::NamedArgument* self = node.find_input("self");
    if (self == nullptr || self->arg.kind != ArgKind::kTensor) return;
    Stmt read = like(op, Stmt::Kind::kReadInt);
    read.note.clear();
    read.value = *symbol;
    read.inputs = {self->arg.name};
    if (offset) {
      read.read = Stmt::Read::kStorageOffset;
    } else {
      const ir::NamedArgument* dim = node.find_input("dim");
      if (dim == nullptr || dim->arg.kind != ArgKind::kInt) return;
      read.dim = dim->arg.int_value;
      if (read.dim < 0) {
        const ir::TensorMeta* meta = op.graph->find_tensor(self->arg.name);
        if (meta == nullptr) return;
        read.dim += static_cast<int64_t>(meta->sizes.size());
      }
    }
    symbols_.insert(*symbol);
    out.push_back(std::move(read));
  }

  static Stmt like(const Stmt& op, Stmt::Kind kind) {
    Stmt s;
    s.kind = kind;
    return from(op, std::move(s));
  }

  /// `s` placed where `op` was: its place, note, node and graph.
  static Stmt from(const Stmt& op, Stmt s) {
    s.place = op.place;
    s.note = op.note;
    s.node = op.node;
    s.rewritten = op.rewritten;
    s.graph = op.graph;
    return s;
  }

  /// A symbol of `meta`'s sizes not bound here, or "".
  std::string unbound_symbol(const ir::TensorMeta& meta) const {
    for (const ir::SymExpr& size : meta.sizes) {
      for (const std::string& symbol : size.symbols()) {
        if (symbols_.count(symbol) == 0) return symbol;
      }
    }
    return "";
  }

  void check_symbols(const Stmt& op, const ir::SymExpr& expr) {
    for (const std::string& symbol : expr.symbols()) {
      if (symbols_.count(symbol) == 0) {
        user_error(
            "{}: symbol '{}' is neither a size of an input nor a size of an earlier op's result: its "
            "value is not known here",
            op.place, symbol);
      }
    }
  }

  /// An allocation of `value` with the export's sizes and the given strides.
  Stmt alloc(const Stmt& op, const std::string& value, const std::vector<ir::SymExpr>* strides) {
    const ir::TensorMeta& meta = *op.graph->find_tensor(value);
    Stmt s = like(op, Stmt::Kind::kAlloc);
    s.note.clear();
    s.value = value;
    s.buffer.dtype = meta.dtype;
    s.buffer.device = meta.device;
    s.buffer.sizes = meta.sizes;
    s.buffer.strides = strides ? *strides : meta.strides;
    for (const ir::SymExpr& e : s.buffer.sizes) check_symbols(op, e);
    for (const ir::SymExpr& e : s.buffer.strides) check_symbols(op, e);
    owned_.insert(value);
    return s;
  }

  void require_owned(const Stmt& op, const std::string& value) {
    if (owned_.count(value) == 0) {
      user_error("{}: in-place update of a graph input or constant is not supported", op.place);
    }
  }

  void lower_kernel(const Stmt& op, wir::Block& out) {
    const Node& node = *op.node;
    const KernelOp& k = kernel_ops().at(node.op_name());
    const std::string& base = node.op_name();
    Stmt s = like(op, Stmt::Kind::kKernel);
    s.function = "kernel_" + cpp_identifier(base.substr(5, base.rfind('.') - 5));
    s.expression = k.expression;
    s.comment = node.op_name();
    const ir::NamedArgument* approximate = node.find_input("approximate");
    if (approximate != nullptr && approximate->arg.kind == ArgKind::kString &&
        approximate->arg.name == "tanh") {
      s.expression = kGeluTanh;
      s.function += "_tanh";
      s.comment = "gelu(approximate='tanh')";
    }
    if (k.inplace && s.function.back() == '_') s.function.pop_back();
    const std::string& self = node.inputs[0].arg.name;
    const std::string& result = node.outputs[0].name;
    s.inputs = {self};
    s.inplace = k.inplace;
    if (k.inplace) {
      require_owned(op, self);
      s.value = self;
      out.push_back(std::move(s));
      Stmt alias = like(op, Stmt::Kind::kAlias);
      alias.value = result;
      alias.alias_of = self;
      owned_.insert(result);
      out.push_back(std::move(alias));
      return;
    }
    const std::vector<ir::SymExpr> strides = ir::contiguous_strides(op.graph->find_tensor(result)->sizes);
    out.push_back(alloc(op, result, &strides));
    s.value = result;
    out.push_back(std::move(s));
  }

  /// clone as a new buffer with the export's layout and aoti_torch_copy_ into it.
  void lower_copy(const Stmt& op, wir::Block& out) {
    const std::string& result = op.node->outputs[0].name;
    out.push_back(alloc(op, result, nullptr));
    Stmt copy = from(op, wir::copy_call(result, op.node->inputs.at(0).arg.name));
    copy.note = fmt::format("{} as a copy into a buffer laid out as its result: the shim has no {}",
                            op.schema->target(), shim_gen::c_function(*op.schema, shim_.device).name);
    out.push_back(std::move(copy));
  }

  void lower_out_variant(const Stmt& op, wir::Block& out) {
    const ir::OpSchema& out_schema = *schemas_.find("aten." + op.schema->name + ".out");
    const std::string& result = op.node->outputs[0].name;
    out.push_back(alloc(op, result, nullptr));
    Node with_out = *op.node;
    for (const ir::SchemaArgument& param : out_schema.arguments) {
      if (!param.is_out()) continue;
      ir::NamedArgument arg;
      arg.name = param.name;
      arg.arg.kind = ArgKind::kTensor;
      arg.arg.name = result;
      with_out.inputs.push_back(arg);
    }
    with_out.outputs.clear();
    lower_call_of(op, with_out, out_schema, false, out);
  }

  /// A node of an out= overload (`add.out(x, y, out=buf)`) or an in-place op (`clamp_(x, ...)`):
  /// the out tensors (self) are written and the node's results are aliases of them. Without the
  /// shim's own function, the functional op computes a new tensor that is copied into the written
  /// one (copy_ casts and checks the shape, as the out= and in-place forms do).
  void lower_out_argument(const Stmt& op, wir::Block& out) {
    const Node& node = *op.node;
    const ir::OpSchema& schema = *op.schema;
    std::vector<std::string> out_values;
    for (const ir::SchemaArgument* param : written_params(schema)) {
      const ir::NamedArgument* given = node.find_input(param->name);
      if (given == nullptr || given->arg.kind != ArgKind::kTensor) {
        user_error("{}: written argument '{}' is not a tensor", op.place, param->name);
      }
      // Made by an op already reported unsupported: that report is the error.
      if (owned_.count(given->arg.name) == 0 && !unsupported_->empty()) return;
      require_owned(op, given->arg.name);
      out_values.push_back(given->arg.name);
    }
    const ir::OpSchema* functional = functional_of(schema, schemas_);
    const bool view = functional != nullptr && !functional->returns.empty() &&
                      functional->returns[0].alias.has_value() && !functional->returns[0].alias->is_write;
    if (shim_.names.count(shim_gen::c_function(schema, shim_.device).name) != 0) {
      Node call = node;
      call.outputs.clear();
      lower_call_of(op, call, schema, false, out);
    } else if (view && !written_params(schema)[0]->is_out()) {
      // An in-place view op (unsqueeze_, t_, as_strided_) changes self's metadata only: its
      // result is the functional view of self, which later nodes use instead.
      Stmt viewed = op;
      viewed.schema = functional;
      viewed.view = true;
      viewed.alias_of = out_values.at(0);
      lower_call_of(viewed, node, *functional, false, out);
      return;
    } else {
      const ir::OpSchema& functional = *functional_of(schema, schemas_);  // choose() checked it
      Node call = node;
      call.inputs.clear();
      for (const ir::NamedArgument& arg : node.inputs) {
        if (functional.find_argument(arg.name) != nullptr) call.inputs.push_back(arg);
      }
      // A factory makes its result with the written tensor's dtype and on its device, so the copy
      // converts nothing (linspace into an int64 tensor counts in integers, as linspace.out does).
      const ir::TensorMeta* written = op.graph->find_tensor(out_values.at(0));
      for (const ir::SchemaArgument& param : functional.arguments) {
        if (written == nullptr || node.find_input(param.name) != nullptr || !factory_option(param)) continue;
        ir::Argument option;
        if (param.name == "dtype") {
          option.kind = ArgKind::kScalarType;
          option.int_value = static_cast<int64_t>(written->dtype);
        } else if (param.name == "device") {
          option.kind = ArgKind::kDevice;
          option.device = written->device;
        } else {
          continue;
        }
        call.inputs.push_back({param.name, option});
      }
      call.outputs.clear();
      for (size_t i = 0; i < out_values.size(); ++i) {
        ir::Argument result;
        result.kind = ArgKind::kTensor;
        result.name = fmt::format("{}_result{}", node.name, i == 0 ? "" : std::to_string(i));
        call.outputs.push_back(result);
      }
      Stmt computed = op;
      computed.schema = &functional;
      lower_call_of(computed, call, functional, false, out);
      const ir::OpSchema* copy = schemas_.find("aten.copy_.default");
      if (copy == nullptr) user_error("{}: no schema for aten.copy_.default", op.place);
      for (size_t i = 0; i < out_values.size(); ++i) {
        Node copy_node;
        copy_node.name = node.name;
        copy_node.target = "torch.ops." + copy->target();
        copy_node.inputs.push_back({"self", ir::Argument{}});
        copy_node.inputs.back().arg.kind = ArgKind::kTensor;
        copy_node.inputs.back().arg.name = out_values[i];
        copy_node.inputs.push_back({"src", call.outputs[i]});
        Stmt copy_op = op;
        copy_op.schema = copy;
        copy_op.note = fmt::format("{} computed by {} and copied into the tensor it writes", schema.target(),
                                   functional.target());
        lower_call_of(copy_op, copy_node, *copy, true, out);
      }
    }
    for (size_t i = 0; i < node.outputs.size() && i < out_values.size(); ++i) {
      if (node.outputs[i].kind != ArgKind::kTensor) continue;
      Stmt alias = like(op, Stmt::Kind::kAlias);
      alias.note.clear();
      alias.value = node.outputs[i].name;
      alias.alias_of = out_values[i];
      owned_.insert(alias.value);
      out.push_back(std::move(alias));
    }
  }

  void lower_call_of(const Stmt& op, const Node& node, const ir::OpSchema& schema, bool inplace,
                     wir::Block& out) {
    shim_gen::CFunction fn = shim_gen::c_function(schema, shim_.device);
    const bool c_returns = has_c_return(fn);
    Stmt s = like(op, op.view ? Stmt::Kind::kView : Stmt::Kind::kCall);
    s.function = fn.name;
    s.alias_of = op.alias_of;
    // A Tensor[] return comes last (histogramdd: (Tensor hist, Tensor[] bin_edges)).
    const bool list_return =
        !schema.returns.empty() && schema.returns.back().type.kind == ir::SchemaType::Kind::List;
    if (c_returns) {
      // The single tensors, then the Tensor[]'s elements.
      const size_t singles = schema.returns.size() - (list_return ? 1 : 0);
      if (list_return &&
          (node.outputs.size() != schema.returns.size() || node.outputs.back().kind != ArgKind::kTensors)) {
        user_error(
            "{}: expected {} as output", op.place,
            singles == 0 ? "a list of tensors" : fmt::format("{} tensors and a list of tensors", singles));
      }
      for (size_t i = 0; i < singles; ++i) {
        const ir::Argument* result = i < node.outputs.size() ? &node.outputs[i] : nullptr;
        if (result != nullptr && result->kind == ArgKind::kTensor) {
          s.outs.push_back(result->name);
        } else if (result == nullptr || result->kind == ArgKind::kNone) {
          s.outs.emplace_back();
        } else {
          user_error("{}: output {} is a {}: not supported", op.place, i, ir::arg_kind_key(result->kind));
        }
      }
      if (list_return) {
        s.outs.insert(s.outs.end(), node.outputs.back().names.begin(), node.outputs.back().names.end());
        s.list_out = true;
        s.list_start = singles;
      }
    }
    // C order: out= arguments first (torchgen's convention), then the others in schema order.
    std::vector<const ir::SchemaArgument*> ordered;
    for (const ir::SchemaArgument& param : schema.arguments) {
      if (param.is_out()) ordered.push_back(&param);
    }
    for (const ir::SchemaArgument& param : schema.arguments) {
      if (!param.is_out()) ordered.push_back(&param);
    }
    const ir::TensorMeta* result_meta = !node.outputs.empty() && node.outputs[0].kind == ArgKind::kTensor
                                            ? op.graph->find_tensor(node.outputs[0].name)
                                            : nullptr;
    for (const ir::SchemaArgument* param : ordered) {
      const ir::NamedArgument* given = node.find_input(param->name);
      ir::Argument arg;
      if (param->name == "dtype" && param->type.kind == ir::SchemaType::Kind::Optional &&
          param->type.elems.at(0).kind == ir::SchemaType::Kind::ScalarType &&
          (given == nullptr || given->arg.kind == ArgKind::kNone) && result_meta != nullptr) {
        // Factories infer their dtype from Python scalars (arange(4) is int64); through the C ABI
        // every Scalar is a double, so the dtype the export recorded is passed explicitly.
        arg.kind = ArgKind::kScalarType;
        arg.int_value = static_cast<int64_t>(result_meta->dtype);
      } else if (given != nullptr) {
        arg = given->arg;
      } else {
        std::optional<ir::Argument> d =
            param->default_text ? default_argument(param->type, *param->default_text) : std::nullopt;
        if (!d) {
          user_error("{}: argument '{}': cannot use its default '{}'", op.place, param->name,
                     param->default_text.value_or("<none>"));
        }
        arg = *d;
      }
      s.args.push_back(lower_arg(*param, arg, param->type, ints_,
                                 fmt::format("{}: argument '{}'", op.place, param->name)));
    }
    type_scalar_tensors(*op.graph, ordered, shim_, s.args);
    for (const std::string& n : s.outs) {
      if (!n.empty()) owned_.insert(n);
    }
    const ir::NamedArgument* self = inplace ? node.find_input(schema.arguments.at(0).name) : nullptr;
    if (inplace) {
      if (self == nullptr || self->arg.kind != ArgKind::kTensor) {
        user_error("{}: in-place update of a graph input or constant is not supported", op.place);
      }
      require_owned(op, self->arg.name);
      // A C function that returns the updated argument (mkldnn's in-place ops) gives a second
      // handle to its tensor: the result shares the argument's storage.
      if (c_returns) s.alias_of = self->arg.name;
    }
    out.push_back(std::move(s));
    if (inplace && !c_returns) {
      // The result is the updated first argument.
      if (node.outputs.empty() || node.outputs[0].kind != ArgKind::kTensor) return;
      Stmt alias = like(op, Stmt::Kind::kAlias);
      alias.note.clear();
      alias.value = node.outputs[0].name;
      alias.alias_of = self->arg.name;
      owned_.insert(alias.value);
      out.push_back(std::move(alias));
    }
  }

  const wir::Module& module_;
  const ir::SchemaRegistry& schemas_;
  const ShimFunctions& shim_;
  std::vector<std::string>* unsupported_;
  std::set<std::string>* reported_;
  std::set<std::string> symbols_;
  std::set<std::string> ints_;   // integer values defined so far
  std::set<std::string> owned_;  // tensors this block made (in-place updates allowed)
};

}  // namespace

bool library_lowers(const wir::Stmt& op, const ir::SchemaRegistry& schemas, const ShimFunctions& shim) {
  if (op.kind != Stmt::Kind::kOp || op.node == nullptr) return false;
  if (is_getitem(op.node->target)) return true;
  std::string why;
  return choose(op, schemas, shim, &why) != Lowering::kUnsupported;
}

void select_ops(wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim) {
  std::vector<std::string> unsupported;
  std::set<std::string> reported;
  Selector folder(module, schemas, shim, &unsupported, &reported);
  module.fold = folder.lower(module.fold);
  Selector selector(module, schemas, shim, &unsupported, &reported);
  module.body = selector.lower(module.body);
  if (!unsupported.empty()) {
    std::string list;
    for (const std::string& u : unsupported) list += (list.empty() ? "" : "; ") + u;
    user_error("{} unsupported op{}: {}", unsupported.size(), unsupported.size() > 1 ? "s" : "", list);
  }
}

}  // namespace aotic::codegen
