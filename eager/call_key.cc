#include "eager/call_key.h"

#include <ATen/core/Tensor.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "ir/dtype.h"

namespace aotic::eager {
namespace {

using Kind = ir::SchemaType::Kind;
using ir::ArgKind;

/// Collects one call's description; `fail` marks it not cacheable. The key is built always, the
/// rest only when `full`.
class Describer {
 public:
  Describer(CallDescription& out, bool dynamic, bool full) : out_(out), dynamic_(dynamic), full_(full) {
    out_.full = full;
  }

  bool failed() const { return !out_.cacheable; }

  void fail(const std::string& argument, const std::string& why) {
    if (!out_.cacheable) return;
    out_.cacheable = false;
    out_.why_not = fmt::format("argument '{}': {}", argument, why);
  }

  /// A tensor input: its metadata, or a literal when it is a wrapped Python-style number.
  std::optional<ir::Argument> tensor(const std::string& argument, const at::Tensor& t) {
    if (!t.defined()) {
      fail(argument, "undefined tensor");
      return std::nullopt;
    }
    if (t.unsafeGetTensorImpl()->is_wrapped_number()) {
      ir::Argument literal = number(argument, t.item());
      if (failed()) return std::nullopt;
      add_literal(argument, literal);
      return literal;
    }
    if (!t.device().is_cpu()) return fail(argument, "tensor on " + t.device().str()), std::nullopt;
    if (t.layout() != at::kStrided) return fail(argument, "not a strided tensor"), std::nullopt;
    if (t.is_conj() || t.is_neg()) return fail(argument, "conjugate or negative view"), std::nullopt;
    const std::optional<ir::DType> dtype = ir::dtype_from_c10_code(static_cast<int32_t>(t.scalar_type()));
    if (!dtype) return fail(argument, std::string("dtype ") + c10::toString(t.scalar_type())), std::nullopt;
    if (t.numel() == 0) return fail(argument, "empty tensor"), std::nullopt;

    const std::string name = fmt::format("input{}", out_.tensors.size());
    out_.tensors.push_back(t);
    tensor_pieces_.push_back(pieces_.size());
    pieces_.push_back(fmt::format("{}=T{}[{}][{}];", argument, static_cast<int>(*dtype),
                                  fmt::join(t.sizes(), ","), fmt::join(t.strides(), ",")));
    ir::Argument arg;
    arg.kind = ArgKind::kTensor;
    arg.name = name;
    if (!full_) return arg;
    ir::TensorMeta meta;
    meta.dtype = *dtype;
    for (int64_t s : t.sizes()) meta.sizes.push_back(ir::SymExpr::constant(s));
    for (int64_t s : t.strides()) meta.strides.push_back(ir::SymExpr::constant(s));
    meta.storage_offset = ir::SymExpr::constant(0);
    out_.input_metas.emplace_back(name, meta);
    out_.meta_info.push_back({{"arg", argument},
                              {"is_dynamic", false},
                              {"device_type", "cpu"},
                              {"device_index", -1},
                              {"dtype", "torch." + std::string(ir::dtype_name(*dtype))},
                              {"sizes", t.sizes().vec()},
                              {"strides", t.strides().vec()}});
    return arg;
  }

  ir::Argument number(const std::string& argument, const c10::Scalar& s) {
    ir::Argument arg;
    if (s.isBoolean()) {
      arg.kind = ArgKind::kBool;
      arg.bool_value = s.toBool();
    } else if (s.isIntegral(false)) {
      arg.kind = ArgKind::kInt;
      arg.int_value = s.toLong();
    } else if (s.isFloatingPoint()) {
      arg.kind = ArgKind::kFloat;
      arg.float_value = s.toDouble();
    } else {
      fail(argument, "complex number");
    }
    return arg;
  }

  /// Records a non-tensor argument in the key (and, when full, in `arguments`).
  void add_literal(const std::string& argument, const ir::Argument& arg, nlohmann::json readable = nullptr) {
    std::string value;
    switch (arg.kind) {
      case ArgKind::kNone:
        value = "N";
        break;
      case ArgKind::kBool:
        value = arg.bool_value ? "b1" : "b0";
        readable = arg.bool_value;
        break;
      case ArgKind::kInt:
        value = fmt::format("i{}", arg.int_value);
        readable = arg.int_value;
        break;
      case ArgKind::kFloat:
        value = fmt::format("f{}", arg.float_value);
        readable = nlohmann::json{{"float", arg.float_value}};  // 2 and 2.0 differ
        break;
      case ArgKind::kString:
        value = fmt::format("s{}:{}", arg.name.size(), arg.name);
        readable = arg.name;
        break;
      case ArgKind::kInts:
        value = fmt::format("I[{}]", fmt::join(arg.ints, ","));
        readable = arg.ints;
        break;
      case ArgKind::kFloats:
        value = fmt::format("F[{}]", fmt::join(arg.floats, ","));
        readable = nlohmann::json{{"floats", arg.floats}};
        break;
      case ArgKind::kBools: {
        std::vector<int> bits(arg.bools.begin(), arg.bools.end());
        value = fmt::format("B[{}]", fmt::join(bits, ","));
        readable = arg.bools;
        break;
      }
      default:  // kScalarType, kLayout, kMemoryFormat, kDevice: their code, `readable` given
        value = fmt::format("c{}:{}", static_cast<int>(arg.kind), arg.int_value);
        break;
    }
    pieces_.push_back(fmt::format("{}={};", argument, value));
    if (full_) out_.arguments[argument] = readable;
  }

  /// One argument of schema type `type`; nullopt after fail().
  std::optional<ir::Argument> value(const std::string& argument, const ir::SchemaType& type,
                                    const c10::IValue& v) {
    ir::Argument arg;
    switch (type.kind) {
      case Kind::Tensor:
        if (!v.isTensor()) break;
        return tensor(argument, v.toTensor());
      case Kind::Optional:
        if (v.isNone()) {
          arg.kind = ArgKind::kNone;
          add_literal(argument, arg);
          return arg;
        }
        return value(argument, type.elems.at(0), v);
      case Kind::Int:
      case Kind::SymInt:
        if (!v.isInt()) break;
        arg.kind = ArgKind::kInt;
        arg.int_value = v.toInt();
        add_literal(argument, arg);
        return arg;
      case Kind::Float:
        if (!v.isDouble()) break;
        arg.kind = ArgKind::kFloat;
        arg.float_value = v.toDouble();
        add_literal(argument, arg);
        return arg;
      case Kind::Bool:
        if (!v.isBool()) break;
        arg.kind = ArgKind::kBool;
        arg.bool_value = v.toBool();
        add_literal(argument, arg);
        return arg;
      case Kind::Scalar:
        if (!v.isScalar()) break;
        arg = number(argument, v.toScalar());
        if (failed()) return std::nullopt;
        add_literal(argument, arg);
        return arg;
      case Kind::Str:
        if (!v.isString()) break;
        arg.kind = ArgKind::kString;
        arg.name = v.toStringRef();
        add_literal(argument, arg);
        return arg;
      case Kind::ScalarType: {
        if (!v.isInt()) break;
        const auto dtype = ir::dtype_from_c10_code(static_cast<int32_t>(v.toInt()));
        if (!dtype) return fail(argument, "unknown dtype"), std::nullopt;
        arg.kind = ArgKind::kScalarType;
        arg.int_value = static_cast<int>(*dtype);
        add_literal(argument, arg, "torch." + std::string(ir::dtype_name(*dtype)));
        return arg;
      }
      case Kind::Layout:
        if (!v.isInt() || v.toInt() != static_cast<int64_t>(at::kStrided)) break;
        arg.kind = ArgKind::kLayout;
        arg.int_value = static_cast<int>(ir::Layout::kStrided);
        add_literal(argument, arg, "torch.strided");
        return arg;
      case Kind::MemoryFormat: {
        if (!v.isInt()) break;
        const auto format = static_cast<at::MemoryFormat>(v.toInt());
        ir::MemoryFormat ours;
        switch (format) {
          case at::MemoryFormat::Contiguous:
            ours = ir::MemoryFormat::kContiguous;
            break;
          case at::MemoryFormat::Preserve:
            ours = ir::MemoryFormat::kPreserve;
            break;
          case at::MemoryFormat::ChannelsLast:
            ours = ir::MemoryFormat::kChannelsLast;
            break;
          case at::MemoryFormat::ChannelsLast3d:
            ours = ir::MemoryFormat::kChannelsLast3d;
            break;
          default:
            return fail(argument, "memory format"), std::nullopt;
        }
        arg.kind = ArgKind::kMemoryFormat;
        arg.int_value = static_cast<int>(ours);
        add_literal(argument, arg, std::string(ir::memory_format_name(ours)));
        return arg;
      }
      case Kind::Device:
        if (!v.isDevice() || !v.toDevice().is_cpu()) break;
        arg.kind = ArgKind::kDevice;
        arg.device.type = "cpu";
        add_literal(argument, arg, "cpu");
        return arg;
      case Kind::List:
        return list(argument, type.elems.at(0), v);
      default:
        break;
    }
    fail(argument, fmt::format("{} value not supported for schema type {}", v.tagKind(), type.to_string()));
    return std::nullopt;
  }

  std::optional<ir::Argument> list(const std::string& argument, const ir::SchemaType& elem,
                                   const c10::IValue& v) {
    ir::Argument arg;
    if ((elem.kind == Kind::Int || elem.kind == Kind::SymInt) && v.isIntList()) {
      arg.kind = ArgKind::kInts;
      arg.ints = v.toIntVector();
      add_literal(argument, arg);
      return arg;
    }
    if (elem.kind == Kind::Float && v.isDoubleList()) {
      arg.kind = ArgKind::kFloats;
      arg.floats = v.toDoubleVector();
      add_literal(argument, arg);
      return arg;
    }
    if (elem.kind == Kind::Bool && v.isBoolList()) {
      arg.kind = ArgKind::kBools;
      for (bool b : v.toBoolList()) arg.bools.push_back(b);
      add_literal(argument, arg);
      return arg;
    }
    if (elem.kind == Kind::Tensor && v.isTensorList()) {
      arg.kind = ArgKind::kTensors;
      for (const at::Tensor& t : v.toTensorVector()) {
        std::optional<ir::Argument> item = tensor(argument, t);
        if (!item) return std::nullopt;
        if (item->kind != ArgKind::kTensor) return fail(argument, "number in a tensor list"), std::nullopt;
        arg.names.push_back(item->name);
      }
      return arg;
    }
    if (elem.kind == Kind::Optional && !elem.elems.empty() && elem.elems[0].kind == Kind::Tensor &&
        v.isList()) {
      arg.kind = ArgKind::kOptionalTensors;
      for (const c10::IValue& item : v.toListRef()) {
        ir::ValueRef ref;
        if (item.isNone()) {
          ref.kind = ir::ValueRef::Kind::kNone;
          pieces_.push_back(argument + "=N;");
        } else if (item.isTensor()) {
          std::optional<ir::Argument> t = tensor(argument, item.toTensor());
          if (!t) return std::nullopt;
          if (t->kind != ArgKind::kTensor) return fail(argument, "number in a tensor list"), std::nullopt;
          ref.kind = ir::ValueRef::Kind::kName;
          ref.name = t->name;
        } else {
          return fail(argument, "not a tensor list"), std::nullopt;
        }
        arg.refs.push_back(ref);
      }
      return arg;
    }
    fail(argument, fmt::format("{} value not supported for schema type {}[]", v.tagKind(), elem.to_string()));
    return std::nullopt;
  }

  /// Replaces every tensor's static sizes by the symbols s0.. when all tensors share contiguous
  /// sizes; no change otherwise.
  void make_dynamic() {
    if (!dynamic_ || out_.tensors.empty()) return;
    const at::IntArrayRef sizes = out_.tensors[0].sizes();
    if (sizes.empty()) return;
    for (const at::Tensor& t : out_.tensors) {
      if (t.sizes() != sizes || !t.is_contiguous()) return;
    }
    out_.dynamic = true;
    for (size_t i = 0; i < tensor_pieces_.size(); ++i) {
      std::string& piece = pieces_[tensor_pieces_[i]];
      piece = fmt::format(
          "{}=T{}r{};", piece.substr(0, piece.find('=')),
          static_cast<int>(*ir::dtype_from_c10_code(static_cast<int32_t>(out_.tensors[i].scalar_type()))),
          sizes.size());
    }
    if (!full_) return;
    std::vector<ir::SymExpr> symbols;
    for (size_t d = 0; d < sizes.size(); ++d) symbols.push_back(ir::SymExpr::symbol(fmt::format("s{}", d)));
    std::vector<ir::SymExpr> strides(sizes.size());
    for (size_t d = sizes.size(); d-- > 0;) {
      strides[d] = d + 1 == sizes.size() ? ir::SymExpr::constant(1) : strides[d + 1] * symbols[d + 1];
    }
    for (auto& [name, meta] : out_.input_metas) {
      meta.sizes = symbols;
      meta.strides = strides;
    }
    const std::vector<int64_t> unknown(sizes.size(), -1);
    for (nlohmann::json& info : out_.meta_info) {
      info["is_dynamic"] = true;
      info["sizes"] = unknown;
      info["strides"] = unknown;
    }
  }

  void finish() {
    size_t length = 0;
    for (const std::string& piece : pieces_) length += piece.size();
    out_.key.reserve(length);
    for (const std::string& piece : pieces_) out_.key += piece;
  }

 private:
  CallDescription& out_;
  bool dynamic_;
  bool full_;
  std::vector<std::string> pieces_;
  std::vector<size_t> tensor_pieces_;  // the piece of each tensor, in tensor order
};

}  // namespace

CallDescription describe_call(const ir::OpSchema& schema, c10::ArrayRef<c10::IValue> args, bool dynamic,
                              bool full) {
  CallDescription out;
  Describer describer(out, dynamic, full);
  if (args.size() != schema.arguments.size()) {
    describer.fail(schema.qualified_name(),
                   fmt::format("{} arguments, the schema has {}", args.size(), schema.arguments.size()));
    return out;
  }
  for (size_t i = 0; i < args.size() && !describer.failed(); ++i) {
    const ir::SchemaArgument& parameter = schema.arguments[i];
    std::optional<ir::Argument> arg = describer.value(parameter.name, parameter.type, args[i]);
    if (!arg) break;
    if (!full) continue;
    ir::NamedArgument named;
    named.name = parameter.name;
    named.arg = std::move(*arg);
    named.passing = parameter.kwarg_only ? ir::ArgPassing::kKeyword : ir::ArgPassing::kPositional;
    out.node_inputs.push_back(std::move(named));
  }
  if (!describer.failed() && out.tensors.empty())
    describer.fail(schema.qualified_name(), "no tensor argument");
  if (!describer.failed()) describer.make_dynamic();
  describer.finish();
  return out;
}

std::optional<ir::TensorMeta> result_meta(const at::Tensor& result, const CallDescription& call) {
  if (!result.defined() || !result.device().is_cpu() || result.layout() != at::kStrided || result.is_conj() ||
      result.is_neg()) {
    return std::nullopt;
  }
  const std::optional<ir::DType> dtype = ir::dtype_from_c10_code(static_cast<int32_t>(result.scalar_type()));
  if (!dtype) return std::nullopt;
  ir::TensorMeta meta;
  meta.dtype = *dtype;
  meta.storage_offset = ir::SymExpr::constant(0);
  if (call.dynamic) {
    if (result.sizes() != call.tensors.at(0).sizes() || !result.is_contiguous()) return std::nullopt;
    meta.sizes = call.input_metas.at(0).second.sizes;
    meta.strides = call.input_metas.at(0).second.strides;
    return meta;
  }
  for (int64_t s : result.sizes()) meta.sizes.push_back(ir::SymExpr::constant(s));
  for (int64_t s : result.strides()) meta.strides.push_back(ir::SymExpr::constant(s));
  return meta;
}

}  // namespace aotic::eager
