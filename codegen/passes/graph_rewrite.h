// Helpers for the passes that rewrite the program itself before import_graph (fold_batch_norm,
// fuse_conv_relu, to_channels_last, pack_conv_weights): building arguments and nodes, reading literal
// arguments, counting readers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/builtin_schemas.h"
#include "ir/graph.h"

namespace aotic::codegen::graph_rewrite {

inline ir::Argument tensor_arg(const std::string& name) {
  ir::Argument a;
  a.kind = ir::ArgKind::kTensor;
  a.name = name;
  return a;
}

inline ir::Argument float_arg(double value) {
  ir::Argument a;
  a.kind = ir::ArgKind::kFloat;
  a.float_value = value;
  return a;
}

inline ir::Argument ints_arg(const std::vector<int64_t>& values) {
  ir::Argument a;
  a.kind = ir::ArgKind::kInts;
  a.ints = values;
  return a;
}

inline ir::Argument int_arg(int64_t value) {
  ir::Argument a;
  a.kind = ir::ArgKind::kInt;
  a.int_value = value;
  return a;
}

/// The tensor a node passes for `param`, or "" (absent or None).
inline std::string tensor_input(const ir::Node& node, const std::string& param) {
  const ir::NamedArgument* given = node.find_input(param);
  return given != nullptr && given->arg.kind == ir::ArgKind::kTensor ? given->arg.name : "";
}

/// A `Tensor?` argument: true with `name` set (or "" for None or absent) unless it is something
/// else.
inline bool optional_tensor_input(const ir::Node& node, const std::string& param, std::string* name) {
  *name = tensor_input(node, param);
  const ir::NamedArgument* given = node.find_input(param);
  return !name->empty() || given == nullptr || given->arg.kind == ir::ArgKind::kNone;
}

/// aten.convolution with transposed=False (a literal), or aten.conv1d/conv2d/conv3d.
inline bool forward_convolution(const ir::Node& node) {
  const std::string op = node.op_name();
  if (op == "aten.conv1d.default" || op == "aten.conv2d.default" || op == "aten.conv3d.default") return true;
  if (op != "aten.convolution.default") return false;
  const ir::NamedArgument* transposed = node.find_input("transposed");
  return transposed != nullptr && transposed->arg.kind == ir::ArgKind::kBool && !transposed->arg.bool_value;
}

/// An `int[2]` argument given as literals: absent means `fallback` twice, one value is repeated.
/// False when it is anything else.
inline bool int_pair(const ir::Node& node, const std::string& param, int64_t fallback,
                     std::vector<int64_t>* out) {
  const ir::NamedArgument* given = node.find_input(param);
  if (given == nullptr) {
    *out = {fallback, fallback};
    return true;
  }
  const ir::Argument& a = given->arg;
  std::vector<int64_t> v;
  if (a.kind == ir::ArgKind::kInts) {
    v = a.ints;
  } else if (a.kind == ir::ArgKind::kInt) {
    v = {a.int_value};
  } else if (a.kind == ir::ArgKind::kSymInts) {
    for (const ir::ValueRef& r : a.refs) {
      if (r.kind != ir::ValueRef::Kind::kInt) return false;
      v.push_back(r.int_value);
    }
  } else {
    return false;
  }
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2) return false;
  *out = v;
  return true;
}

/// How many node inputs and graph outputs read each value (a subgraph's nodes read only its own
/// inputs, bound to the node's operands).
inline std::map<std::string, int> count_reads(const ir::Graph& graph) {
  std::map<std::string, int> reads;
  for (const ir::Node& node : graph.nodes) {
    for (const ir::NamedArgument& in : node.inputs) {
      for (const std::string& n : in.arg.value_names()) ++reads[n];
    }
  }
  for (const ir::Argument& out : graph.outputs) {
    for (const std::string& n : out.value_names()) ++reads[n];
  }
  return reads;
}

/// The graph inputs fed from weights and tensor constants.
inline std::set<std::string> constant_inputs(const ir::Program& program) {
  std::set<std::string> names;
  for (const ir::InputSpec& spec : program.signature.inputs) {
    if (spec.kind == ir::InputKind::kParameter || spec.kind == ir::InputKind::kBuffer ||
        spec.kind == ir::InputKind::kTensorConstant) {
      names.insert(spec.arg.name);
    }
  }
  return names;
}

/// The values computed from constants alone: the constant inputs, and the tensor results of every
/// node whose inputs (at least one) are all such values.
inline std::set<std::string> constant_values(const ir::Program& program) {
  std::set<std::string> constant = constant_inputs(program);
  for (const ir::Node& node : program.graph.nodes) {
    bool reads_constants_only = !node.inputs.empty(), reads_anything = false;
    for (const ir::NamedArgument& in : node.inputs) {
      for (const std::string& n : in.arg.value_names()) {
        reads_anything = true;
        if (constant.count(n) == 0) reads_constants_only = false;
      }
    }
    if (!reads_anything || !reads_constants_only) continue;
    for (const ir::Argument& out : node.outputs) {
      if (out.kind == ir::ArgKind::kTensor) constant.insert(out.name);
    }
  }
  return constant;
}

/// A node calling `target` ("torch.ops.mkldnn._convolution_pointwise.default") with keyword
/// arguments, its one result named `result`.
inline ir::Node op_node(const std::string& target, std::vector<ir::NamedArgument> inputs,
                        const std::string& result) {
  ir::Node node;
  node.name = result;
  node.target = target;
  node.inputs = std::move(inputs);
  for (ir::NamedArgument& in : node.inputs) in.passing = ir::ArgPassing::kKeyword;
  node.outputs.push_back(tensor_arg(result));
  return node;
}

/// A node calling `aten.<op>`.
inline ir::Node aten_node(const std::string& op, std::vector<ir::NamedArgument> inputs,
                          const std::string& result) {
  return op_node("torch.ops.aten." + op, std::move(inputs), result);
}

/// A `Tensor?` argument: the value `name`, or None for "".
inline ir::Argument optional_tensor_arg(const std::string& name) {
  return name.empty() ? ir::Argument{} : tensor_arg(name);
}

/// A Scalar argument `param` that is absent or 1.
inline bool unit_scalar(const ir::Node& node, const std::string& param) {
  const ir::NamedArgument* given = node.find_input(param);
  if (given == nullptr) return true;
  return (given->arg.kind == ir::ArgKind::kInt && given->arg.int_value == 1) ||
         (given->arg.kind == ir::ArgKind::kFloat && given->arg.float_value == 1.0);
}

/// Whether `node` writes a tensor (an in-place op, copy_, an out= overload), by its schema.
inline bool writes_tensor(const ir::Node& node) {
  const ir::OpSchema* schema = ir::builtin_schemas().find(node.target);
  return schema != nullptr && schema->is_mutable();
}

/// Whether a node of `graph` after `from` and before `to`, other than `except`, writes a tensor. A
/// fusion that moves reads from node `from` to node `to` must not pass such an update (an in-place
/// op functionalize kept): the moved reads would see the tensor updated.
inline bool writes_between(const ir::Graph& graph, size_t from, size_t to,
                           std::optional<size_t> except = std::nullopt) {
  for (size_t k = from + 1; k < to; ++k) {
    if (k != except && writes_tensor(graph.nodes[k])) return true;
  }
  return false;
}

/// Whether `node`'s results may share storage with its inputs: its schema annotates a result as
/// an alias of an argument (a view, `Tensor(a)`, or an in-place update, `Tensor(a!)`), or it has no
/// schema (higher-order ops, getitem).
inline bool may_alias_inputs(const ir::Node& node) {
  const ir::OpSchema* schema = ir::builtin_schemas().find(node.target);
  if (schema == nullptr) return true;
  for (const ir::SchemaArgument& r : schema->returns) {
    if (r.alias.has_value()) return true;
  }
  return false;
}

/// An add's alpha is absent or 1.
inline bool unit_alpha(const ir::Node& add) { return unit_scalar(add, "alpha"); }

/// A name no value of `graph` has: `base`, else `base_1`, `base_2`, ...
inline std::string fresh_name(const ir::Graph& graph, const std::string& base) {
  std::string name = base;
  for (int n = 1; graph.tensor_values.count(name) != 0; ++n) name = base + "_" + std::to_string(n);
  return name;
}

/// The export's MemoryFormat codes.
constexpr int64_t kContiguousFormat = 1;
constexpr int64_t kChannelsLastFormat = 2;

/// A `MemoryFormat` argument.
inline ir::Argument memory_format_arg(int64_t code) {
  ir::Argument a;
  a.kind = ir::ArgKind::kMemoryFormat;
  a.int_value = code;
  return a;
}

/// Values `a` and `b` have one dtype and the same sizes (symbolic ones spelled alike).
inline bool same_type(const ir::Graph& graph, const std::string& a, const std::string& b) {
  const ir::TensorMeta* x = graph.find_tensor(a);
  const ir::TensorMeta* y = graph.find_tensor(b);
  if (x == nullptr || y == nullptr || x->dtype != y->dtype || x->sizes.size() != y->sizes.size())
    return false;
  for (size_t d = 0; d < x->sizes.size(); ++d) {
    if (x->sizes[d].to_string() != y->sizes[d].to_string()) return false;
  }
  return true;
}

}  // namespace aotic::codegen::graph_rewrite
