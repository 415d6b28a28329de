#include "codegen/cpp_wrapper.h"

#include <fmt/format.h>

#include <map>

#include "codegen/writer.h"
#include "ir/error.h"
#include "ir/verify.h"
#include "ir/version.h"
#include "shim/gen/shim_gen.h"

namespace aotic::codegen {
namespace {

using ir::ArgKind;
using ir::Argument;
using ir::Node;
using Kind = ir::SchemaType::Kind;

const char* kGetItem[] = {"<built-in function getitem>", "_operator.getitem"};

bool is_getitem(const std::string& target) { return target == kGetItem[0] || target == kGetItem[1]; }

/// Targets whose only output is an integer recorded with its symbolic expression.
bool is_size_node(const Node& node) {
  if (node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kSymInt) return false;
  return node.target == "torch.ops.aten.sym_size.int" || node.target.rfind("_operator.", 0) == 0 ||
         node.target == "torch.sym_max" || node.target == "torch.sym_min" ||
         node.target == "torch.ops.aten.sym_numel.default" || node.target == "torch.ops.aten.sym_stride.int";
}

/// PyTorch's c10::ScalarType number for an export dtype code.
int32_t shim_dtype(int64_t export_code) {
  std::optional<ir::DType> dtype = ir::dtype_from_code(export_code);
  AOTIC_CHECK(dtype.has_value(), "unchecked dtype code");
  return ir::dtype_c10_code(*dtype);
}

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

int32_t shim_device_type(const ir::Device& device) {
  if (device.type == "cpu") return 0;
  if (device.type == "cuda") return 1;
  if (device.type == "meta") return 14;
  user_error("device '{}' is not supported", device.type);
}

std::string int_literal(int64_t v) {
  if (v == INT64_MIN) return "(-9223372036854775807 - 1)";
  return fmt::format("int64_t{{{}}}", v);
}

/// Unary pointwise ops with a generated float32 kernel: the expression of `v`, and whether the
/// op updates its input in place.
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
  auto it = kernel_ops().find(node.op_name());
  if (it == kernel_ops().end()) return false;
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

/// Ops compiled as another op with the same arguments (by position). aten.view requires the
/// input's memory layout to match what PyTorch's kernels produced at export time; the shim's
/// kernels (libtorch 1.13, compat ops) may lay results out differently but validly, so a view is
/// compiled as reshape, which views when it can and copies otherwise: the same values.
const std::map<std::string, std::string>& substitutes() {
  static const std::map<std::string, std::string> kSubstitutes = {
      {"aten.view.default", "aten.reshape.default"},
  };
  return kSubstitutes;
}

const ir::OpSchema* schema_of(const Node& node, const ir::SchemaRegistry& schemas) {
  const ir::OpSchema* schema = schemas.find(node.target);
  if (schema == nullptr) return nullptr;
  auto it = substitutes().find(schema->target());
  return it == substitutes().end() ? schema : schemas.find(it->second);
}

/// The node's arguments renamed to `schema`'s names by position (for substituted ops).
Node with_schema_names(const Node& node, const ir::OpSchema& original, const ir::OpSchema& schema) {
  Node renamed = node;
  for (ir::NamedArgument& input : renamed.inputs) {
    for (size_t i = 0; i < original.arguments.size() && i < schema.arguments.size(); ++i) {
      if (original.arguments[i].name == input.name) {
        input.name = schema.arguments[i].name;
        break;
      }
    }
  }
  return renamed;
}

/// The C type of one element for an optional or a list of `kind`.
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

/// An Argument for a schema default ("None", "1", "[1,1]", "True", "\"none\"", "long", ...).
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
      static const std::map<std::string, int64_t> kNames = {{"long", 5},   {"int", 4},   {"float", 7},
                                                            {"double", 8}, {"bool", 12}, {"half", 6}};
      auto it = kNames.find(text);
      if (it == kNames.end()) return std::nullopt;
      a.kind = ArgKind::kScalarType;
      a.int_value = it->second;
      return a;
    }
    case Kind::MemoryFormat:
      a.kind = ArgKind::kMemoryFormat;
      if (text == "contiguous_format")
        a.int_value = 1;
      else if (text == "preserve_format")
        a.int_value = 4;
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

/// Emits the whole model.cpp.
class Emitter {
 public:
  Emitter(const ir::Program& program, const ConstantsLayout& constants, const ir::SchemaRegistry& schemas,
          const ShimFunctions& shim, const WrapperOptions& options)
      : program_(program), constants_(constants), schemas_(schemas), shim_(shim), options_(options) {}

  std::string emit() {
    collect_symbols();
    w_.line("// Generated by aotic " + std::string(kVersion) + " from " + options_.source_name + ".");
    w_.line("// Generated code: do not edit. It reaches libtorch only through the C shim.");
    w_.line("#include <algorithm>");
    w_.line("#include <cmath>");
    w_.line("#include <cstdint>");
    w_.line("#include <limits>");
    w_.blank();
    w_.line("#include \"aotic/c_shim_cpu.h\"");
    w_.line("#include \"aotic/runtime/model.h\"");
    w_.line("#include \"aotic/shim.h\"");
    w_.blank();
    if (!constants_.entries.empty() && options_.external_weights_file.empty()) {
      w_.line("// The constants' bytes, linked in from constants.S.");
      w_.linef("extern \"C\" const uint8_t {}[];", options_.blob_symbol);
      w_.blank();
    }
    w_.line("namespace {");
    w_.blank();
    w_.line("using aotic::runtime::check;");
    w_.line("using aotic::runtime::new_reference;");
    w_.line("using aotic::runtime::TensorHandle;");
    w_.blank();
    w_.raw(ir::SymExpr::cpp_helpers());
    w_.blank();
    CodeWriter head = std::move(w_);
    w_ = CodeWriter();
    emit_run();
    head.raw(kernels_.text());
    head.raw(w_.text());
    w_ = std::move(head);
    w_.blank();
    emit_spec();
    w_.blank();
    w_.line("}  // namespace");
    w_.blank();
    w_.line("const aotic::runtime::ModelSpec& aotic_model_spec() { return kSpec; }");
    return w_.text();
  }

 private:
  // ---- Symbols and specs ------------------------------------------------------------------------

  void collect_symbols() {
    for (const ir::InputSpec& spec : program_.signature.inputs) {
      if (spec.kind != ir::InputKind::kUserInput) continue;
      if (spec.arg.kind != ArgKind::kTensor) {
        user_error("user input {} is a {}: only tensor inputs are supported", spec.arg.to_string(),
                   ir::arg_kind_key(spec.arg.kind));
      }
      const ir::TensorMeta& meta = *program_.graph.find_tensor(spec.arg.name);
      for (const ir::SymExpr& size : meta.sizes) {
        if (size.is_constant()) continue;
        std::optional<std::string> symbol = size.as_symbol();
        if (!symbol) {
          user_error("input '{}': size {} is not a plain symbol: not supported", spec.arg.name,
                     size.to_string());
        }
        if (symbol_index_.count(*symbol) == 0) {
          int32_t index = static_cast<int32_t>(symbols_.size());
          symbol_index_[*symbol] = index;
          symbols_.push_back(*symbol);
        }
      }
    }
  }

  std::string symbol_code(const std::string& symbol) {
    auto it = symbol_vars_.find(symbol);
    if (it == symbol_vars_.end()) {
      user_error("symbol '{}' is not a size of any input: data-dependent sizes are not supported", symbol);
    }
    return it->second;
  }

  std::string dims_table(const std::string& name, const ir::TensorMeta& meta) {
    if (meta.sizes.empty()) return "nullptr";
    std::string items;
    for (const ir::SymExpr& size : meta.sizes) {
      std::optional<std::string> symbol = size.as_symbol();
      if (size.is_constant()) {
        items += fmt::format("{}{{{}, -1}}", items.empty() ? "" : ", ", *size.constant_value());
      } else if (symbol && symbol_index_.count(*symbol)) {
        items += fmt::format("{}{{0, {}}}", items.empty() ? "" : ", ", symbol_index_.at(*symbol));
      } else {
        items += fmt::format("{}{{-1, -1}}", items.empty() ? "" : ", ");  // derived size: not checked
      }
    }
    w_.linef("constexpr aotic::runtime::DimSpec {}[] = {{{}}};", name, items);
    return name;
  }

  void emit_spec() {
    std::string symbols = "nullptr";
    if (!symbols_.empty()) {
      w_.open("constexpr aotic::runtime::SymbolSpec kSymbols[] =");
      for (const std::string& s : symbols_) {
        auto it = program_.range_constraints.find(s);
        int64_t min = 0, max = INT64_MAX;
        if (it != program_.range_constraints.end()) {
          min = it->second.min.value_or(0);
          max = it->second.max.value_or(INT64_MAX);
        }
        w_.linef("{{{}, {}, {}}},", cpp_string(s), int_literal(min), int_literal(max));
      }
      w_.close("};");
      symbols = "kSymbols";
    }

    std::vector<std::string> input_rows;
    int index = 0;
    for (const ir::InputSpec& spec : program_.signature.inputs) {
      if (spec.kind != ir::InputKind::kUserInput) continue;
      const ir::TensorMeta& meta = *program_.graph.find_tensor(spec.arg.name);
      std::string dims = dims_table(fmt::format("kInput{}Dims", index++), meta);
      input_rows.push_back(fmt::format("{{{}, {}, {}, {}, {}, true}}", cpp_string(spec.arg.name),
                                       shim_dtype(static_cast<int64_t>(meta.dtype)),
                                       shim_device_type(meta.device), meta.sizes.size(), dims));
    }
    std::vector<std::string> output_rows;
    index = 0;
    for (const ir::OutputSpec& spec : program_.signature.outputs) {
      const ir::TensorMeta& meta = *program_.graph.find_tensor(spec.arg.name);
      std::string dims = dims_table(fmt::format("kOutput{}Dims", index++), meta);
      output_rows.push_back(fmt::format("{{{}, {}, {}, {}, {}, false}}", cpp_string(spec.arg.name),
                                        shim_dtype(static_cast<int64_t>(meta.dtype)),
                                        shim_device_type(meta.device), meta.sizes.size(), dims));
    }
    auto table = [&](const std::string& type, const std::string& name, const std::vector<std::string>& rows) {
      if (rows.empty()) return std::string("nullptr");
      w_.open(fmt::format("constexpr aotic::runtime::{} {}[] =", type, name));
      for (const std::string& row : rows) w_.line(row + ",");
      w_.close("};");
      return name;
    };
    std::string inputs = table("TensorSpec", "kInputs", input_rows);
    std::string outputs = table("TensorSpec", "kOutputs", output_rows);

    std::vector<std::string> constant_rows;
    for (size_t i = 0; i < constants_.entries.size(); ++i) {
      const ConstantEntry& c = constants_.entries[i];
      const ir::TensorMeta& meta = c.weight->meta;
      std::string sizes = "nullptr", strides = "nullptr";
      if (!meta.sizes.empty()) {
        std::string s, t;
        for (size_t d = 0; d < meta.sizes.size(); ++d) {
          s += fmt::format("{}{}", d ? ", " : "", *meta.sizes[d].constant_value());
          t += fmt::format("{}{}", d ? ", " : "", *meta.strides[d].constant_value());
        }
        sizes = fmt::format("kConstant{}Sizes", i);
        strides = fmt::format("kConstant{}Strides", i);
        w_.linef("constexpr int64_t {}[] = {{{}}};", sizes, s);
        w_.linef("constexpr int64_t {}[] = {{{}}};", strides, t);
      }
      const char* kind = c.spec->kind == ir::InputKind::kParameter ? "kParameter"
                         : c.spec->kind == ir::InputKind::kBuffer  ? "kBuffer"
                                                                   : "kTensorConstant";
      constant_rows.push_back(fmt::format(
          "{{{}, {}, {}, {}, {}, {}, {}, {}, {}, aotic::runtime::ConstantKind::{}}}", cpp_string(c.name),
          cpp_string(c.spec->fqn), shim_dtype(static_cast<int64_t>(meta.dtype)), meta.sizes.size(), sizes,
          strides, *meta.storage_offset.constant_value(), c.offset, c.nbytes, kind));
    }
    std::string constants = table("ConstantSpec", "kConstants", constant_rows);
    const bool embedded = !constants_.entries.empty() && options_.external_weights_file.empty();
    const bool external = !constants_.entries.empty() && !options_.external_weights_file.empty();
    std::string blob = embedded ? options_.blob_symbol : "nullptr";
    w_.open("const aotic::runtime::ModelSpec kSpec =");
    w_.linef("{}, {},", inputs, input_rows.size());
    w_.linef("{}, {},", outputs, output_rows.size());
    w_.linef("{}, {},", symbols, symbols_.size());
    w_.linef("{}, {},", constants, constant_rows.size());
    w_.linef("{}, {},", blob, constants_.size);
    w_.linef("{},", external ? cpp_string(options_.external_weights_file) : "nullptr");
    w_.linef("{},", cpp_string(program_.in_spec));
    w_.linef("{},", cpp_string(program_.out_spec));
    w_.line("run,");
    w_.close("};");
  }

  // ---- The run function ---------------------------------------------------------------------------

  void emit_run() {
    const ir::Graph& g = program_.graph;
    std::set<std::string> graph_outputs;
    for (const Argument& out : g.outputs) {
      for (const std::string& name : out.value_names()) graph_outputs.insert(name);
    }

    w_.open("void run(aotic::runtime::RunState& state, AtenTensorHandle* inputs, AtenTensorHandle* outputs)");
    for (const std::string& s : symbols_) {
      std::string var = w_.unique_name(cpp_identifier(s));
      symbol_vars_[s] = var;
      w_.linef("const int64_t {} = state.symbol({});", var, symbol_index_.at(s));
    }
    int user_index = 0;
    for (const ir::InputSpec& spec : program_.signature.inputs) {
      if (spec.kind == ir::InputKind::kUserInput) {
        std::string var = w_.unique_name(cpp_identifier(spec.arg.name));
        w_.linef("AtenTensorHandle {} = inputs[{}];", var, user_index++);
        handles_[spec.arg.name] = var;
      }
    }
    for (size_t i = 0; i < constants_.entries.size(); ++i) {
      const ConstantEntry& c = constants_.entries[i];
      std::string var = w_.unique_name(cpp_identifier(c.spec->arg.name));
      w_.linef("AtenTensorHandle {} = state.constant({});", var, i);
      handles_[c.spec->arg.name] = var;
    }
    for (const ir::InputSpec& spec : program_.signature.inputs) {
      if (spec.kind != ir::InputKind::kUserInput && handles_.count(spec.arg.name) == 0) {
        user_error("graph input '{}' ({}) is not supported", spec.arg.name, ir::input_kind_name(spec.kind));
      }
    }

    emit_nodes(g, graph_outputs);
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const Argument& out = g.outputs[i];
      if (out.kind != ArgKind::kTensor) {
        user_error("graph output {} is a {}: only tensor outputs are supported", i,
                   ir::arg_kind_key(out.kind));
      }
      w_.linef("outputs[{}] = new_reference({}).release();", i, handle(out.name));
    }
    w_.close();
  }

  /// The nodes of `g` in order, releasing each owned value right after its last use (values in
  /// `keep` are kept for the caller).
  void emit_nodes(const ir::Graph& g, const std::set<std::string>& keep) {
    const ir::Graph* outer_graph = graph_;
    graph_ = &g;
    std::map<std::string, size_t> last_use;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const ir::NamedArgument& input : g.nodes[i].inputs) {
        for (const std::string& name : input.arg.value_names()) last_use[name] = i;
      }
    }
    // The buffers this scope will allocate, so a freed buffer is kept only when one will take it.
    std::map<std::string, int> saved_future = std::move(future_keys_);
    future_keys_.clear();
    for (const Node& node : g.nodes) {
      const std::string key = planned_key(node);
      if (!key.empty()) ++future_keys_[key];
    }
    std::set<std::string> released;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      emit_node(g.nodes[i]);
      std::vector<std::string> done;
      for (const auto& [name, var] : owned_) {
        if (released.count(name)) continue;
        bool used_later = last_use.count(name) && last_use.at(name) > i;
        if (!used_later && keep.count(name) == 0) done.push_back(name);
      }
      for (const std::string& name : done) release_value(name);
    }
    future_keys_ = std::move(saved_future);
    graph_ = outer_graph;
  }

  /// The reuse key of the buffer `node` will allocate itself, or "" when it allocates none.
  std::string planned_key(const Node& node) {
    LowerKind kind = lower_kind(node, *graph_, schemas_, shim_);
    if (node.outputs.empty() || node.outputs[0].kind != ArgKind::kTensor) return "";
    const ir::TensorMeta* meta = graph_->find_tensor(node.outputs[0].name);
    if (meta == nullptr) return "";
    if (kind == LowerKind::kOutVariant) return buffer_key(*meta, meta->strides);
    if (kind == LowerKind::kKernel && !kernel_ops().at(node.op_name()).inplace) {
      return buffer_key(*meta, contiguous_strides(meta->sizes));
    }
    return "";
  }

  // ---- Buffers: release after last use, exact reuse (AOTInductor's codegen_exact_buffer_reuse) --
  //
  // A buffer aotic allocates itself (the out tensor of an .out variant, a kernel's result) is a
  // "root" with a key: dtype, device, sizes and strides. Every value that may share its storage
  // is counted against it: conservatively, every output of a node that is not an .out variant or
  // a kernel may alias every tensor it read. When a root's value and everything that may alias it
  // are dead, its buffer goes to a pool, and the next allocation with the same key takes it
  // instead of allocating.

  /// Records that `value` was just defined by a node reading `inputs`; `fresh_key` is set when
  /// `value` is a new plannable buffer.
  void track(const std::string& value, const std::vector<std::string>& inputs, const std::string& fresh_key) {
    std::set<std::string> roots;
    if (!fresh_key.empty()) {
      roots.insert(value);
      root_key_[value] = fresh_key;
    } else {
      for (const std::string& in : inputs) {
        auto it = roots_of_.find(in);
        if (it != roots_of_.end()) roots.insert(it->second.begin(), it->second.end());
      }
    }
    for (const std::string& r : roots) ++live_[r];
    roots_of_[value] = std::move(roots);
  }

  /// `value` is dead: release its handle, or keep a root's buffer for reuse.
  void release_value(const std::string& value) {
    const std::string var = owned_.at(value);
    const bool is_root = root_key_.count(value) != 0;
    if (!is_root) w_.linef("{}.reset();", var);
    for (const std::string& r : roots_of_[value]) {
      if (--live_[r] != 0 || root_key_.count(r) == 0) continue;
      const std::string& key = root_key_.at(r);
      // Keep the buffer only while a later allocation of this scope can take it.
      int wanted = future_keys_.count(key) ? future_keys_.at(key) : 0;
      if (wanted > static_cast<int>(pool_[key].size())) {
        pool_[key].push_back(root_var_.at(r));
        w_.linef("// {} is free: reused by a later buffer of the same shape", root_var_.at(r));
      } else {
        w_.linef("{}.reset();", root_var_.at(r));
      }
    }
    roots_of_.erase(value);
    owned_.erase(value);
    handles_.erase(value);
  }

  /// A free buffer with `key`, or "".
  std::string take_from_pool(const std::string& key) {
    if (future_keys_.count(key) && future_keys_.at(key) > 0) --future_keys_[key];
    auto it = pool_.find(key);
    if (it == pool_.end() || it->second.empty()) return "";
    std::string var = it->second.back();
    it->second.pop_back();
    return var;
  }

  /// The reuse key of a buffer: dtype, device, sizes and strides as C++ text.
  std::string buffer_key(const ir::TensorMeta& meta, const std::vector<ir::SymExpr>& strides) {
    std::string key = fmt::format("{}@{}[", dtype_name(meta.dtype), meta.device.to_string());
    for (const ir::SymExpr& e : meta.sizes) key += e.to_string() + ",";
    key += "][";
    for (const ir::SymExpr& e : strides) key += e.to_string() + ",";
    return key + "]";
  }

  /// Contiguous strides for `sizes`.
  static std::vector<ir::SymExpr> contiguous_strides(const std::vector<ir::SymExpr>& sizes) {
    std::vector<ir::SymExpr> strides(sizes.size());
    ir::SymExpr stride = ir::SymExpr::constant(1);
    for (size_t d = sizes.size(); d-- > 0;) {
      strides[d] = stride;
      stride = stride * sizes[d];
    }
    return strides;
  }

  /// Names of the tensors a node reads (in this scope).
  static std::vector<std::string> tensor_inputs(const Node& node) {
    std::vector<std::string> names;
    for (const ir::NamedArgument& input : node.inputs) {
      for (const std::string& n : input.arg.value_names()) names.push_back(n);
    }
    return names;
  }

  /// torch.cond: the predicate read with aoti_torch_item_bool, each branch's subgraph emitted in
  /// its own scope with its inputs bound to the operands, its outputs handed to the node's.
  void emit_cond(const Node& node) {
    if (node.inputs.size() != 4 || node.inputs[1].arg.kind != ArgKind::kGraph ||
        node.inputs[2].arg.kind != ArgKind::kGraph || node.inputs[3].arg.kind != ArgKind::kTensors) {
      user_error("{}: expected (pred, true_graph, false_graph, operands)", place(node));
    }
    if (node.inputs[0].arg.kind != ArgKind::kTensor) {
      user_error("{}: only a tensor predicate is supported", place(node));
    }
    std::vector<std::string> out_vars;
    for (const Argument& out : node.outputs) {
      if (out.kind != ArgKind::kTensor) user_error("{}: only tensor outputs are supported", place(node));
      out_vars.push_back(define_owned(out.name));
      track(out.name, tensor_inputs(node), "");  // a branch may return an operand
    }
    std::vector<std::string> operands;
    for (const std::string& name : node.inputs[3].arg.names) operands.push_back(handle(name));
    std::string pred = w_.unique_name("pred");
    w_.open("");
    w_.linef("bool {} = false;", pred);
    w_.linef("check(aoti_torch_item_bool({}, &{}), {});", handle(node.inputs[0].arg.name), pred,
             cpp_string(place(node) + ": predicate"));
    for (int branch = 1; branch <= 2; ++branch) {
      const ir::GraphArgument& sub = node.inputs[static_cast<size_t>(branch)].arg.graph;
      const ir::Graph& g = *sub.graph;
      if (g.inputs.size() != operands.size() || g.outputs.size() != out_vars.size()) {
        user_error("{}: subgraph '{}' takes {} inputs and gives {} outputs, the node has {} and {}",
                   place(node), sub.name, g.inputs.size(), g.outputs.size(), operands.size(),
                   out_vars.size());
      }
      if (branch == 1) {
        w_.open(fmt::format("if ({})", pred));
      } else {
        w_.reopen("} else {");
      }
      w_.linef("// {}", sub.name);
      // The branch sees only its own values.
      std::map<std::string, std::string> saved_handles, saved_owned, saved_ints = ints_;
      saved_handles.swap(handles_);
      saved_owned.swap(owned_);
      auto saved_roots = std::move(roots_of_);
      auto saved_live = std::move(live_);
      auto saved_pool = std::move(pool_);
      roots_of_.clear();
      live_.clear();
      pool_.clear();
      for (size_t i = 0; i < g.inputs.size(); ++i) {
        if (g.inputs[i].kind != ArgKind::kTensor)
          user_error("{}: subgraph inputs must be tensors", place(node));
        handles_[g.inputs[i].name] = operands[i];
      }
      std::set<std::string> keep;
      for (const Argument& out : g.outputs) {
        for (const std::string& name : out.value_names()) keep.insert(name);
      }
      emit_nodes(g, keep);
      for (size_t i = 0; i < g.outputs.size(); ++i) {
        if (g.outputs[i].kind != ArgKind::kTensor)
          user_error("{}: subgraph outputs must be tensors", place(node));
        w_.linef("{} = new_reference({});", out_vars[i], handle(g.outputs[i].name));
      }
      handles_.swap(saved_handles);
      owned_.swap(saved_owned);
      ints_ = saved_ints;
      roots_of_ = std::move(saved_roots);
      live_ = std::move(saved_live);
      pool_ = std::move(saved_pool);
    }
    w_.close();
    w_.close();
  }

  std::string handle(const std::string& value) {
    auto it = handles_.find(value);
    AOTIC_CHECK(it != handles_.end(), "no handle for value " + value);
    return it->second;
  }

  std::string place(const Node& node) { return fmt::format("node '{}' ({})", node.name, node.op_name()); }

  /// Declares a TensorHandle owning the value `name`.
  std::string define_owned(const std::string& name) {
    std::string var = w_.unique_name(cpp_identifier(name));
    w_.linef("TensorHandle {};", var);
    owned_[name] = var;
    handles_[name] = var + ".get()";
    return var;
  }

  void emit_node(const Node& node) {
    w_.linef("// {}: {}", node.name, node.op_name());
    if (node.target == "torch.ops.higher_order.cond") {
      emit_cond(node);
      return;
    }
    if (is_size_node(node)) {
      const std::string& name = node.outputs[0].refs.at(0).name;
      auto it = graph_->sym_int_values.find(name);
      if (it == graph_->sym_int_values.end())
        user_error("{}: no expression recorded for '{}'", place(node), name);
      std::string var = w_.unique_name(cpp_identifier(name));
      w_.linef("const int64_t {} = {};", var,
               it->second.expr.to_cpp([&](const std::string& s) { return symbol_code(s); }));
      ints_[name] = var;
      return;
    }
    if (is_getitem(node.target)) {
      const Argument& list = node.inputs.at(0).arg;
      int64_t index = node.inputs.at(1).arg.int_value;
      if (list.kind != ArgKind::kTensors || index < 0 || index >= static_cast<int64_t>(list.names.size())) {
        user_error("{}: unsupported getitem", place(node));
      }
      std::string var = define_owned(node.outputs.at(0).name);
      track(node.outputs.at(0).name, tensor_inputs(node), "");
      w_.linef("{} = new_reference({});", var, handle(list.names[static_cast<size_t>(index)]));
      return;
    }
    std::string why;
    LowerKind kind = lower_kind(node, *graph_, schemas_, shim_, &why);
    if (kind == LowerKind::kUnsupported) user_error("{}: {}", place(node), why);
    if (kind == LowerKind::kKernel) {
      emit_kernel(node);
      return;
    }
    if (kind == LowerKind::kOutVariant) {
      emit_out_variant(node, *schemas_.find("aten." + schema_of(node, schemas_)->name + ".out"));
      return;
    }
    const ir::OpSchema& schema = *schema_of(node, schemas_);
    const ir::OpSchema* original = schemas_.find(node.target);
    if (original != &schema) {
      emit_fallback(with_schema_names(node, *original, schema), schema, kind == LowerKind::kInplace);
    } else {
      emit_fallback(node, schema, kind == LowerKind::kInplace);
    }
  }

  /// C expressions for one schema argument (one or two: pointer and length, device and index).
  std::vector<std::string> lower_arg(const Node& node, const ir::SchemaArgument& param, const Argument& arg,
                                     const ir::SchemaType& type) {
    const std::string what = fmt::format("{}: argument '{}'", place(node), param.name);
    auto fail = [&]() -> std::vector<std::string> {
      user_error("{}: cannot pass {} as {}", what, ir::arg_kind_key(arg.kind), type.to_string());
    };
    auto ref_int = [&](const ir::ValueRef& r) {
      if (r.kind == ir::ValueRef::Kind::kInt) return int_literal(r.int_value);
      if (r.kind == ir::ValueRef::Kind::kName && ints_.count(r.name)) return ints_.at(r.name);
      user_error("{}: unknown integer '{}'", what, r.to_string());
    };
    switch (type.kind) {
      case Kind::Tensor: {
        if (arg.kind == ArgKind::kTensor) return {handle(arg.name)};
        // A Python number where a Tensor is expected: a 0-dim tensor, as PyTorch wraps it.
        std::string var = w_.unique_name("scalar");
        w_.linef("TensorHandle {};", var);
        if (arg.kind == ArgKind::kFloat) {
          w_.linef("check(aoti_torch_scalar_to_tensor_float64({}, {}.out()), \"{}\");",
                   cpp_double(arg.float_value), var, "aoti_torch_scalar_to_tensor_float64");
        } else if (arg.kind == ArgKind::kInt || arg.kind == ArgKind::kSymInt) {
          std::string v = arg.kind == ArgKind::kInt ? int_literal(arg.int_value) : ref_int(arg.refs.at(0));
          w_.linef("check(aoti_torch_scalar_to_tensor_int64({}, {}.out()), \"{}\");", v, var,
                   "aoti_torch_scalar_to_tensor_int64");
        } else if (arg.kind == ArgKind::kBool) {
          w_.linef("check(aoti_torch_scalar_to_tensor_bool({}, {}.out()), \"{}\");",
                   arg.bool_value ? "true" : "false", var, "aoti_torch_scalar_to_tensor_bool");
        } else {
          return fail();
        }
        return {var + ".get()"};
      }
      case Kind::Int:
      case Kind::SymInt:
        if (arg.kind == ArgKind::kInt) return {int_literal(arg.int_value)};
        if (arg.kind == ArgKind::kSymInt) return {ref_int(arg.refs.at(0))};
        return fail();
      case Kind::Float:
      case Kind::Scalar:
        if (arg.kind == ArgKind::kFloat) return {cpp_double(arg.float_value)};
        if (arg.kind == ArgKind::kInt) return {cpp_double(static_cast<double>(arg.int_value))};
        if (arg.kind == ArgKind::kBool) return {arg.bool_value ? "1.0" : "0.0"};
        if (arg.kind == ArgKind::kSymInt) return {"static_cast<double>(" + ref_int(arg.refs.at(0)) + ")"};
        return fail();
      case Kind::Bool:
        if (arg.kind == ArgKind::kBool) return {arg.bool_value ? "1" : "0"};
        return fail();
      case Kind::Str:
        if (arg.kind == ArgKind::kString) return {cpp_string(arg.name)};
        return fail();
      case Kind::ScalarType:
        if (arg.kind == ArgKind::kScalarType) return {std::to_string(shim_dtype(arg.int_value))};
        return fail();
      case Kind::Layout:
        if (arg.kind == ArgKind::kLayout) return {std::to_string(shim_layout(arg.int_value))};
        return fail();
      case Kind::MemoryFormat:
        if (arg.kind == ArgKind::kMemoryFormat) return {std::to_string(shim_memory_format(arg.int_value))};
        return fail();
      case Kind::Device:
        if (arg.kind == ArgKind::kDevice) {
          return {std::to_string(shim_device_type(arg.device)),
                  std::to_string(arg.device.index.value_or(-1))};
        }
        return fail();
      case Kind::Optional: {
        const ir::SchemaType& elem = type.elems.at(0);
        bool two = elem.kind == Kind::Device || elem.kind == Kind::List;
        if (arg.kind == ArgKind::kNone ||
            (arg.kind == ArgKind::kOptionalTensor && arg.refs.at(0).kind == ir::ValueRef::Kind::kNone)) {
          if (two) return {"nullptr", elem.kind == Kind::Device ? "-1" : "0"};
          return {"nullptr"};
        }
        Argument inner = arg;
        if (arg.kind == ArgKind::kOptionalTensor) {
          inner.kind = ArgKind::kTensor;
          inner.name = arg.refs.at(0).name;
        }
        std::vector<std::string> exprs = lower_arg(node, param, inner, elem);
        std::string var = w_.unique_name(cpp_identifier(param.name) + "_value");
        w_.linef("{} {} = {};", c_type(elem), var, exprs[0]);
        exprs[0] = "&" + var;
        return exprs;
      }
      case Kind::List: {
        const ir::SchemaType& elem = type.elems.at(0);
        std::vector<std::string> items;
        std::string item_type = c_type(elem);
        if (elem.kind == Kind::Tensor && arg.kind == ArgKind::kTensors) {
          for (const std::string& n : arg.names) items.push_back(handle(n));
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
              items.push_back("nullptr");
              continue;
            }
            std::string var = w_.unique_name(cpp_identifier(param.name) + "_item");
            w_.linef("AtenTensorHandle {} = {};", var, handle(n));
            items.push_back("&" + var);
          }
          item_type = "const AtenTensorHandle*";
        } else if ((elem.kind == Kind::Int || elem.kind == Kind::SymInt) && arg.kind == ArgKind::kInts) {
          for (int64_t v : arg.ints) items.push_back(int_literal(v));
        } else if ((elem.kind == Kind::Int || elem.kind == Kind::SymInt) && arg.kind == ArgKind::kSymInts) {
          for (const ir::ValueRef& r : arg.refs) items.push_back(ref_int(r));
        } else if ((elem.kind == Kind::Float || elem.kind == Kind::Scalar) && arg.kind == ArgKind::kFloats) {
          for (double v : arg.floats) items.push_back(cpp_double(v));
        } else if (elem.kind == Kind::Bool && arg.kind == ArgKind::kBools) {
          for (bool b : arg.bools) items.push_back(b ? "1" : "0");
        } else {
          return fail();
        }
        if (items.empty()) return {"nullptr", "0"};
        std::string var = w_.unique_name(cpp_identifier(param.name));
        std::string joined;
        for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
        w_.linef("const {} {}[] = {{{}}};", item_type, var, joined);
        return {var, std::to_string(items.size())};
      }
      case Kind::Generator:
        if (arg.kind == ArgKind::kNone) return {"nullptr"};
        return fail();
      default:
        return fail();
    }
  }

  /// The .out variant's shim function, writing into a buffer with the export's sizes and strides.
  void emit_out_variant(const Node& node, const ir::OpSchema& out_schema) {
    const ir::TensorMeta& meta = *graph_->find_tensor(node.outputs[0].name);
    const std::string key = buffer_key(meta, meta.strides);
    const std::string reused = take_from_pool(key);
    std::string var = define_owned(node.outputs[0].name);
    root_var_[node.outputs[0].name] = var;
    if (!reused.empty()) {
      w_.linef("{} = std::move({});  // same dtype, sizes and strides", var, reused);
    } else {
      w_.open("");
      emit_empty_strided(meta, var);
      w_.close();
    }
    track(node.outputs[0].name, tensor_inputs(node), key);
    Node with_out = node;
    const std::string buffer = "\x01out:" + node.outputs[0].name;  // a value name no export uses
    handles_[buffer] = var + ".get()";
    for (const ir::SchemaArgument& param : out_schema.arguments) {
      if (!param.is_out()) continue;
      ir::NamedArgument out;
      out.name = param.name;
      out.arg.kind = ArgKind::kTensor;
      out.arg.name = buffer;
      with_out.inputs.push_back(out);
    }
    with_out.outputs.clear();
    emit_fallback(with_out, out_schema, false);
    handles_.erase(buffer);
  }

  /// `var` = a new tensor with `meta`'s (possibly symbolic) sizes, strides, dtype and device.
  void emit_empty_strided(const ir::TensorMeta& meta, const std::string& var) {
    auto code = [&](const ir::SymExpr& e) {
      return e.to_cpp([&](const std::string& s) { return symbol_code(s); });
    };
    std::string sizes, strides;
    for (size_t d = 0; d < meta.sizes.size(); ++d) {
      sizes += (d ? ", " : "") + code(meta.sizes[d]);
      strides += (d ? ", " : "") + code(meta.strides[d]);
    }
    const size_t rank = meta.sizes.size();
    if (rank > 0) {
      w_.linef("const int64_t {}_sizes[] = {{{}}};", var, sizes);
      w_.linef("const int64_t {}_strides[] = {{{}}};", var, strides);
    }
    w_.linef(
        "check(aoti_torch_empty_strided({}, {}, {}, {}, {}, {}, {}.out()), \"aoti_torch_empty_strided\");",
        rank, rank ? var + "_sizes" : "nullptr", rank ? var + "_strides" : "nullptr",
        shim_dtype(static_cast<int64_t>(meta.dtype)), shim_device_type(meta.device),
        meta.device.index.value_or(-1), var);
  }

  /// A float32 unary pointwise op as a loop generated into model.cpp.
  void emit_kernel(const Node& node) {
    const KernelOp& op = kernel_ops().at(node.op_name());
    std::string expression = op.expression;
    std::string name = "kernel_" + cpp_identifier(node.op_name().substr(5, node.op_name().rfind('.') - 5));
    const ir::NamedArgument* approximate = node.find_input("approximate");
    if (approximate != nullptr && approximate->arg.kind == ArgKind::kString &&
        approximate->arg.name == "tanh") {
      expression = kGeluTanh;
      name += "_tanh";
    }
    if (op.inplace && name.back() == '_') name.pop_back();
    if (kernel_names_.insert(name).second) {
      kernels_.linef("// {}", node.op_name() == "aten.gelu.default" && name.size() > 11
                                  ? "gelu(approximate='tanh')"
                                  : node.op_name());
      kernels_.open(fmt::format("void {}(const float* in, float* out, int64_t n)", name));
      kernels_.open("for (int64_t i = 0; i < n; ++i)");
      kernels_.line("const float v = in[i];");
      kernels_.linef("out[i] = {};", expression);
      kernels_.close();
      kernels_.close();
      kernels_.blank();
    }
    const ir::NamedArgument& self = node.inputs[0];
    if (op.inplace && owned_.count(self.arg.name) == 0) {
      user_error("{}: in-place update of a graph input or constant is not supported", place(node));
    }
    std::string input = handle(self.arg.name);
    const ir::TensorMeta& meta = *graph_->find_tensor(node.outputs[0].name);
    const std::string key = op.inplace ? "" : buffer_key(meta, contiguous_strides(meta.sizes));
    const std::string reused = op.inplace ? "" : take_from_pool(key);
    std::string var = define_owned(node.outputs[0].name);
    if (!op.inplace) root_var_[node.outputs[0].name] = var;
    track(node.outputs[0].name, tensor_inputs(node), key);
    w_.open("");
    std::string work = w_.unique_name("work");
    w_.linef("TensorHandle {} = aotic::runtime::contiguous({});", work, input);
    if (op.inplace) {
      w_.linef(
          "{}(aotic::runtime::data<float>({}.get()), aotic::runtime::data<float>({}.get()), "
          "aotic::runtime::numel({}.get()));",
          name, work, work, work);
      w_.linef("aotic::runtime::copy_back({}.get(), {});", work, input);
      w_.linef("{} = new_reference({});", var, input);
    } else if (!reused.empty()) {
      w_.linef("{} = std::move({});  // same dtype, sizes and strides", var, reused);
      w_.linef(
          "{}(aotic::runtime::data<float>({}.get()), aotic::runtime::data<float>({}.get()), "
          "aotic::runtime::numel({}.get()));",
          name, work, var, work);
    } else {
      w_.linef("{} = aotic::runtime::empty_contiguous_like({}.get());", var, work);
      w_.linef(
          "{}(aotic::runtime::data<float>({}.get()), aotic::runtime::data<float>({}.get()), "
          "aotic::runtime::numel({}.get()));",
          name, work, var, work);
    }
    w_.close();
  }

  void emit_fallback(const Node& node, const ir::OpSchema& schema, bool inplace) {
    shim_gen::CFunction fn = shim_gen::c_function(schema, "cpu");
    bool c_returns = false;
    for (const shim_gen::CParam& p : fn.params) c_returns |= p.name.rfind("ret", 0) == 0;
    // Outputs are declared before the call's scope so they outlive it.
    std::vector<std::string> out_vars;
    bool list_return = !schema.returns.empty() && schema.returns[0].type.kind == Kind::List;
    if (c_returns) {
      if (list_return) {
        if (node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kTensors) {
          user_error("{}: expected a list of tensors as output", place(node));
        }
        for (const std::string& n : node.outputs[0].names) {
          out_vars.push_back(define_owned(n));
          track(n, tensor_inputs(node), "");
        }
      } else {
        for (size_t i = 0; i < schema.returns.size(); ++i) {
          const Argument* out = i < node.outputs.size() ? &node.outputs[i] : nullptr;
          if (out != nullptr && out->kind == ArgKind::kTensor) {
            out_vars.push_back(define_owned(out->name));
            track(out->name, tensor_inputs(node), "");
          } else if (out == nullptr || out->kind == ArgKind::kNone) {
            std::string var = w_.unique_name("unused");
            w_.linef("TensorHandle {};", var);
            out_vars.push_back(var);
          } else {
            user_error("{}: output {} is a {}: not supported", place(node), i, ir::arg_kind_key(out->kind));
          }
        }
      }
    }
    w_.open("");
    std::vector<std::string> args;
    // C order: out= arguments first (torchgen's convention), then the others in schema order.
    std::vector<const ir::SchemaArgument*> ordered;
    for (const ir::SchemaArgument& param : schema.arguments) {
      if (param.is_out()) ordered.push_back(&param);
    }
    for (const ir::SchemaArgument& param : schema.arguments) {
      if (!param.is_out()) ordered.push_back(&param);
    }
    for (const ir::SchemaArgument* param_ptr : ordered) {
      const ir::SchemaArgument& param = *param_ptr;
      const ir::NamedArgument* given = node.find_input(param.name);
      Argument arg;
      if (param.name == "dtype" && param.type.kind == Kind::Optional &&
          param.type.elems.at(0).kind == Kind::ScalarType &&
          (given == nullptr || given->arg.kind == ArgKind::kNone) && !node.outputs.empty() &&
          node.outputs[0].kind == ArgKind::kTensor && graph_->find_tensor(node.outputs[0].name) != nullptr) {
        // Factories infer their dtype from Python scalars (arange(4) is int64); through the C ABI
        // every Scalar is a double, so the dtype the export recorded is passed explicitly.
        arg.kind = ArgKind::kScalarType;
        arg.int_value = static_cast<int64_t>(graph_->find_tensor(node.outputs[0].name)->dtype);
      } else if (given != nullptr) {
        arg = given->arg;
      } else {
        std::optional<Argument> d =
            param.default_text ? default_argument(param.type, *param.default_text) : std::nullopt;
        if (!d) {
          user_error("{}: argument '{}': cannot use its default '{}'", place(node), param.name,
                     param.default_text.value_or("<none>"));
        }
        arg = *d;
      }
      for (std::string& e : lower_arg(node, param, arg, param.type)) args.push_back(std::move(e));
    }
    std::vector<std::string> after;
    if (c_returns) {
      if (list_return) {
        std::string rets = w_.unique_name("rets");
        w_.linef("AtenTensorHandle {}[{}] = {{}};", rets, out_vars.size());
        args.push_back(rets);
        args.push_back(std::to_string(out_vars.size()));
        for (size_t i = 0; i < out_vars.size(); ++i)
          after.push_back(fmt::format("{}.reset({}[{}]);", out_vars[i], rets, i));
      } else {
        for (const std::string& v : out_vars) args.push_back(v + ".out()");
      }
    }
    AOTIC_CHECK(args.size() == fn.params.size(),
                fmt::format("{}: {} arguments for {} parameters of {}", place(node), args.size(),
                            fn.params.size(), fn.name));
    std::string joined;
    for (const std::string& a : args) joined += (joined.empty() ? "" : ", ") + a;
    w_.linef("check({}({}), {});", fn.name, joined, cpp_string(place(node)));
    for (const std::string& line : after) w_.line(line);
    w_.close();
    if (inplace) {
      // The result is the updated first argument.
      const ir::NamedArgument* self = node.find_input(schema.arguments.at(0).name);
      if (self == nullptr || self->arg.kind != ArgKind::kTensor || owned_.count(self->arg.name) == 0) {
        user_error("{}: in-place update of a graph input or constant is not supported", place(node));
      }
      std::string var = define_owned(node.outputs.at(0).name);
      track(node.outputs.at(0).name, tensor_inputs(node), "");
      w_.linef("{} = new_reference({});", var, handle(self->arg.name));
    }
  }

  const ir::Program& program_;
  const ConstantsLayout& constants_;
  const ir::SchemaRegistry& schemas_;
  const ShimFunctions& shim_;
  CodeWriter kernels_;                  // generated kernel functions, emitted before run()
  std::set<std::string> kernel_names_;  // kernels already emitted
  const WrapperOptions& options_;
  CodeWriter w_;
  std::vector<std::string> symbols_;
  std::map<std::string, int32_t> symbol_index_;
  std::map<std::string, std::string> symbol_vars_;
  std::map<std::string, std::string> handles_;  // value -> C expression of its AtenTensorHandle
  std::map<std::string, std::string> owned_;    // value -> TensorHandle variable
  std::map<std::string, std::string> ints_;     // integer value -> C variable
  const ir::Graph* graph_ = nullptr;            // the graph whose nodes are being emitted
  // Buffer reuse, per scope (see track()).
  std::map<std::string, std::set<std::string>> roots_of_;  // value -> roots it may alias
  std::map<std::string, int> live_;                        // root -> live values that may alias it
  std::map<std::string, std::string> root_key_;            // root -> reuse key
  std::map<std::string, std::string> root_var_;            // root -> its TensorHandle variable
  std::map<std::string, std::vector<std::string>> pool_;   // key -> free buffers (variables)
  std::map<std::string, int> future_keys_;                 // key -> allocations still to come
};

}  // namespace

LowerKind lower_kind(const Node& node, const ir::Graph& graph, const ir::SchemaRegistry& schemas,
                     const ShimFunctions& shim, std::string* why) {
  auto unsupported = [&](const std::string& reason) {
    if (why) *why = reason;
    return LowerKind::kUnsupported;
  };
  if (is_size_node(node)) return LowerKind::kSize;
  if (is_getitem(node.target)) return LowerKind::kGetItem;
  if (node.target == "torch.ops.higher_order.cond") {
    for (const ir::NamedArgument& input : node.inputs) {
      if (input.arg.kind != ArgKind::kGraph) continue;
      for (const Node& inner : input.arg.graph.graph->nodes) {
        std::string inner_why;
        if (lower_kind(inner, *input.arg.graph.graph, schemas, shim, &inner_why) == LowerKind::kUnsupported) {
          return unsupported(fmt::format("subgraph '{}': {} (node '{}'): {}", input.arg.graph.name,
                                         inner.op_name(), inner.name, inner_why));
        }
      }
    }
    return LowerKind::kCond;
  }
  const ir::OpSchema* schema = schema_of(node, schemas);
  if (schema == nullptr) return unsupported("not an ATen operator");
  shim_gen::CFunction fn = shim_gen::c_function(*schema, "cpu");
  if (shim.prefer_kernels && kernel_applies(node, graph, nullptr)) return LowerKind::kKernel;
  const ir::OpSchema* out = schemas.find("aten." + schema->name + ".out");
  const bool out_ok = out != nullptr && shim.names.count(shim_gen::c_function(*out, "cpu").name) != 0 &&
                      node.outputs.size() == 1 && node.outputs[0].kind == ArgKind::kTensor &&
                      graph.find_tensor(node.outputs[0].name) != nullptr;
  // Matrix products write into buffers aotic plans (and reuses) rather than allocating per call.
  static const std::set<std::string> kPreferOut = {"addmm", "mm", "bmm", "baddbmm"};
  if (out_ok && kPreferOut.count(schema->name) != 0) return LowerKind::kOutVariant;
  if (shim.names.count(fn.name) != 0) {
    bool has_ret = false;
    for (const shim_gen::CParam& p : fn.params) has_ret |= p.name.rfind("ret", 0) == 0;
    if (has_ret) return LowerKind::kFallback;
    if (!schema->arguments.empty() && schema->arguments[0].is_write()) return LowerKind::kInplace;
  }
  if (out_ok) return LowerKind::kOutVariant;
  std::string kernel_why;
  if (kernel_applies(node, graph, &kernel_why)) return LowerKind::kKernel;
  return unsupported(kernel_why.empty() ? fmt::format("no shim function {} in {}", fn.name, shim.origin)
                                        : fmt::format("no shim function {} in {}, and {}", fn.name,
                                                      shim.origin, kernel_why));
}

std::vector<std::string> unsupported_nodes(const ir::Program& program, const ir::SchemaRegistry& schemas,
                                           const ShimFunctions& shim) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Node& node : program.graph.nodes) {
    std::string why;
    if (lower_kind(node, program.graph, schemas, shim, &why) != LowerKind::kUnsupported) continue;
    if (seen.insert(node.target).second)
      out.push_back(fmt::format("{} (node '{}'): {}", node.op_name(), node.name, why));
  }
  return out;
}

std::string emit_model_cpp(const ir::Program& program, const ConstantsLayout& constants,
                           const ir::SchemaRegistry& schemas, const ShimFunctions& shim,
                           const WrapperOptions& options) {
  return Emitter(program, constants, schemas, shim, options).emit();
}

}  // namespace aotic::codegen
