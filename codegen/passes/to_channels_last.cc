// to_channels_last: 2-d convolutions run on channels-last (NHWC) tensors, the layout oneDNN and
// cuDNN have their fastest kernels for, and the ops between them keep that layout instead of
// converting back and forth:
//
//   conv = convolution(x, w, b)          x_cl = clone(x, memory_format=channels_last)
//   relu = relu(conv)               =>   w_cl = clone(w, memory_format=channels_last)   (folded)
//   pool = max_pool2d(relu, ...)         conv = convolution(x_cl, w_cl, b)              (NHWC)
//   flat = view(pool, [1, -1])           relu = relu(conv)                              (NHWC)
//                                        pool = max_pool2d(relu, ...)                   (NHWC)
//                                        pool_nchw = clone(pool, memory_format=contiguous_format)
//                                        flat = view(pool_nchw, [1, -1])
//
// Channels-last values are those a convolution gives and those of layout-keeping ops reading one
// (pointwise ops, pooling, upsampling, cat). Any other reader, and the model's outputs, get a
// contiguous copy. A mean over both spatial dimensions reads them as they are: its result is laid
// out the same either way. Weights are converted once: fold_constants moves their clones to fold().
//
// Only the metadata changes: the strides of every channels-last value. Generated kernels read and
// write with those strides; a library op that lays its result out otherwise is copied by the
// kernel reading it (kernel_input), so a wrong guess here costs time, never results.
//
// On the CPU every float32/bfloat16/float16 2-d convolution qualifies. On CUDA only models whose
// convolutions all have groups of 1 (cuDNN's depthwise kernels are slower on channels-last).
// Models with a single convolution stay as they are, and so do models with an op that writes a
// tensor: in-place ops (ResNet's relu_ and `+=`) are readers it does not know, and their update
// would go to the contiguous copy. functionalize, before it, turns most of them into the
// pointwise ops they are (all of torchvision's ResNet's).
#include <map>
#include <set>

#include <fmt/format.h>

#include "codegen/kernel_ops.h"
#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"
#include "ir/builtin_schemas.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::aten_node;
using graph_rewrite::tensor_arg;
using graph_rewrite::tensor_input;
using ir::ArgKind;
using ir::Argument;
using ir::NamedArgument;
using ir::Node;

using graph_rewrite::kChannelsLastFormat;
using graph_rewrite::kContiguousFormat;

/// Ops whose result is channels-last when their input is (libtorch's kernels and aotic's).
const std::set<std::string>& layout_keeping_ops() {
  static const std::set<std::string> kOps = {
      "aten.max_pool2d.default",           "aten.max_pool2d_with_indices.default",
      "aten.avg_pool2d.default",           "aten.adaptive_avg_pool2d.default",
      "aten._adaptive_avg_pool2d.default", "aten.upsample_nearest2d.default",
      "aten.upsample_nearest2d.vec",       "aten.upsample_bilinear2d.default",
      "aten.upsample_bilinear2d.vec",      "aten.cat.default",
  };
  return kOps;
}

/// Channels-last strides of a rank-4 NCHW size list.
std::vector<ir::SymExpr> channels_last_strides(const std::vector<ir::SymExpr>& s) {
  const ir::SymExpr one = ir::SymExpr::constant(1);
  const ir::SymExpr& c = s[1];
  const ir::SymExpr wc = s[3] * c;
  return {s[2] * wc, one, wc, c};
}

bool size_is_one(const ir::SymExpr& e) { return e.constant_value() == std::optional<int64_t>(1); }

class ChannelsLast {
 public:
  ChannelsLast(ir::Program& program, const std::string& device)
      : program_(program), graph_(program.graph), device_(device) {}

  bool run() {
    if (!worth_it()) return false;
    std::vector<Node> nodes;
    nodes.reserve(graph_.nodes.size() * 2);
    for (Node& node : graph_.nodes) {
      if (convolution(node)) {
        convert_convolution(node, nodes);
      } else if (keeps_layout(node)) {
        convert_layout_keeping(node, nodes);
      } else if (!spatial_mean(node)) {
        for (NamedArgument& in : node.inputs) to_contiguous(in.arg, nodes);
      }
      nodes.push_back(std::move(node));
    }
    // The model's outputs are laid out as the export says.
    for (Argument& out : graph_.outputs) {
      const std::string before = out.kind == ArgKind::kTensor ? out.name : "";
      to_contiguous(out, nodes);
      if (before.empty() || out.name == before) continue;
      for (ir::OutputSpec& spec : program_.signature.outputs) {
        if (spec.arg.kind == ArgKind::kTensor && spec.arg.name == before) spec.arg.name = out.name;
      }
    }
    graph_.nodes = std::move(nodes);
    for (const std::string& name : channels_last_) {
      ir::TensorMeta& meta = graph_.tensor_values.at(name);
      meta.strides = channels_last_strides(meta.sizes);
    }
    return !channels_last_.empty();
  }

 private:
  /// A rank-4 tensor of a dtype oneDNN/cuDNN run channels-last, with both layouts distinct
  /// (more than one channel and more than one pixel): the values this pass may convert.
  const ir::TensorMeta* convertible(const std::string& name) const {
    const ir::TensorMeta* m = graph_.find_tensor(name);
    if (m == nullptr || m->sizes.size() != 4 || m->layout != ir::Layout::kStrided) return nullptr;
    if (m->dtype != ir::DType::kFloat32 && m->dtype != ir::DType::kBFloat16 &&
        m->dtype != ir::DType::kFloat16)
      return nullptr;
    if (size_is_one(m->sizes[1]) || (size_is_one(m->sizes[2]) && size_is_one(m->sizes[3]))) return nullptr;
    // The export's layout must be the plain contiguous one this pass replaces.
    if (m->strides != ir::contiguous_strides(m->sizes)) return nullptr;
    return m;
  }

  static int64_t groups(const Node& node) {
    const NamedArgument* g = node.find_input("groups");
    if (g == nullptr) return 1;
    return g->arg.kind == ArgKind::kInt ? g->arg.int_value : -1;
  }

  static std::string input_param(const Node& node) {
    return node.op_name().rfind("aten.cudnn_convolution", 0) == 0 ? "self" : "input";
  }

  /// A 2-d convolution on a convertible input and weight.
  bool convolution(const Node& node) const {
    const std::string op = node.op_name();
    const bool cudnn =
        op == "aten.cudnn_convolution_relu.default" || op == "aten.cudnn_convolution_add_relu.default";
    if (!cudnn && (!graph_rewrite::forward_convolution(node) || op == "aten.conv1d.default" ||
                   op == "aten.conv3d.default"))
      return false;
    if (node.outputs.size() != 1 || node.outputs[0].kind != ArgKind::kTensor) return false;
    const ir::TensorMeta* in = graph_.find_tensor(tensor_input(node, input_param(node)));
    const ir::TensorMeta* w = graph_.find_tensor(tensor_input(node, "weight"));
    const ir::TensorMeta* out = graph_.find_tensor(node.outputs[0].name);
    if (in == nullptr || w == nullptr || out == nullptr || in->sizes.size() != 4 || w->sizes.size() != 4 ||
        out->sizes.size() != 4 || in->dtype != out->dtype || groups(node) < 1)
      return false;
    if (device_ == "cuda" && groups(node) != 1) return false;
    return convertible(node.outputs[0].name) != nullptr || convertible(tensor_input(node, input_param(node)));
  }

  /// Whether converting pays: two convolutions or more qualify (one alone, like a vision
  /// transformer's patch embedding, would pay two copies for one call), and on CUDA none has
  /// groups.
  bool worth_it() const {
    int qualifying = 0;
    for (const Node& node : graph_.nodes) {
      // An op that writes a tensor (an in-place update functionalize kept, copy_, an out=
      // overload) would write the contiguous copy this pass gives unknown readers, and the value
      // read afterwards would miss the update: such models keep their layout.
      if (graph_rewrite::writes_tensor(node)) return false;
      if (device_ == "cuda" && graph_rewrite::forward_convolution(node) && groups(node) != 1) return false;
      qualifying += convolution(node) ? 1 : 0;
    }
    return qualifying >= 2;
  }

  /// Pointwise ops and the layout-keeping list reading a channels-last value.
  bool keeps_layout(const Node& node) const {
    bool reads = false;
    for (const NamedArgument& in : node.inputs) {
      for (const std::string& n : in.arg.value_names()) reads |= channels_last_.count(n) != 0;
    }
    if (!reads) return false;
    const std::string op = node.op_name();
    if (op == "aten.cat.default") {
      const NamedArgument* dim = node.find_input("dim");
      return dim == nullptr || dim->arg.kind == ArgKind::kInt;
    }
    if (layout_keeping_ops().count(op) != 0) return true;
    const ir::OpSchema* schema = ir::builtin_schemas().find(node.target);
    if (schema == nullptr) return false;
    std::optional<kops::Fusible> f = kops::classify(node, graph_, *schema);
    return f && f->kind == kops::Kind::kPointwise;
  }

  /// mean over dims 2 and 3 of a rank-4 tensor: its result's layout is the same for both.
  bool spatial_mean(const Node& node) const {
    if (node.op_name() != "aten.mean.dim") return false;
    const NamedArgument* dims = node.find_input("dim");
    if (dims == nullptr || dims->arg.kind != ArgKind::kInts || dims->arg.ints.size() != 2) return false;
    std::set<int64_t> d;
    for (int64_t v : dims->arg.ints) d.insert(v < 0 ? v + 4 : v);
    const ir::TensorMeta* in = graph_.find_tensor(tensor_input(node, "self"));
    return in != nullptr && in->sizes.size() == 4 && d == std::set<int64_t>{2, 3};
  }

  void convert_convolution(Node& node, std::vector<Node>& nodes) {
    for (NamedArgument& in : node.inputs) {
      if (in.arg.kind != ArgKind::kTensor) continue;
      if (in.name == input_param(node) || in.name == "weight" || in.name == "z")
        to_channels_last(in.arg, nodes);
    }
    mark(node.outputs[0].name);
  }

  void convert_layout_keeping(Node& node, std::vector<Node>& nodes) {
    // Inputs of the result's shape follow the channels-last ones, so libtorch keeps that layout;
    // broadcast ones ([C, 1, 1], [N, C, 1, 1]) read the same either way.
    const ir::TensorMeta* out = node.outputs.empty() || node.outputs[0].kind != ArgKind::kTensor
                                    ? nullptr
                                    : graph_.find_tensor(node.outputs[0].name);
    const bool cat = node.op_name() == "aten.cat.default";
    for (NamedArgument& in : node.inputs) {
      if (in.arg.kind == ArgKind::kTensors && cat) {
        for (std::string& n : in.arg.names) {
          Argument one = tensor_arg(n);
          to_channels_last(one, nodes);
          n = one.name;
        }
        continue;
      }
      if (in.arg.kind != ArgKind::kTensor) continue;
      const ir::TensorMeta* m = graph_.find_tensor(in.arg.name);
      if (out != nullptr && m != nullptr && m->sizes == out->sizes) to_channels_last(in.arg, nodes);
    }
    for (const Argument& result : node.outputs) {
      if (result.kind == ArgKind::kTensor) mark(result.name);
      if (result.kind == ArgKind::kTensors) {
        for (const std::string& n : result.names) mark(n);
      }
    }
  }

  void mark(const std::string& name) {
    if (convertible(name) != nullptr) channels_last_.insert(name);
  }

  /// Makes `arg` (a tensor) read the channels-last copy of its value, made once.
  void to_channels_last(Argument& arg, std::vector<Node>& nodes) {
    if (arg.kind != ArgKind::kTensor || channels_last_.count(arg.name) != 0 ||
        convertible(arg.name) == nullptr)
      return;
    auto done = channels_last_copy_.find(arg.name);
    if (done == channels_last_copy_.end()) {
      const std::string copy = add_clone(arg.name, "channels_last", kChannelsLastFormat, nodes);
      channels_last_.insert(copy);
      done = channels_last_copy_.emplace(arg.name, copy).first;
    }
    arg.name = done->second;
  }

  /// Makes every channels-last value `arg` names read its contiguous copy, made once.
  void to_contiguous(Argument& arg, std::vector<Node>& nodes) {
    auto convert = [&](std::string& name) {
      if (channels_last_.count(name) == 0) return;
      auto done = contiguous_copy_.find(name);
      if (done == contiguous_copy_.end()) {
        done = contiguous_copy_.emplace(name, add_clone(name, "contiguous", kContiguousFormat, nodes)).first;
      }
      name = done->second;
    };
    if (arg.kind == ArgKind::kTensor) convert(arg.name);
    if (arg.kind == ArgKind::kTensors) {
      for (std::string& n : arg.names) convert(n);
    }
    if (arg.kind == ArgKind::kOptionalTensors) {
      for (ir::ValueRef& r : arg.refs) {
        if (r.kind == ir::ValueRef::Kind::kName) convert(r.name);
      }
    }
  }

  /// Appends `clone(value, memory_format=format)` as a new value with value's metadata (strides
  /// set afterwards for channels-last ones); returns its name.
  std::string add_clone(const std::string& value, const std::string& what, int64_t format,
                        std::vector<Node>& nodes) {
    std::string name = graph_rewrite::fresh_name(graph_, value + "_" + what);
    ir::TensorMeta meta = graph_.tensor_values.at(value);
    meta.strides = ir::contiguous_strides(meta.sizes);
    graph_.tensor_values[name] = meta;
    nodes.push_back(aten_node(
        "clone.default",
        {{"self", tensor_arg(value)}, {"memory_format", graph_rewrite::memory_format_arg(format)}}, name));
    return name;
  }

  ir::Program& program_;
  ir::Graph& graph_;
  std::string device_;
  std::set<std::string> channels_last_;                    // values laid out channels-last
  std::map<std::string, std::string> channels_last_copy_;  // contiguous value -> its channels-last copy
  std::map<std::string, std::string> contiguous_copy_;     // channels-last value -> its contiguous copy
};

}  // namespace

bool to_channels_last(ir::Program& program, const std::string& device) {
  return ChannelsLast(program, device).run();
}

}  // namespace aotic::codegen
