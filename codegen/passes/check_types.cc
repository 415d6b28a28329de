// check_types: where aotic itself knows a node's result type, it must be the one the export
// recorded (tensor_meta). Nothing is rewritten; a disagreement is aotic's bug (an internal error
// naming the node), since the export's metadata is what PyTorch computed. Covered, cheaply and
// soundly (everything else is left to the run-time checks of --debug-checks, see insert_checks):
//   - dtypes the schema fixes: comparisons and logical ops give bool; argmax, argmin, nonzero,
//     argwhere and the indices of sort, topk, max.dim... give int64; a `dtype=` argument;
//   - dtype, rank and sizes of views and shape ops from their arguments (permute, t, transpose,
//     unsqueeze, squeeze, select, slice, view/reshape, expand, alias, detach, clone), of in-place
//     results (their `self`; only its dtype for resize_ and the like), and of float unary pointwise ops
//     (relu, gelu, exp...: aotic's generated kernels assume the result is like the input);
//   - getitem (the list element's type) and sym_size (the input's size).
//
//   op permute = aten.permute.default(%w, [1, 0])   w : float32[128, 64]
//   tensor_meta permute : float32[64, 128]          => agrees; float32[128, 64] is an internal error
#include <optional>

#include "codegen/passes/passes.h"
#include "ir/dtype.h"
#include "ir/error.h"

namespace aotic::codegen {
namespace {

using ir::ArgKind;
using ir::DType;
using ir::SymExpr;

/// What aotic knows of one result: any of dtype, rank, and per dimension its size.
struct Known {
  std::optional<DType> dtype;
  std::optional<size_t> rank;
  std::vector<std::optional<SymExpr>> sizes;  // when set, one per dimension (rank)

  void set_sizes(std::vector<std::optional<SymExpr>> s) {
    rank = s.size();
    sizes = std::move(s);
  }
  void like(const ir::TensorMeta& meta) {
    dtype = meta.dtype;
    std::vector<std::optional<SymExpr>> s(meta.sizes.begin(), meta.sizes.end());
    set_sizes(std::move(s));
  }
};

class Checker {
 public:
  explicit Checker(const wir::Stmt& op) : op_(op), node_(*op.node), graph_(*op.graph) {}

  void run() {
    if (node_.target == "<built-in function getitem>" || node_.target == "_operator.getitem") {
      return check_getitem();
    }
    if (node_.target == "torch.ops.aten.sym_size.int") return check_sym_size();
    if (op_.schema == nullptr) return;
    const ir::OpSchema& schema = *op_.schema;
    for (size_t i = 0; i < node_.outputs.size() && i < schema.returns.size(); ++i) {
      if (node_.outputs[i].kind != ArgKind::kTensor) continue;
      const ir::TensorMeta* meta = graph_.find_tensor(node_.outputs[i].name);
      if (meta == nullptr) continue;
      compare(i, infer(i, schema), *meta);
    }
  }

 private:
  const ir::TensorMeta* tensor_input(const std::string& name) const {
    const ir::NamedArgument* a = node_.find_input(name);
    if (a == nullptr || a->arg.kind != ArgKind::kTensor) return nullptr;
    return graph_.find_tensor(a->arg.name);
  }

  std::optional<int64_t> int_input(const std::string& name) const {
    const ir::NamedArgument* a = node_.find_input(name);
    if (a == nullptr || a->arg.kind != ArgKind::kInt) return std::nullopt;
    return a->arg.int_value;
  }

  /// An int[] / SymInt[] argument as sizes; -1 and unknown names as nullopt.
  std::optional<std::vector<std::optional<SymExpr>>> sizes_input(const std::string& name) const {
    const ir::NamedArgument* a = node_.find_input(name);
    if (a == nullptr) return std::nullopt;
    std::vector<std::optional<SymExpr>> out;
    if (a->arg.kind == ArgKind::kInts) {
      for (int64_t v : a->arg.ints) out.push_back(v < 0 ? std::nullopt : std::optional(SymExpr::constant(v)));
      return out;
    }
    if (a->arg.kind != ArgKind::kSymInts) return std::nullopt;
    for (const ir::ValueRef& r : a->arg.refs) {
      if (r.kind == ir::ValueRef::Kind::kInt) {
        out.push_back(r.int_value < 0 ? std::nullopt : std::optional(SymExpr::constant(r.int_value)));
      } else if (r.kind == ir::ValueRef::Kind::kName && graph_.sym_int_values.count(r.name) != 0) {
        out.emplace_back(graph_.sym_int_values.at(r.name).expr);
      } else {
        out.emplace_back();
      }
    }
    return out;
  }

  /// `d` as a dimension index of a tensor of rank `rank` (negative counts from the end).
  static std::optional<size_t> dim_index(std::optional<int64_t> d, size_t rank) {
    if (!d) return std::nullopt;
    const int64_t r = static_cast<int64_t>(rank);
    const int64_t i = *d < 0 ? *d + r : *d;
    if (i < 0 || i >= r) return std::nullopt;
    return static_cast<size_t>(i);
  }

  Known infer(size_t result, const ir::OpSchema& schema) const {
    Known k;
    const std::string& name = schema.name;
    const ir::TensorMeta* self = tensor_input(schema.arguments.empty() ? "self" : schema.arguments[0].name);
    const bool mutating = schema.is_mutable();
    // In-place: the result is `self`, updated (the same dtype; the same sizes unless the op is
    // one that reshapes its input).
    static const std::set<std::string> kReshapeInPlace = {
        "resize_", "resize_as_", "as_strided_", "squeeze_",  "unsqueeze_",
        "t_",      "transpose_", "swapdims_",   "swapaxes_", "set_"};
    if (mutating && !schema.arguments.empty() && schema.arguments[0].is_write() && result == 0 &&
        schema.returns.size() == 1 && self != nullptr) {
      if (kReshapeInPlace.count(name) == 0) k.like(*self);
      if (name != "set_") k.dtype = self->dtype;
      return k;
    }
    if (mutating) return k;
    static const std::set<std::string> kBoolOps = {
        "eq",          "ne",         "lt",          "le",          "gt",     "ge",
        "logical_and", "logical_or", "logical_xor", "logical_not", "isnan",  "isinf",
        "isfinite",    "isposinf",   "isneginf",    "signbit",     "isclose"};
    static const std::set<std::string> kIndexOps = {"argmax", "argmin", "nonzero", "argwhere"};
    static const std::set<std::string> kWithIndices = {"sort", "topk",   "max",       "min",    "kthvalue",
                                                       "mode", "median", "nanmedian", "cummax", "cummin"};
    static const std::set<std::string> kSame = {"alias", "detach", "clone", "contiguous", "lift_fresh_copy"};
    static const std::set<std::string> kFloatUnary = {
        "relu", "sigmoid", "silu", "tanh", "exp", "log", "sqrt",        "rsqrt",
        "neg",  "abs",     "gelu", "erf",  "sin", "cos", "hardsigmoid", "hardswish"};
    if (result == 0 && schema.returns.size() == 1) {
      const ir::NamedArgument* dtype = node_.find_input("dtype");
      if (dtype != nullptr && dtype->arg.kind == ArgKind::kScalarType) {
        k.dtype = static_cast<DType>(dtype->arg.int_value);
      }
    }
    if (kBoolOps.count(name) != 0 && result == 0) k.dtype = DType::kBool;
    if (kIndexOps.count(name) != 0 && result == 0) k.dtype = DType::kInt64;
    if ((name == "nonzero" || name == "argwhere") && self != nullptr) {
      k.set_sizes({std::nullopt, SymExpr::constant(static_cast<int64_t>(self->sizes.size()))});
    }
    if (kWithIndices.count(name) != 0 && schema.returns.size() == 2 && result == 1) k.dtype = DType::kInt64;
    if (self == nullptr || result != 0 || schema.returns.size() != 1) return k;
    const size_t rank = self->sizes.size();
    std::vector<std::optional<SymExpr>> sizes(self->sizes.begin(), self->sizes.end());
    if (kSame.count(name) != 0 || (kFloatUnary.count(name) != 0 && ir::dtype_is_floating(self->dtype))) {
      k.like(*self);
      return k;
    }
    const bool shape_op = name == "permute" || name == "t" || name == "transpose" || name == "unsqueeze" ||
                          name == "squeeze" || name == "select" || name == "slice" || name == "view" ||
                          name == "reshape" || name == "_unsafe_view" || name == "expand";
    if (!shape_op || (name == "view" && !schema.overload.empty())) return k;
    k.dtype = self->dtype;
    if (name == "permute") {
      const ir::NamedArgument* dims = node_.find_input("dims");
      if (dims == nullptr || dims->arg.kind != ArgKind::kInts || dims->arg.ints.size() != rank) return k;
      std::vector<std::optional<SymExpr>> out;
      for (int64_t d : dims->arg.ints) {
        std::optional<size_t> i = dim_index(d, rank);
        if (!i) return k;
        out.push_back(sizes[*i]);
      }
      k.set_sizes(std::move(out));
    } else if (name == "t" || name == "transpose") {
      std::optional<size_t> a = name == "t" ? std::optional<size_t>(0) : dim_index(int_input("dim0"), rank);
      std::optional<size_t> b = name == "t" ? std::optional<size_t>(1) : dim_index(int_input("dim1"), rank);
      if (rank >= 2 && a && b) std::swap(sizes[*a], sizes[*b]);
      if (rank < 2 || (a && b)) k.set_sizes(std::move(sizes));
    } else if (name == "unsqueeze") {
      std::optional<size_t> d = dim_index(int_input("dim"), rank + 1);
      if (!d) return k;
      sizes.insert(sizes.begin() + static_cast<std::ptrdiff_t>(*d), SymExpr::constant(1));
      k.set_sizes(std::move(sizes));
    } else if (name == "squeeze") {
      std::vector<size_t> dims;
      if (schema.overload.empty()) {
        for (size_t d = 0; d < rank; ++d) dims.push_back(d);
      } else if (schema.overload == "dim") {
        std::optional<size_t> d = dim_index(int_input("dim"), rank);
        if (!d) return k;
        dims.push_back(*d);
      } else {
        const ir::NamedArgument* a = node_.find_input("dim");
        if (a == nullptr || a->arg.kind != ArgKind::kInts) return k;
        for (int64_t v : a->arg.ints) {
          std::optional<size_t> d = dim_index(v, rank);
          if (!d) return k;
          dims.push_back(*d);
        }
      }
      std::vector<bool> drop(rank, false);
      for (size_t d : dims) {
        std::optional<int64_t> v = self->sizes[d].constant_value();
        if (!v) return k;  // a symbolic size might be 1
        drop[d] = *v == 1;
      }
      std::vector<std::optional<SymExpr>> out;
      for (size_t d = 0; d < rank; ++d) {
        if (!drop[d]) out.push_back(sizes[d]);
      }
      k.set_sizes(std::move(out));
    } else if (name == "select") {
      std::optional<size_t> d = dim_index(int_input("dim"), rank);
      if (!d) return k;
      sizes.erase(sizes.begin() + static_cast<std::ptrdiff_t>(*d));
      k.set_sizes(std::move(sizes));
    } else if (name == "slice") {
      std::optional<size_t> d = dim_index(int_input("dim").value_or(0), rank);
      if (!d) return k;
      sizes[*d] = std::nullopt;  // clamped start/end/step: not inferred
      k.set_sizes(std::move(sizes));
    } else if (name == "expand") {
      std::optional<std::vector<std::optional<SymExpr>>> want = sizes_input("size");
      if (!want || want->size() < rank) return k;
      const size_t lead = want->size() - rank;
      const ir::NamedArgument* a = node_.find_input("size");
      for (size_t d = lead; d < want->size(); ++d) {
        // -1 keeps the input's size (a symbolic size given by name is left as given).
        const bool minus_one =
            a->arg.kind == ArgKind::kInts
                ? a->arg.ints[d] == -1
                : a->arg.refs[d].kind == ir::ValueRef::Kind::kInt && a->arg.refs[d].int_value == -1;
        if (minus_one) (*want)[d] = sizes[d - lead];
      }
      k.set_sizes(std::move(*want));
    } else {  // view, reshape, _unsafe_view
      std::optional<std::vector<std::optional<SymExpr>>> want = sizes_input("shape");
      if (!want) want = sizes_input("size");
      if (want) k.set_sizes(std::move(*want));
    }
    return k;
  }

  [[noreturn]] void fail(const std::string& what) const {
    internal_fail(__FILE__, __LINE__, fmt::format("{}: aotic infers {}", op_.place, what));
  }

  void compare(size_t result, const Known& k, const ir::TensorMeta& meta) const {
    const std::string which = node_.outputs.size() > 1 ? fmt::format("result {}", result) : "result";
    if (k.dtype && *k.dtype != meta.dtype) {
      fail(fmt::format("{} dtype {}, export recorded {}", which, ir::dtype_name(*k.dtype),
                       ir::dtype_name(meta.dtype)));
    }
    if (k.rank && *k.rank != meta.sizes.size()) {
      fail(fmt::format("{} rank {}, export recorded {}", which, *k.rank, meta.sizes.size()));
    }
    for (size_t d = 0; d < k.sizes.size(); ++d) {
      if (k.sizes[d] && *k.sizes[d] != meta.sizes[d]) {
        fail(fmt::format("{} size {} = {}, export recorded {}", which, d, k.sizes[d]->to_string(),
                         meta.sizes[d].to_string()));
      }
    }
  }

  void check_getitem() const {
    if (node_.inputs.size() < 2 || node_.inputs[0].arg.kind != ArgKind::kTensors ||
        node_.inputs[1].arg.kind != ArgKind::kInt || node_.outputs.size() != 1 ||
        node_.outputs[0].kind != ArgKind::kTensor) {
      return;
    }
    const std::vector<std::string>& list = node_.inputs[0].arg.names;
    const int64_t index = node_.inputs[1].arg.int_value;
    if (index < 0 || index >= static_cast<int64_t>(list.size())) return;
    const ir::TensorMeta* element = graph_.find_tensor(list[static_cast<size_t>(index)]);
    const ir::TensorMeta* meta = graph_.find_tensor(node_.outputs[0].name);
    if (element == nullptr || meta == nullptr) return;
    Known k;
    k.like(*element);
    compare(0, k, *meta);
  }

  void check_sym_size() const {
    const ir::TensorMeta* self = tensor_input("self");
    std::optional<size_t> d = self ? dim_index(int_input("dim"), self->sizes.size()) : std::nullopt;
    if (!d || node_.outputs.size() != 1 || node_.outputs[0].kind != ArgKind::kSymInt ||
        node_.outputs[0].refs.size() != 1) {
      return;
    }
    auto it = graph_.sym_int_values.find(node_.outputs[0].refs[0].name);
    if (it == graph_.sym_int_values.end()) return;
    if (it->second.expr != self->sizes[*d]) {
      fail(fmt::format("the size {} = {}, export recorded {}", *d, self->sizes[*d].to_string(),
                       it->second.expr.to_string()));
    }
  }

  const wir::Stmt& op_;
  const ir::Node& node_;
  const ir::Graph& graph_;
};

void check_block(const wir::Block& block) {
  for (const wir::Stmt& s : block) {
    for (const wir::Branch& b : s.branches) check_block(b.body);
    if (s.kind == wir::Stmt::Kind::kOp && s.node != nullptr && s.graph != nullptr) Checker(s).run();
  }
}

}  // namespace

void check_types(const wir::Module& module) { check_block(module.body); }

}  // namespace aotic::codegen
