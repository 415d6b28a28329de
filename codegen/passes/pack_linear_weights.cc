// pack_linear_weights: on the CPU, a float32 matrix product with a weight computed from constants
// alone and an input whose rows (all dimensions but the last) are static becomes MKL's packed
// product: the weight is packed once for that many rows, instead of on every call, as PyTorch's
// frozen torch.compile does on a CPU with MKL.
//
//   y = linear(x, w, b)                 =>   w_packed = mkl._mkl_reorder_linear_weight(w, M)   (fold())
//                                            y = mkl._mkl_linear(x, w_packed, w, b, M)
//
// addmm(b, x, t(w)) and mm(x, t(w)) (a core-ATen export's linears; t may be permute([1, 0]) or
// transpose(0, 1)) are matched too, b being a vector of the product's columns. The reorder reads
// constants only, so fold_constants moves it to fold(). Inputs of another row count (none here:
// M is static) would take libtorch's linear on the original weight, which the call keeps.
//
// It rewrites the program itself (a copy), before import_graph, and needs aotic's bundled shim
// (shim/src/mkldnn_ops.cc: the reorder is not in PyTorch's C shim; where libtorch lacks MKL both
// functions fall back to the weight as it is and libtorch's linear).
#include <map>
#include <optional>
#include <set>

#include "codegen/passes/graph_rewrite.h"
#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using graph_rewrite::int_arg;
using graph_rewrite::op_node;
using graph_rewrite::optional_tensor_arg;
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
  explicit LinearPacker(ir::Program& program)
      : graph_(program.graph),
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
    std::map<size_t, Node> before;  // the reorder placed before the product
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      Linear linear;
      std::optional<int64_t> rows;
      if (!matrix_product(graph_.nodes[i], &linear) || !(rows = static_rows(linear.input))) continue;
      Node& node = graph_.nodes[i];
      const std::string result = node.outputs[0].name;
      const std::string packed = fresh(result + "_weight_packed");
      graph_.tensor_values[packed] = graph_.tensor_values.at(linear.weight);
      before.emplace(i, op_node("torch.ops.mkl._mkl_reorder_linear_weight.default",
                                {{"X", tensor_arg(linear.weight)}, {"batch_size", int_arg(*rows)}}, packed));
      node = op_node("torch.ops.mkl._mkl_linear.default",
                     {{"X", tensor_arg(linear.input)},
                      {"MKL_W", tensor_arg(packed)},
                      {"ORI_W", tensor_arg(linear.weight)},
                      {"B", optional_tensor_arg(linear.bias)},
                      {"batch_size", int_arg(*rows)}},
                     result);
      if (linear.transpose) removed.insert(*linear.transpose);
    }
    if (before.empty()) return false;
    std::vector<Node> nodes;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (auto it = before.find(i); it != before.end()) nodes.push_back(std::move(it->second));
      if (removed.count(i) == 0) nodes.push_back(std::move(graph_.nodes[i]));
    }
    graph_.nodes = std::move(nodes);
    return true;
  }

 private:
  const ir::TensorMeta* float32(const std::string& name) const {
    const ir::TensorMeta* t = name.empty() ? nullptr : graph_.find_tensor(name);
    return t != nullptr && t->dtype == ir::DType::kFloat32 ? t : nullptr;
  }

  /// The static product of all sizes of `input` but the last, when every one is static.
  std::optional<int64_t> static_rows(const std::string& input) const {
    const ir::TensorMeta* x = float32(input);
    if (x == nullptr || x->sizes.size() < 2) return std::nullopt;
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < x->sizes.size(); ++d) {
      const std::optional<int64_t> size = x->sizes[d].constant_value();
      if (!size || *size < 1) return std::nullopt;
      rows *= *size;
    }
    return rows;
  }

  /// A float32 [N, K] weight computed from constants, with static sizes.
  bool constant_weight(const std::string& w) const {
    const ir::TensorMeta* t = float32(w);
    if (t == nullptr || constant_.count(w) == 0 || t->sizes.size() != 2) return false;
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
      swap = dims != nullptr && dims->arg.kind == ArgKind::kInts && dims->arg.ints == std::vector<int64_t>{1, 0};
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

  static bool unit(const Node& node, const std::string& param) {
    const NamedArgument* given = node.find_input(param);
    if (given == nullptr) return true;
    return (given->arg.kind == ArgKind::kInt && given->arg.int_value == 1) ||
           (given->arg.kind == ArgKind::kFloat && given->arg.float_value == 1.0);
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
      if (addmm && (!unit(node, "beta") || !unit(node, "alpha"))) return false;
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
    if (float32(linear->input) == nullptr || !constant_weight(linear->weight)) return false;
    const ir::TensorMeta& w = graph_.tensor_values.at(linear->weight);
    const ir::TensorMeta& x = graph_.tensor_values.at(linear->input);
    if (x.sizes.empty() || !(x.sizes.back() == w.sizes[1])) return false;
    if (!linear->bias.empty()) {
      // MKL's product adds the bias to every row: a vector of the product's columns.
      const ir::TensorMeta* b = float32(linear->bias);
      if (b == nullptr || b->sizes.size() != 1 || !(b->sizes[0] == w.sizes[0])) return false;
    }
    return true;
  }

  std::string fresh(const std::string& base) const {
    std::string name = base;
    for (int n = 1; graph_.tensor_values.count(name) != 0; ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  ir::Graph& graph_;
  std::map<std::string, int> reads_;  // value -> how many inputs read it
  std::set<std::string> constant_;    // values computed from constants alone
  std::map<std::string, size_t> defined_by_;
};

}  // namespace

bool pack_linear_weights(ir::Program& program) { return LinearPacker(program).run(); }

}  // namespace aotic::codegen
