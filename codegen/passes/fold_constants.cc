// fold_constants: ops that read only constants (weights and values folded before them) move from
// run() into fold(), which the runtime calls whenever the model's constants are set: when a
// container is made, and again after every constant update, so updated weights stay right. The
// values run() still reads become folded constants (ConstantKind::kFoldedConstant).
//
//   op permute = aten.permute.default(%p_w, [1, 0])      fold:  op permute = aten.permute(%p_w, ...)
//   op mul = aten.mul.Tensor(%permute, 0.5)          =>         op mul = aten.mul.Tensor(%permute, 0.5)
//   op addmm = aten.addmm.default(%b, %x, %mul)                 return mul
//                                                        run:   op addmm = aten.addmm(%b, %x, %mul)
//
// Not folded: ops reading a user input or a size symbol, random and uninitialised results,
// ops that write to an argument, results with symbolic sizes, values the model returns (a
// caller could write to them) or that run() writes to, factories (arange, full) of more than
// 1 MiB, and ops that only a generated kernel could run (fold() calls library functions only).
#include <set>

#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

/// Ops whose result is not a function of their inputs.
bool nondeterministic(const std::string& name) {
  static const std::set<std::string> kOps = {
      "bernoulli",
      "cauchy",
      "dropout",
      "empty",
      "empty_like",
      "empty_strided",
      "exponential",
      "geometric",
      "log_normal",
      "multinomial",
      "native_dropout",
      "new_empty",
      "new_empty_strided",
      "normal",
      "poisson",
      "rand",
      "rand_like",
      "randint",
      "randint_like",
      "randn",
      "randn_like",
      "randperm",
      "uniform",
      "rrelu",
      "rrelu_with_noise",
      "normal_functional",
      "rrelu_with_noise_functional",
  };
  return kOps.count(name) != 0;
}

/// The largest result of an op without inputs (a factory) that is folded.
constexpr int64_t kMaxFactoryBytes = int64_t{1} << 20;

bool is_getitem(const ir::Node& node) {
  return node.target == "<built-in function getitem>" || node.target == "_operator.getitem";
}

class Folder {
 public:
  Folder(wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim)
      : module_(module), schemas_(schemas), shim_(shim) {
    for (const ConstantEntry& c : module.constants.entries) known_.insert(c.spec->arg.name);
    for (const wir::Stmt& s : module.body) {
      if (s.kind == wir::Stmt::Kind::kReturn) returned_.insert(s.outs.begin(), s.outs.end());
    }
    find_written();
  }

  void run() {
    wir::Block body;
    std::vector<std::string> defined;  // by folded ops, in order
    for (wir::Stmt& s : module_.body) {
      if (foldable(s)) {
        for (const ir::Argument& out : s.node->outputs) {
          known_.insert(out.name);
          defined.push_back(out.name);
        }
        module_.fold.push_back(std::move(s));
      } else {
        body.push_back(std::move(s));
      }
    }
    module_.body = std::move(body);
    if (module_.fold.empty()) return;
    // Folded values run() reads become constants; the rest are fold()'s intermediates.
    std::set<std::string> read;
    for (const wir::Stmt& s : module_.body) {
      for (const std::string& n : wir::reads(s)) read.insert(n);
    }
    wir::Stmt ret;
    ret.kind = wir::Stmt::Kind::kReturn;
    ret.place = "the folded constants";
    for (const std::string& name : defined) {
      if (read.count(name) == 0) continue;
      const ir::TensorMeta* meta = module_.program->graph.find_tensor(name);
      module_.folded.push_back({name, *meta});
      ret.outs.push_back(name);
    }
    module_.fold.push_back(std::move(ret));
  }

 private:
  bool foldable(const wir::Stmt& s) const {
    if (s.kind != wir::Stmt::Kind::kOp || s.node == nullptr || s.graph != &module_.program->graph)
      return false;
    const ir::Node& node = *s.node;
    if (!is_getitem(node)) {
      if (s.schema == nullptr || s.schema->is_mutable() || nondeterministic(s.schema->name)) return false;
    }
    if (node.outputs.empty()) return false;  // an assertion: it stays where it checks
    bool reads_constant = false;
    for (const ir::NamedArgument& in : node.inputs) {
      for (const std::string& name : in.arg.value_names()) {
        if (known_.count(name) == 0) return false;
        reads_constant = true;
      }
    }
    for (const ir::Argument& out : node.outputs) {
      if (out.kind != ir::ArgKind::kTensor || returned_.count(out.name) != 0 ||
          written_.count(out.name) != 0) {
        return false;
      }
      const ir::TensorMeta* meta = s.graph->find_tensor(out.name);
      if (meta == nullptr || !meta->is_static() || meta->device.type != module_.device) return false;
      // A factory (arange, full, ...) is folded when its result is small: it is kept for good.
      const std::optional<int64_t> bytes = meta->static_storage_bytes();
      if (!reads_constant && (!bytes || *bytes > kMaxFactoryBytes)) return false;
    }
    return library_lowers(s, schemas_, shim_);
  }

  /// The values an op or the caller (the model's outputs) may write to, and what those may be views
  /// of (back through views and getitem): a folded constant is never written, since fold() would
  /// not run again before the next run.
  void find_written() {
    // What the model returns, the caller may write to: it and what it may view count as written.
    written_ = returned_;
    for (auto it = module_.body.rbegin(); it != module_.body.rend(); ++it) {
      const wir::Stmt& s = *it;
      if (s.kind == wir::Stmt::Kind::kCond) {
        written_.insert(s.inputs.begin(), s.inputs.end());  // a branch could write its operands
        continue;
      }
      if (s.kind != wir::Stmt::Kind::kOp || s.node == nullptr) continue;
      const ir::Node& node = *s.node;
      if (s.schema != nullptr) {
        for (const ir::SchemaArgument& param : s.schema->arguments) {
          if (!param.is_write()) continue;
          const ir::NamedArgument* given = node.find_input(param.name);
          if (given == nullptr) continue;
          for (const std::string& n : given->arg.value_names()) written_.insert(n);
        }
      }
      bool result_written = false;
      for (const ir::Argument& out : node.outputs) result_written |= written_.count(out.name) != 0;
      if (result_written && (s.view || is_getitem(node))) {
        for (const ir::NamedArgument& in : node.inputs) {
          for (const std::string& n : in.arg.value_names()) written_.insert(n);
        }
      }
    }
  }

  wir::Module& module_;
  const ir::SchemaRegistry& schemas_;
  const ShimFunctions& shim_;
  std::set<std::string> known_;     // constants and the values folded so far
  std::set<std::string> returned_;  // the model's outputs
  std::set<std::string> written_;   // values some op of run() writes to
};

}  // namespace

void fold_constants(wir::Module& module, const ir::SchemaRegistry& schemas, const ShimFunctions& shim) {
  Folder(module, schemas, shim).run();
}

}  // namespace aotic::codegen
