// split_conv_bias: on the CPU with generated kernels, a 1x1 convolution that stays libtorch's (2-d,
// stride 1, no padding, one group, float32 or float64; pack_conv_weights leaves 1x1 convolutions
// alone) is called without its bias, and the bias is added after it:
//
//   y = convolution(x, w, b, [1, 1], [0, 0], ...)   =>   y_unbiased = convolution(x, w, None, ...)
//                                                        b_channels = view(b, [C, 1, 1])
//                                                        y = add(y_unbiased, b_channels)
//
// At one thread and a batch under 16, libtorch runs such a convolution as `_slow_conv2d_forward`:
// one matrix product into an output it first fills with the broadcast bias. Into a channels-last
// output that fill is an element-by-element copy: in mobilenet_v3_small at one thread (PyTorch
// 2.11, the GPU machine's 16-core x86 CPU) the [1, 72, 56, 56] one took 336 us of a 3.3 ms run,
// four times its matrix product. The add instead joins the generated kernel of the pointwise ops
// that follow (the activation, a residual add), where it costs one load of a [C] vector. Only
// convolutions whose every reader is such an op are split: with more threads libtorch calls
// oneDNN, which adds the bias itself, and an add with no kernel to join would be a pass over the
// result of its own.
//
// It rewrites the program itself (a copy), after pack_conv_weights and before import_graph. The
// add result keeps the convolution's name and layout, so nothing after it changes.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::aten_node;
using graph_rewrite::int_pair;
using graph_rewrite::ints_arg;
using graph_rewrite::tensor_arg;
using ir::ArgKind;
using ir::NamedArgument;
using ir::Node;

/// Ops fuse_kernels computes in a kernel that reads the convolution's result, taking the add in.
bool joins_kernel(const Node& node) {
  static const std::set<std::string> kOps = {
      "aten.relu.default",       "aten.relu_.default",       "aten.hardswish.default",
      "aten.hardswish_.default", "aten.hardsigmoid.default", "aten.sigmoid.default",
      "aten.silu.default",       "aten.silu_.default",       "aten.gelu.default",
      "aten.tanh.default",       "aten.hardtanh.default",    "aten.hardtanh_.default",
      "aten.clamp.default",      "aten.leaky_relu.default",  "aten.elu.default",
      "aten.add.Tensor",         "aten.sub.Tensor",          "aten.mul.Tensor",
      "aten.div.Tensor",         "aten.clone.default",       "aten.mean.dim",
  };
  return kOps.count(node.op_name()) != 0;
}

/// The bias of a convolution this pass splits, or "" when it is not one.
std::string splittable_bias(const ir::Graph& graph, const Node& node, const std::map<std::string, int>& reads,
                            const std::map<std::string, std::vector<const Node*>>& readers) {
  const std::string op = node.op_name();
  if ((op != "aten.convolution.default" && op != "aten.conv2d.default") ||
      !graph_rewrite::forward_convolution(node) || node.outputs.size() != 1 ||
      node.outputs[0].kind != ArgKind::kTensor)
    return "";
  std::string bias;
  if (!graph_rewrite::optional_tensor_input(node, "bias", &bias) || bias.empty()) return "";
  std::vector<int64_t> stride, padding;
  if (!int_pair(node, "stride", 1, &stride) || stride != std::vector<int64_t>{1, 1} ||
      !int_pair(node, "padding", 0, &padding) || padding != std::vector<int64_t>{0, 0})
    return "";
  if (op == "aten.convolution.default") {
    std::vector<int64_t> output_padding;
    if (!int_pair(node, "output_padding", 0, &output_padding) || output_padding != std::vector<int64_t>{0, 0})
      return "";
  }
  if (const NamedArgument* groups = node.find_input("groups");
      groups != nullptr && (groups->arg.kind != ArgKind::kInt || groups->arg.int_value != 1))
    return "";
  const ir::TensorMeta* w = graph.find_tensor(graph_rewrite::tensor_input(node, "weight"));
  const ir::TensorMeta* b = graph.find_tensor(bias);
  const ir::TensorMeta* y = graph.find_tensor(node.outputs[0].name);
  if (w == nullptr || b == nullptr || y == nullptr || w->sizes.size() != 4 || y->sizes.size() != 4 ||
      b->sizes.size() != 1)
    return "";
  if (w->sizes[2].constant_value() != std::optional<int64_t>(1) ||
      w->sizes[3].constant_value() != std::optional<int64_t>(1) || !b->sizes[0].constant_value())
    return "";
  // Types the generated kernels compute; the add would be a libtorch call of its own otherwise.
  if (y->dtype != b->dtype || (y->dtype != ir::DType::kFloat32 && y->dtype != ir::DType::kFloat64)) return "";
  // Read by kernel ops only: not a graph output (whose reads count_reads includes too).
  const std::string& result = node.outputs[0].name;
  auto it = readers.find(result);
  auto count = reads.find(result);
  if (it == readers.end() || count == reads.end() || count->second != static_cast<int>(it->second.size()))
    return "";
  for (const Node* reader : it->second) {
    if (!joins_kernel(*reader)) return "";
  }
  return bias;
}

}  // namespace

bool split_conv_bias(ir::Program& program) {
  ir::Graph& graph = program.graph;
  const std::map<std::string, int> reads = graph_rewrite::count_reads(graph);
  std::vector<Node> nodes;
  bool changed = false;
  std::map<std::string, std::string> splits;  // a split convolution's result -> its bias
  {
    std::map<std::string, std::vector<const Node*>> readers;
    for (const Node& node : graph.nodes) {
      for (const NamedArgument& in : node.inputs) {
        for (const std::string& n : in.arg.value_names()) readers[n].push_back(&node);
      }
    }
    for (const Node& node : graph.nodes) {
      if (std::string bias = splittable_bias(graph, node, reads, readers); !bias.empty())
        splits[node.outputs[0].name] = bias;
    }
  }
  for (Node& node : graph.nodes) {
    auto split = node.outputs.size() == 1 ? splits.find(node.outputs[0].name) : splits.end();
    const std::string bias = split != splits.end() ? split->second : "";
    if (bias.empty()) {
      nodes.push_back(std::move(node));
      continue;
    }
    const std::string result = node.outputs[0].name;
    const ir::TensorMeta y = graph.tensor_values.at(result);
    const ir::TensorMeta b = graph.tensor_values.at(bias);
    const std::string unbiased = graph_rewrite::fresh_name(graph, result + "_unbiased");
    graph.tensor_values[unbiased] = y;
    const std::string channels = graph_rewrite::fresh_name(graph, bias + "_channels");
    ir::TensorMeta view = b;
    view.sizes = {b.sizes[0], ir::SymExpr::constant(1), ir::SymExpr::constant(1)};
    view.strides = {b.strides.empty() ? ir::SymExpr::constant(1) : b.strides[0], ir::SymExpr::constant(1),
                    ir::SymExpr::constant(1)};
    graph.tensor_values[channels] = view;

    for (NamedArgument& in : node.inputs) {
      if (in.name == "bias") in.arg = graph_rewrite::optional_tensor_arg("");
    }
    node.name = unbiased;
    node.outputs[0] = tensor_arg(unbiased);
    nodes.push_back(std::move(node));
    nodes.push_back(aten_node(
        "view.default",
        {{"self", tensor_arg(bias)}, {"size", ints_arg({*b.sizes[0].constant_value(), 1, 1})}}, channels));
    nodes.push_back(
        aten_node("add.Tensor", {{"self", tensor_arg(unbiased)}, {"other", tensor_arg(channels)}}, result));
    changed = true;
  }
  graph.nodes = std::move(nodes);
  return changed;
}

}  // namespace aotic::codegen
