#include "codegen/lower_args.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "ir/error.h"

namespace aotic::codegen {
namespace {

using ir::ArgKind;
using ir::Argument;
using Kind = ir::SchemaType::Kind;
using wir::Arg;

/// The C type of one element for an optional or a list of `type`.
std::string c_type(const ir::SchemaType& type) {
  switch (type.kind) {
    case Kind::Tensor:
      return "AtenTensorHandle";
    case Kind::Int:
    case Kind::SymInt:
      return "int64_t";
    case Kind::Float:
    case Kind::Scalar:
      return "double";
    case Kind::Bool:
    case Kind::ScalarType:
    case Kind::Layout:
    case Kind::MemoryFormat:
    case Kind::Device:
      return "int32_t";
    case Kind::Str:
      return "const char*";
    case Kind::Optional:
      return c_type(type.elems.at(0)) + "*";
    case Kind::List:
      return "const " + c_type(type.elems.at(0)) + "*";
    default:
      return "";
  }
}

Arg make(Arg::Kind kind) {
  Arg a;
  a.kind = kind;
  return a;
}

Arg int_arg(int64_t v) {
  Arg a = make(Arg::Kind::kInt);
  a.int_value = v;
  return a;
}

Arg double_arg(double v) {
  Arg a = make(Arg::Kind::kDouble);
  a.double_value = v;
  return a;
}

Arg bool_arg(bool v) {
  Arg a = make(Arg::Kind::kBool);
  a.bool_value = v;
  return a;
}

}  // namespace

int32_t shim_layout(int64_t export_code) {
  switch (export_code) {
    case 1:
      return 1;  // sparse_coo
    case 2:
      return 2;  // sparse_csr
    case 3:
      return 4;  // sparse_csc
    case 4:
      return 5;  // sparse_bsr
    case 5:
      return 6;  // sparse_bsc
    case 6:
      return 3;  // _mkldnn
    default:
      return 0;  // strided
  }
}

int32_t shim_memory_format(int64_t export_code) {
  switch (export_code) {
    case 2:
      return 2;  // channels_last
    case 3:
      return 3;  // channels_last_3d
    case 4:
      return 1;  // preserve_format
    default:
      return 0;  // contiguous_format
  }
}

std::optional<Argument> default_argument(const ir::SchemaType& type, const std::string& text) {
  Argument a;
  if (text == "None") {
    a.kind = ArgKind::kNone;
    return a;
  }
  const ir::SchemaType& t = type.kind == Kind::Optional ? type.elems.at(0) : type;
  auto number = [](const std::string& s, double* out) {
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size();
  };
  double v = 0;
  switch (t.kind) {
    case Kind::Bool:
      if (text != "True" && text != "False") return std::nullopt;
      a.kind = ArgKind::kBool;
      a.bool_value = text == "True";
      return a;
    case Kind::Int:
    case Kind::SymInt:
      if (text == "Mean") {
        a.int_value = 1;  // at::Reduction::Mean
      } else if (number(text, &v)) {
        a.int_value = static_cast<int64_t>(v);
      } else {
        return std::nullopt;
      }
      a.kind = ArgKind::kInt;
      return a;
    case Kind::Float:
    case Kind::Scalar:
      if (text == "True" || text == "False") {
        a.kind = ArgKind::kFloat;
        a.float_value = text == "True" ? 1 : 0;
        return a;
      }
      if (!number(text, &v)) return std::nullopt;
      a.kind = ArgKind::kFloat;
      a.float_value = v;
      return a;
    case Kind::Str:
      if (text.size() < 2 || (text.front() != '"' && text.front() != '\'')) return std::nullopt;
      a.kind = ArgKind::kString;
      a.name = text.substr(1, text.size() - 2);
      return a;
    case Kind::ScalarType: {
      // Export ScalarType codes (ir::DType).
      static const std::map<std::string, int64_t> kNames = {{"long", 5},   {"int", 4},   {"float", 7},
                                                            {"double", 8}, {"bool", 12}, {"half", 6}};
      a.kind = ArgKind::kScalarType;
      if (auto it = kNames.find(text); it != kNames.end()) {
        a.int_value = it->second;
      } else if (number(text, &v) && v >= 0 && v <= 11 && v == std::floor(v)) {
        // PyTorch's schema strings print some defaults as c10::ScalarType's number (dtype=4:
        // Long); Byte..Bool (0..11) are the export's codes less one, BFloat16 (15) is 13.
        a.int_value = static_cast<int64_t>(v) + 1;
      } else if (text == "15") {
        a.int_value = 13;
      } else {
        return std::nullopt;
      }
      return a;
    }
    case Kind::MemoryFormat:
      a.kind = ArgKind::kMemoryFormat;
      // By name, or as c10::MemoryFormat's number, as PyTorch's schema strings print some
      // (contiguous(memory_format=0)): Contiguous 0, Preserve 1, ChannelsLast 2, ChannelsLast3d 3;
      // the export codes them 1, 4, 2, 3.
      if (text == "contiguous_format" || text == "0")
        a.int_value = 1;
      else if (text == "preserve_format" || text == "1")
        a.int_value = 4;
      else if (text == "channels_last" || text == "2")
        a.int_value = 2;
      else if (text == "channels_last_3d" || text == "3")
        a.int_value = 3;
      else
        return std::nullopt;
      return a;
    case Kind::Layout:
      if (text != "strided") return std::nullopt;
      a.kind = ArgKind::kLayout;
      a.int_value = 7;
      return a;
    case Kind::List: {
      const Kind elem = t.elems.at(0).kind;
      if (elem != Kind::Int && elem != Kind::SymInt) return std::nullopt;
      a.kind = ArgKind::kInts;
      if (text.size() >= 2 && text.front() == '[') {
        std::string body = text.substr(1, text.size() - 2);
        size_t start = 0;
        while (start < body.size()) {
          size_t comma = body.find(',', start);
          std::string item =
              body.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!number(item, &v)) return std::nullopt;
          a.ints.push_back(static_cast<int64_t>(v));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        return a;
      }
      if (!number(text, &v) || !t.fixed_size) return std::nullopt;
      a.ints.assign(static_cast<size_t>(*t.fixed_size), static_cast<int64_t>(v));
      return a;
    }
    default:
      return std::nullopt;
  }
}

wir::Arg lower_arg(const ir::SchemaArgument& param, const Argument& arg, const ir::SchemaType& type,
                   const std::set<std::string>& ints, const std::string& what) {
  auto fail = [&]() -> Arg {
    user_error("{}: cannot pass {} as {}", what, ir::arg_kind_key(arg.kind), type.to_string());
  };
  auto ref_int = [&](const ir::ValueRef& r) {
    if (r.kind == ir::ValueRef::Kind::kInt) return int_arg(r.int_value);
    if (r.kind == ir::ValueRef::Kind::kName && ints.count(r.name)) {
      Arg a = make(Arg::Kind::kIntValue);
      a.value = r.name;
      return a;
    }
    user_error("{}: unknown integer '{}'", what, r.to_string());
  };
  Arg out;
  switch (type.kind) {
    case Kind::Tensor: {
      if (arg.kind == ArgKind::kTensor) {
        out = make(Arg::Kind::kTensor);
        out.value = arg.name;
        return out;
      }
      // A Python number where a Tensor is expected: a 0-dim tensor, as PyTorch wraps it.
      out = make(Arg::Kind::kScalarTensor);
      if (arg.kind == ArgKind::kFloat) {
        out.items.push_back(double_arg(arg.float_value));
      } else if (arg.kind == ArgKind::kInt) {
        out.items.push_back(int_arg(arg.int_value));
      } else if (arg.kind == ArgKind::kSymInt) {
        out.items.push_back(ref_int(arg.refs.at(0)));
      } else if (arg.kind == ArgKind::kBool) {
        out.items.push_back(bool_arg(arg.bool_value));
      } else {
        return fail();
      }
      return out;
    }
    case Kind::Int:
    case Kind::SymInt:
      if (arg.kind == ArgKind::kInt) return int_arg(arg.int_value);
      if (arg.kind == ArgKind::kSymInt) return ref_int(arg.refs.at(0));
      return fail();
    case Kind::Float:
    case Kind::Scalar:
      if (arg.kind == ArgKind::kFloat) return double_arg(arg.float_value);
      if (arg.kind == ArgKind::kInt) return double_arg(static_cast<double>(arg.int_value));
      if (arg.kind == ArgKind::kBool) return double_arg(arg.bool_value ? 1.0 : 0.0);
      if (arg.kind == ArgKind::kSymInt) {
        out = ref_int(arg.refs.at(0));
        out.c_type = "double";  // converted where it is passed
        return out;
      }
      return fail();
    case Kind::Bool:
      if (arg.kind == ArgKind::kBool) return bool_arg(arg.bool_value);
      return fail();
    case Kind::Str:
      if (arg.kind != ArgKind::kString) return fail();
      out = make(Arg::Kind::kString);
      out.text = arg.name;
      return out;
    case Kind::ScalarType: {
      if (arg.kind != ArgKind::kScalarType) return fail();
      std::optional<ir::DType> dtype = ir::dtype_from_code(arg.int_value);
      if (!dtype) user_error("{}: unknown dtype code {}", what, arg.int_value);
      out = make(Arg::Kind::kDType);
      out.dtype = *dtype;
      return out;
    }
    case Kind::Layout:
      if (arg.kind != ArgKind::kLayout) return fail();
      out = make(Arg::Kind::kLayout);
      out.int_value = shim_layout(arg.int_value);
      return out;
    case Kind::MemoryFormat:
      if (arg.kind != ArgKind::kMemoryFormat) return fail();
      out = make(Arg::Kind::kMemoryFormat);
      out.int_value = shim_memory_format(arg.int_value);
      return out;
    case Kind::Device:
      if (arg.kind != ArgKind::kDevice) return fail();
      if (arg.device.type != "cpu" && arg.device.type != "cuda" && arg.device.type != "meta") {
        user_error("{}: device '{}' is not supported", what, arg.device.type);
      }
      out = make(Arg::Kind::kDevice);
      out.device = arg.device;
      return out;
    case Kind::Optional: {
      const ir::SchemaType& elem = type.elems.at(0);
      if (arg.kind == ArgKind::kNone ||
          (arg.kind == ArgKind::kOptionalTensor && arg.refs.at(0).kind == ir::ValueRef::Kind::kNone)) {
        out = make(Arg::Kind::kNull);
        out.pair = elem.kind == Kind::Device || elem.kind == Kind::List;
        out.pair_value = elem.kind == Kind::Device ? -1 : 0;
        return out;
      }
      Argument inner = arg;
      if (arg.kind == ArgKind::kOptionalTensor) {
        inner.kind = ArgKind::kTensor;
        inner.name = arg.refs.at(0).name;
      }
      out = make(Arg::Kind::kOptional);
      out.items.push_back(lower_arg(param, inner, elem, ints, what));
      out.c_type = c_type(elem);
      out.name = param.name;
      return out;
    }
    case Kind::List: {
      const ir::SchemaType& elem = type.elems.at(0);
      out = make(Arg::Kind::kArray);
      out.c_type = c_type(elem);
      out.name = param.name;
      if (elem.kind == Kind::Tensor && arg.kind == ArgKind::kTensors) {
        for (const std::string& n : arg.names) {
          Arg t = make(Arg::Kind::kTensor);
          t.value = n;
          out.items.push_back(t);
        }
      } else if (elem.kind == Kind::Optional && elem.elems.at(0).kind == Kind::Tensor &&
                 (arg.kind == ArgKind::kOptionalTensors || arg.kind == ArgKind::kTensors)) {
        // Tensor?[]: an array of pointers to handles (nullptr for None).
        std::vector<std::string> names =
            arg.kind == ArgKind::kTensors ? arg.names : std::vector<std::string>{};
        if (arg.kind == ArgKind::kOptionalTensors) {
          for (const ir::ValueRef& r : arg.refs)
            names.push_back(r.kind == ir::ValueRef::Kind::kName ? r.name : "");
        }
        for (const std::string& n : names) {
          if (n.empty()) {
            out.items.push_back(make(Arg::Kind::kNull));
            continue;
          }
          Arg t = make(Arg::Kind::kTensor);
          t.value = n;
          Arg item = make(Arg::Kind::kOptional);
          item.items.push_back(t);
          item.c_type = "AtenTensorHandle";
          item.name = param.name + "_item";
          out.items.push_back(item);
        }
        out.c_type = "const AtenTensorHandle*";
      } else if ((elem.kind == Kind::Int || elem.kind == Kind::SymInt) && arg.kind == ArgKind::kInts) {
        for (int64_t v : arg.ints) out.items.push_back(int_arg(v));
      } else if ((elem.kind == Kind::Int || elem.kind == Kind::SymInt) && arg.kind == ArgKind::kSymInts) {
        for (const ir::ValueRef& r : arg.refs) out.items.push_back(ref_int(r));
      } else if ((elem.kind == Kind::Float || elem.kind == Kind::Scalar) && arg.kind == ArgKind::kFloats) {
        for (double v : arg.floats) out.items.push_back(double_arg(v));
      } else if (elem.kind == Kind::Bool && arg.kind == ArgKind::kBools) {
        for (bool b : arg.bools) out.items.push_back(bool_arg(b));
      } else if (elem.kind == Kind::Optional && elem.elems.at(0).kind == Kind::Scalar &&
                 arg.kind == ArgKind::kFloats && arg.floats.empty()) {
        // Scalar?[] (oneDNN's post-op scalars): only the empty list, which is all codegen passes.
      } else {
        return fail();
      }
      if (out.items.empty()) {
        Arg null = make(Arg::Kind::kNull);
        null.pair = true;
        return null;
      }
      return out;
    }
    case Kind::Generator:
      if (arg.kind == ArgKind::kNone) return make(Arg::Kind::kNull);
      return fail();
    default:
      return fail();
  }
}

}  // namespace aotic::codegen
