#include "ir/graph.h"

#include <fmt/format.h>

#include <cstdlib>
#include <new>

#include "ir/error.h"

namespace aotic::ir {

std::string Device::to_string() const { return index ? fmt::format("{}:{}", type, *index) : type; }

bool TensorMeta::is_static() const {
  if (!storage_offset.is_constant()) return false;
  for (const SymExpr& e : sizes) {
    if (!e.is_constant()) return false;
  }
  for (const SymExpr& e : strides) {
    if (!e.is_constant()) return false;
  }
  return true;
}

std::optional<int64_t> TensorMeta::static_numel() const {
  int64_t numel = 1;
  for (const SymExpr& e : sizes) {
    std::optional<int64_t> size = e.constant_value();
    if (!size || *size < 0) return std::nullopt;
    if (__builtin_mul_overflow(numel, *size, &numel)) return std::nullopt;
  }
  return numel;
}

std::optional<int64_t> TensorMeta::static_storage_bytes() const {
  if (!is_static() || sizes.size() != strides.size()) return std::nullopt;
  int64_t last = *storage_offset.constant_value();
  if (last < 0) return std::nullopt;
  for (size_t i = 0; i < sizes.size(); ++i) {
    int64_t size = *sizes[i].constant_value();
    int64_t stride = *strides[i].constant_value();
    if (size < 0 || stride < 0) return std::nullopt;
    if (size == 0) return 0;
    int64_t step = 0;
    if (__builtin_mul_overflow(size - 1, stride, &step) || __builtin_add_overflow(last, step, &last)) {
      return std::nullopt;
    }
  }
  int64_t bytes = 0;
  if (__builtin_add_overflow(last, 1, &last) ||
      __builtin_mul_overflow(last, static_cast<int64_t>(dtype_itemsize(dtype)), &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

std::string TensorMeta::to_string() const {
  std::string out = fmt::format("{}[", dtype_name(dtype));
  for (size_t i = 0; i < sizes.size(); ++i) {
    out += (i ? ", " : "") + sizes[i].to_string();
  }
  out += "]";
  if (device.type != "cpu") out += "@" + device.to_string();
  return out;
}

const char* arg_kind_key(ArgKind kind) {
  switch (kind) {
    case ArgKind::kNone:
      return "as_none";
    case ArgKind::kTensor:
      return "as_tensor";
    case ArgKind::kTensors:
      return "as_tensors";
    case ArgKind::kInt:
      return "as_int";
    case ArgKind::kInts:
      return "as_ints";
    case ArgKind::kFloat:
      return "as_float";
    case ArgKind::kFloats:
      return "as_floats";
    case ArgKind::kString:
      return "as_string";
    case ArgKind::kStrings:
      return "as_strings";
    case ArgKind::kSymInt:
      return "as_sym_int";
    case ArgKind::kSymInts:
      return "as_sym_ints";
    case ArgKind::kScalarType:
      return "as_scalar_type";
    case ArgKind::kMemoryFormat:
      return "as_memory_format";
    case ArgKind::kLayout:
      return "as_layout";
    case ArgKind::kDevice:
      return "as_device";
    case ArgKind::kBool:
      return "as_bool";
    case ArgKind::kBools:
      return "as_bools";
    case ArgKind::kSymBool:
      return "as_sym_bool";
    case ArgKind::kSymBools:
      return "as_sym_bools";
    case ArgKind::kGraph:
      return "as_graph";
    case ArgKind::kOptionalTensors:
      return "as_optional_tensors";
    case ArgKind::kCustomObj:
      return "as_custom_obj";
    case ArgKind::kOperator:
      return "as_operator";
    case ArgKind::kSymFloat:
      return "as_sym_float";
    case ArgKind::kSymFloats:
      return "as_sym_floats";
    case ArgKind::kOptionalTensor:
      return "as_optional_tensor";
    case ArgKind::kComplex:
      return "as_complex";
    case ArgKind::kNestedTensors:
      return "as_nested_tensors";
    case ArgKind::kIntLists:
      return "as_int_lists";
    case ArgKind::kStringToArgument:
      return "as_string_to_argument";
  }
  return "?";
}

std::string ValueRef::to_string() const {
  switch (kind) {
    case Kind::kName:
      return "%" + name;
    case Kind::kInt:
      return std::to_string(int_value);
    case Kind::kFloat:
      return fmt::format("{}", float_value);
    case Kind::kBool:
      return bool_value ? "True" : "False";
    case Kind::kNone:
      return "None";
  }
  return "?";
}

namespace {

template <typename T, typename F>
std::string join(const std::vector<T>& items, F&& show) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += show(items[i]);
  }
  return out + "]";
}

}  // namespace

std::vector<std::string> Argument::value_names() const {
  std::vector<std::string> out;
  switch (kind) {
    case ArgKind::kTensor:
    case ArgKind::kCustomObj:
      out.push_back(name);
      break;
    case ArgKind::kTensors:
      out = names;
      break;
    case ArgKind::kNestedTensors:
      for (const auto& list : nested_names) out.insert(out.end(), list.begin(), list.end());
      break;
    case ArgKind::kSymInt:
    case ArgKind::kSymInts:
    case ArgKind::kSymBool:
    case ArgKind::kSymBools:
    case ArgKind::kSymFloat:
    case ArgKind::kSymFloats:
    case ArgKind::kOptionalTensor:
    case ArgKind::kOptionalTensors:
      for (const ValueRef& ref : refs) {
        if (ref.kind == ValueRef::Kind::kName) out.push_back(ref.name);
      }
      break;
    case ArgKind::kStringToArgument:
      for (const auto& [key, value] : dict) {
        std::vector<std::string> inner = value.value_names();
        out.insert(out.end(), inner.begin(), inner.end());
      }
      break;
    default:
      break;
  }
  return out;
}

std::string Argument::to_string() const {
  auto quote = [](const std::string& s) { return "'" + s + "'"; };
  auto tensor = [](const std::string& s) { return "%" + s; };
  auto ref = [](const ValueRef& r) { return r.to_string(); };
  switch (kind) {
    case ArgKind::kNone:
      return "None";
    case ArgKind::kTensor:
      return tensor(name);
    case ArgKind::kTensors:
      return join(names, tensor);
    case ArgKind::kInt:
      return std::to_string(int_value);
    case ArgKind::kInts:
      return join(ints, [](int64_t v) { return std::to_string(v); });
    case ArgKind::kFloat:
      return fmt::format("{}", float_value);
    case ArgKind::kFloats:
      return join(floats, [](double v) { return fmt::format("{}", v); });
    case ArgKind::kString:
      return quote(name);
    case ArgKind::kStrings:
      return join(names, quote);
    case ArgKind::kSymInt:
    case ArgKind::kSymBool:
    case ArgKind::kSymFloat:
    case ArgKind::kOptionalTensor:
      return refs.empty() ? "None" : refs[0].to_string();
    case ArgKind::kSymInts:
    case ArgKind::kSymBools:
    case ArgKind::kSymFloats:
    case ArgKind::kOptionalTensors:
      return join(refs, ref);
    case ArgKind::kScalarType: {
      std::optional<DType> dtype = dtype_from_code(int_value);
      return dtype ? std::string(dtype_name(*dtype)) : fmt::format("dtype({})", int_value);
    }
    case ArgKind::kMemoryFormat: {
      std::optional<MemoryFormat> format = memory_format_from_code(int_value);
      return format ? std::string(memory_format_name(*format)) : fmt::format("format({})", int_value);
    }
    case ArgKind::kLayout: {
      std::optional<Layout> layout = layout_from_code(int_value);
      return layout ? std::string(layout_name(*layout)) : fmt::format("layout({})", int_value);
    }
    case ArgKind::kDevice:
      return device.to_string();
    case ArgKind::kBool:
      return bool_value ? "True" : "False";
    case ArgKind::kBools:
      return join(bools, [](bool b) { return std::string(b ? "True" : "False"); });
    case ArgKind::kGraph:
      return "<graph " + graph.name + ">";
    case ArgKind::kCustomObj:
      return "%" + name + ":" + class_fqn;
    case ArgKind::kOperator:
      return name;
    case ArgKind::kComplex:
      return fmt::format("complex({}, {})", float_value, imag_value);
    case ArgKind::kNestedTensors:
      return join(nested_names, [&](const std::vector<std::string>& l) { return join(l, tensor); });
    case ArgKind::kIntLists:
      return join(int_lists, [](const std::vector<int64_t>& l) {
        return join(l, [](int64_t v) { return std::to_string(v); });
      });
    case ArgKind::kStringToArgument:
      return join(dict, [](const std::pair<std::string, Argument>& kv) {
        return "'" + kv.first + "': " + kv.second.to_string();
      });
  }
  return "?";
}

std::string Node::op_name() const {
  constexpr std::string_view kPrefix = "torch.ops.";
  if (target.compare(0, kPrefix.size(), kPrefix) == 0) return target.substr(kPrefix.size());
  return target;
}

const NamedArgument* Node::find_input(const std::string& argument_name) const {
  for (const NamedArgument& input : inputs) {
    if (input.name == argument_name) return &input;
  }
  return nullptr;
}

std::vector<SymExpr> contiguous_strides(const std::vector<SymExpr>& sizes) {
  std::vector<SymExpr> strides(sizes.size());
  SymExpr stride = SymExpr::constant(1);
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = stride;
    stride = stride * sizes[d];
  }
  return strides;
}

const TensorMeta* Graph::find_tensor(const std::string& name) const {
  auto it = tensor_values.find(name);
  return it == tensor_values.end() ? nullptr : &it->second;
}

const char* input_kind_name(InputKind kind) {
  switch (kind) {
    case InputKind::kUserInput:
      return "user_input";
    case InputKind::kParameter:
      return "parameter";
    case InputKind::kBuffer:
      return "buffer";
    case InputKind::kTensorConstant:
      return "tensor_constant";
    case InputKind::kCustomObj:
      return "custom_obj";
    case InputKind::kToken:
      return "token";
    case InputKind::kConstantInput:
      return "constant_input";
  }
  return "?";
}

std::string InputSpec::value_name() const {
  std::vector<std::string> names = arg.value_names();
  if (!names.empty()) return names[0];
  return arg.kind == ArgKind::kString ? arg.name : std::string();
}

const char* output_kind_name(OutputKind kind) {
  switch (kind) {
    case OutputKind::kUserOutput:
      return "user_output";
    case OutputKind::kLossOutput:
      return "loss_output";
    case OutputKind::kBufferMutation:
      return "buffer_mutation";
    case OutputKind::kGradientToParameter:
      return "gradient_to_parameter";
    case OutputKind::kGradientToUserInput:
      return "gradient_to_user_input";
    case OutputKind::kUserInputMutation:
      return "user_input_mutation";
    case OutputKind::kToken:
      return "token";
    case OutputKind::kParameterMutation:
      return "parameter_mutation";
  }
  return "?";
}

std::string RangeConstraint::to_string() const {
  return fmt::format("{}..{}", min ? std::to_string(*min) : "-inf", max ? std::to_string(*max) : "inf");
}

Storage::Storage(size_t size) : size_(size) {
  // 64-byte alignment suits every dtype and vector loads; allocate at least one block so that
  // data() is never null.
  size_t rounded = ((size + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<uint8_t*>(p));
}

void Storage::Free::operator()(uint8_t* p) const { std::free(p); }

const Weight* Program::find_weight(const std::string& fqn) const {
  for (const Weight& weight : weights) {
    if (weight.fqn == fqn) return &weight;
  }
  return nullptr;
}

}  // namespace aotic::ir
