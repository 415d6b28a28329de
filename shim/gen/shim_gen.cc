#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "ir/error.h"
#include "shim/gen/shim_gen.h"

namespace aotic::shim_gen {
namespace {

using ir::OpSchema;
using ir::SchemaArgument;
using ir::SchemaType;
using Kind = SchemaType::Kind;

/// Ops implemented by hand in shim/src/compat_ops.cc, called as aotic::shim::compat::<name>[_<overload>]
/// with the 2.11 arguments converted to ATen types. An op belongs here when libtorch 1.13 lacks it or
/// its 1.13 C++ signature differs from the 2.11 schema. Ops outside aten (mkldnn.*) are all
/// hand-written, as aotic::shim::compat::<namespace>_<name>[_<overload>].
const std::set<std::string, std::less<>> kCompatOps = {
    "aten._assert_scalar.default",
    "aten._assert_tensor_metadata.default",
    "aten._batch_norm_with_update.default",
    "aten._batch_norm_with_update_functional.default",
    "aten._chunk_cat.default",
    "aten._native_batch_norm_legit.default",
    "aten._native_batch_norm_legit_functional.default",
    "aten._native_batch_norm_legit_no_training.default",
    "aten._safe_softmax.default",
    "aten._unsafe_masked_index.default",
    "aten._unsafe_masked_index_put_accumulate.default",
    "aten.any.dims",
    "aten.copy.default",
    "aten.empty_permuted.default",
    "aten.linspace.Scalar_Tensor",
    "aten.linspace.Tensor_Scalar",
    "aten.linspace.Tensor_Tensor",
    "aten.logspace.Scalar_Tensor",
    "aten.logspace.Tensor_Scalar",
    "aten.logspace.Tensor_Tensor",
    "aten.mkldnn_reorder_conv2d_weight.default",
    "aten.nonzero_static.default",
    "aten.rms_norm.default",
    "aten.scaled_dot_product_attention.default",
    "aten.squeeze.dims",
    "aten.std.correction",
    "aten.std_mean.correction",
    "aten.stft.default",
    "aten.var.correction",
    "aten.var_mean.correction",
};

/// Ops that ATen 1.13 exposes only as Tensor methods (no at::<name> function): called as
/// self.<name>(...).
const std::set<std::string, std::less<>> kMethodOnlyOps = {
    "add_",     "contiguous", "copy_",       "div_",     "expand",    "expand_as", "mH",     "mT",
    "matrix_H", "mul_",       "new_full",    "new_ones", "new_zeros", "numpy_T",   "repeat", "reshape_as",
    "resize_",  "sub_",       "sum_to_size", "to",       "to_mkldnn", "unfold",    "view",   "view_as",
};

/// Scalar arguments that never take part in type promotion: an integral value is passed as an
/// integer Scalar so that integer tensors accept it (at::add rejects a floating alpha for them).
const std::set<std::string, std::less<>> kIntegralScalarArgs = {"alpha", "beta"};

bool is_inplace(const OpSchema& schema);

/// "add_Tensor"; mkldnn's in-place ops put the overload before the underscore, as PyTorch names
/// them by hand (_convolution_pointwise_.binary: _convolution_pointwise_binary_).
std::string base_name(const OpSchema& schema) {
  if (schema.overload.empty()) return schema.name;
  if (schema.ns == "mkldnn" && is_inplace(schema))
    return schema.name.substr(0, schema.name.size() - 1) + "_" + schema.overload + "_";
  return schema.name + "_" + schema.overload;
}

bool is_out_fn(const OpSchema& schema) {
  return std::any_of(schema.arguments.begin(), schema.arguments.end(),
                     [](const SchemaArgument& a) { return a.is_out(); });
}

/// torchgen's BaseOperatorName.inplace: "add_", not "__and__".
bool is_inplace(const OpSchema& schema) {
  const std::string& n = schema.name;
  if (n.size() >= 4 && n.compare(0, 2, "__") == 0 && n.compare(n.size() - 2, 2, "__") == 0) return false;
  return !n.empty() && n.back() == '_';
}

[[noreturn]] void unsupported(const OpSchema& schema, const std::string& what, const SchemaType& type) {
  user_error("shim_gen: {}: cannot map {} of type '{}' to the C shim", schema.target(), what,
             type.to_string());
}

/// C types of one argument, torchgen's convert_arg_type_and_name: one or two (C type, name) pairs.
std::vector<CParam> c_params(const OpSchema& schema, const SchemaType& type, const std::string& name,
                             const std::string& what) {
  switch (type.kind) {
    case Kind::Tensor:
      return {{"AtenTensorHandle", name}};
    case Kind::Bool:
      return {{"int32_t", name}};
    case Kind::Int:
    case Kind::SymInt:
      return {{"int64_t", name}};
    case Kind::Scalar:
    case Kind::Float:
      return {{"double", name}};
    case Kind::Str:
      return {{"const char*", name}};
    case Kind::Layout:
    case Kind::MemoryFormat:
    case Kind::ScalarType:
      return {{"int32_t", name}};
    case Kind::Device:
      return {{"int32_t", name}, {"int32_t", name + "_index_"}};
    case Kind::Generator:
      return {{"AtenGeneratorHandle", name}};
    case Kind::Optional: {
      const SchemaType& elem = type.elems.at(0);
      if (elem.kind == Kind::Optional) unsupported(schema, what, type);
      std::vector<CParam> params = c_params(schema, elem, name, what);
      params[0].type += "*";
      return params;
    }
    case Kind::List: {
      // Lists of what has a one-word C type: Tensor, Tensor?, int, SymInt, float, bool, Scalar.
      const SchemaType& elem = type.elems.at(0);
      const Kind k = elem.kind == Kind::Optional ? elem.elems.at(0).kind : elem.kind;
      const bool ok = elem.kind == Kind::Optional
                          ? (k == Kind::Tensor || k == Kind::Scalar)
                          : (k == Kind::Tensor || k == Kind::Int || k == Kind::SymInt || k == Kind::Float ||
                             k == Kind::Bool || k == Kind::Scalar);
      if (!ok) unsupported(schema, what, type);
      std::vector<CParam> params = c_params(schema, elem, name, what);
      params[0].type = "const " + params[0].type + "*";
      params.push_back({"int64_t", name + "_len_"});
      return params;
    }
    default:
      unsupported(schema, what, type);
  }
}

/// The C type of a return, or "" when it has none. Tensor[] is an aotic extension (PyTorch's
/// generator rejects it): the caller passes an array of ret<i>_len_ handles, exactly as many as the
/// op returns.
std::vector<CParam> c_return_params(const OpSchema& schema, size_t index) {
  const SchemaArgument& ret = schema.returns[index];
  const std::string name = fmt::format("ret{}", index);
  const std::string what = fmt::format("return {}", index);
  switch (ret.type.kind) {
    case Kind::Tensor:
      return {{"AtenTensorHandle*", name}};
    case Kind::Int:
    case Kind::SymInt:
      return {{"int64_t*", name}};
    case Kind::Float:
    case Kind::Scalar:
      return {{"double*", name}};
    case Kind::Bool:
      return {{"int32_t*", name}};
    case Kind::List:
      if (ret.type.elems.at(0).kind == Kind::Tensor) {
        return {{"AtenTensorHandle*", name}, {"int64_t", name + "_len_"}};
      }
      unsupported(schema, what, ret.type);
    default:
      unsupported(schema, what, ret.type);
  }
}

/// Arguments in C order: out= arguments first for an out variant (torchgen puts them in front).
std::vector<const SchemaArgument*> ordered_arguments(const OpSchema& schema) {
  std::vector<const SchemaArgument*> args;
  if (is_out_fn(schema)) {
    for (const SchemaArgument& a : schema.arguments) {
      if (a.is_out()) args.push_back(&a);
    }
    for (const SchemaArgument& a : schema.arguments) {
      if (!a.is_out()) args.push_back(&a);
    }
  } else {
    for (const SchemaArgument& a : schema.arguments) args.push_back(&a);
  }
  return args;
}

/// aten's in-place ops return nothing in C (the caller has `self`); mkldnn's return a new handle to
/// it (ret0), as PyTorch's hand-written ones do.
bool has_returns_in_c(const OpSchema& schema) {
  return !is_out_fn(schema) && (!is_inplace(schema) || schema.ns == "mkldnn");
}

/// The C++ expression converting the C parameters of `arg` into the type ATen's C++ API takes. The
/// helpers live in shim/src/compat_ops.h (namespace aotic::shim::arg).
std::string cpp_expr(const OpSchema& schema, const SchemaArgument& arg) {
  const SchemaType& t = arg.type;
  const std::string& n = arg.name;
  const std::string what = fmt::format("argument '{}'", n);
  auto base = [&](const SchemaType& b) -> std::string {
    switch (b.kind) {
      case Kind::Tensor:
        return fmt::format("aotic::shim::tensor({0}, \"{0}\")", n);
      case Kind::Bool:
        return fmt::format("({} != 0)", n);
      case Kind::Int:
      case Kind::SymInt:
      case Kind::Float:
        return n;
      case Kind::Scalar:
        return kIntegralScalarArgs.count(n) != 0 ? fmt::format("aotic::shim::arg::integral_scalar({})", n)
                                                 : fmt::format("at::Scalar({})", n);
      case Kind::Str:
        return fmt::format("aotic::shim::arg::str({0}, \"{0}\")", n);
      case Kind::ScalarType:
        return fmt::format("aotic::shim::scalar_type({})", n);
      case Kind::Layout:
        return fmt::format("aotic::shim::layout({})", n);
      case Kind::MemoryFormat:
        return fmt::format("aotic::shim::memory_format({})", n);
      case Kind::Device:
        return fmt::format("aotic::shim::device({0}, {0}_index_)", n);
      default:
        unsupported(schema, what, t);
    }
  };
  switch (t.kind) {
    case Kind::Optional: {
      const SchemaType& e = t.elems.at(0);
      switch (e.kind) {
        case Kind::Tensor:
          return fmt::format("aotic::shim::arg::optional_tensor({})", n);
        case Kind::Int:
        case Kind::SymInt:
        case Kind::Float:
          return fmt::format("aotic::shim::arg::optional_value({})", n);
        case Kind::Bool:
          return fmt::format("aotic::shim::arg::optional_bool({})", n);
        case Kind::Scalar:
          return fmt::format("aotic::shim::arg::optional_scalar({})", n);
        case Kind::Str:
          return fmt::format("aotic::shim::arg::optional_str({})", n);
        case Kind::ScalarType:
          return fmt::format("aotic::shim::arg::optional_scalar_type({})", n);
        case Kind::Layout:
          return fmt::format("aotic::shim::arg::optional_layout({})", n);
        case Kind::MemoryFormat:
          return fmt::format("aotic::shim::arg::optional_memory_format({})", n);
        case Kind::Device:
          return fmt::format("aotic::shim::arg::optional_device({0}, {0}_index_)", n);
        case Kind::Generator:
          return fmt::format("aotic::shim::arg::optional_generator({})", n);
        case Kind::List: {
          const Kind k = e.elems.at(0).kind;
          if (k == Kind::Int || k == Kind::SymInt) {
            return fmt::format("aotic::shim::arg::optional_int_array({0}, {0}_len_, \"{0}\")", n);
          }
          if (k == Kind::Float) {
            return fmt::format("aotic::shim::arg::optional_double_array({0}, {0}_len_, \"{0}\")", n);
          }
          unsupported(schema, what, t);
        }
        default:
          unsupported(schema, what, t);
      }
    }
    case Kind::List: {
      const SchemaType& e = t.elems.at(0);
      switch (e.kind) {
        case Kind::Tensor:
          return fmt::format("aotic::shim::tensor_list({0}, {0}_len_, \"{0}\")", n);
        case Kind::Int:
        case Kind::SymInt:
        case Kind::Float:
          return fmt::format("aotic::shim::array({0}, {0}_len_, \"{0}\")", n);
        case Kind::Bool:
          if (!t.fixed_size) unsupported(schema, what, t);
          return fmt::format("aotic::shim::arg::bool_array<{1}>({0}, {0}_len_, \"{0}\")", n, *t.fixed_size);
        case Kind::Scalar:
          return fmt::format("aotic::shim::arg::scalar_list({0}, {0}_len_, \"{0}\")", n);
        case Kind::Optional:
          if (e.elems.at(0).kind == Kind::Tensor) {
            return fmt::format("aotic::shim::arg::optional_tensor_list({0}, {0}_len_, \"{0}\")", n);
          }
          if (e.elems.at(0).kind == Kind::Scalar) {
            return fmt::format("aotic::shim::arg::optional_scalar_list({0}, {0}_len_, \"{0}\")", n);
          }
          unsupported(schema, what, t);
        default:
          unsupported(schema, what, t);
      }
    }
    default:
      return base(t);
  }
}

/// Emitted text: lines with two-space indentation per open scope.
class Writer {
 public:
  void line(std::string_view text = {}) {
    if (!text.empty()) out_.append(2 * static_cast<size_t>(depth_), ' ').append(text);
    out_ += '\n';
  }
  void open(std::string_view text) {
    line(text);
    ++depth_;
  }
  void close(std::string_view text) {
    --depth_;
    line(text);
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  int depth_ = 0;
};

std::string join_params(const std::vector<CParam>& params) {
  std::string s;
  for (const CParam& p : params) {
    if (!s.empty()) s += ", ";
    s += p.type + " " + p.name;
  }
  return s;
}

void banner(Writer& w, const Inputs& inputs, std::string_view what) {
  w.line(fmt::format("// {}", what));
  w.line(fmt::format("// Generated by {} (version {}) from {} and {}.", kGeneratorName, kGeneratorVersion,
                     inputs.schemas_name, inputs.ops_name));
  w.line(fmt::format("// generated by tools/shim_gen, do not edit. Regenerate: {}", kRegenerateCommand));
}

}  // namespace

std::string CFunction::signature() const {
  return fmt::format("AOTITorchError {}({})", name, join_params(params));
}

bool is_compat(const OpSchema& schema) {
  return schema.ns != "aten" || kCompatOps.count(schema.target()) != 0;
}

CFunction c_function(const OpSchema& schema, std::string_view device) {
  if (schema.ns != "aten" && schema.ns != "mkldnn" && schema.ns != "mkl")
    user_error("shim_gen: {}: only aten, mkldnn and mkl operators have C shim functions", schema.target());
  if (schema.is_vararg || schema.is_varret) {
    user_error("shim_gen: {}: operators with '...' arguments or returns have no C shim function",
               schema.target());
  }
  CFunction f;
  f.target = schema.target();
  // aoti_torch_cpu_addmm_out; mkldnn names its namespace (aoti_torch_cpu_mkldnn__convolution_pointwise),
  // mkl does not (its ops' names start with "_mkl": aoti_torch_cpu__mkl_linear), as PyTorch's do.
  f.name = schema.ns == "mkldnn" ? fmt::format("aoti_torch_{}_{}_{}", device, schema.ns, base_name(schema))
                                 : fmt::format("aoti_torch_{}_{}", device, base_name(schema));
  for (const SchemaArgument* a : ordered_arguments(schema)) {
    for (CParam& p : c_params(schema, a->type, a->name, fmt::format("argument '{}'", a->name))) {
      f.params.push_back(std::move(p));
    }
  }
  if (has_returns_in_c(schema)) {
    for (size_t i = 0; i < schema.returns.size(); ++i) {
      for (CParam& p : c_return_params(schema, i)) f.params.push_back(std::move(p));
    }
  }
  return f;
}

std::string cpu_definition(const OpSchema& schema) {
  const CFunction f = c_function(schema, "cpu");
  const bool compat = is_compat(schema);
  const bool out_fn = is_out_fn(schema);
  const bool method = !compat && !out_fn && kMethodOnlyOps.count(schema.name) != 0;

  std::vector<std::string> exprs;
  std::string callee;
  for (const SchemaArgument* a : ordered_arguments(schema)) exprs.push_back(cpp_expr(schema, *a));
  if (compat) {
    // Hand-written (shim/src/compat_ops.h); ops outside aten carry their namespace.
    callee = "aotic::shim::compat::" + (schema.ns == "aten" ? "" : schema.ns + "_") + base_name(schema);
  } else if (out_fn) {
    callee = "at::" + schema.name + "_out";
  } else if (method) {
    AOTIC_CHECK(!exprs.empty() && schema.arguments[0].name == "self", "method-only op without self");
    callee = exprs[0] + "." + schema.name;
    exprs.erase(exprs.begin());
  } else {
    callee = "at::" + schema.name;
  }
  std::string args;
  for (const std::string& e : exprs) args += (args.empty() ? "" : ", ") + e;
  const std::string call = fmt::format("{}({})", callee, args);

  Writer w;
  w.open(fmt::format("AOTITorchError {}({}) {{", f.name, join_params(f.params)));
  w.open(fmt::format("return aotic::shim::guard(\"{}\", [&] {{", f.name));
  const size_t n_returns = has_returns_in_c(schema) ? schema.returns.size() : 0;
  auto store = [&](size_t i, const std::string& value) {
    const SchemaType& t = schema.returns[i].type;
    if (t.kind == Kind::Tensor) {
      w.line(fmt::format("aotic::shim::set_output(ret{0}, {1}, \"ret{0}\");", i, value));
    } else if (t.kind == Kind::List) {
      w.line(fmt::format("aotic::shim::arg::set_outputs(ret{0}, ret{0}_len_, {1}, \"ret{0}\");", i, value));
    } else {
      w.line(fmt::format("aotic::shim::arg::set_value(ret{0}, {1}, \"ret{0}\");", i, value));
    }
  };
  if (n_returns == 0) {
    w.line(call + ";");
  } else if (n_returns == 1) {
    store(0, call);
  } else {
    w.line(fmt::format("auto result = {};", call));
    for (size_t i = 0; i < n_returns; ++i) store(i, fmt::format("std::get<{}>(std::move(result))", i));
  }
  w.close("});");
  w.close("}");
  return w.text();
}

std::vector<std::string> parse_op_list(std::string_view text, std::string_view source_name) {
  std::vector<std::string> targets;
  std::set<std::string, std::less<>> seen;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    const bool well_formed =
        (line.substr(0, 5) == "aten." || line.substr(0, 7) == "mkldnn." || line.substr(0, 4) == "mkl.") &&
        line.find_first_of(" \t") == std::string_view::npos && std::count(line.begin(), line.end(), '.') == 2;
    if (!well_formed) {
      user_error("{}:{}: expected one export target like 'aten.addmm.default', got '{}'", source_name,
                 line_no, line);
    }
    if (!seen.insert(std::string(line)).second) {
      user_error("{}:{}: '{}' is listed twice", source_name, line_no, line);
    }
    targets.emplace_back(line);
  }
  return targets;
}

namespace {

std::vector<const OpSchema*> listed_schemas(const Inputs& inputs, const ir::SchemaRegistry& registry) {
  std::vector<const OpSchema*> schemas;
  for (const std::string& target : parse_op_list(inputs.ops_text, inputs.ops_name)) {
    const OpSchema* schema = registry.find(target);
    if (schema == nullptr)
      user_error("{}: unknown target '{}' (not in {})", inputs.ops_name, target, inputs.schemas_name);
    schemas.push_back(schema);
  }
  return schemas;
}

}  // namespace

std::map<std::string, std::string> generate(const Inputs& inputs) {
  const ir::SchemaRegistry registry = ir::SchemaRegistry::parse(inputs.schemas_text, inputs.schemas_name);
  std::vector<const OpSchema*> schemas = listed_schemas(inputs, registry);
  std::sort(schemas.begin(), schemas.end(), [](const OpSchema* a, const OpSchema* b) {
    return c_function(*a, "cpu").name < c_function(*b, "cpu").name;
  });

  std::map<std::string, std::string> files;
  for (const char* device : {"cpu", "cuda"}) {
    Writer w;
    banner(w, inputs,
           fmt::format(
               "The {} fallback ops of the aotic shim: PyTorch 2.11's aoti_torch_{}_* names and signatures.",
               device, device));
    w.line(fmt::format("// {} functions.", schemas.size()));
    w.line("#pragma once");
    w.line();
    w.line("#include \"aotic/shim.h\"");
    w.line();
    w.line("#ifdef __cplusplus");
    w.line("extern \"C\" {");
    w.line("#endif");
    w.line();
    for (const OpSchema* s : schemas) {
      w.line(fmt::format("// {}", s->to_string()));
      w.line(fmt::format("AOTI_TORCH_EXPORT {};", c_function(*s, device).signature()));
    }
    w.line();
    w.line("#ifdef __cplusplus");
    w.line("}  // extern \"C\"");
    w.line("#endif");
    files[fmt::format("c_shim_{}.h", device)] = w.text();
  }

  Writer w;
  banner(w, inputs, "The CPU fallback ops of the aotic shim over libtorch's ATen (>= 1.13).");
  w.line("// Ops that this libtorch lacks, or whose signature differs, call aotic::shim::compat.");
  w.line("#include \"shim/generated/c_shim_cpu.h\"");
  w.line();
  w.line("#include <ATen/ATen.h>");
  w.line();
  w.line("#include \"shim/src/compat_ops.h\"");
  w.line("#include \"shim/src/shim_internal.h\"");
  w.line();
  w.line("extern \"C\" {");
  for (const OpSchema* s : schemas) {
    w.line();
    w.line(fmt::format("// {}", s->to_string()));
    const std::string definition = cpu_definition(*s);
    for (std::string_view rest = definition; !rest.empty();) {
      size_t nl = rest.find('\n');
      w.line(rest.substr(0, nl));
      rest.remove_prefix(nl + 1);
    }
  }
  w.line();
  w.line("}  // extern \"C\"");
  files["c_shim_cpu.cc"] = w.text();

  // ATen dispatches on the tensors' device: a CUDA fallback op is the same call as the CPU one.
  Writer cuda;
  banner(cuda, inputs, "The CUDA fallback ops of the aotic shim: each makes the ATen call of its CPU twin.");
  cuda.line("// ATen dispatches on the tensors' device, so on CUDA tensors that call runs CUDA kernels.");
  cuda.line("#include \"shim/generated/c_shim_cpu.h\"");
  cuda.line("#include \"shim/generated/c_shim_cuda.h\"");
  cuda.line("#include \"shim/src/calling_as.h\"");
  cuda.line();
  cuda.line("extern \"C\" {");
  for (const OpSchema* s : schemas) {
    const CFunction on_cuda = c_function(*s, "cuda");
    const CFunction on_cpu = c_function(*s, "cpu");
    std::string args;
    for (const CParam& p : on_cuda.params) args += (args.empty() ? "" : ", ") + p.name;
    cuda.line();
    cuda.line(fmt::format("{} {{", on_cuda.signature()));
    cuda.line(fmt::format("  const aotic::shim::CallingAs as(\"{}\");", on_cuda.name));
    cuda.line(fmt::format("  return {}({});", on_cpu.name, args));
    cuda.line("}");
  }
  cuda.line();
  cuda.line("}  // extern \"C\"");
  files["c_shim_cuda.cc"] = cuda.text();
  return files;
}

namespace {

/// What the generated call depends on: argument names, kinds and types, SymInt read as int (the C
/// side passes int64_t either way); defaults are ignored (every argument is passed).
std::string call_shape(const OpSchema& schema) {
  std::string s;
  for (const SchemaArgument& a : schema.arguments) {
    s += fmt::format("{}{} {}, ", a.kwarg_only ? "*" : "", a.type.to_string(), a.name);
  }
  s += "->";
  for (const SchemaArgument& r : schema.returns) s += " " + r.type.to_string();
  for (size_t pos; (pos = s.find("SymInt")) != std::string::npos;) s.replace(pos, 6, "int");
  return s;
}

}  // namespace

std::vector<std::string> schema_differences(const Inputs& inputs, std::string_view other_schemas_text) {
  const ir::SchemaRegistry registry = ir::SchemaRegistry::parse(inputs.schemas_text, inputs.schemas_name);
  // The other list may omit the "aten::" namespace (ATen's *_ops.h schema_str spelling).
  std::string other;
  for (size_t pos = 0; pos < other_schemas_text.size();) {
    size_t end = other_schemas_text.find('\n', pos);
    if (end == std::string_view::npos) end = other_schemas_text.size();
    std::string_view line = other_schemas_text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    if (line.find("::") == std::string_view::npos || line.find("::") > line.find('(')) other += "aten::";
    other.append(line).append("\n");
  }
  const ir::SchemaRegistry theirs = ir::SchemaRegistry::parse(other, "other schemas");
  std::vector<std::string> messages;
  for (const OpSchema* s : listed_schemas(inputs, registry)) {
    if (is_compat(*s)) continue;
    const OpSchema* t = theirs.find(s->target());
    if (t == nullptr) {
      messages.push_back(fmt::format("{}: missing from the other list", s->target()));
    } else if (call_shape(*t) != call_shape(*s)) {
      messages.push_back(
          fmt::format("{}:\n  2.11:  {}\n  other: {}", s->target(), s->to_string(), t->to_string()));
    }
  }
  return messages;
}

}  // namespace aotic::shim_gen
