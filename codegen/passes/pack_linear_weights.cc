// pack_linear_weights: on the CPU, a float32 matrix product with a weight computed from constants
// alone reads the weight transposed once, into a contiguous [K, N] constant, instead of as a
// transposed view of the [N, K] weight on every call:
//
//   y = linear(x, w, b)            =>   w_t = permute(w, [1, 0])                     (fold())
//                                       w_kn = clone(w_t, memory_format=contiguous)  (fold())
//                                       x_2d = reshape(x, [M, K])      (x of more than 2 dimensions)
//                                       y_2d = addmm(b, x_2d, w_kn)    (mm without a bias)
//                                       y = view(y_2d, [..., N])
//
// addmm(b, x, t(w)) and mm(x, t(w)) (a core-ATen export's linears; t may be permute([1, 0]) or
// transpose(0, 1)) read w_kn instead of the transpose, which goes when nothing else reads it. The
// BLAS multiplies by a row-major right-hand side faster than by a transposed one at the sizes of
// small models: over tiny_gpt's nine linears (128 rows), PyTorch 2.11 with MKL on a 16-core x86
// machine took 0.195 ms against 0.340 ms for libtorch's linear at 16 threads, 0.73 against 0.85 at
// one (and 0.30 and 0.81 for MKL's packed product, which frozen torch.compile uses); Debian's
// libtorch 1.13 with OpenBLAS, 2 cores: 0.62 against 0.70 at 2 threads, 0.87 against 0.97 at one.
// The transposed copy costs the weight's size again in memory, as any packing does.
//
// With generated kernels (fuse_kernels on), a bias is not addmm's but an add after the product:
//
//   y_2d = addmm(b, x_2d, w_kn)    =>   y_mm = mm(x_2d, w_kn);  y = add(view(y_mm, [..., N]), b)
//
// addmm into a buffer first copies the broadcast bias into it (at::copy_, 7 to 23 us per call for
// tiny_gpt's linears at 16 threads, 110 us of a 1 ms run); the add joins the kernel of whatever
// pointwise ops follow (GELU, the residual add) and costs nothing of its own there.
//
// It rewrites the program itself (a copy), before import_graph; every op it emits is in PyTorch's
// C shim, so it runs with either shim. x of more than 2 dimensions needs static sizes but the last.
#include <map>
#include <optional>
#include <set>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::aten_node;
using graph_rewrite::ints_arg;
using graph_rewrite::tensor_arg;
using graph_rewrite::tensor_input;
using ir::ArgKind;
using ir::Argument;
using ir::NamedArgument;
using ir::Node;

struct Linear {
  std::string input, weight, bias;  // weight [N, K] as linear takes it
  std::optional<size_t> transpose;  // the t(w) node an addmm or mm read, when only it did
};

class LinearPacker {
 public:
  LinearPacker(ir::Program& program, bool bias_in_kernels)
      : bias_in_kernels_(bias_in_kernels),
        graph_(program.graph),
        reads_(graph_rewrite::count_reads(graph_)),
        constant_(graph_rewrite::constant_values(program)) {
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      for (const Argument& out : graph_.nodes[i].outputs) {
        if (out.kind == ArgKind::kTensor) defined_by_[out.name] = i;
      }
    }
  }

  bool run() {
    std::set<size_t> removed;
    std::map<size_t, std::vector<Node>> replaced;           // node -> what takes its place
    std::map<std::string, std::string> transposed_weights;  // w -> w_kn, made once per weight
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Linear linear;
      if (!matrix_product(graph_.nodes[i], &linear)) continue;
      const ir::TensorMeta& x = graph_.tensor_values.at(linear.input);
      std::optional<int64_t> rows;
      if (x.sizes.size() > 2 && !(rows = static_rows(x))) continue;
      std::vector<Node>& nodes = replaced[i];
      const std::string result = graph_.nodes[i].outputs[0].name;
      auto known = transposed_weights.find(linear.weight);
      if (known == transposed_weights.end())
        known = transposed_weights.emplace(linear.weight, transpose(linear.weight, &nodes)).first;
      const std::string& w_kn = known->second;
      const ir::TensorMeta& w = graph_.tensor_values.at(linear.weight);
      const ir::SymExpr& n = w.sizes[0];
      const ir::SymExpr& k = w.sizes[1];
      const ir::TensorMeta& y = graph_.tensor_values.at(result);
      const bool nd = x.sizes.size() > 2;  // x read as [rows, K], the product viewed back
      const bool bias_add = !linear.bias.empty() && bias_in_kernels_;
      std::string x_2d = linear.input;
      if (nd) {
        x_2d = fresh(result + "_input_2d");
        graph_.tensor_values[x_2d] = contiguous_meta({ir::SymExpr::constant(*rows), k});
        nodes.push_back(aten_node(
            "reshape.default",
            {{"self", tensor_arg(linear.input)}, {"shape", ints_arg({*rows, *k.constant_value()})}}, x_2d));
      }
      // The product (mm, or addmm with the bias), viewed in the linear's shape when x has more than
      // 2 dimensions, then the bias added when it is an add: the last of these writes `result`.
      const std::string shaped = bias_add ? fresh(result + (nd ? "_mm_nd" : "_mm")) : result;
      const std::string product = nd ? fresh(result + (bias_add ? "_mm" : "_2d")) : shaped;
      if (nd) graph_.tensor_values[product] = contiguous_meta({ir::SymExpr::constant(*rows), n});
      if (bias_add) graph_.tensor_values[shaped] = contiguous_meta(y.sizes);
      if (linear.bias.empty() || bias_add) {
        nodes.push_back(
            aten_node("mm.default", {{"self", tensor_arg(x_2d)}, {"mat2", tensor_arg(w_kn)}}, product));
      } else {
        nodes.push_back(aten_node(
            "addmm.default",
            {{"self", tensor_arg(linear.bias)}, {"mat1", tensor_arg(x_2d)}, {"mat2", tensor_arg(w_kn)}},
            product));
      }
      if (nd) {
        nodes.push_back(aten_node(
            "view.default", {{"self", tensor_arg(product)}, {"size", ints_arg(static_sizes(y))}}, shaped));
      }
      if (bias_add) {
        nodes.push_back(aten_node(
            "add.Tensor", {{"self", tensor_arg(shaped)}, {"other", tensor_arg(linear.bias)}}, result));
      }
      if (linear.transpose) removed.insert(*linear.transpose);
    }
    if (replaced.empty()) return false;
    std::vector<Node> nodes;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (auto it = replaced.find(i); it != replaced.end()) {
        for (Node& n : it->second) nodes.push_back(std::move(n));
      } else if (removed.count(i) == 0) {
        nodes.push_back(std::move(graph_.nodes[i]));
      }
    }
    graph_.nodes = std::move(nodes);
    return true;
  }

 private:
  const ir::TensorMeta* float32(const std::string& name) const {
    const ir::TensorMeta* t = name.empty() ? nullptr : graph_.find_tensor(name);
    return t != nullptr && t->dtype == ir::DType::kFloat32 ? t : nullptr;
  }

  /// The static product of all sizes of `x` but the last (and the last static too).
  static std::optional<int64_t> static_rows(const ir::TensorMeta& x) {
    int64_t rows = 1;
    for (size_t d = 0; d < x.sizes.size(); ++d) {
      const std::optional<int64_t> size = x.sizes[d].constant_value();
      if (!size || *size < 1) return std::nullopt;
      if (d + 1 < x.sizes.size()) rows *= *size;
    }
    return rows;
  }

  /// The sizes of `t`, all static (the linear's result when its input has more than 2 dimensions).
  static std::vector<int64_t> static_sizes(const ir::TensorMeta& t) {
    std::vector<int64_t> sizes;
    for (const ir::SymExpr& s : t.sizes) sizes.push_back(*s.constant_value());
    return sizes;
  }

  ir::TensorMeta contiguous_meta(std::vector<ir::SymExpr> sizes) const {
    ir::TensorMeta meta;
    meta.dtype = ir::DType::kFloat32;
    meta.strides = ir::contiguous_strides(sizes);
    meta.sizes = std::move(sizes);
    meta.storage_offset = ir::SymExpr::constant(0);
    return meta;
  }

  /// permute(w, [1, 0]) then its contiguous clone, appended to `nodes`; returns the clone.
  std::string transpose(const std::string& weight, std::vector<Node>* nodes) {
    const ir::TensorMeta& w = graph_.tensor_values.at(weight);
    ir::TensorMeta view = w;
    view.sizes = {w.sizes[1], w.sizes[0]};
    view.strides = {w.strides[1], w.strides[0]};
    const std::string t = fresh(weight + "_t");
    graph_.tensor_values[t] = view;
    nodes->push_back(
        aten_node("permute.default", {{"self", tensor_arg(weight)}, {"dims", ints_arg({1, 0})}}, t));
    std::string kn = fresh(weight + "_kn");
    ir::TensorMeta copy = contiguous_meta(view.sizes);
    copy.device = w.device;
    graph_.tensor_values[kn] = copy;
    nodes->push_back(
        aten_node("clone.default",
                  {{"self", tensor_arg(t)},
                   {"memory_format", graph_rewrite::memory_format_arg(graph_rewrite::kContiguousFormat)}},
                  kn));
    return kn;
  }

  /// A float32 [N, K] weight computed from constants, with static sizes.
  bool constant_weight(const std::string& w) const {
    const ir::TensorMeta* t = float32(w);
    if (t == nullptr || constant_.count(w) == 0 || t->sizes.size() != 2 || t->strides.size() != 2)
      return false;
    return t->sizes[0].constant_value() && t->sizes[1].constant_value();
  }

  /// `value` = t(w), permute(w, [1, 0]) or transpose(w, 0, 1) (either order): the node and w.
  std::optional<std::pair<size_t, std::string>> transposed(const std::string& value) const {
    auto def = defined_by_.find(value);
    if (def == defined_by_.end()) return std::nullopt;
    const Node& node = graph_.nodes[def->second];
    const std::string op = node.op_name();
    const std::string source = tensor_input(node, "self");
    if (source.empty() || node.outputs.size() != 1) return std::nullopt;
    bool swap = op == "aten.t.default";
    if (op == "aten.permute.default") {
      const NamedArgument* dims = node.find_input("dims");
      swap =
          dims != nullptr && dims->arg.kind == ArgKind::kInts && dims->arg.ints == std::vector<int64_t>{1, 0};
    } else if (op == "aten.transpose.int") {
      const NamedArgument* d0 = node.find_input("dim0");
      const NamedArgument* d1 = node.find_input("dim1");
      if (d0 != nullptr && d1 != nullptr && d0->arg.kind == ArgKind::kInt && d1->arg.kind == ArgKind::kInt) {
        const int64_t a = d0->arg.int_value < 0 ? d0->arg.int_value + 2 : d0->arg.int_value;
        const int64_t b = d1->arg.int_value < 0 ? d1->arg.int_value + 2 : d1->arg.int_value;
        swap = (a == 0 && b == 1) || (a == 1 && b == 0);
      }
    }
    if (!swap) return std::nullopt;
    return std::make_pair(def->second, source);
  }

  bool matrix_product(const Node& node, Linear* linear) const {
    const std::string op = node.op_name();
    if (node.outputs.size() != 1 || float32(node.outputs[0].name) == nullptr) return false;
    if (op == "aten.linear.default") {
      linear->input = tensor_input(node, "input");
      linear->weight = tensor_input(node, "weight");
      if (!graph_rewrite::optional_tensor_input(node, "bias", &linear->bias)) return false;
    } else if (op == "aten.addmm.default" || op == "aten.mm.default") {
      const bool addmm = op == "aten.addmm.default";
      if (addmm && (!graph_rewrite::unit_scalar(node, "beta") || !graph_rewrite::unit_alpha(node)))
        return false;
      linear->input = tensor_input(node, addmm ? "mat1" : "self");
      const std::string mat2 = tensor_input(node, "mat2");
      const auto t = transposed(mat2);
      if (!t) return false;
      linear->weight = t->second;
      const auto reads = reads_.find(mat2);
      if (reads != reads_.end() && reads->second == 1) linear->transpose = t->first;
      if (addmm) linear->bias = tensor_input(node, "self");
      if (addmm && linear->bias.empty()) return false;
    } else {
      return false;
    }
    const ir::TensorMeta* x = float32(linear->input);
    if (x == nullptr || x->sizes.size() < 2 || !constant_weight(linear->weight)) return false;
    const ir::TensorMeta& w = graph_.tensor_values.at(linear->weight);
    if (!(x->sizes.back() == w.sizes[1])) return false;
    if (!linear->bias.empty()) {
      // addmm adds the bias to every row: a vector of the product's columns.
      const ir::TensorMeta* b = float32(linear->bias);
      if (b == nullptr || b->sizes.size() != 1 || !(b->sizes[0] == w.sizes[0])) return false;
    }
    return true;
  }

  std::string fresh(const std::string& base) const { return graph_rewrite::fresh_name(graph_, base); }

  const bool bias_in_kernels_;
  ir::Graph& graph_;
  std::map<std::string, int> reads_;  // value -> how many inputs read it
  std::set<std::string> constant_;    // values computed from constants alone
  std::map<std::string, size_t> defined_by_;
};

}  // namespace

bool pack_linear_weights(ir::Program& program, bool bias_in_kernels) {
  return LinearPacker(program, bias_in_kernels).run();
}

}  // namespace aotic::codegen
