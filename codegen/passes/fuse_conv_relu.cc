// fuse_conv_relu: on CUDA, a 2-d convolution whose only reader is a relu, or an add of the
// convolution's result and another tensor of its shape whose only reader is a relu, becomes one
// cuDNN call that applies the bias, the add and the relu in the convolution's epilogue:
//
//   conv = convolution(x, w, b)              =>   relu = cudnn_convolution_relu(x, w, b, ...)
//   relu = relu(conv)
//
//   conv = convolution(x, w, b)              =>   relu = cudnn_convolution_add_relu(x, w, z, None, b, ...)
//   add = add(conv, z); relu = relu(add)          (relu(conv(x, w) + z + b))
//
// After fold_batch_norm this is a ResNet block's convolution, batch norm, residual add and relu in
// one call, unless a node between them updates a tensor in place (the convolution would read it
// updated). It rewrites the program itself (a copy), before import_graph. Groups of 1 only
// (depthwise convolutions stay with cuDNN's regular kernels), float32 and float16, and only when
// the shim has both functions (aotic's bundled shim does; PyTorch's C shim does not).
#include <algorithm>
#include <set>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::aten_node;
using graph_rewrite::int_arg;
using graph_rewrite::int_pair;
using graph_rewrite::ints_arg;
using graph_rewrite::optional_tensor_arg;
using graph_rewrite::same_type;
using graph_rewrite::tensor_arg;
using graph_rewrite::tensor_input;
using graph_rewrite::unit_alpha;
using ir::ArgKind;
using ir::Argument;
using ir::NamedArgument;
using ir::Node;

/// A convolution's arguments, when cuDNN's fused calls can take it.
struct Conv {
  std::string input, weight, bias;
  std::vector<int64_t> stride, padding, dilation;
};

class ConvReluFuser {
 public:
  explicit ConvReluFuser(ir::Graph& graph) : graph_(graph), reads_(graph_rewrite::count_reads(graph)) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const Argument& out : graph_.nodes[i].outputs) {
        if (out.kind == ArgKind::kTensor) defined_by_[out.name] = i;
      }
    }
  }

  bool run() {
    std::set<size_t> removed;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Node& relu = graph_.nodes[i];
      if (relu.op_name() != "aten.relu.default" || relu.outputs.size() != 1) continue;
      const std::string in = tensor_input(relu, "self");
      const size_t* producer = single_reader_producer(in);
      if (producer == nullptr || removed.count(*producer) != 0) continue;
      Conv conv;
      if (convolution(graph_.nodes[*producer], &conv) &&
          !graph_rewrite::writes_between(graph_, *producer, i)) {
        relu = conv_relu(conv, relu.outputs[0].name);
        removed.insert(*producer);
        continue;
      }
      // relu(add(conv, z)) or relu(add(z, conv))
      const Node& add = graph_.nodes[*producer];
      if (add.op_name() != "aten.add.Tensor" || !unit_alpha(add)) continue;
      const std::string a = tensor_input(add, "self"), b = tensor_input(add, "other");
      for (const auto& [c, z] : {std::pair{a, b}, std::pair{b, a}}) {
        const size_t* conv_node = single_reader_producer(c);
        if (conv_node == nullptr || z.empty() || removed.count(*conv_node) != 0) continue;
        if (!convolution(graph_.nodes[*conv_node], &conv) || !same_type(graph_, z, c)) continue;
        // The convolution moves to the relu, and z is read there instead of at the add.
        if (graph_rewrite::writes_between(graph_, std::min(*conv_node, *producer), i)) continue;
        removed.insert(*conv_node);
        removed.insert(*producer);
        // The fused call takes the relu's place, after z (which the add read) is defined.
        relu = conv_add_relu(conv, z, relu.outputs[0].name);
        break;
      }
    }
    if (removed.empty()) return false;
    std::vector<Node> nodes;
    nodes.reserve(graph_.nodes.size() - removed.size());
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (removed.count(i) == 0) nodes.push_back(std::move(graph_.nodes[i]));
    }
    graph_.nodes = std::move(nodes);
    return true;
  }

 private:
  /// The node defining `value` when nothing else reads it.
  const size_t* single_reader_producer(const std::string& value) const {
    if (value.empty()) return nullptr;
    auto reads = reads_.find(value);
    auto it = defined_by_.find(value);
    if (reads == reads_.end() || reads->second != 1 || it == defined_by_.end()) return nullptr;
    return &it->second;
  }

  bool convolution(const Node& node, Conv* conv) const {
    const std::string op = node.op_name();
    if ((op != "aten.convolution.default" && op != "aten.conv2d.default") ||
        !graph_rewrite::forward_convolution(node)) {
      return false;
    }
    if (op == "aten.convolution.default") {
      std::vector<int64_t> output_padding;
      if (!int_pair(node, "output_padding", 0, &output_padding) ||
          output_padding != std::vector<int64_t>{0, 0}) {
        return false;
      }
    }
    const NamedArgument* groups = node.find_input("groups");
    if (groups != nullptr && (groups->arg.kind != ArgKind::kInt || groups->arg.int_value != 1)) return false;
    conv->input = tensor_input(node, "input");
    conv->weight = tensor_input(node, "weight");
    if (!graph_rewrite::optional_tensor_input(node, "bias", &conv->bias)) return false;
    if (!int_pair(node, "stride", 1, &conv->stride) || !int_pair(node, "padding", 0, &conv->padding) ||
        !int_pair(node, "dilation", 1, &conv->dilation)) {
      return false;
    }
    const ir::TensorMeta* x = graph_.find_tensor(conv->input);
    const ir::TensorMeta* w = graph_.find_tensor(conv->weight);
    if (x == nullptr || w == nullptr || x->sizes.size() != 4 || w->sizes.size() != 4 ||
        x->dtype != w->dtype) {
      return false;
    }
    return x->dtype == ir::DType::kFloat32 || x->dtype == ir::DType::kFloat16;
  }

  static Node conv_relu(const Conv& c, const std::string& result) {
    return aten_node("cudnn_convolution_relu.default",
                     {{"self", tensor_arg(c.input)},
                      {"weight", tensor_arg(c.weight)},
                      {"bias", optional_tensor_arg(c.bias)},
                      {"stride", ints_arg(c.stride)},
                      {"padding", ints_arg(c.padding)},
                      {"dilation", ints_arg(c.dilation)},
                      {"groups", int_arg(1)}},
                     result);
  }

  static Node conv_add_relu(const Conv& c, const std::string& z, const std::string& result) {
    return aten_node("cudnn_convolution_add_relu.default",
                     {{"self", tensor_arg(c.input)},
                      {"weight", tensor_arg(c.weight)},
                      {"z", tensor_arg(z)},
                      {"alpha", Argument{}},
                      {"bias", optional_tensor_arg(c.bias)},
                      {"stride", ints_arg(c.stride)},
                      {"padding", ints_arg(c.padding)},
                      {"dilation", ints_arg(c.dilation)},
                      {"groups", int_arg(1)}},
                     result);
  }

  ir::Graph& graph_;
  std::map<std::string, int> reads_;  // value -> how many inputs read it
  std::map<std::string, size_t> defined_by_;
};

}  // namespace

bool fuse_conv_relu(ir::Program& program) { return ConvReluFuser(program.graph).run(); }

}  // namespace aotic::codegen
