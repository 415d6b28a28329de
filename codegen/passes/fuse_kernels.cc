// fuse_kernels: groups pointwise ops, views and the reductions they feed into generated kernels
// (kernel IR, codegen/kernel_ops.h), so a chain of ops reads its inputs once and writes one
// result instead of making a buffer per op and calling libtorch for each.
//
// Every value computed by a fusible op is either *inlined* (computed inside the kernels that read
// it, never stored) or a kernel's *result* (stored into a buffer of its own). A value becomes a
// result when something other than a kernel reads it (a library op, the graph's outputs, a cond),
// when it is a reduction, or when several readers would each recompute more than one load of it.
// A view read only by kernels is index arithmetic inside them; a view something else reads stays
// a view of libtorch. Each result's kernel runs where its node was; the inlined nodes disappear.
//
//   op add = aten.add.Tensor(%x, %y)                  alloc relu : float32[8, 128] ...
//   op relu = aten.relu.default(%add)        =>       launch k0_add_relu(x, y -> relu)
//
// Nodes reading anything that is written in place (a mutated input, an out= target) stay library
// calls. Only the top-level graph is fused (cond branches call libtorch).
#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "codegen/kernel_ops.h"
#include "codegen/passes/passes.h"
#include "ir/error.h"
#include "kernel/schedule.h"

namespace aotic::codegen {
namespace {

/// A size expression's value with every symbol 16, for ordering strides; -1 when that fails.
int64_t typical_value(const ir::SymExpr& e) {
  if (std::optional<int64_t> v = e.constant_value()) return *v;
  std::map<std::string, int64_t> values;
  for (const std::string& symbol : e.symbols()) values[symbol] = 16;
  try {
    return e.evaluate(values);
  } catch (const UserError&) {
    return -1;
  }
}

using wir::Stmt;

/// Loads in an inlined value's tree above which a value read by two kernels is stored instead.
constexpr int kInlineLoadLimit = 1;

/// An op's name as a part of a kernel's name: `_native_batch_norm_legit_no_training` is batch_norm.
std::string short_op_name(std::string name) {
  while (!name.empty() && name[0] == '_') name = name.substr(1);
  if (name.rfind("native_", 0) == 0) name = name.substr(7);
  for (const char* suffix : {"_legit_no_training", "_with_indices", "_legit"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      name = name.substr(0, name.size() - s.size());
    }
  }
  return name;
}

struct NodeInfo {
  size_t stmt = 0;
  kops::Fusible fusible;
  bool inlined = false;
};

/// The root of `value`'s alias group (views share their input's storage).
std::string alias_root(const std::map<std::string, std::string>& alias_of, std::string value) {
  for (int guard = 0; guard < 1000; ++guard) {
    auto it = alias_of.find(value);
    if (it == alias_of.end()) break;
    value = it->second;
  }
  return value;
}

class Fuser {
 public:
  explicit Fuser(wir::Module& module) : module_(module) {}

  void run() {
    wir::Block& body = module_.body;
    analyse(body);
    decide();
    build(body);
  }

 private:
  void analyse(const wir::Block& body) {
    std::map<std::string, std::string> alias_of;
    std::set<std::string> written;
    for (size_t i = 0; i < body.size(); ++i) {
      const Stmt& s = body[i];
      if (s.kind == Stmt::Kind::kOp && s.view && !s.alias_of.empty()) {
        for (const ir::Argument& out : s.node->outputs) {
          for (const std::string& n : out.value_names()) alias_of[n] = s.alias_of;
        }
      }
      if (s.kind == Stmt::Kind::kOp && s.schema != nullptr && s.schema->is_mutable()) {
        for (const ir::SchemaArgument& param : s.schema->arguments) {
          if (!param.is_write()) continue;
          const ir::NamedArgument* given = s.node->find_input(param.name);
          if (given != nullptr) {
            for (const std::string& n : given->arg.value_names()) written.insert(n);
          }
        }
      }
    }
    std::set<std::string> written_roots;
    for (const std::string& n : written) written_roots.insert(alias_root(alias_of, n));

    for (size_t i = 0; i < body.size(); ++i) {
      const Stmt& s = body[i];
      std::optional<kops::Fusible> f;
      if (s.kind == Stmt::Kind::kOp && s.schema != nullptr && s.graph != nullptr) {
        f = kops::classify(*s.node, *s.graph, *s.schema);
        if (f) {
          for (const std::string& in : f->inputs) {
            if (written_roots.count(alias_root(alias_of, in)) != 0) f.reset();
            if (!f) break;
          }
        }
      }
      if (f) {
        infos_[f->result] = NodeInfo{i, *f, false};
        for (const std::string& in : f->inputs) users_[in].insert(i);
      } else {
        for (const std::string& n : wir::reads(s)) needed_.insert(n);
      }
    }
    // A fusible node whose other results are read is not fused after all.
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto it = infos_.begin(); it != infos_.end();) {
        const Stmt& s = body[it->second.stmt];
        bool extra_used = false;
        for (size_t o = 1; o < s.node->outputs.size(); ++o) {
          const std::string& n = s.node->outputs[o].name;
          extra_used |= needed_.count(n) != 0 || !users_[n].empty();
        }
        if (!extra_used) {
          ++it;
          continue;
        }
        for (const std::string& n : wir::reads(s)) needed_.insert(n);
        it = infos_.erase(it);
        changed = true;
      }
    }
  }

  void decide() {
    // Backwards: a value is inlined unless something that is not a kernel needs its buffer.
    std::vector<std::string> order;
    for (const auto& [value, info] : infos_) order.push_back(value);
    std::sort(order.begin(), order.end(),
              [&](const std::string& a, const std::string& b) { return infos_[a].stmt > infos_[b].stmt; });
    for (const std::string& value : order) {
      NodeInfo& info = infos_[value];
      const bool needed = needed_.count(value) != 0;
      if (info.fusible.kind == kops::Kind::kView) {
        info.inlined = !needed;
        if (needed) {
          // Stays a library view: its input must exist as a buffer.
          for (const std::string& in : info.fusible.inputs) needed_.insert(in);
          view_roots_.insert(value);
        }
      } else if (info.fusible.kind == kops::Kind::kReduction) {
        info.inlined = false;
      } else {
        info.inlined = !needed;
      }
    }
    // Forwards: a value read by several kernels is stored when inlining it would repeat loads.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      NodeInfo& info = infos_[*it];
      if (!info.inlined || info.fusible.kind != kops::Kind::kPointwise) continue;
      if (users_[*it].size() >= 2 && load_count(*it) > kInlineLoadLimit) info.inlined = false;
    }
  }

  /// Buffers an inlined value's tree loads.
  int load_count(const std::string& value) {
    std::set<std::string> buffers;
    std::function<void(const std::string&)> visit = [&](const std::string& v) {
      auto it = infos_.find(v);
      if (it == infos_.end() || !it->second.inlined) {
        buffers.insert(v);
        return;
      }
      for (const std::string& in : it->second.fusible.inputs) visit(in);
    };
    auto it = infos_.find(value);
    for (const std::string& in : it->second.fusible.inputs) visit(in);
    return static_cast<int>(buffers.size());
  }

  bool is_inlined(const std::string& value) const {
    auto it = infos_.find(value);
    return it != infos_.end() && it->second.inlined;
  }

  // ---- Building kernels ----------------------------------------------------------------------

  /// The state of one kernel being built.
  struct Build {
    kernel::Kernel kernel;
    std::map<std::string, std::string> params;  // buffer value -> in0, in1, ...
    std::vector<std::string> inputs;            // buffer values in parameter order
    std::vector<wir::BufferMeta> layouts;
    std::map<std::string, kops::Loader> loaders;
    std::map<std::string, kernel::ExprPtr> memo;  // (value, position) -> element
    std::set<size_t> nodes;                       // statements fused
  };

  kops::Loader loader(Build& b, const std::string& value) {
    auto found = b.loaders.find(value);
    if (found != b.loaders.end()) return found->second;
    kops::Loader raw;
    if (is_inlined(value)) {
      const NodeInfo& info = infos_.at(value);
      const Stmt& s = module_.body[info.stmt];
      b.nodes.insert(info.stmt);
      std::map<std::string, kops::Loader> inputs;
      for (const std::string& in : info.fusible.inputs) inputs[in] = loader(b, in);
      raw = kops::result_loader(*s.node, *s.graph, *s.schema, inputs);
    } else {
      raw = buffer_loader(b, value);
    }
    kops::Loader memoised = [&b, value, raw](const kops::Position& p) {
      std::string key = value;
      for (const kernel::Index& i : p) key += "|" + i.to_string();
      auto it = b.memo.find(key);
      if (it != b.memo.end()) return it->second;
      kernel::ExprPtr e = raw(p);
      b.memo[key] = e;
      return e;
    };
    b.loaders[value] = memoised;
    return memoised;
  }

  const ir::TensorMeta& meta_of(const std::string& value) const {
    const ir::TensorMeta* m = nullptr;
    if (auto it = infos_.find(value); it != infos_.end())
      m = module_.body[it->second.stmt].graph->find_tensor(value);
    if (m == nullptr) m = module_.program->graph.find_tensor(value);
    if (m == nullptr) {
      for (const Stmt& s : module_.body) {
        if (s.graph != nullptr && (m = s.graph->find_tensor(value)) != nullptr) break;
      }
    }
    AOTIC_CHECK(m != nullptr, "fuse_kernels: no metadata for " + value);
    return *m;
  }

  kops::Loader buffer_loader(Build& b, const std::string& value) {
    const ir::TensorMeta meta = meta_of(value);
    return [this, &b, value, meta](const kops::Position& p) {
      auto it = b.params.find(value);
      std::string param;
      if (it == b.params.end()) {
        param = fmt::format("in{}", b.inputs.size());
        b.params[value] = param;
        b.inputs.push_back(value);
        wir::BufferMeta layout;
        layout.dtype = meta.dtype;
        layout.device = meta.device;
        layout.sizes = meta.sizes;
        layout.strides = meta.strides;
        b.layouts.push_back(layout);
        b.kernel.buffers.push_back({param, meta.dtype, false});
      } else {
        param = it->second;
      }
      AOTIC_CHECK(p.size() == meta.sizes.size(),
                  "fuse_kernels: position of rank " + std::to_string(p.size()) + " for " + value);
      kernel::Index index;
      for (size_t d = 0; d < p.size(); ++d) {
        if (meta.sizes[d].constant_value() == 1) continue;
        index = index + p[d] * meta.strides[d];
      }
      return kernel::load(param, index, meta.dtype);
    };
  }

  /// The statements computing `value` into buffer out0.
  Build kernel_for(const std::string& value) {
    Build b;
    const NodeInfo& info = infos_.at(value);
    const Stmt& s = module_.body[info.stmt];
    b.nodes.insert(info.stmt);
    const ir::TensorMeta& out = meta_of(value);
    std::map<std::string, kops::Loader> inputs;
    for (const std::string& in : info.fusible.inputs) inputs[in] = loader(b, in);
    ir::SymExpr work = ir::SymExpr::constant(1);
    if (info.fusible.kind == kops::Kind::kReduction) {
      b.kernel.body = kops::reduction_body(*s.node, *s.graph, *s.schema, inputs, "out0", out.strides);
      for (const std::string& in : info.fusible.inputs) {
        ir::SymExpr n = ir::SymExpr::constant(1);
        for (const ir::SymExpr& e : meta_of(in).sizes) n = n * e;
        if (n.is_constant() && work.is_constant() ? *n.constant_value() > *work.constant_value() : true)
          work = n;
      }
    } else {
      // One loop per dimension of size other than 1, outermost the largest stride.
      const size_t rank = out.sizes.size();
      kops::Position p;
      for (size_t d = 0; d < rank; ++d) {
        p.push_back(out.sizes[d].constant_value() == 1 ? kernel::Index::at(ir::SymExpr::constant(0))
                                                       : kernel::Index::of(fmt::format("i{}", d)));
        work = work * out.sizes[d];
      }
      kops::Loader result = kops::result_loader(*s.node, *s.graph, *s.schema, inputs);
      kernel::ExprPtr element = result(p);
      kernel::Index index;
      for (size_t d = 0; d < rank; ++d) {
        if (out.sizes[d].constant_value() != 1) index = index + p[d] * out.strides[d];
      }
      std::vector<kernel::Stmt> nest = {kernel::store("out0", index, element)};
      std::vector<size_t> dims;
      for (size_t d = 0; d < rank; ++d) {
        if (out.sizes[d].constant_value() != 1) dims.push_back(d);
      }
      // Innermost last: stable by descending stride, symbolic strides compared at a typical size
      // (every symbol 16) so a channels-last result of dynamic size still ends in its channels.
      std::vector<int64_t> hint(rank, 0);
      for (size_t d : dims) hint[d] = typical_value(out.strides[d]);
      std::stable_sort(dims.begin(), dims.end(), [&](size_t a, size_t c) { return hint[a] > hint[c]; });
      for (size_t k = dims.size(); k-- > 0;) {
        nest = {kernel::loop(fmt::format("i{}", dims[k]), out.sizes[dims[k]], nest)};
      }
      b.kernel.body = std::move(nest);
    }
    b.kernel.buffers.push_back({"out0", out.dtype, true});
    kernel::schedule(b.kernel, work);
    return b;
  }

  void build(wir::Block& body) {
    std::set<size_t> dropped;
    std::map<size_t, wir::Block> replacement;
    for (const auto& [value, info] : infos_) {
      if (info.inlined) dropped.insert(info.stmt);
    }
    std::vector<std::string> results;
    for (const auto& [value, info] : infos_) {
      if (!info.inlined && view_roots_.count(value) == 0) results.push_back(value);
    }
    std::sort(results.begin(), results.end(),
              [&](const std::string& a, const std::string& b) { return infos_[a].stmt < infos_[b].stmt; });
    for (const std::string& value : results) {
      const NodeInfo& info = infos_.at(value);
      const Stmt& op = body[info.stmt];
      Build b = kernel_for(value);
      std::string ops, places;
      for (size_t i : b.nodes) {
        const Stmt& s = body[i];
        if (ops.size() < 48) ops += "_" + short_op_name(s.schema->name);
        // "add_1" for aten.add.Tensor's node add_1; "getitem_3 (max_pool2d_with_indices)" otherwise.
        const std::string item = s.node->name.rfind(s.schema->name, 0) == 0
                                     ? s.node->name
                                     : fmt::format("{} ({})", s.node->name, s.schema->name);
        places += (places.empty() ? "" : ", ") + item;
      }
      const size_t index = module_.kernels.size();
      b.kernel.name = fmt::format("k{}{}", index, ops);
      // One line: the nodes it computes, as many as fit.
      if (places.size() > 96) places = places.substr(0, places.rfind(", ", 92)) + ", ...";
      b.kernel.comment = "nodes " + places;
      const ir::TensorMeta& out = meta_of(value);
      Stmt alloc;
      alloc.kind = Stmt::Kind::kAlloc;
      alloc.place = op.place;
      alloc.node = op.node;
      alloc.graph = op.graph;
      alloc.value = value;
      alloc.buffer.dtype = out.dtype;
      alloc.buffer.device = out.device;
      alloc.buffer.sizes = out.sizes;
      alloc.buffer.strides = out.strides;
      Stmt launch;
      launch.kind = Stmt::Kind::kLaunch;
      launch.place = op.place;
      launch.node = op.node;
      launch.graph = op.graph;
      launch.function = b.kernel.name;
      launch.kernel = static_cast<int>(index);
      launch.inputs = b.inputs;
      launch.layouts = b.layouts;
      launch.outs = {value};
      launch.note = b.nodes.size() > 1 ? "fuses " + places : "";
      if (launch.note.size() > 100)
        launch.note = launch.note.substr(0, launch.note.rfind(", ", 96)) + ", ...";
      module_.kernels.push_back(std::move(b.kernel));
      replacement[info.stmt] = {std::move(alloc), std::move(launch)};
    }
    wir::Block out;
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      if (dropped.count(i) != 0) continue;
      auto r = replacement.find(i);
      if (r == replacement.end()) {
        out.push_back(std::move(body[i]));
      } else {
        for (Stmt& s : r->second) out.push_back(std::move(s));
      }
    }
    body = std::move(out);
  }

  wir::Module& module_;
  std::map<std::string, NodeInfo> infos_;          // by result value
  std::map<std::string, std::set<size_t>> users_;  // value -> fusible statements reading it
  std::set<std::string> needed_;                   // values something other than a kernel reads
  std::set<std::string> view_roots_;               // fusible views kept as library views
};

}  // namespace

void fuse_kernels(wir::Module& module) { Fuser(module).run(); }

}  // namespace aotic::codegen
