#include "codegen/kernel_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ir/error.h"

namespace aotic::codegen::kops {
namespace {

using ir::DType;
using kernel::ExprPtr;
using kernel::Index;

/// A node's argument, or the schema's default when the export left it out (nullopt when neither).
std::optional<ir::Argument> argument(const ir::Node& node, const ir::OpSchema& schema,
                                     const std::string& name) {
  if (const ir::NamedArgument* given = node.find_input(name)) return given->arg;
  const ir::SchemaArgument* param = schema.find_argument(name);
  if (param == nullptr || !param->default_text) return std::nullopt;
  const std::string& text = *param->default_text;
  ir::Argument a;
  if (text == "None") {
    a.kind = ir::ArgKind::kNone;
  } else if (text == "True" || text == "False") {
    a.kind = ir::ArgKind::kBool;
    a.bool_value = text == "True";
  } else if (!text.empty() && text.front() == '[') {
    a.kind = ir::ArgKind::kInts;
    std::string item;
    for (char c : text.substr(1)) {
      if (c == ',' || c == ']') {
        if (!item.empty()) a.ints.push_back(std::stoll(item));
        item.clear();
      } else if (c != ' ') {
        item += c;
      }
    }
  } else if (!text.empty() && text.front() == '"') {
    a.kind = ir::ArgKind::kString;
    a.name = text.substr(1, text.size() - 2);
  } else if (text.find_first_of(".eE") != std::string::npos || text == "inf" || text == "-inf") {
    a.kind = ir::ArgKind::kFloat;
    a.float_value = std::stod(text);
  } else {
    a.kind = ir::ArgKind::kInt;
    try {
      a.int_value = std::stoll(text);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return a;
}

/// A Python number argument: its value and whether it is a float (a bool counts as an integer).
struct Number {
  double value = 0;
  int64_t int_value = 0;
  bool is_float = false;
  bool is_bool = false;
};

std::optional<Number> number(const std::optional<ir::Argument>& a) {
  if (!a) return std::nullopt;
  Number n;
  switch (a->kind) {
    case ir::ArgKind::kFloat:
      n.value = a->float_value;
      n.is_float = true;
      return n;
    case ir::ArgKind::kInt:
      n.int_value = a->int_value;
      n.value = static_cast<double>(a->int_value);
      return n;
    case ir::ArgKind::kBool:
      n.int_value = a->bool_value;
      n.value = a->bool_value;
      n.is_bool = true;
      return n;
    case ir::ArgKind::kSymInt:
    case ir::ArgKind::kSymFloat:
    case ir::ArgKind::kSymBool:
      if (a->refs.size() != 1) return std::nullopt;
      if (a->refs[0].kind == ir::ValueRef::Kind::kInt) {
        n.int_value = a->refs[0].int_value;
        n.value = static_cast<double>(n.int_value);
        return n;
      }
      if (a->refs[0].kind == ir::ValueRef::Kind::kFloat) {
        n.value = a->refs[0].float_value;
        n.is_float = true;
        return n;
      }
      if (a->refs[0].kind == ir::ValueRef::Kind::kBool) {
        n.int_value = a->refs[0].bool_value;
        n.value = n.int_value;
        n.is_bool = true;
        return n;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

ExprPtr number_expr(const Number& n, DType dtype) {
  if (ir::dtype_is_floating(dtype)) return kernel::constant(n.value, dtype);
  if (n.is_float) return kernel::constant_int(static_cast<int64_t>(n.value), dtype);
  return kernel::constant_int(n.int_value, dtype);
}

bool is_float(DType d) { return d == DType::kFloat32 || d == DType::kFloat64; }

/// torch.promote_types over the dtypes kernels handle.
DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::kBool) return b;
  if (b == DType::kBool) return a;
  if (is_float(a) || is_float(b)) {
    if (a == DType::kFloat64 || b == DType::kFloat64) return DType::kFloat64;
    return DType::kFloat32;
  }
  auto width = [](DType d) {
    switch (d) {
      case DType::kUInt8:
      case DType::kInt8:
        return 1;
      case DType::kInt16:
        return 2;
      case DType::kInt32:
        return 4;
      default:
        return 8;
    }
  };
  if (a == DType::kUInt8 || b == DType::kUInt8) {
    const DType other = a == DType::kUInt8 ? b : a;
    return other == DType::kInt8 ? DType::kInt16 : other;
  }
  return width(a) >= width(b) ? a : b;
}

/// One operand of torch.result_type: a tensor with dimensions, a 0-dim tensor, or a Python number.
struct Operand {
  DType dtype;
  int rank_class;  // 0: dimensioned tensor, 1: 0-dim tensor, 2: Python number
};

/// torch.result_type: categories decide between the classes (a float number makes an integer
/// tensor's comparison float32, not float64).
DType result_type(const std::vector<Operand>& operands) {
  std::optional<DType> state[3];
  for (const Operand& o : operands) {
    DType d = o.dtype;
    if (o.rank_class == 2)
      d = is_float(d) ? DType::kFloat32 : d == DType::kBool ? DType::kBool : DType::kInt64;
    state[o.rank_class] = state[o.rank_class] ? promote(*state[o.rank_class], d) : d;
  }
  auto combine = [](std::optional<DType> higher, std::optional<DType> lower) -> std::optional<DType> {
    if (!higher) return lower;
    if (!lower) return higher;
    if (is_float(*higher)) return higher;
    if (*higher == DType::kBool || is_float(*lower)) return promote(*higher, *lower);
    return higher;
  };
  std::optional<DType> r = combine(state[0], combine(state[1], state[2]));
  return r.value_or(DType::kFloat32);
}

class Failed {};

/// What a pointwise op's builder sees.
class Ctx {
 public:
  Ctx(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema,
      const std::map<std::string, Loader>* inputs, const Position* position)
      : node_(node), graph_(graph), schema_(schema), inputs_(inputs), position_(position) {
    const ir::TensorMeta* meta = graph.find_tensor(node.outputs.at(0).name);
    if (meta == nullptr) throw Failed();
    out_ = meta;
  }

  DType result() const { return out_->dtype; }
  const ir::TensorMeta& out_meta() const { return *out_; }
  const ir::Node& node() const { return node_; }

  std::optional<ir::Argument> arg(const std::string& name) const { return argument(node_, schema_, name); }

  /// The tensor argument's meta, or nullptr when it is not a tensor.
  const ir::TensorMeta* meta(const std::string& name) const {
    std::optional<ir::Argument> a = arg(name);
    if (!a || a->kind != ir::ArgKind::kTensor) return nullptr;
    return graph_.find_tensor(a->name);
  }

  bool is_tensor(const std::string& name) const { return meta(name) != nullptr; }
  bool is_none(const std::string& name) const {
    std::optional<ir::Argument> a = arg(name);
    return !a || a->kind == ir::ArgKind::kNone;
  }

  /// The tensor argument at the result's position (broadcast); fails when it is not a tensor.
  ExprPtr in(const std::string& name) const {
    const ir::TensorMeta* m = meta(name);
    if (m == nullptr) throw Failed();
    const size_t rank = out_->sizes.size();
    const size_t r = m->sizes.size();
    if (r > rank) throw Failed();
    Position p;
    for (size_t j = 0; j < r; ++j) {
      const size_t k = j + rank - r;
      if (m->sizes[j].constant_value() == 1 && out_->sizes[k].constant_value() != 1) {
        p.push_back(Index::at(ir::SymExpr::constant(0)));
      } else if (m->sizes[j] == out_->sizes[k]) {
        p.push_back(position_ ? position_->at(k) : Index());
      } else {
        throw Failed();
      }
    }
    return at(name, p);
  }

  /// The tensor argument at an explicit position.
  ExprPtr at(const std::string& name, const Position& p) const {
    std::optional<ir::Argument> a = arg(name);
    if (!a || a->kind != ir::ArgKind::kTensor) throw Failed();
    const ir::TensorMeta* m = graph_.find_tensor(a->name);
    if (m == nullptr || !kernel_dtype(m->dtype)) throw Failed();
    if (inputs_ == nullptr) return kernel::variable("x", m->dtype);  // classify: only the type matters
    return inputs_->at(a->name)(p);
  }

  /// The position of the result element being computed.
  const Position& position() const {
    if (position_ == nullptr) throw Failed();
    return *position_;
  }
  bool classifying() const { return inputs_ == nullptr; }

  /// A number argument as `dtype`; fails when it is not a plain number.
  ExprPtr num(const std::string& name, DType dtype) const {
    std::optional<Number> n = number(arg(name));
    if (!n) throw Failed();
    return number_expr(*n, dtype);
  }
  std::optional<Number> number_arg(const std::string& name) const { return number(arg(name)); }

  /// An argument that is a tensor or a number, as `dtype`.
  ExprPtr operand(const std::string& name, DType dtype) const {
    if (is_tensor(name)) return kernel::cast(in(name), dtype);
    return num(name, dtype);
  }

  /// torch.result_type of the named arguments (tensors and numbers).
  DType promoted(const std::vector<std::string>& names) const {
    std::vector<Operand> ops;
    for (const std::string& n : names) {
      if (const ir::TensorMeta* m = meta(n)) {
        ops.push_back({m->dtype, m->sizes.empty() ? 1 : 0});
      } else if (std::optional<Number> num = number(arg(n))) {
        ops.push_back({num->is_float ? DType::kFloat64 : num->is_bool ? DType::kBool : DType::kInt64, 2});
      } else {
        throw Failed();
      }
    }
    return result_type(ops);
  }

 private:
  const ir::Node& node_;
  const ir::Graph& graph_;
  const ir::OpSchema& schema_;
  const std::map<std::string, Loader>* inputs_;
  const Position* position_;
  const ir::TensorMeta* out_ = nullptr;
};

using Builder = std::function<ExprPtr(const Ctx&)>;

void require(bool condition) {
  if (!condition) throw Failed();
}

ExprPtr fcall(const char* fn, const ExprPtr& x) { return kernel::call(fn, {x}, x->dtype); }

/// Float unary intrinsics: computed in the (floating) result dtype.
Builder float_unary(const char* fn) {
  return [fn](const Ctx& c) {
    require(is_float(c.result()));
    return fcall(fn, kernel::cast(c.in("self"), c.result()));
  };
}

/// Ops that round: the identity on integers.
Builder rounding(const char* fn) {
  return [fn](const Ctx& c) {
    ExprPtr x = kernel::cast(c.in("self"), c.result());
    return is_float(c.result()) ? fcall(fn, x) : x;
  };
}

ExprPtr times_alpha(const Ctx& c, ExprPtr x) {
  std::optional<Number> alpha = c.number_arg("alpha");
  if (!alpha) {
    require(c.is_none("alpha"));
    return x;
  }
  if (alpha->value == 1 && !alpha->is_bool) return x;
  require(c.result() != DType::kBool);
  return kernel::binary("mul", x, number_expr(*alpha, c.result()));
}

/// `self op other` in the result dtype (other may be a number).
Builder arithmetic(const char* op, bool alpha = false, bool reversed = false) {
  return [op, alpha, reversed](const Ctx& c) {
    const DType r = c.result();
    ExprPtr a = c.operand("self", r);
    ExprPtr b = c.operand("other", r);
    if (alpha) b = times_alpha(c, b);
    return reversed ? kernel::binary(op, b, a) : kernel::binary(op, a, b);
  };
}

Builder comparison(const char* op) {
  return [op](const Ctx& c) {
    const DType t = c.promoted({"self", "other"});
    return kernel::binary(op, c.operand("self", t), c.operand("other", t));
  };
}

Builder logical(const char* op) {
  return [op](const Ctx& c) {
    return kernel::cast(kernel::binary(op, c.operand("self", DType::kBool), c.operand("other", DType::kBool)),
                        c.result());
  };
}

Builder bitwise(const char* op) {
  return [op](const Ctx& c) {
    require(!is_float(c.result()));
    return kernel::binary(op, c.operand("self", c.result()), c.operand("other", c.result()));
  };
}

Builder identity() {
  return [](const Ctx& c) { return kernel::cast(c.in("self"), c.result()); };
}

/// min(max(x, lo), hi) with either bound absent; NaN stays NaN.
ExprPtr clamp_expr(ExprPtr x, const ExprPtr& lo, const ExprPtr& hi) {
  if (lo) x = kernel::binary("max", x, lo);
  if (hi) x = kernel::binary("min", x, hi);
  return x;
}

ExprPtr optional_bound(const Ctx& c, const std::string& name) {
  if (c.is_none(name)) return nullptr;
  return c.operand(name, c.result());
}

ExprPtr batch_norm_expr(const Ctx& c, const std::string& mean, const std::string& var,
                        const std::string& eps) {
  const DType r = c.result();
  require(is_float(r) && c.out_meta().sizes.size() >= 2);
  if (c.classifying()) {
    for (const char* n : {"weight", "bias"}) require(c.is_none(n) || c.is_tensor(n));
    require(c.is_tensor(mean) && c.is_tensor(var));
    return kernel::cast(c.in("input"), r);
  }
  const Position channel = {c.position().at(1)};
  auto param = [&](const std::string& name) { return kernel::cast(c.at(name, channel), r); };
  ExprPtr x = kernel::cast(c.in("input"), r);
  ExprPtr inv = fcall("rsqrt", kernel::binary("add", param(var), c.num(eps, r)));
  ExprPtr y = kernel::binary("mul", kernel::binary("sub", x, param(mean)), inv);
  if (!c.is_none("weight")) y = kernel::binary("mul", y, param("weight"));
  if (!c.is_none("bias")) y = kernel::binary("add", y, param("bias"));
  return y;
}

/// An int list argument of `n` items (a single item repeated; an empty list gives `fallback`).
std::vector<int64_t> int_list(const Ctx& c, const std::string& name, size_t n,
                              const std::vector<int64_t>& fallback) {
  std::optional<ir::Argument> a = c.arg(name);
  if (!a || a->kind == ir::ArgKind::kNone) return fallback;
  std::vector<int64_t> v;
  if (a->kind == ir::ArgKind::kInts) {
    v = a->ints;
  } else if (a->kind == ir::ArgKind::kInt) {
    v = {a->int_value};
  } else {
    throw Failed();
  }
  if (v.empty()) return fallback;
  if (v.size() == 1) v.resize(n, v[0]);
  require(v.size() == n);
  return v;
}

/// max_pool2d / avg_pool2d: the window of each result position over the last two dimensions,
/// combined by `max` or averaged. Out-of-bounds taps (padding, ceil_mode) are skipped: they read
/// -inf for max; averages are taken only without padding or ceil_mode.
ExprPtr pool2d(const Ctx& c, bool max) {
  const ir::TensorMeta* in = c.meta("self");
  require(in != nullptr && (in->sizes.size() == 3 || in->sizes.size() == 4));
  const DType r = c.result();
  require(is_float(r) && in->dtype == r);
  const std::vector<int64_t> kernel = int_list(c, "kernel_size", 2, {});
  require(kernel.size() == 2);
  const std::vector<int64_t> stride = int_list(c, "stride", 2, kernel);
  const std::vector<int64_t> padding = int_list(c, "padding", 2, {0, 0});
  const std::vector<int64_t> dilation = max ? int_list(c, "dilation", 2, {1, 1}) : std::vector<int64_t>{1, 1};
  std::optional<Number> ceil = c.number_arg("ceil_mode");
  const bool ceil_mode = ceil && ceil->int_value != 0;
  require(kernel[0] * kernel[1] <= 64 && kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 && stride[1] > 0);
  const size_t rank = in->sizes.size();
  const ir::SymExpr height = in->sizes[rank - 2], width = in->sizes[rank - 1];
  const bool guarded = padding[0] > 0 || padding[1] > 0 || ceil_mode;
  if (!max) {
    require(!guarded);
    std::optional<ir::Argument> divisor = c.arg("divisor_override");
    require(!divisor || divisor->kind == ir::ArgKind::kNone);
  }
  if (c.classifying()) return kernel::variable("x", r);
  const Position& p = c.position();
  ExprPtr acc;
  for (int64_t kh = 0; kh < kernel[0]; ++kh) {
    for (int64_t kw = 0; kw < kernel[1]; ++kw) {
      Position q = p;
      q[rank - 2] = p[rank - 2] * ir::SymExpr::constant(stride[0]) +
                    Index::at(ir::SymExpr::constant(kh * dilation[0] - padding[0]));
      q[rank - 1] = p[rank - 1] * ir::SymExpr::constant(stride[1]) +
                    Index::at(ir::SymExpr::constant(kw * dilation[1] - padding[1]));
      ExprPtr v = c.at("self", q);
      if (guarded) {
        ExprPtr h = kernel::index_value(q[rank - 2]), w = kernel::index_value(q[rank - 1]);
        ExprPtr zero = kernel::constant_int(0, DType::kInt64);
        ExprPtr inside = kernel::binary("and",
                                        kernel::binary("and", kernel::binary("ge", h, zero),
                                                       kernel::binary("lt", h, kernel::size_value(height))),
                                        kernel::binary("and", kernel::binary("ge", w, zero),
                                                       kernel::binary("lt", w, kernel::size_value(width))));
        v = kernel::where(inside, v, kernel::constant(-INFINITY, r), true);
      }
      acc = !acc ? v : kernel::binary(max ? "max" : "add", acc, v);
    }
  }
  if (!max) acc = kernel::binary("div", acc, kernel::constant(static_cast<double>(kernel[0] * kernel[1]), r));
  return acc;
}

const std::map<std::string, Builder>& pointwise_ops() {
  static const std::map<std::string, Builder> kOps = [] {
    std::map<std::string, Builder> m;
    for (const char* fn :
         {"exp",     "exp2",       "expm1", "log",         "log2",     "log10", "log1p", "sqrt",
          "rsqrt",   "reciprocal", "sin",   "cos",         "tan",      "asin",  "acos",  "atan",
          "sinh",    "cosh",       "tanh",  "asinh",       "acosh",    "atanh", "erf",   "erfc",
          "sigmoid", "silu",       "mish",  "hardsigmoid", "hardswish"}) {
      m[fmt::format("aten.{}.default", fn)] = float_unary(fn);
    }
    for (const char* fn : {"floor", "ceil", "trunc", "round"})
      m[fmt::format("aten.{}.default", fn)] = rounding(fn);
    m["aten.frac.default"] = float_unary("frac");
    m["aten.gelu.default"] = [](const Ctx& c) {
      require(is_float(c.result()));
      std::optional<ir::Argument> approximate = c.arg("approximate");
      const std::string mode =
          approximate && approximate->kind == ir::ArgKind::kString ? approximate->name : "none";
      require(mode == "none" || mode == "tanh");
      return fcall(mode == "none" ? "gelu" : "gelu_tanh", kernel::cast(c.in("self"), c.result()));
    };
    m["aten.relu.default"] = [](const Ctx& c) {
      require(c.result() != DType::kBool);
      return fcall("relu", kernel::cast(c.in("self"), c.result()));
    };
    m["aten.neg.default"] = [](const Ctx& c) {
      require(c.result() != DType::kBool);
      return kernel::unary("neg", kernel::cast(c.in("self"), c.result()));
    };
    m["aten.abs.default"] = [](const Ctx& c) { return fcall("abs", kernel::cast(c.in("self"), c.result())); };
    m["aten.sign.default"] = [](const Ctx& c) {
      return fcall("sign", kernel::cast(c.in("self"), c.result()));
    };
    m["aten.bitwise_not.default"] = [](const Ctx& c) {
      require(!is_float(c.result()));
      return kernel::unary("bitnot", kernel::cast(c.in("self"), c.result()));
    };
    m["aten.logical_not.default"] = [](const Ctx& c) {
      return kernel::cast(kernel::unary("not", kernel::cast(c.in("self"), DType::kBool)), c.result());
    };
    for (const char* fn : {"isnan", "isinf"}) {
      m[fmt::format("aten.{}.default", fn)] = [fn](const Ctx& c) {
        ExprPtr x = c.in("self");
        return kernel::call(fn, {x}, DType::kBool);
      };
    }
    for (const char* op : {"aten.clone.default", "aten.alias.default", "aten.lift_fresh_copy.default",
                           "aten.positive.default", "aten.detach.default"}) {
      m[op] = identity();
    }
    m["aten._to_copy.default"] = [](const Ctx& c) {
      std::optional<ir::Argument> device = c.arg("device");
      require(!device || device->kind == ir::ArgKind::kNone ||
              (device->kind == ir::ArgKind::kDevice && device->device.type == c.out_meta().device.type));
      std::optional<ir::Argument> layout = c.arg("layout");
      require(!layout || layout->kind == ir::ArgKind::kNone || layout->int_value == 0);
      return kernel::cast(c.in("self"), c.result());
    };
    m["prims.convert_element_type.default"] = [](const Ctx& c) {  // left by some decompositions
      return kernel::cast(c.in("a"), c.result());
    };
    m["aten.to.dtype"] = identity();
    m["aten.fill.Scalar"] = [](const Ctx& c) {
      c.in("self");
      return c.num("value", c.result());
    };
    m["aten.add.Tensor"] = arithmetic("add", true);
    m["aten.add.Scalar"] = arithmetic("add", true);
    m["aten.sub.Tensor"] = arithmetic("sub", true);
    m["aten.sub.Scalar"] = arithmetic("sub", true);
    m["aten.rsub.Tensor"] = arithmetic("sub", true, true);
    m["aten.rsub.Scalar"] = arithmetic("sub", true, true);
    m["aten.mul.Tensor"] = arithmetic("mul");
    m["aten.mul.Scalar"] = arithmetic("mul");
    for (const char* op : {"aten.div.Tensor", "aten.div.Scalar"}) {
      m[op] = [](const Ctx& c) {
        require(is_float(c.result()));
        return kernel::binary("div", c.operand("self", c.result()), c.operand("other", c.result()));
      };
    }
    m["aten.maximum.default"] = arithmetic("max");
    m["aten.minimum.default"] = arithmetic("min");
    m["aten.atan2.default"] = [](const Ctx& c) {
      require(is_float(c.result()));
      return kernel::binary("atan2", c.operand("self", c.result()), c.operand("other", c.result()));
    };
    for (const char* op : {"aten.pow.Tensor_Scalar", "aten.pow.Tensor_Tensor"}) {
      m[op] = [](const Ctx& c) {
        require(is_float(c.result()));
        return kernel::binary("pow", c.operand("self", c.result()), c.operand("exponent", c.result()));
      };
    }
    for (const char* op : {"eq", "ne", "lt", "le", "gt", "ge"}) {
      m[fmt::format("aten.{}.Tensor", op)] = comparison(op);
      m[fmt::format("aten.{}.Scalar", op)] = comparison(op);
    }
    m["aten.logical_and.default"] = logical("and");
    m["aten.logical_or.default"] = logical("or");
    m["aten.logical_xor.default"] = logical("xor");
    for (const auto& [name, op] :
         std::map<std::string, const char*>{{"and", "bitand"}, {"or", "bitor"}, {"xor", "bitxor"}}) {
      m[fmt::format("aten.bitwise_{}.Tensor", name)] = bitwise(op);
      m[fmt::format("aten.bitwise_{}.Scalar", name)] = bitwise(op);
    }
    m["aten.where.self"] = [](const Ctx& c) {
      const DType r = c.result();
      return kernel::where(kernel::cast(c.in("condition"), DType::kBool), c.operand("self", r),
                           c.operand("other", r));
    };
    for (const char* op : {"aten.masked_fill.Scalar", "aten.masked_fill.Tensor"}) {
      m[op] = [](const Ctx& c) {
        const DType r = c.result();
        if (c.is_tensor("value")) require(c.meta("value")->sizes.empty());
        return kernel::where(kernel::cast(c.in("mask"), DType::kBool), c.operand("value", r),
                             kernel::cast(c.in("self"), r));
      };
    }
    for (const char* op : {"aten.clamp.default", "aten.clamp.Tensor"}) {
      m[op] = [](const Ctx& c) {
        require(c.result() != DType::kBool);
        return clamp_expr(kernel::cast(c.in("self"), c.result()), optional_bound(c, "min"),
                          optional_bound(c, "max"));
      };
    }
    for (const char* op : {"aten.clamp_min.default", "aten.clamp_min.Tensor"}) {
      m[op] = [](const Ctx& c) {
        require(c.result() != DType::kBool);
        return clamp_expr(kernel::cast(c.in("self"), c.result()), c.operand("min", c.result()), nullptr);
      };
    }
    for (const char* op : {"aten.clamp_max.default", "aten.clamp_max.Tensor"}) {
      m[op] = [](const Ctx& c) {
        require(c.result() != DType::kBool);
        return clamp_expr(kernel::cast(c.in("self"), c.result()), nullptr, c.operand("max", c.result()));
      };
    }
    m["aten.hardtanh.default"] = [](const Ctx& c) {
      require(c.result() != DType::kBool);
      return clamp_expr(kernel::cast(c.in("self"), c.result()), c.num("min_val", c.result()),
                        c.num("max_val", c.result()));
    };
    m["aten.leaky_relu.default"] = [](const Ctx& c) {
      require(is_float(c.result()));
      ExprPtr x = kernel::cast(c.in("self"), c.result());
      ExprPtr zero = kernel::constant(0, c.result());
      return kernel::where(kernel::binary("gt", x, zero), x,
                           kernel::binary("mul", x, c.num("negative_slope", c.result())));
    };
    m["aten.elu.default"] = [](const Ctx& c) {
      const DType r = c.result();
      require(is_float(r));
      ExprPtr x = kernel::cast(c.in("self"), r);
      std::optional<Number> alpha = c.number_arg("alpha"), scale = c.number_arg("scale"),
                            input_scale = c.number_arg("input_scale");
      require(alpha && scale && input_scale);
      ExprPtr neg = kernel::binary(
          "mul",
          kernel::call("expm1", {kernel::binary("mul", x, kernel::constant(input_scale->value, r))}, r),
          kernel::constant(alpha->value * scale->value, r));
      return kernel::where(kernel::binary("le", x, kernel::constant(0, r)), neg,
                           kernel::binary("mul", x, kernel::constant(scale->value, r)));
    };
    m["aten.softplus.default"] = [](const Ctx& c) {
      const DType r = c.result();
      require(is_float(r));
      ExprPtr x = kernel::cast(c.in("self"), r);
      ExprPtr beta = c.num("beta", r);
      ExprPtr bx = kernel::binary("mul", x, beta);
      ExprPtr soft = kernel::binary("div", kernel::call("log1p", {kernel::call("exp", {bx}, r)}, r), beta);
      return kernel::where(kernel::binary("gt", bx, c.num("threshold", r)), x, soft);
    };
    m["aten.addcmul.default"] = [](const Ctx& c) {
      const DType r = c.result();
      require(is_float(r));
      ExprPtr prod = kernel::binary("mul", c.operand("tensor1", r), c.operand("tensor2", r));
      return kernel::binary("add", c.operand("self", r), kernel::binary("mul", c.num("value", r), prod));
    };
    m["aten.addcdiv.default"] = [](const Ctx& c) {
      const DType r = c.result();
      require(is_float(r));
      ExprPtr q = kernel::binary("div", c.operand("tensor1", r), c.operand("tensor2", r));
      return kernel::binary("add", c.operand("self", r), kernel::binary("mul", c.num("value", r), q));
    };
    m["aten._native_batch_norm_legit_no_training.default"] = [](const Ctx& c) {
      return batch_norm_expr(c, "running_mean", "running_var", "eps");
    };
    m["aten.batch_norm.default"] = [](const Ctx& c) {
      std::optional<Number> training = c.number_arg("training");
      require(training && training->int_value == 0);
      return batch_norm_expr(c, "running_mean", "running_var", "eps");
    };
    m["aten.native_batch_norm.default"] = m["aten.batch_norm.default"];
    m["aten.max_pool2d.default"] = [](const Ctx& c) { return pool2d(c, true); };
    m["aten.max_pool2d_with_indices.default"] = m["aten.max_pool2d.default"];
    m["aten.avg_pool2d.default"] = [](const Ctx& c) { return pool2d(c, false); };
    return m;
  }();
  return kOps;
}

// ---- Views ----------------------------------------------------------------------------------------

/// A dimension argument normalised against `rank` (nullopt when out of range).
std::optional<size_t> dim_of(int64_t d, size_t rank) {
  const int64_t r = static_cast<int64_t>(std::max<size_t>(rank, 1));
  if (d < -r || d >= r) return std::nullopt;
  return static_cast<size_t>(d < 0 ? d + r : d);
}

std::optional<int64_t> int_arg(const ir::Node& node, const ir::OpSchema& schema, const std::string& name) {
  std::optional<Number> n = number(argument(node, schema, name));
  if (!n || n->is_float) return std::nullopt;
  return n->int_value;
}

/// The input position a view's result position reads; nullopt when the view is not index
/// arithmetic aotic knows.
using ViewMap = std::function<Position(const Position&)>;

std::optional<ViewMap> view_map(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema) {
  const std::string op = schema.target();
  std::optional<ir::Argument> self = argument(node, schema, "self");
  if (!self || self->kind != ir::ArgKind::kTensor || node.outputs.empty()) return std::nullopt;
  const ir::TensorMeta* in = graph.find_tensor(self->name);
  const ir::TensorMeta* out = graph.find_tensor(node.outputs[0].name);
  if (in == nullptr || out == nullptr) return std::nullopt;
  const size_t rin = in->sizes.size(), rout = out->sizes.size();
  if (op == "aten.alias.default" || op == "aten.detach.default") {
    return [](const Position& p) { return p; };
  }
  if (op == "aten.permute.default") {
    std::optional<ir::Argument> dims = argument(node, schema, "dims");
    if (!dims || dims->kind != ir::ArgKind::kInts || dims->ints.size() != rin || rin != rout)
      return std::nullopt;
    std::vector<size_t> perm;
    for (int64_t d : dims->ints) {
      std::optional<size_t> n = dim_of(d, rin);
      if (!n) return std::nullopt;
      perm.push_back(*n);
    }
    return [perm](const Position& p) {
      Position q(p.size());
      for (size_t k = 0; k < perm.size(); ++k) q[perm[k]] = p[k];
      return q;
    };
  }
  if (op == "aten.transpose.int" || op == "aten.t.default") {
    size_t a = 0, b = 1;
    if (op == "aten.transpose.int") {
      std::optional<int64_t> d0 = int_arg(node, schema, "dim0"), d1 = int_arg(node, schema, "dim1");
      if (!d0 || !d1) return std::nullopt;
      std::optional<size_t> n0 = dim_of(*d0, rin), n1 = dim_of(*d1, rin);
      if (!n0 || !n1) return std::nullopt;
      a = *n0;
      b = *n1;
    }
    if (rin < 2) return [](const Position& p) { return p; };
    return [a, b](const Position& p) {
      Position q = p;
      std::swap(q[a], q[b]);
      return q;
    };
  }
  if (op == "aten.unsqueeze.default") {
    std::optional<int64_t> d = int_arg(node, schema, "dim");
    if (!d || rout != rin + 1) return std::nullopt;
    std::optional<size_t> n = dim_of(*d, rout);
    if (!n) return std::nullopt;
    const size_t dim = *n;
    return [dim](const Position& p) {
      Position q;
      for (size_t k = 0; k < p.size(); ++k) {
        if (k != dim) q.push_back(p[k]);
      }
      return q;
    };
  }
  if (op == "aten.squeeze.dim" || op == "aten.squeeze.dims" || op == "aten.squeeze.default") {
    // Input dimensions of static size 1 that are gone in the result read index 0.
    std::vector<bool> dropped(rin, false);
    size_t kept = 0;
    std::set<size_t> candidates;
    if (op == "aten.squeeze.default") {
      for (size_t j = 0; j < rin; ++j) candidates.insert(j);
    } else if (op == "aten.squeeze.dim") {
      std::optional<int64_t> d = int_arg(node, schema, "dim");
      if (!d) return std::nullopt;
      std::optional<size_t> n = dim_of(*d, rin);
      if (!n) return std::nullopt;
      candidates.insert(*n);
    } else {
      std::optional<ir::Argument> dims = argument(node, schema, "dim");
      if (!dims || dims->kind != ir::ArgKind::kInts) return std::nullopt;
      for (int64_t d : dims->ints) {
        std::optional<size_t> n = dim_of(d, rin);
        if (!n) return std::nullopt;
        candidates.insert(*n);
      }
    }
    for (size_t j = 0; j < rin; ++j) {
      dropped[j] = candidates.count(j) != 0 && in->sizes[j].constant_value() == 1;
      if (!dropped[j]) ++kept;
    }
    if (kept != rout) return std::nullopt;
    return [dropped](const Position& p) {
      Position q;
      size_t k = 0;
      for (bool d : dropped) q.push_back(d ? Index::at(ir::SymExpr::constant(0)) : p.at(k++));
      return q;
    };
  }
  if (op == "aten.expand.default") {
    if (rout < rin) return std::nullopt;
    std::vector<bool> broadcast(rin);
    for (size_t j = 0; j < rin; ++j) {
      const size_t k = j + rout - rin;
      if (in->sizes[j].constant_value() == 1 && out->sizes[k].constant_value() != 1) {
        broadcast[j] = true;
      } else if (in->sizes[j] != out->sizes[k]) {
        return std::nullopt;
      }
    }
    return [broadcast, rin, rout](const Position& p) {
      Position q;
      for (size_t j = 0; j < rin; ++j) {
        q.push_back(broadcast[j] ? Index::at(ir::SymExpr::constant(0)) : p.at(j + rout - rin));
      }
      return q;
    };
  }
  if (op == "aten.slice.Tensor") {
    std::optional<int64_t> d = int_arg(node, schema, "dim");
    std::optional<int64_t> step = int_arg(node, schema, "step");
    std::optional<ir::Argument> start_arg = argument(node, schema, "start");
    if (!d || !step || *step <= 0 || rin != rout) return std::nullopt;
    std::optional<size_t> n = dim_of(*d, rin);
    if (!n) return std::nullopt;
    int64_t start = 0;
    if (start_arg && start_arg->kind != ir::ArgKind::kNone) {
      std::optional<Number> s = number(start_arg);
      if (!s || s->is_float) return std::nullopt;
      start = s->int_value;
    }
    ir::SymExpr first = ir::SymExpr::constant(start);
    if (start < 0) {
      std::optional<int64_t> size = in->sizes[*n].constant_value();
      if (!size) return std::nullopt;
      first = ir::SymExpr::constant(std::max<int64_t>(0, start + *size));
    } else if (std::optional<int64_t> size = in->sizes[*n].constant_value()) {
      first = ir::SymExpr::constant(std::min(start, *size));
    }
    const size_t dim = *n;
    const int64_t s = *step;
    return [dim, s, first](const Position& p) {
      Position q = p;
      q[dim] = q[dim] * ir::SymExpr::constant(s) + Index::at(first);
      return q;
    };
  }
  if (op == "aten.select.int") {
    std::optional<int64_t> d = int_arg(node, schema, "dim");
    std::optional<int64_t> index = int_arg(node, schema, "index");
    if (!d || !index || rout + 1 != rin) return std::nullopt;
    std::optional<size_t> n = dim_of(*d, rin);
    if (!n) return std::nullopt;
    int64_t i = *index;
    if (i < 0) {
      std::optional<int64_t> size = in->sizes[*n].constant_value();
      if (!size) return std::nullopt;
      i += *size;
    }
    const size_t dim = *n;
    return [dim, i](const Position& p) {
      Position q = p;
      q.insert(q.begin() + static_cast<std::ptrdiff_t>(dim), Index::at(ir::SymExpr::constant(i)));
      return q;
    };
  }
  return std::nullopt;
}

// ---- Reductions ----------------------------------------------------------------------------------

struct ReductionSpec {
  std::string kind;    // sum mean amax amin var std softmax log_softmax layer_norm
  size_t reduced = 0;  // trailing dimensions reduced
  std::string input;   // the argument read
  int64_t correction = 1;
};

std::optional<ReductionSpec> reduction_spec(const ir::Node& node, const ir::Graph& graph,
                                            const ir::OpSchema& schema) {
  const std::string op = schema.target();
  static const std::map<std::string, std::string> kKinds = {
      {"aten.sum.dim_IntList", "sum"},
      {"aten.mean.dim", "mean"},
      {"aten.amax.default", "amax"},
      {"aten.amin.default", "amin"},
      {"aten.var.correction", "var"},
      {"aten.std.correction", "std"},
      {"aten._softmax.default", "softmax"},
      {"aten._log_softmax.default", "log_softmax"},
      {"aten.softmax.int", "softmax"},
      {"aten.log_softmax.int", "log_softmax"},
      {"aten.native_layer_norm.default", "layer_norm"},
      {"aten.layer_norm.default", "layer_norm"},
      {"aten.adaptive_avg_pool2d.default", "pool"},
      {"aten._adaptive_avg_pool2d.default", "pool"},
  };
  auto kind = kKinds.find(op);
  if (kind == kKinds.end() || node.outputs.empty()) return std::nullopt;
  ReductionSpec spec;
  spec.kind = kind->second;
  spec.input = spec.kind == "layer_norm" ? "input" : "self";
  std::optional<ir::Argument> self = argument(node, schema, spec.input);
  if (!self || self->kind != ir::ArgKind::kTensor) return std::nullopt;
  const ir::TensorMeta* in = graph.find_tensor(self->name);
  const ir::TensorMeta* out = graph.find_tensor(node.outputs[0].name);
  if (in == nullptr || out == nullptr || in->sizes.empty()) return std::nullopt;
  const size_t rank = in->sizes.size();
  std::set<size_t> dims;
  if (spec.kind == "softmax" || spec.kind == "log_softmax") {
    std::optional<int64_t> d = int_arg(node, schema, "dim");
    if (!d) return std::nullopt;
    std::optional<size_t> n = dim_of(*d, rank);
    if (!n) return std::nullopt;
    dims.insert(*n);
    if (op == "aten._softmax.default" || op == "aten._log_softmax.default") {
      std::optional<Number> half = number(argument(node, schema, "half_to_float"));
      if (!half || half->int_value != 0) return std::nullopt;
    } else {
      std::optional<ir::Argument> dtype = argument(node, schema, "dtype");
      if (dtype && dtype->kind != ir::ArgKind::kNone && dtype->kind != ir::ArgKind::kScalarType)
        return std::nullopt;
    }
  } else if (spec.kind == "pool") {
    // To one element per channel: the mean of the last two dimensions.
    std::optional<ir::Argument> size = argument(node, schema, "output_size");
    if (!size || size->kind != ir::ArgKind::kInts || size->ints != std::vector<int64_t>{1, 1} || rank < 3)
      return std::nullopt;
    spec.kind = "mean";
    dims = {rank - 2, rank - 1};
  } else if (spec.kind == "layer_norm") {
    std::optional<ir::Argument> shape = argument(node, schema, "normalized_shape");
    if (!shape || shape->kind != ir::ArgKind::kInts || shape->ints.empty() || shape->ints.size() > rank)
      return std::nullopt;
    for (size_t j = 0; j < shape->ints.size(); ++j) {
      if (in->sizes[rank - shape->ints.size() + j].constant_value() != shape->ints[j]) return std::nullopt;
      dims.insert(rank - shape->ints.size() + j);
    }
  } else {
    std::optional<ir::Argument> d = argument(node, schema, "dim");
    if (d && d->kind == ir::ArgKind::kInts && !d->ints.empty()) {
      for (int64_t v : d->ints) {
        std::optional<size_t> n = dim_of(v, rank);
        if (!n) return std::nullopt;
        dims.insert(*n);
      }
    } else if (!d || d->kind == ir::ArgKind::kNone || (d->kind == ir::ArgKind::kInts && d->ints.empty())) {
      for (size_t j = 0; j < rank; ++j) dims.insert(j);
    } else {
      return std::nullopt;
    }
    if (spec.kind == "sum" || spec.kind == "mean") {
      std::optional<ir::Argument> dtype = argument(node, schema, "dtype");
      if (dtype && dtype->kind != ir::ArgKind::kNone && dtype->kind != ir::ArgKind::kScalarType)
        return std::nullopt;
    }
    if (spec.kind == "var" || spec.kind == "std") {
      std::optional<ir::Argument> c = argument(node, schema, "correction");
      if (c && c->kind != ir::ArgKind::kNone) {
        std::optional<Number> n = number(c);
        if (!n || n->is_float) return std::nullopt;
        spec.correction = n->int_value;
      }
    }
  }
  // Only trailing dimensions.
  for (size_t j = 0; j < dims.size(); ++j) {
    if (dims.count(rank - 1 - j) == 0) return std::nullopt;
  }
  spec.reduced = dims.size();
  const DType r = out->dtype;
  const bool floating = spec.kind != "sum" && spec.kind != "amax" && spec.kind != "amin";
  if (floating && !is_float(r)) return std::nullopt;
  if (r == DType::kBool || !kernel_dtype(in->dtype)) return std::nullopt;
  if ((spec.kind == "amax" || spec.kind == "amin") && in->dtype != r) return std::nullopt;
  return spec;
}

}  // namespace

bool kernel_dtype(ir::DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kInt32:
    case DType::kInt16:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
      return true;
    default:
      return false;
  }
}

std::optional<Fusible> classify(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema) {
  if (node.outputs.empty() || node.outputs[0].kind != ir::ArgKind::kTensor) return std::nullopt;
  for (const ir::Argument& o : node.outputs) {
    if (o.kind != ir::ArgKind::kTensor) return std::nullopt;
  }
  const ir::TensorMeta* out = graph.find_tensor(node.outputs[0].name);
  // Kernels run on the CPU or a CUDA GPU, over tensors all on the result's device.
  if (out == nullptr || !kernel_dtype(out->dtype) ||
      (out->device.type != "cpu" && out->device.type != "cuda") || out->layout != ir::Layout::kStrided)
    return std::nullopt;
  Fusible f;
  f.result = node.outputs[0].name;
  for (const ir::NamedArgument& a : node.inputs) {
    if (a.arg.kind == ir::ArgKind::kTensors || a.arg.kind == ir::ArgKind::kOptionalTensors)
      return std::nullopt;
    if (a.arg.kind != ir::ArgKind::kTensor) continue;
    const ir::TensorMeta* m = graph.find_tensor(a.arg.name);
    if (m == nullptr || !kernel_dtype(m->dtype) || m->device.type != out->device.type ||
        m->layout != ir::Layout::kStrided)
      return std::nullopt;
    if (std::find(f.inputs.begin(), f.inputs.end(), a.arg.name) == f.inputs.end())
      f.inputs.push_back(a.arg.name);
  }
  if (schema.is_mutable()) return std::nullopt;
  const std::string op = schema.target();
  if (view_map(node, graph, schema)) {
    if (node.outputs.size() != 1) return std::nullopt;
    f.kind = Kind::kView;
    return f;
  }
  auto pw = pointwise_ops().find(op);
  if (pw != pointwise_ops().end()) {
    try {
      Ctx c(node, graph, schema, nullptr, nullptr);
      ExprPtr e = pw->second(c);
      if (e == nullptr || e->dtype != out->dtype) return std::nullopt;
    } catch (const Failed&) {
      return std::nullopt;
    }
    f.kind = Kind::kPointwise;
    return f;
  }
  if (reduction_spec(node, graph, schema)) {
    f.kind = Kind::kReduction;
    return f;
  }
  return std::nullopt;
}

Loader result_loader(const ir::Node& node, const ir::Graph& graph, const ir::OpSchema& schema,
                     const std::map<std::string, Loader>& inputs) {
  if (std::optional<ViewMap> map = view_map(node, graph, schema)) {
    const Loader& in = inputs.at(argument(node, schema, "self")->name);
    return [in, map = *map](const Position& p) { return in(map(p)); };
  }
  const Builder& build = pointwise_ops().at(schema.target());
  return [&node, &graph, &schema, inputs, build](const Position& p) {
    try {
      Ctx c(node, graph, schema, &inputs, &p);
      return build(c);
    } catch (const Failed&) {
      AOTIC_CHECK(false, "node '" + node.name + "' was classified fusible but does not build");
      return ExprPtr();
    }
  };
}

std::vector<kernel::Stmt> reduction_body(const ir::Node& node, const ir::Graph& graph,
                                         const ir::OpSchema& schema,
                                         const std::map<std::string, Loader>& inputs, const std::string& out,
                                         const std::vector<ir::SymExpr>& out_strides) {
  using kernel::Stmt;
  const std::optional<ReductionSpec> spec = reduction_spec(node, graph, schema);
  AOTIC_CHECK(spec.has_value(), "node '" + node.name + "' is not a reduction aotic generates");
  const std::string in_name = argument(node, schema, spec->input)->name;
  const ir::TensorMeta& in = *graph.find_tensor(in_name);
  const DType r = graph.find_tensor(node.outputs[0].name)->dtype;
  const size_t rank = in.sizes.size();
  const size_t outer = rank - spec->reduced;
  const bool same_shape =
      spec->kind == "softmax" || spec->kind == "log_softmax" || spec->kind == "layer_norm";

  auto position_of = [&](size_t d, const char* prefix) {
    if (in.sizes[d].constant_value() == 1) return Index::at(ir::SymExpr::constant(0));
    return Index::of(fmt::format("{}{}", prefix, d < outer ? d : d - outer));
  };
  Position full, inner;
  for (size_t d = 0; d < rank; ++d) {
    full.push_back(position_of(d, d < outer ? "i" : "r"));
    if (d >= outer) inner.push_back(full.back());
  }
  Index out_index;
  for (size_t d = 0; d < (same_shape ? rank : outer); ++d)
    out_index = out_index + full[d] * out_strides.at(d);
  ir::SymExpr n = ir::SymExpr::constant(1);
  for (size_t d = outer; d < rank; ++d) n = n * in.sizes[d];

  const Loader& input = inputs.at(in_name);
  auto x = [&]() { return kernel::cast(input(full), r); };
  auto over_row = [&](std::vector<Stmt> body) {
    for (size_t d = rank; d-- > outer;) {
      if (in.sizes[d].constant_value() != 1)
        body = {kernel::loop(fmt::format("r{}", d - outer), in.sizes[d], body)};
    }
    return body;
  };
  auto f = [&](const char* fn, ExprPtr a) { return kernel::call(fn, {std::move(a)}, r); };
  auto b = [](const char* op, ExprPtr a, ExprPtr c) {
    return kernel::binary(op, std::move(a), std::move(c));
  };
  ExprPtr count = kernel::cast(kernel::size_value(n), r);

  std::vector<Stmt> row;
  auto append = [&row](std::vector<Stmt> stmts) {
    for (Stmt& s : stmts) row.push_back(std::move(s));
  };
  const std::string& kind = spec->kind;
  if (kind == "sum" || kind == "mean") {
    row.push_back(kernel::define("acc", kernel::constant_int(0, r)));
    append(over_row({kernel::accumulate("acc", "sum", x())}));
    ExprPtr acc = kernel::variable("acc", r);
    row.push_back(kernel::store(out, out_index, kind == "sum" ? acc : b("div", acc, count)));
  } else if (kind == "amax" || kind == "amin") {
    const bool max = kind == "amax";
    ExprPtr init = is_float(r) ? kernel::constant(max ? -INFINITY : INFINITY, r)
                   : max       ? kernel::constant_int(r == DType::kUInt8 ? 0 : INT64_MIN, r)
                               : kernel::constant_int(INT64_MAX, r);
    if (!is_float(r)) {
      // The extreme values of narrower integer types.
      const int bits = r == DType::kInt32 ? 32 : r == DType::kInt16 ? 16 : r == DType::kInt8 ? 8 : 64;
      if (r == DType::kUInt8) {
        init = kernel::constant_int(max ? 0 : 255, r);
      } else if (bits < 64) {
        const int64_t top = (int64_t{1} << (bits - 1)) - 1;
        init = kernel::constant_int(max ? -top - 1 : top, r);
      }
    }
    row.push_back(kernel::define("acc", init));
    append(over_row({kernel::accumulate("acc", max ? "max" : "min", x())}));
    row.push_back(kernel::store(out, out_index, kernel::variable("acc", r)));
  } else if (kind == "var" || kind == "std" || kind == "layer_norm") {
    row.push_back(kernel::define("sum", kernel::constant(0, r)));
    append(over_row({kernel::accumulate("sum", "sum", x())}));
    row.push_back(kernel::let("mean", b("div", kernel::variable("sum", r), count)));
    ExprPtr mean = kernel::variable("mean", r);
    row.push_back(kernel::define("squares", kernel::constant(0, r)));
    ExprPtr d = b("sub", x(), mean);
    append(over_row({kernel::accumulate("squares", "sum", b("mul", d, d))}));
    ExprPtr squares = kernel::variable("squares", r);
    if (kind == "layer_norm") {
      std::optional<Number> eps = number(argument(node, schema, "eps"));
      AOTIC_CHECK(eps.has_value(), "layer_norm without eps");
      row.push_back(kernel::let(
          "rstd", f("rsqrt", b("add", b("div", squares, count), kernel::constant(eps->value, r)))));
      ExprPtr y = b("mul", b("sub", x(), mean), kernel::variable("rstd", r));
      for (const char* param : {"weight", "bias"}) {
        std::optional<ir::Argument> a = argument(node, schema, param);
        if (!a || a->kind != ir::ArgKind::kTensor) continue;
        ExprPtr v = kernel::cast(inputs.at(a->name)(inner), r);
        y = b(std::string(param) == "weight" ? "mul" : "add", y, v);
      }
      append(over_row({kernel::store(out, out_index, y)}));
    } else {
      ExprPtr dof = b("max", b("sub", count, kernel::constant(static_cast<double>(spec->correction), r)),
                      kernel::constant(0, r));
      ExprPtr v = b("div", squares, dof);
      row.push_back(kernel::store(out, out_index, kind == "std" ? f("sqrt", v) : v));
    }
  } else {  // softmax, log_softmax
    row.push_back(kernel::define("max", kernel::constant(-INFINITY, r)));
    append(over_row({kernel::accumulate("max", "max", x())}));
    ExprPtr m = kernel::variable("max", r);
    row.push_back(kernel::define("sum", kernel::constant(0, r)));
    append(over_row({kernel::accumulate("sum", "sum", f("exp", b("sub", x(), m)))}));
    ExprPtr s = kernel::variable("sum", r);
    if (kind == "softmax") {
      append(over_row({kernel::store(out, out_index, b("div", f("exp", b("sub", x(), m)), s))}));
    } else {
      row.push_back(kernel::let("log_sum", f("log", s)));
      append(over_row(
          {kernel::store(out, out_index, b("sub", b("sub", x(), m), kernel::variable("log_sum", r)))}));
    }
  }
  for (size_t d = outer; d-- > 0;) {
    if (in.sizes[d].constant_value() != 1) row = {kernel::loop(fmt::format("i{}", d), in.sizes[d], row)};
  }
  return row;
}

}  // namespace aotic::codegen::kops
