// reuse_buffers (optimising; --disable-pass reuse_buffers): an `alloc` takes a buffer aotic
// allocated earlier in the same block when that buffer has the same dtype, device, sizes and
// strides and nothing that may share its storage is alive any more. What may share it comes from
// the schemas' alias annotations (views, in-place results, getitem, a cond's results), not from
// "every op may alias its inputs".
//
//   alloc addmm : f32[8, 10]             alloc addmm : f32[8, 10]
//   ...                                  ...
//   free addmm                       =>  free addmm  # reused by addmm_1
//   alloc addmm_1 : f32[8, 10]           alloc addmm_1 : reuse addmm
#include <map>

#include "codegen/passes/passes.h"
#include "codegen/passes/storage_roots.h"

namespace aotic::codegen {
namespace {

void reuse_block(wir::Block& block) {
  StorageRoots storage;
  std::map<std::string, std::string> key_of;             // buffer -> its reuse key
  std::map<std::string, size_t> freed_at;                // value -> index of its free
  std::map<std::string, std::vector<std::string>> pool;  // key -> dead buffers
  for (size_t i = 0; i < block.size(); ++i) {
    wir::Stmt& s = block[i];
    for (wir::Branch& b : s.branches) reuse_block(b.body);
    switch (s.kind) {
      case wir::Stmt::Kind::kAlloc: {
        const std::string key = s.buffer.key();
        std::vector<std::string>& free = pool[key];
        if (!free.empty()) {
          s.reuse = free.back();
          free.pop_back();
          block[freed_at.at(s.reuse)].reused_by = s.value;
        }
        key_of[s.value] = key;
        storage.define(s.value, {s.value});
        break;
      }
      case wir::Stmt::Kind::kFree:
        freed_at[s.value] = i;
        for (const std::string& r : storage.release(s.value)) {
          if (key_of.count(r) && freed_at.count(r)) pool[key_of.at(r)].push_back(r);
        }
        break;
      default:
        storage.define_results(s);
        break;
    }
  }
}

}  // namespace

void reuse_buffers(wir::Module& module) { reuse_block(module.body); }

}  // namespace aotic::codegen
