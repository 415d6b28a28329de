#include "ir/verify.h"

#include <map>
#include <set>

#include "ir/error.h"

namespace aotic::ir {
namespace {

using Kind = SchemaType::Kind;

/// Python-level operations on sizes that torch.export records with these targets.
const std::set<std::string>& builtin_targets() {
  static const std::set<std::string> kTargets = {
      "<built-in function getitem>",
      "_operator.getitem",
      "torch.ops.higher_order.cond",
      "_operator.add",
      "_operator.sub",
      "_operator.mul",
      "_operator.floordiv",
      "_operator.truediv",
      "_operator.mod",
      "_operator.pow",
      "_operator.neg",
      "_operator.eq",
      "_operator.ne",
      "_operator.lt",
      "_operator.le",
      "_operator.gt",
      "_operator.ge",
      "_operator.and_",
      "_operator.or_",
      "_operator.not_",
      "torch.sym_max",
      "torch.sym_min",
      "torch.sym_not",
      "torch.sym_float",
      "torch.sym_int",
      "torch.sym_ite",
      "math.ceil",
      "math.floor",
      "math.trunc",
      "builtins.round",
  };
  return kTargets;
}

bool accepts(const SchemaType& type, ArgKind kind);

bool list_accepts(const SchemaType& elem, ArgKind kind) {
  switch (elem.kind) {
    case Kind::Tensor:
      return kind == ArgKind::kTensors;
    case Kind::Int:
    case Kind::SymInt:
      return kind == ArgKind::kInts || kind == ArgKind::kSymInts;
    case Kind::Float:
    case Kind::SymFloat:
      return kind == ArgKind::kFloats || kind == ArgKind::kSymFloats;
    case Kind::Bool:
    case Kind::SymBool:
      return kind == ArgKind::kBools || kind == ArgKind::kSymBools;
    case Kind::Str:
      return kind == ArgKind::kStrings;
    case Kind::Scalar:
      return kind == ArgKind::kInts || kind == ArgKind::kFloats || kind == ArgKind::kSymInts;
    case Kind::Optional:
      if (!elem.elems.empty() && elem.elems[0].kind == Kind::Tensor) {
        return kind == ArgKind::kOptionalTensors || kind == ArgKind::kTensors;
      }
      return !elem.elems.empty() && list_accepts(elem.elems[0], kind);
    case Kind::List:
      return kind == ArgKind::kIntLists || kind == ArgKind::kNestedTensors;
    case Kind::Any:
    case Kind::TypeVar:
      return true;
    default:
      return false;
  }
}

/// Whether an argument serialized as `kind` can bind to a parameter of schema type `type`.
bool accepts(const SchemaType& type, ArgKind kind) {
  switch (type.kind) {
    case Kind::Tensor:
      // Python numbers passed where a Tensor is expected (x * 2 -> aten.mul.Tensor) are exported
      // as literals and become wrapped-number tensors.
      return kind == ArgKind::kTensor || kind == ArgKind::kInt || kind == ArgKind::kFloat ||
             kind == ArgKind::kBool || kind == ArgKind::kSymInt || kind == ArgKind::kSymFloat;
    case Kind::Int:
    case Kind::SymInt:
      return kind == ArgKind::kInt || kind == ArgKind::kSymInt;
    case Kind::Float:
    case Kind::SymFloat:
      return kind == ArgKind::kFloat || kind == ArgKind::kSymFloat || kind == ArgKind::kInt;
    case Kind::Bool:
    case Kind::SymBool:
      return kind == ArgKind::kBool || kind == ArgKind::kSymBool;
    case Kind::Str:
      return kind == ArgKind::kString;
    case Kind::Scalar:
      return kind == ArgKind::kInt || kind == ArgKind::kFloat || kind == ArgKind::kBool ||
             kind == ArgKind::kSymInt || kind == ArgKind::kSymFloat || kind == ArgKind::kSymBool ||
             kind == ArgKind::kComplex;
    case Kind::Complex:
      return kind == ArgKind::kComplex || kind == ArgKind::kFloat || kind == ArgKind::kInt;
    case Kind::ScalarType:
      return kind == ArgKind::kScalarType;
    case Kind::Layout:
      return kind == ArgKind::kLayout;
    case Kind::Device:
      return kind == ArgKind::kDevice || kind == ArgKind::kString;
    case Kind::MemoryFormat:
      return kind == ArgKind::kMemoryFormat;
    case Kind::Optional:
      if (kind == ArgKind::kNone) return true;
      if (!type.elems.empty() && type.elems[0].kind == Kind::Tensor && kind == ArgKind::kOptionalTensor) {
        return true;
      }
      return !type.elems.empty() && accepts(type.elems[0], kind);
    case Kind::List:
      return !type.elems.empty() && list_accepts(type.elems[0], kind);
    case Kind::Generator:
      return kind == ArgKind::kNone;
    case Kind::NoneType:
      return kind == ArgKind::kNone;
    case Kind::Any:
    case Kind::TypeVar:
      return true;
    case Kind::Other:
      return kind == ArgKind::kCustomObj;
    default:
      return false;
  }
}

/// Walks one graph in order, tracking which values are defined.
class GraphVerifier {
 public:
  GraphVerifier(const SchemaRegistry& schemas, std::map<std::string, std::string>& unknown_ops)
      : schemas_(schemas), unknown_ops_(unknown_ops) {}

  void run(const Graph& graph, const std::string& where) {
    for (const Argument& input : graph.inputs) define(graph, input, where + "graph input");
    for (const Node& node : graph.nodes) check_node(graph, node, where);
    for (size_t i = 0; i < graph.outputs.size(); ++i) {
      use(graph.outputs[i], fmt::format("{}graph output {}", where, i));
    }
  }

 private:
  void define(const Graph& graph, const Argument& arg, const std::string& where) {
    for (const std::string& name : arg.value_names()) {
      if (!defined_.insert(name).second) user_error("{}: value '{}' is defined twice", where, name);
      bool is_tensor = arg.kind == ArgKind::kTensor || arg.kind == ArgKind::kTensors ||
                       arg.kind == ArgKind::kOptionalTensor || arg.kind == ArgKind::kOptionalTensors;
      if (is_tensor && graph.find_tensor(name) == nullptr) {
        user_error("{}: tensor '{}' has no entry in tensor_values", where, name);
      }
    }
  }

  void use(const Argument& arg, const std::string& where) {
    for (const std::string& name : arg.value_names()) {
      if (defined_.count(name) == 0) user_error("{}: value '{}' is used before it is defined", where, name);
    }
  }

  void check_node(const Graph& graph, const Node& node, const std::string& where) {
    std::string place = fmt::format("{}node '{}' ({})", where, node.name, node.op_name());
    for (const NamedArgument& input : node.inputs) {
      if (input.arg.kind == ArgKind::kGraph) {
        // Subgraphs see only their own inputs; they are checked with a fresh scope.
        GraphVerifier(schemas_, unknown_ops_)
            .run(*input.arg.graph.graph, place + ": subgraph '" + input.arg.graph.name + "': ");
        continue;
      }
      use(input.arg, place + ": argument '" + input.name + "'");
    }
    if (!is_builtin_target(node.target)) check_schema(node, place);
    for (const Argument& output : node.outputs) define(graph, output, place + ": output");
  }

  void check_schema(const Node& node, const std::string& place) {
    const OpSchema* schema = schemas_.find(node.target);
    if (schema == nullptr) {
      unknown_ops_.emplace(node.target, node.name);
      return;
    }
    std::set<std::string> given;
    for (const NamedArgument& input : node.inputs) {
      const SchemaArgument* param = schema->find_argument(input.name);
      if (param == nullptr) {
        user_error("{}: argument '{}' is not in the schema {}", place, input.name, schema->qualified_name());
      }
      if (!given.insert(input.name).second) user_error("{}: argument '{}' is given twice", place, input.name);
      if (!accepts(param->type, input.arg.kind)) {
        user_error("{}: argument '{}': expected {}, got {}", place, input.name, param->type.to_string(),
                   arg_kind_key(input.arg.kind));
      }
    }
    for (const SchemaArgument& param : schema->arguments) {
      if (given.count(param.name) || param.default_text) continue;
      user_error("{}: missing required argument '{}' ({})", place, param.name, param.type.to_string());
    }
  }

  const SchemaRegistry& schemas_;
  std::map<std::string, std::string>& unknown_ops_;  // target -> first node
  std::set<std::string> defined_;
};

}  // namespace

bool is_builtin_target(const std::string& target) { return builtin_targets().count(target) > 0; }

void verify_program(const Program& program, const SchemaRegistry& schemas) {
  std::map<std::string, std::string> unknown_ops;
  GraphVerifier(schemas, unknown_ops).run(program.graph, "");
  if (!unknown_ops.empty()) {
    std::string list;
    for (const auto& [op, node] : unknown_ops) {
      list += fmt::format("{}{} (node '{}')", list.empty() ? "" : ", ", op, node);
    }
    user_error("unknown operator{}: {}", unknown_ops.size() > 1 ? "s" : "", list);
  }

  const Graph& g = program.graph;
  const Signature& sig = program.signature;
  if (sig.inputs.size() != g.inputs.size()) {
    user_error("signature has {} inputs but the graph has {}", sig.inputs.size(), g.inputs.size());
  }
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    if (sig.inputs[i].arg.value_names() != g.inputs[i].value_names()) {
      user_error("signature input {} ({}) does not match graph input {}", i, sig.inputs[i].arg.to_string(),
                 g.inputs[i].to_string());
    }
  }
  if (sig.outputs.size() != g.outputs.size()) {
    user_error("signature has {} outputs but the graph has {}", sig.outputs.size(), g.outputs.size());
  }
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    if (sig.outputs[i].arg.value_names() != g.outputs[i].value_names()) {
      user_error("signature output {} ({}) does not match graph output {}", i, sig.outputs[i].arg.to_string(),
                 g.outputs[i].to_string());
    }
  }
}

}  // namespace aotic::ir
