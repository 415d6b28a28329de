// fold_batch_norm: a batch norm in inference mode whose input is a convolution's result, and
// nothing else reads that result, is folded into the convolution when the weights, biases and
// running statistics are all constants. With scale = gamma / sqrt(running_var + eps):
//
//   conv = convolution(x, w, b)                 scale = mul(gamma, rsqrt(add(running_var, eps)))
//   bn = batch_norm(conv, gamma, beta,     =>   w2 = mul(w, reshape(scale, [C, 1, 1, 1]))
//                   running_mean,               b2 = add(mul(sub(b, running_mean), scale), beta)
//                   running_var, eps)           bn = convolution(x, w2, b2)
//
// The new ops read constants only, so fold_constants moves them to fold(): the model runs one
// convolution and no batch norm, and updating any of the original constants refolds them. It
// rewrites the program itself (a copy), before import_graph, since it adds graph values.
// Float32 and float64 only: folding in a 16-bit type would round the weights once more.
#include <set>

#include <fmt/format.h>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::aten_node;
using graph_rewrite::float_arg;
using graph_rewrite::ints_arg;
using graph_rewrite::tensor_arg;
using graph_rewrite::tensor_input;
using ir::ArgKind;
using ir::NamedArgument;
using ir::Node;

class BatchNormFolder {
 public:
  explicit BatchNormFolder(ir::Program& program)
      : graph_(program.graph),
        constants_(graph_rewrite::constant_inputs(program)),
        reads_(graph_rewrite::count_reads(program.graph)) {}

  bool run() {
    std::vector<Node> nodes;
    nodes.reserve(graph_.nodes.size());
    bool changed = false;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Node& node = graph_.nodes[i];
      // The node defining its first input, if any.
      size_t conv = nodes.size();
      if (!node.inputs.empty() && node.inputs[0].arg.kind == ArgKind::kTensor) {
        for (size_t j = nodes.size(); j-- > 0 && conv == nodes.size();) {
          const Node& candidate = nodes[j];
          if (candidate.outputs.size() == 1 && candidate.outputs[0].kind == ArgKind::kTensor &&
              candidate.outputs[0].name == node.inputs[0].arg.name) {
            conv = j;
          }
        }
      }
      if (conv < nodes.size() && fold(node, conv, nodes)) {
        changed = true;
        continue;  // the batch norm is gone: the convolution now gives its result
      }
      nodes.push_back(std::move(node));
    }
    graph_.nodes = std::move(nodes);
    return changed;
  }

 private:
  /// The batch norm's parameters, when `node` is one in inference mode.
  struct BatchNorm {
    std::string input, gamma, beta, mean, var;
    double eps = 0;
  };

  static bool batch_norm(const Node& node, BatchNorm* bn) {
    const std::string op = node.op_name();
    const bool legit = op == "aten._native_batch_norm_legit_no_training.default";
    if (!legit && op != "aten.batch_norm.default" && op != "aten.native_batch_norm.default") return false;
    if (!legit) {
      const NamedArgument* training = node.find_input("training");
      if (training == nullptr || training->arg.kind != ArgKind::kBool || training->arg.bool_value)
        return false;
    }
    const NamedArgument* eps = node.find_input("eps");
    if (eps == nullptr || eps->arg.kind != ArgKind::kFloat) return false;
    bn->eps = eps->arg.float_value;
    bn->input = tensor_input(node, "input");
    bn->gamma = tensor_input(node, "weight");
    bn->beta = tensor_input(node, "bias");
    bn->mean = tensor_input(node, "running_mean");
    bn->var = tensor_input(node, "running_var");
    return !bn->input.empty() && !bn->mean.empty() && !bn->var.empty();
  }

  bool fold(const Node& node, size_t conv_index, std::vector<Node>& nodes) {
    const Node& conv = nodes[conv_index];
    BatchNorm bn;
    if (!batch_norm(node, &bn) || !graph_rewrite::forward_convolution(conv)) return false;
    const std::string weight = tensor_input(conv, "weight");
    std::string bias;
    if (!graph_rewrite::optional_tensor_input(conv, "bias", &bias)) return false;
    // Everything folded is a constant; the convolution's result feeds the batch norm alone, and
    // only the batch norm's first result is read.
    for (const std::string& c : {weight, bn.mean, bn.var}) {
      if (constants_.count(c) == 0) return false;
    }
    for (const std::string& c : {bias, bn.gamma, bn.beta}) {
      if (!c.empty() && constants_.count(c) == 0) return false;
    }
    if (reads_[bn.input] != 1 || node.outputs.empty()) return false;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o].kind != ArgKind::kTensor) return false;
      if (o > 0 && reads_[node.outputs[o].name] != 0) return false;
    }
    const ir::TensorMeta* w = graph_.find_tensor(weight);
    const ir::TensorMeta* out = graph_.find_tensor(node.outputs[0].name);
    const ir::TensorMeta* in = graph_.find_tensor(bn.input);
    if (w == nullptr || out == nullptr || in == nullptr || !w->is_static() || w->sizes.empty()) return false;
    const ir::DType dtype = w->dtype;
    if (dtype != ir::DType::kFloat32 && dtype != ir::DType::kFloat64) return false;
    for (const std::string& c : {bias, bn.gamma, bn.beta, bn.mean, bn.var}) {
      const ir::TensorMeta* m = c.empty() ? nullptr : graph_.find_tensor(c);
      if (!c.empty() && (m == nullptr || m->dtype != dtype || m->sizes.size() != 1)) return false;
    }
    if (out->dtype != dtype || in->dtype != dtype) return false;
    const int64_t channels = *w->sizes[0].constant_value();
    for (const std::string& c : {bias, bn.gamma, bn.beta, bn.mean, bn.var}) {
      const ir::TensorMeta* m = c.empty() ? nullptr : graph_.find_tensor(c);
      if (m != nullptr && m->sizes[0].constant_value() != channels) return false;
    }

    place_ = conv.name.empty() ? node.outputs[0].name : conv.name;
    device_ = w->device;
    dtype_ = dtype;
    // The convolution moves after the new ops; it now gives the batch norm's result.
    Node folded = std::move(nodes[conv_index]);
    nodes.erase(nodes.begin() + static_cast<std::ptrdiff_t>(conv_index));
    const std::vector<int64_t> vec = {channels};
    // scale = [gamma *] rsqrt(running_var + eps)
    std::string scale = add_node(
        nodes, "add.Scalar", {{"self", tensor_arg(bn.var)}, {"other", float_arg(bn.eps)}}, "var_eps", vec);
    scale = add_node(nodes, "rsqrt.default", {{"self", tensor_arg(scale)}}, "inv_std", vec);
    if (!bn.gamma.empty()) {
      scale = add_node(nodes, "mul.Tensor", {{"self", tensor_arg(bn.gamma)}, {"other", tensor_arg(scale)}},
                       "scale", vec);
    }
    // w2 = w * scale, broadcast over the output channels
    std::vector<int64_t> shape(w->sizes.size(), 1);
    shape[0] = channels;
    const std::string scale_nd =
        add_node(nodes, "reshape.default", {{"self", tensor_arg(scale)}, {"shape", ints_arg(shape)}},
                 "scale_nd", shape);
    std::vector<int64_t> w_sizes;
    for (const ir::SymExpr& e : w->sizes) w_sizes.push_back(*e.constant_value());
    const std::string w2 =
        add_node(nodes, "mul.Tensor", {{"self", tensor_arg(weight)}, {"other", tensor_arg(scale_nd)}},
                 "weight", w_sizes);
    // b2 = (b - running_mean) * scale [+ beta]
    std::string b2 =
        bias.empty()
            ? add_node(nodes, "neg.default", {{"self", tensor_arg(bn.mean)}}, "neg_mean", vec)
            : add_node(nodes, "sub.Tensor", {{"self", tensor_arg(bias)}, {"other", tensor_arg(bn.mean)}},
                       "centered_bias", vec);
    b2 = add_node(nodes, "mul.Tensor", {{"self", tensor_arg(b2)}, {"other", tensor_arg(scale)}},
                  "scaled_bias", vec);
    if (!bn.beta.empty()) {
      b2 = add_node(nodes, "add.Tensor", {{"self", tensor_arg(b2)}, {"other", tensor_arg(bn.beta)}}, "bias",
                    vec);
    }
    set_input(folded, "weight", w2);
    set_input(folded, "bias", b2);
    folded.outputs[0].name = node.outputs[0].name;
    nodes.push_back(std::move(folded));
    return true;
  }

  static void set_input(Node& node, const std::string& param, const std::string& value) {
    for (NamedArgument& in : node.inputs) {
      if (in.name == param) {
        in.arg = tensor_arg(value);
        return;
      }
    }
    node.inputs.push_back({param, tensor_arg(value), ir::ArgPassing::kKeyword});
  }

  /// Appends `aten.<op>(inputs)` giving a new contiguous value of `sizes`; returns its name.
  std::string add_node(std::vector<Node>& nodes, const std::string& op, std::vector<NamedArgument> inputs,
                       const std::string& what, const std::vector<int64_t>& sizes) {
    std::string name = fmt::format("{}_{}", place_, what);
    for (int n = 1; graph_.tensor_values.count(name) != 0; ++n)
      name = fmt::format("{}_{}_{}", place_, what, n);
    ir::TensorMeta meta;
    meta.dtype = dtype_;
    meta.device = device_;
    meta.storage_offset = ir::SymExpr::constant(0);
    int64_t stride = 1;
    meta.sizes.resize(sizes.size());
    meta.strides.resize(sizes.size());
    for (size_t d = sizes.size(); d-- > 0;) {
      meta.sizes[d] = ir::SymExpr::constant(sizes[d]);
      meta.strides[d] = ir::SymExpr::constant(stride);
      stride *= sizes[d];
    }
    graph_.tensor_values[name] = meta;
    nodes.push_back(aten_node(op, std::move(inputs), name));
    return name;
  }

  ir::Graph& graph_;
  std::set<std::string> constants_;   // graph inputs fed from weights and tensor constants
  std::map<std::string, int> reads_;  // value -> how many inputs read it
  std::string place_;
  ir::Device device_;
  ir::DType dtype_ = ir::DType::kFloat32;
};

}  // namespace

bool fold_batch_norm(ir::Program& program) { return BatchNormFolder(program).run(); }

}  // namespace aotic::codegen
