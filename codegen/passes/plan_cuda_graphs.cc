// plan_cuda_graphs (optimising; --disable-pass plan_cuda_graphs, or --no-cuda-graphs): decides
// whether a CUDA model replays its runs as CUDA graphs. A graph replays fixed work on fixed
// memory, so the model must have static shapes and no op whose result the host must read before
// the run can go on (data-dependent sizes, a cond's predicate, .item()): with any of those the
// model runs op by op, and Module::cuda_graphs_why says why. cuDNN's RNN ops are captured too
// (lstm_tagger: 0.143 ms a run against 1.792 op by op on an H200); they were excluded while a
// replay on another stream did not wait for the instance's previous run. The capture itself needs aotic's
// shim (PyTorch's C shim has no graph capture); the pipeline only runs this pass with it.
//
//   (static shapes, no host reads)   =>   module.cuda_graphs = true
#include <fmt/format.h>

#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

using wir::Stmt;

/// Shim functions whose results the host reads (or whose sizes depend on the data).
bool reads_on_host(const std::string& function) {
  for (const char* op : {"_local_scalar_dense", "item", "nonzero", "masked_select", "unique", "argwhere",
                         "repeat_interleave", "bincount", "histc", "_assert_async"}) {
    const std::string name = fmt::format("aoti_torch_cuda_{}", op);
    if (function == name || function.rfind(name + "_", 0) == 0) return true;
  }
  return false;
}

/// Why `block` cannot be captured, or "".
std::string blocker(const wir::Block& block) {
  for (const Stmt& s : block) {
    if (s.kind == Stmt::Kind::kCond) return s.place + ": a cond reads its predicate on the host";
    if (s.kind == Stmt::Kind::kReadInt) {
      return s.place + (s.read == Stmt::Read::kItem ? ": .item() reads the data on the host"
                                                    : ": its result's size depends on the data");
    }
    if ((s.kind == Stmt::Kind::kCall || s.kind == Stmt::Kind::kView) && reads_on_host(s.function)) {
      return s.place + ": " + s.function + " reads the data on the host";
    }
  }
  return "";
}

}  // namespace

void plan_cuda_graphs(wir::Module& module) {
  module.cuda_graphs = false;
  if (module.device != "cuda") return;
  if (!module.symbols.empty()) {
    module.cuda_graphs_why = fmt::format("its shapes are symbolic ({}...)", module.symbols[0].name);
    return;
  }
  module.cuda_graphs_why = blocker(module.body);
  module.cuda_graphs = module.cuda_graphs_why.empty();
}

}  // namespace aotic::codegen
