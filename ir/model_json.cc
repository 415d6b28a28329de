#include "ir/model_json.h"

#include <nlohmann/json.hpp>

#include <string>

#include "ir/error.h"
#include "ir/json_reader.h"

namespace aotic::ir {
namespace {

using nlohmann::json;

/// Deepest nesting of subgraphs (cond inside cond ...) accepted.
constexpr int kMaxGraphDepth = 64;

SymExpr parse_sym_expr(const JsonReader& r) {
  std::string text = r.get_string();
  try {
    return SymExpr::parse(text);
  } catch (const UserError& e) {
    rethrow_in(e, r.path());
  }
}

/// SymInt: {"as_int": 8} or {"as_expr": {"expr_str": "...", "hint": {...}}}.
SymValue parse_sym_int(const JsonReader& r) {
  auto [key, value] = r.union_item({"as_int", "as_expr"});
  if (key == "as_int") return {SymExpr::constant(value.get_int()), value.get_int()};
  SymValue out{parse_sym_expr(value.at("expr_str")), std::nullopt};
  if (value.has("hint") && !value.at("hint").is_null()) {
    auto [hint_key, hint] = value.at("hint").union_item({"as_int", "as_bool", "as_float"});
    if (hint_key == "as_int") out.hint = hint.get_int();
    if (hint_key == "as_bool") out.hint = hint.get_bool() ? 1 : 0;
  }
  return out;
}

SymValue parse_sym_bool(const JsonReader& r) {
  auto [key, value] = r.union_item({"as_bool", "as_expr"});
  if (key == "as_bool") {
    int64_t v = value.get_bool() ? 1 : 0;
    return {SymExpr::constant(v), v};
  }
  return {parse_sym_expr(value.at("expr_str")), std::nullopt};
}

SymValue parse_sym_float(const JsonReader& r) {
  auto [key, value] = r.union_item({"as_float", "as_expr"});
  if (key == "as_float") {
    // Symbolic floats are kept for inspection only; the expression text is not integer-valued.
    value.get_float();
    return {SymExpr(), std::nullopt};
  }
  value.at("expr_str").get_string();
  return {SymExpr(), std::nullopt};
}

Device parse_device(const JsonReader& r) {
  Device d;
  d.type = r.at("type").get_string();
  if (d.type.empty()) r.fail("empty device type");
  if (r.has("index") && !r.at("index").is_null()) d.index = r.at("index").get_int();
  return d;
}

TensorMeta parse_tensor_meta(const JsonReader& r) {
  TensorMeta m;
  int64_t code = r.at("dtype").get_int();
  std::optional<DType> dtype = dtype_from_code(code);
  if (!dtype) r.at("dtype").fail(fmt::format("unknown dtype code {}", code));
  m.dtype = *dtype;
  r.at("sizes").for_each([&](const JsonReader& item) { m.sizes.push_back(parse_sym_int(item).expr); });
  r.at("strides").for_each([&](const JsonReader& item) { m.strides.push_back(parse_sym_int(item).expr); });
  if (m.sizes.size() != m.strides.size()) {
    r.fail(fmt::format("{} sizes but {} strides", m.sizes.size(), m.strides.size()));
  }
  m.storage_offset = parse_sym_int(r.at("storage_offset")).expr;
  m.device = parse_device(r.at("device"));
  int64_t layout = r.at("layout").get_int();
  std::optional<Layout> parsed_layout = layout_from_code(layout);
  if (!parsed_layout) r.at("layout").fail(fmt::format("unknown layout code {}", layout));
  m.layout = *parsed_layout;
  if (r.has("requires_grad")) m.requires_grad = r.at("requires_grad").get_bool();
  // Sizes, strides and the offset are never negative, and what they span fits in int64 bytes.
  const auto check_nonnegative = [&](const char* field, const std::vector<SymExpr>& values) {
    for (size_t i = 0; i < values.size(); ++i) {
      std::optional<int64_t> value = values[i].constant_value();
      if (value && *value < 0) r.at(field).fail(fmt::format("negative value {} at dim {}", *value, i));
    }
  };
  check_nonnegative("sizes", m.sizes);
  check_nonnegative("strides", m.strides);
  std::optional<int64_t> offset = m.storage_offset.constant_value();
  if (offset && *offset < 0) r.at("storage_offset").fail(fmt::format("negative offset {}", *offset));
  if (m.is_static() && !m.static_storage_bytes()) {
    r.fail(fmt::format("tensor {} spans more than 2^63 bytes", m.to_string()));
  }
  return m;
}

class GraphParser {
 public:
  explicit GraphParser(int depth) : depth_(depth) {}

  Graph parse(const JsonReader& r) {
    Graph g;
    r.at("inputs").for_each([&](const JsonReader& a) { g.inputs.push_back(parse_argument(a)); });
    r.at("outputs").for_each([&](const JsonReader& a) { g.outputs.push_back(parse_argument(a)); });
    r.at("nodes").for_each([&](const JsonReader& n) { g.nodes.push_back(parse_node(n)); });
    r.at("tensor_values").for_each_member([&](const std::string& name, const JsonReader& v) {
      g.tensor_values.emplace(name, parse_tensor_meta(v));
    });
    r.at("sym_int_values").for_each_member([&](const std::string& name, const JsonReader& v) {
      g.sym_int_values.emplace(name, parse_sym_int(v));
    });
    if (r.has("sym_bool_values")) {
      r.at("sym_bool_values").for_each_member([&](const std::string& name, const JsonReader& v) {
        g.sym_bool_values.emplace(name, parse_sym_bool(v));
      });
    }
    if (r.has("sym_float_values")) {
      r.at("sym_float_values").for_each_member([&](const std::string& name, const JsonReader& v) {
        g.sym_float_values.emplace(name, parse_sym_float(v));
      });
    }
    if (r.has("custom_obj_values")) {
      r.at("custom_obj_values").for_each_member([&](const std::string& name, const JsonReader& v) {
        g.custom_obj_values.emplace(name, v.at("class_fqn").get_string());
      });
    }
    if (r.has("is_single_tensor_return")) {
      g.is_single_tensor_return = r.at("is_single_tensor_return").get_bool();
    }
    return g;
  }

  Argument parse_argument(const JsonReader& r) {
    static const std::vector<std::string> kKeys = all_variant_keys();
    auto [key, v] = r.union_item(kKeys);
    Argument a;
    a.kind = kind_of(key);
    switch (a.kind) {
      case ArgKind::kNone:
        break;
      case ArgKind::kTensor:
        a.name = v.at("name").get_string();
        break;
      case ArgKind::kTensors:
        v.for_each([&](const JsonReader& t) { a.names.push_back(t.at("name").get_string()); });
        break;
      case ArgKind::kInt:
        a.int_value = v.get_int();
        break;
      case ArgKind::kInts:
        v.for_each([&](const JsonReader& i) { a.ints.push_back(i.get_int()); });
        break;
      case ArgKind::kFloat:
        a.float_value = v.get_float();
        break;
      case ArgKind::kFloats:
        v.for_each([&](const JsonReader& f) { a.floats.push_back(f.get_float()); });
        break;
      case ArgKind::kString:
        a.name = v.get_string();
        break;
      case ArgKind::kStrings:
        v.for_each([&](const JsonReader& s) { a.names.push_back(s.get_string()); });
        break;
      case ArgKind::kSymInt:
        a.refs.push_back(parse_ref(v, "as_int"));
        break;
      case ArgKind::kSymInts:
        v.for_each([&](const JsonReader& s) { a.refs.push_back(parse_ref(s, "as_int")); });
        break;
      case ArgKind::kSymBool:
        a.refs.push_back(parse_ref(v, "as_bool"));
        break;
      case ArgKind::kSymBools:
        v.for_each([&](const JsonReader& s) { a.refs.push_back(parse_ref(s, "as_bool")); });
        break;
      case ArgKind::kSymFloat:
        a.refs.push_back(parse_ref(v, "as_float"));
        break;
      case ArgKind::kSymFloats:
        v.for_each([&](const JsonReader& s) { a.refs.push_back(parse_ref(s, "as_float")); });
        break;
      case ArgKind::kScalarType: {
        a.int_value = v.get_int();
        if (!dtype_from_code(a.int_value)) v.fail(fmt::format("unknown dtype code {}", a.int_value));
        break;
      }
      case ArgKind::kMemoryFormat: {
        a.int_value = v.get_int();
        if (!memory_format_from_code(a.int_value))
          v.fail(fmt::format("unknown memory format code {}", a.int_value));
        break;
      }
      case ArgKind::kLayout: {
        a.int_value = v.get_int();
        if (!layout_from_code(a.int_value)) v.fail(fmt::format("unknown layout code {}", a.int_value));
        break;
      }
      case ArgKind::kDevice:
        a.device = parse_device(v);
        break;
      case ArgKind::kBool:
        a.bool_value = v.get_bool();
        break;
      case ArgKind::kBools:
        v.for_each([&](const JsonReader& b) { a.bools.push_back(b.get_bool()); });
        break;
      case ArgKind::kGraph: {
        if (depth_ >= kMaxGraphDepth) v.fail("subgraphs nested too deeply");
        a.graph.name = v.at("name").get_string();
        a.graph.graph = std::make_shared<Graph>(GraphParser(depth_ + 1).parse(v.at("graph")));
        break;
      }
      case ArgKind::kOptionalTensors:
        v.for_each([&](const JsonReader& t) { a.refs.push_back(parse_optional_tensor(t)); });
        break;
      case ArgKind::kOptionalTensor:
        a.refs.push_back(parse_optional_tensor(v));
        break;
      case ArgKind::kCustomObj:
        a.name = v.at("name").get_string();
        a.class_fqn = v.at("class_fqn").get_string();
        break;
      case ArgKind::kOperator:
        a.name = v.get_string();
        break;
      case ArgKind::kComplex:
        a.float_value = v.at("real").get_float();
        a.imag_value = v.at("imag").get_float();
        break;
      case ArgKind::kNestedTensors:
        v.for_each([&](const JsonReader& list) {
          std::vector<std::string> names;
          list.for_each([&](const JsonReader& t) { names.push_back(t.at("name").get_string()); });
          a.nested_names.push_back(std::move(names));
        });
        break;
      case ArgKind::kIntLists:
        v.for_each([&](const JsonReader& list) {
          std::vector<int64_t> ints;
          list.for_each([&](const JsonReader& i) { ints.push_back(i.get_int()); });
          a.int_lists.push_back(std::move(ints));
        });
        break;
      case ArgKind::kStringToArgument:
        if (depth_ >= kMaxGraphDepth) v.fail("arguments nested too deeply");
        v.for_each_member([&](const std::string& k, const JsonReader& item) {
          a.dict.emplace_back(k, GraphParser(depth_ + 1).parse_argument(item));
        });
        break;
    }
    return a;
  }

 private:
  static const std::vector<std::pair<std::string, ArgKind>>& variants() {
    static const std::vector<std::pair<std::string, ArgKind>> kVariants = [] {
      std::vector<std::pair<std::string, ArgKind>> out;
      for (int k = 0; k <= static_cast<int>(ArgKind::kStringToArgument); ++k) {
        out.emplace_back(arg_kind_key(static_cast<ArgKind>(k)), static_cast<ArgKind>(k));
      }
      return out;
    }();
    return kVariants;
  }

  static std::vector<std::string> all_variant_keys() {
    std::vector<std::string> keys;
    for (const auto& [key, kind] : variants()) keys.push_back(key);
    return keys;
  }

  static ArgKind kind_of(const std::string& key) {
    for (const auto& [k, kind] : variants()) {
      if (k == key) return kind;
    }
    AOTIC_CHECK(false, "union_item returned an unlisted key " + key);
  }

  /// SymIntArgument / SymBoolArgument / SymFloatArgument: {"as_name": ...} or a literal.
  static ValueRef parse_ref(const JsonReader& r, const std::string& literal_key) {
    auto [key, v] = r.union_item({"as_name", literal_key});
    ValueRef ref;
    if (key == "as_name") {
      ref.kind = ValueRef::Kind::kName;
      ref.name = v.get_string();
    } else if (key == "as_int") {
      ref.kind = ValueRef::Kind::kInt;
      ref.int_value = v.get_int();
    } else if (key == "as_bool") {
      ref.kind = ValueRef::Kind::kBool;
      ref.bool_value = v.get_bool();
    } else {
      ref.kind = ValueRef::Kind::kFloat;
      ref.float_value = v.get_float();
    }
    return ref;
  }

  static ValueRef parse_optional_tensor(const JsonReader& r) {
    auto [key, v] = r.union_item({"as_tensor", "as_none"});
    ValueRef ref;
    if (key == "as_tensor") {
      ref.kind = ValueRef::Kind::kName;
      ref.name = v.at("name").get_string();
    }
    return ref;
  }

  Node parse_node(const JsonReader& r) {
    Node n;
    if (r.has("name") && !r.at("name").is_null()) n.name = r.at("name").get_string();
    JsonReader named = r.with_label(n.name);
    n.target = named.at("target").get_string();
    if (n.target.empty()) named.at("target").fail("empty target");
    named.at("inputs").for_each([&](const JsonReader& input) {
      NamedArgument na;
      na.name = input.at("name").get_string();
      JsonReader labelled = input.with_label(na.name);
      na.arg = parse_argument(labelled.at("arg"));
      if (input.has("kind") && !input.at("kind").is_null()) {
        int64_t kind = input.at("kind").get_int();
        if (kind < 0 || kind > 2) labelled.at("kind").fail(fmt::format("unknown argument kind {}", kind));
        na.passing = static_cast<ArgPassing>(kind);
      }
      n.inputs.push_back(std::move(na));
    });
    named.at("outputs").for_each([&](const JsonReader& o) { n.outputs.push_back(parse_argument(o)); });
    if (named.has("metadata") && !named.at("metadata").is_null()) {
      named.at("metadata").for_each_member([&](const std::string& k, const JsonReader& v) {
        n.metadata.emplace(k, v.get_string());
      });
    }
    if (named.has("is_hop_single_tensor_return") && !named.at("is_hop_single_tensor_return").is_null()) {
      n.is_hop_single_tensor_return = named.at("is_hop_single_tensor_return").get_bool();
    }
    return n;
  }

  int depth_;
};

std::string tensor_arg_name(const JsonReader& r) { return r.at("name").get_string(); }

InputSpec parse_input_spec(const JsonReader& r) {
  auto [key, v] = r.union_item(
      {"user_input", "parameter", "buffer", "tensor_constant", "custom_obj", "token", "constant_input"});
  InputSpec spec;
  GraphParser args(0);
  if (key == "user_input") {
    spec.kind = InputKind::kUserInput;
    spec.arg = args.parse_argument(v.at("arg"));
  } else if (key == "parameter") {
    spec.kind = InputKind::kParameter;
    spec.arg.kind = ArgKind::kTensor;
    spec.arg.name = tensor_arg_name(v.at("arg"));
    spec.fqn = v.at("parameter_name").get_string();
  } else if (key == "buffer") {
    spec.kind = InputKind::kBuffer;
    spec.arg.kind = ArgKind::kTensor;
    spec.arg.name = tensor_arg_name(v.at("arg"));
    spec.fqn = v.at("buffer_name").get_string();
    if (v.has("persistent")) spec.persistent = v.at("persistent").get_bool();
  } else if (key == "tensor_constant") {
    spec.kind = InputKind::kTensorConstant;
    spec.arg.kind = ArgKind::kTensor;
    spec.arg.name = tensor_arg_name(v.at("arg"));
    spec.fqn = v.at("tensor_constant_name").get_string();
  } else if (key == "custom_obj") {
    spec.kind = InputKind::kCustomObj;
    spec.arg.kind = ArgKind::kCustomObj;
    spec.arg.name = v.at("arg").at("name").get_string();
    spec.arg.class_fqn = v.at("arg").at("class_fqn").get_string();
    spec.fqn = v.at("custom_obj_name").get_string();
  } else if (key == "token") {
    spec.kind = InputKind::kToken;
    spec.arg.kind = ArgKind::kTensor;
    spec.arg.name = tensor_arg_name(v.at("arg"));
  } else {
    spec.kind = InputKind::kConstantInput;
    spec.arg.kind = ArgKind::kString;
    spec.arg.name = v.at("name").get_string();
    auto [ckey, cv] = v.at("value").union_item({"as_none", "as_int", "as_float", "as_string", "as_bool"});
    Argument& c = spec.constant_value;
    if (ckey == "as_none") c.kind = ArgKind::kNone;
    if (ckey == "as_int") c.kind = ArgKind::kInt, c.int_value = cv.get_int();
    if (ckey == "as_float") c.kind = ArgKind::kFloat, c.float_value = cv.get_float();
    if (ckey == "as_string") c.kind = ArgKind::kString, c.name = cv.get_string();
    if (ckey == "as_bool") c.kind = ArgKind::kBool, c.bool_value = cv.get_bool();
  }
  return spec;
}

OutputSpec parse_output_spec(const JsonReader& r) {
  static const std::vector<std::pair<std::string, OutputKind>> kKinds = {
      {"user_output", OutputKind::kUserOutput},
      {"loss_output", OutputKind::kLossOutput},
      {"buffer_mutation", OutputKind::kBufferMutation},
      {"gradient_to_parameter", OutputKind::kGradientToParameter},
      {"gradient_to_user_input", OutputKind::kGradientToUserInput},
      {"user_input_mutation", OutputKind::kUserInputMutation},
      {"token", OutputKind::kToken},
      {"parameter_mutation", OutputKind::kParameterMutation},
  };
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> keys;
    keys.reserve(kKinds.size());
    for (const auto& [k, kind] : kKinds) keys.push_back(k);
    return keys;
  }();
  auto [key, v] = r.union_item(kKeys);
  OutputSpec spec;
  for (const auto& [k, kind] : kKinds) {
    if (k == key) spec.kind = kind;
  }
  if (spec.kind == OutputKind::kUserOutput) {
    spec.arg = GraphParser(0).parse_argument(v.at("arg"));
    return spec;
  }
  spec.arg.kind = ArgKind::kTensor;
  spec.arg.name = tensor_arg_name(v.at("arg"));
  for (const char* field : {"buffer_name", "parameter_name", "user_input_name"}) {
    if (v.has(field)) spec.target = v.at(field).get_string();
  }
  return spec;
}

}  // namespace

void parse_model_json(std::string_view text, Program& program) {
  json doc = parse_json_document(text);
  JsonReader root(doc, "");

  // The version decides how to read the rest, so it is checked first.
  JsonReader version = root.at("schema_version");
  program.schema_major = version.at("major").get_int();
  program.schema_minor = version.at("minor").get_int();
  if (program.schema_major != kSupportedSchemaMajor) {
    user_error("unsupported schema version {}.{} (aotic reads major version {})", program.schema_major,
               program.schema_minor, kSupportedSchemaMajor);
  }

  JsonReader module = root.at("graph_module");
  program.graph = GraphParser(0).parse(module.at("graph"));
  JsonReader signature = module.at("signature");
  signature.at("input_specs").for_each([&](const JsonReader& s) {
    program.signature.inputs.push_back(parse_input_spec(s));
  });
  signature.at("output_specs").for_each([&](const JsonReader& s) {
    program.signature.outputs.push_back(parse_output_spec(s));
  });

  if (module.has("module_call_graph")) {
    module.at("module_call_graph").for_each([&](const JsonReader& entry) {
      if (entry.at("fqn").get_string() != "" || !entry.has("signature") || entry.at("signature").is_null())
        return;
      JsonReader sig = entry.at("signature");
      program.in_spec = sig.at("in_spec").get_string();
      program.out_spec = sig.at("out_spec").get_string();
      if (sig.has("forward_arg_names") && !sig.at("forward_arg_names").is_null()) {
        sig.at("forward_arg_names").for_each([&](const JsonReader& name) {
          program.forward_arg_names.push_back(name.get_string());
        });
      }
    });
  }

  if (root.has("range_constraints")) {
    root.at("range_constraints").for_each_member([&](const std::string& name, const JsonReader& v) {
      RangeConstraint c;
      if (v.has("min_val") && !v.at("min_val").is_null()) c.min = v.at("min_val").get_int();
      if (v.has("max_val") && !v.at("max_val").is_null()) c.max = v.at("max_val").get_int();
      if (c.min && c.max && *c.min > *c.max) v.fail(fmt::format("empty range {}", c.to_string()));
      program.range_constraints.emplace(name, c);
    });
  }
  if (root.has("opset_version")) {
    root.at("opset_version").for_each_member([&](const std::string& name, const JsonReader& v) {
      program.opset_version.emplace(name, v.get_int());
    });
  }
  if (root.has("torch_version")) program.torch_version = root.at("torch_version").get_string();
  if (root.has("verifiers")) {
    root.at("verifiers").for_each([&](const JsonReader& v) { program.verifiers.push_back(v.get_string()); });
  }
}

TensorMeta read_tensor_meta(const JsonReader& reader) { return parse_tensor_meta(reader); }

Argument read_argument(const JsonReader& reader) { return GraphParser(0).parse_argument(reader); }

}  // namespace aotic::ir
