// plan_lifetimes: a `free` right after the last statement that reads each value the block owns
// (values its statements define; inputs, constants and a branch's operands are borrowed), so
// memory goes back in graph order. Values the block hands out (the model's outputs, a branch's
// outputs) are not freed. Aliasing does not delay a free: handles are reference-counted, so a view
// keeps its storage alive on its own (reuse_buffers is what must know about aliases).
//
//   call aoti_torch_cpu_relu(addmm) -> relu      call aoti_torch_cpu_relu(addmm) -> relu
//   call aoti_torch_cpu_mm(relu, w) -> mm    =>  free addmm
//   return mm                                    call aoti_torch_cpu_mm(relu, w) -> mm
//                                                free relu
//                                                return mm
#include <map>

#include "codegen/passes/passes.h"

namespace aotic::codegen {
namespace {

void plan_block(wir::Block& block, const std::vector<std::string>& handed_out) {
  std::set<std::string> keep(handed_out.begin(), handed_out.end());
  std::vector<std::string> owned;  // in definition order
  std::map<std::string, size_t> last;
  for (size_t i = 0; i < block.size(); ++i) {
    wir::Stmt& s = block[i];
    for (wir::Branch& b : s.branches) plan_block(b.body, b.outputs);
    for (const std::string& n : wir::reads(s)) {
      if (last.count(n)) last[n] = i;
    }
    if (s.kind == wir::Stmt::Kind::kReturn) {
      for (const std::string& n : s.outs) keep.insert(n);
    }
    if (s.kind == wir::Stmt::Kind::kSize || s.kind == wir::Stmt::Kind::kReadInt) continue;  // integers
    for (const std::string& n : wir::defines(s)) {
      if (last.count(n)) continue;  // defined twice (an in-place alias of itself): keep the first
      owned.push_back(n);
      last[n] = i;
    }
  }
  std::vector<std::vector<std::string>> frees(block.size());
  for (const std::string& n : owned) {
    if (keep.count(n) == 0) frees[last.at(n)].push_back(n);
  }
  wir::Block out;
  out.reserve(block.size() + owned.size());
  for (size_t i = 0; i < block.size(); ++i) {
    out.push_back(std::move(block[i]));
    for (const std::string& n : frees[i]) {
      wir::Stmt free;
      free.kind = wir::Stmt::Kind::kFree;
      free.value = n;
      out.push_back(std::move(free));
    }
  }
  block = std::move(out);
}

}  // namespace

void plan_lifetimes(wir::Module& module) {
  plan_block(module.fold, {});
  plan_block(module.body, {});
}

}  // namespace aotic::codegen
