// pack_conv_weights: on the CPU, a float32 2-d convolution whose weight is computed from constants
// alone becomes oneDNN's convolution over a weight reordered once, into the blocked layout oneDNN
// reads, instead of on every call. A unary op reading only the convolution (relu, hardswish,
// sigmoid, tanh, silu), or an add of the convolution and another tensor of its shape (then
// perhaps a relu), is fused into the call as oneDNN post-ops:
//
//   conv = conv2d(x, w, b, ...)           =>   w_mkldnn = to_mkldnn(w)                  (fold())
//   add = add(conv, z)                         w_packed = mkldnn_reorder_conv2d_weight(w_mkldnn, ...)
//   relu = relu(add)                           relu = mkldnn._convolution_pointwise.binary(
//                                                         x, z, w_packed, b, ..., "add", None, "relu", [],
//                                                         None)
//
// The two weight ops read constants only, so fold_constants moves them to fold(). It rewrites the
// program itself (a copy), before import_graph, after fold_batch_norm (whose folded weights it
// packs) and to_channels_last (oneDNN is fastest on the NHWC tensors that pass gives it). It needs
// aotic's bundled shim, which has all four functions (shim/src/mkldnn_ops.cc, with a path for
// libtorch builds without the mkldnn ops); PyTorch's C shim lacks the weight ones.
//
// Left to libtorch's convolution: 1x1 convolutions. With stride 1 each is one matrix product,
// which libtorch's own path ran faster than oneDNN at mobilenet_v3_small's sizes (PyTorch 2.11 on
// a 16-core x86 machine, NHWC, 1 and 16 threads). With stride 2 (ResNet's shortcuts) the packed
// call measured 8.4 ms at 1 thread and 1.1 ms at 16 inside resnet18 for layer4's 256->512
// shortcut, against 0.17 ms for the same call alone and about 0.25 ms for Inductor's; the cause is
// not known, and libtorch's call for that shape measured 0.27 ms alone. Measured on the same
// machine over resnet18's 3x3 and 7x7 convolutions: 4.7 ms with libtorch's NHWC call, 3.6 ms
// reordered (16 threads).
//
// Which convolution takes a residual add: the first of the two in program order that can, even
// when the other operand is computed after it (torchvision's ResNet computes the shortcut after
// the block's second convolution): the fused call sits where the add was, so it still reads
// values defined before it.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::int_arg;
using graph_rewrite::int_pair;
using graph_rewrite::ints_arg;
using graph_rewrite::op_node;
using graph_rewrite::optional_tensor_arg;
using graph_rewrite::same_type;
using graph_rewrite::tensor_arg;
using graph_rewrite::tensor_input;
using graph_rewrite::unit_alpha;
using ir::ArgKind;
using ir::Argument;
using ir::NamedArgument;
using ir::Node;

struct Conv {
  std::string input, weight, bias;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
};

/// Unary ops oneDNN applies as the convolution's post-op, by the name it gives them.
const std::map<std::string, std::string>& unary_post_ops() {
  static const std::map<std::string, std::string> kOps = {
      {"aten.relu.default", "relu"},           {"aten.relu_.default", "relu"},
      {"aten.hardswish.default", "hardswish"}, {"aten.hardswish_.default", "hardswish"},
      {"aten.sigmoid.default", "sigmoid"},     {"aten.tanh.default", "tanh"},
      {"aten.silu.default", "swish"},
  };
  return kOps;
}

Argument string_arg(const std::string& s) {
  Argument a;
  a.kind = ArgKind::kString;
  a.name = s;
  return a;
}

Argument empty_scalars() {
  Argument a;
  a.kind = ArgKind::kFloats;
  return a;
}

class WeightPacker {
 public:
  explicit WeightPacker(ir::Program& program)
      : graph_(program.graph),
        reads_(graph_rewrite::count_reads(graph_)),
        constant_(graph_rewrite::constant_values(program)) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      const Node& node = graph_.nodes[i];
      for (const NamedArgument& in : node.inputs) {
        for (const std::string& n : in.arg.value_names()) reader_[n] = i;
      }
    }
  }

  bool run() {
    std::set<size_t> removed;
    std::map<size_t, std::vector<Node>> before;  // packing nodes placed before the fused call
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Conv conv;
      if (removed.count(i) != 0 || !convolution(graph_.nodes[i], &conv)) continue;
      const std::string conv_out = graph_.nodes[i].outputs[0].name;
      // The chain conv [-> add] [-> relu]; `last` is the node the fused call replaces.
      size_t last = i;
      std::optional<size_t> add;
      std::string other, unary = "none";
      if (std::optional<size_t> r = single_reader(conv_out)) {
        const Node& next = graph_.nodes[*r];
        if (auto u = unary_post_ops().find(next.op_name()); u != unary_post_ops().end()) {
          unary = u->second;
          last = *r;
        } else if (is_add(next, conv_out)) {
          const std::string a = tensor_input(next, "self"), b = tensor_input(next, "other");
          const std::string z = a == conv_out ? b : a;
          if (!z.empty() && z != conv_out && same_type(graph_, z, conv_out)) {
            other = z;
            add = last = *r;
            if (std::optional<size_t> r2 = single_reader(next.outputs[0].name);
                r2 && is_relu(graph_.nodes[*r2])) {
              unary = "relu";
              last = *r2;
            }
          }
        }
      }
      if (graph_rewrite::writes_between(graph_, i, last, add)) {  // the add being fused aside
        // The fused call, at `last`, would read the convolution's input after that update.
        last = i;
        add.reset();
        other.clear();
        unary = "none";
      }
      const std::string result = graph_.nodes[last].outputs[0].name;
      const std::string packed = pack(conv, conv_out, &before[last]);
      Node fused = other.empty() ? pointwise(conv, packed, unary, result)
                                 : pointwise_binary(conv, packed, other, unary, result);
      if (last != i) removed.insert(i);
      if (add && *add != last) removed.insert(*add);
      graph_.nodes[last] = std::move(fused);
    }
    if (before.empty()) return false;
    std::vector<Node> nodes;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (auto it = before.find(i); it != before.end()) {
        for (Node& n : it->second) nodes.push_back(std::move(n));
      }
      if (removed.count(i) == 0) nodes.push_back(std::move(graph_.nodes[i]));
    }
    graph_.nodes = std::move(nodes);
    update_in_place();
    return true;
  }

 private:
  /// The node reading `value` when it is the only reader (a graph output reads it too otherwise).
  std::optional<size_t> single_reader(const std::string& value) const {
    auto reads = reads_.find(value);
    auto reader = reader_.find(value);
    if (reads == reads_.end() || reads->second != 1 || reader == reader_.end()) return std::nullopt;
    return reader->second;
  }

  /// Each fused call whose residual can take its result in place becomes oneDNN's
  /// `_convolution_pointwise_.binary` (as frozen Inductor calls it). The out-of-place call returned
  /// its result in another layout than its input's, which cost a copy per residual block. Decided
  /// on the final node order: the residual `other` must be read by nothing after the call, be no
  /// graph output and no constant, be a node's result (not a graph input), share its storage with
  /// no other value (no view, no in-place result, not the convolution's input: oneDNN would read
  /// what it writes), and be laid out as the call's result.
  void update_in_place() {
    // Values that may share storage, joined: a node's results with its tensor inputs whenever its
    // schema has a result that aliases an argument (a view or an in-place update), or is unknown.
    std::map<std::string, std::string> parent;
    const std::function<std::string(const std::string&)> root = [&](const std::string& v) -> std::string {
      auto it = parent.find(v);
      if (it == parent.end() || it->second == v) return v;
      return it->second = root(it->second);
    };
    std::map<std::string, size_t> last_reader, producer;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      const Node& node = graph_.nodes[i];
      const bool shares = graph_rewrite::may_alias_inputs(node);
      std::vector<std::string> values;
      for (const NamedArgument& in : node.inputs) {
        for (const std::string& n : in.arg.value_names()) {
          last_reader[n] = i;
          values.push_back(n);
        }
      }
      for (const ir::Argument& out : node.outputs) {
        for (const std::string& n : out.value_names()) {
          producer[n] = i;
          values.push_back(n);
        }
      }
      if (!shares) continue;
      for (size_t k = 1; k < values.size(); ++k) {
        const std::string a = root(values[0]), b = root(values[k]);
        if (a != b) parent[b] = a;
      }
    }
    std::map<std::string, int> class_size;
    for (const auto& [value, unused] : last_reader) ++class_size[root(value)];
    for (const auto& [value, unused] : producer) {
      if (last_reader.count(value) == 0) ++class_size[root(value)];
    }
    std::set<std::string> outputs;
    for (const ir::Argument& out : graph_.outputs) {
      for (const std::string& n : out.value_names()) outputs.insert(n);
    }
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Node& node = graph_.nodes[i];
      if (node.op_name() != "mkldnn._convolution_pointwise.binary") continue;
      const std::string other = tensor_input(node, "other");
      const std::string x = tensor_input(node, "X");
      auto last = last_reader.find(other);
      if (other.empty() || other == x || producer.count(other) == 0 || last == last_reader.end() ||
          last->second != i) {
        continue;
      }
      if (outputs.count(other) != 0 || constant_.count(other) != 0 || class_size[root(other)] != 1) continue;
      const ir::TensorMeta* o = graph_.find_tensor(other);
      const ir::TensorMeta* r = graph_.find_tensor(node.outputs.at(0).name);
      if (o == nullptr || r == nullptr || o->strides.size() != r->strides.size()) continue;
      bool same = true;
      for (size_t d = 0; d < o->strides.size(); ++d)
        same &= o->strides[d].to_string() == r->strides[d].to_string();
      if (!same) continue;
      node.target = "torch.ops.mkldnn._convolution_pointwise_.binary";
      // The schema's order: other (written) first, then X.
      auto x_arg = std::find_if(node.inputs.begin(), node.inputs.end(),
                                [](const NamedArgument& a) { return a.name == "X"; });
      auto o_arg = std::find_if(node.inputs.begin(), node.inputs.end(),
                                [](const NamedArgument& a) { return a.name == "other"; });
      std::iter_swap(x_arg, o_arg);
    }
  }

  /// relu, or relu_ of a value nothing else reads (its later readers read the relu_'s result).
  static bool is_relu(const Node& node) {
    return node.op_name() == "aten.relu.default" || node.op_name() == "aten.relu_.default";
  }

  /// add(conv, z), add(z, conv) or add_(conv, z), alpha 1: add_(z, conv) would update z, which
  /// other nodes may read afterwards.
  static bool is_add(const Node& node, const std::string& conv_out) {
    if (!unit_alpha(node)) return false;
    if (node.op_name() == "aten.add.Tensor") return true;
    return node.op_name() == "aten.add_.Tensor" && tensor_input(node, "self") == conv_out;
  }

  bool convolution(const Node& node, Conv* conv) const {
    const std::string op = node.op_name();
    if ((op != "aten.convolution.default" && op != "aten.conv2d.default") ||
        !graph_rewrite::forward_convolution(node) || node.outputs.size() != 1) {
      return false;
    }
    if (op == "aten.convolution.default") {
      std::vector<int64_t> output_padding;
      if (!int_pair(node, "output_padding", 0, &output_padding) ||
          output_padding != std::vector<int64_t>{0, 0})
        return false;
    }
    const NamedArgument* groups = node.find_input("groups");
    if (groups != nullptr && (groups->arg.kind != ArgKind::kInt || groups->arg.int_value < 1)) return false;
    conv->groups = groups != nullptr ? groups->arg.int_value : 1;
    conv->input = tensor_input(node, "input");
    conv->weight = tensor_input(node, "weight");
    if (conv->weight.empty() || constant_.count(conv->weight) == 0) return false;
    if (!graph_rewrite::optional_tensor_input(node, "bias", &conv->bias)) return false;
    if (!int_pair(node, "stride", 1, &conv->stride) || !int_pair(node, "padding", 0, &conv->padding) ||
        !int_pair(node, "dilation", 1, &conv->dilation)) {
      return false;
    }
    const ir::TensorMeta* x = graph_.find_tensor(conv->input);
    const ir::TensorMeta* w = graph_.find_tensor(conv->weight);
    const ir::TensorMeta* y = graph_.find_tensor(node.outputs[0].name);
    if (x == nullptr || w == nullptr || y == nullptr || x->sizes.size() != 4 || w->sizes.size() != 4 ||
        x->dtype != ir::DType::kFloat32 || w->dtype != ir::DType::kFloat32 || y->dtype != ir::DType::kFloat32)
      return false;
    for (const ir::SymExpr& s : w->sizes) {
      if (!s.constant_value()) return false;
    }
    // 1x1 convolutions stay libtorch's (see the top of the file).
    if (*w->sizes[2].constant_value() == 1 && *w->sizes[3].constant_value() == 1) return false;
    if (!conv->bias.empty()) {
      const ir::TensorMeta* b = graph_.find_tensor(conv->bias);
      if (b == nullptr || b->dtype != ir::DType::kFloat32) return false;
    }
    return true;
  }

  std::string fresh(const std::string& base) const { return graph_rewrite::fresh_name(graph_, base); }

  /// The to_mkldnn and reorder nodes for the convolution's weight; returns the packed value.
  std::string pack(const Conv& c, const std::string& conv_out, std::vector<Node>* out) {
    const ir::TensorMeta weight = graph_.tensor_values.at(c.weight);
    const std::string mkldnn = fresh(conv_out + "_weight_mkldnn");
    graph_.tensor_values[mkldnn] = weight;
    out->push_back(op_node("torch.ops.aten.to_mkldnn.default",
                           {{"self", tensor_arg(c.weight)}, {"dtype", Argument{}}}, mkldnn));
    std::string packed = fresh(conv_out + "_weight_packed");
    graph_.tensor_values[packed] = weight;
    // The input's sizes, when static, let oneDNN pick the layout for them.
    Argument input_size;
    const ir::TensorMeta& x = graph_.tensor_values.at(c.input);
    std::vector<int64_t> sizes;
    for (const ir::SymExpr& s : x.sizes) {
      if (!s.constant_value()) break;
      sizes.push_back(*s.constant_value());
    }
    if (sizes.size() == x.sizes.size()) input_size = ints_arg(sizes);
    out->push_back(op_node("torch.ops.aten.mkldnn_reorder_conv2d_weight.default",
                           {{"self", tensor_arg(mkldnn)},
                            {"padding", ints_arg(c.padding)},
                            {"stride", ints_arg(c.stride)},
                            {"dilation", ints_arg(c.dilation)},
                            {"groups", int_arg(c.groups)},
                            {"input_size", input_size}},
                           packed));
    return packed;
  }

  static Node pointwise(const Conv& c, const std::string& packed, const std::string& unary,
                        const std::string& result) {
    return op_node("torch.ops.mkldnn._convolution_pointwise.default",
                   {{"X", tensor_arg(c.input)},
                    {"W", tensor_arg(packed)},
                    {"B", optional_tensor_arg(c.bias)},
                    {"padding", ints_arg(c.padding)},
                    {"stride", ints_arg(c.stride)},
                    {"dilation", ints_arg(c.dilation)},
                    {"groups", int_arg(c.groups)},
                    {"attr", string_arg(unary)},
                    {"scalars", empty_scalars()},
                    {"algorithm", Argument{}}},
                   result);
  }

  static Node pointwise_binary(const Conv& c, const std::string& packed, const std::string& other,
                               const std::string& unary, const std::string& result) {
    return op_node("torch.ops.mkldnn._convolution_pointwise.binary",
                   {{"X", tensor_arg(c.input)},
                    {"other", tensor_arg(other)},
                    {"W", tensor_arg(packed)},
                    {"B", optional_tensor_arg(c.bias)},
                    {"padding", ints_arg(c.padding)},
                    {"stride", ints_arg(c.stride)},
                    {"dilation", ints_arg(c.dilation)},
                    {"groups", int_arg(c.groups)},
                    {"binary_attr", string_arg("add")},
                    {"alpha", Argument{}},
                    {"unary_attr", unary == "none" ? Argument{} : string_arg(unary)},
                    {"unary_scalars", empty_scalars()},
                    {"unary_algorithm", Argument{}}},
                   result);
  }

  ir::Graph& graph_;
  std::map<std::string, int> reads_;      // value -> how many inputs read it
  std::set<std::string> constant_;        // values computed from constants alone
  std::map<std::string, size_t> reader_;  // value -> the last node reading it (the one, when reads_ is 1)
};

}  // namespace

bool pack_conv_weights(ir::Program& program) { return WeightPacker(program).run(); }

}  // namespace aotic::codegen
