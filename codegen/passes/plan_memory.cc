// plan_memory (optimising; --disable-pass plan_memory): the buffers the model allocates itself
// with static sizes (kernel outputs, `.out` results) are carved from one arena per run, at offsets
// chosen from their lifetimes (aoti_torch__alloc_from_pool), so a run makes one allocation for
// all of them and buffers that are never alive together share bytes. Sizes that depend on a symbol,
// buffers inside a cond's branches and anything a model output may share storage with keep their
// own allocation, and so does a model with fewer than three such buffers. Buffers reuse_buffers
// chained (same shape, one after the other) are placed one by one instead.
//
// A buffer lives from its alloc to the free at which nothing that may share its storage (views,
// in-place results, a reuse_buffers successor; the schemas' alias annotations) is alive any more.
// Offsets are placed greedily, largest buffer first, at the lowest 64-byte aligned offset that no
// buffer alive at the same time overlaps.
//
//   alloc addmm : float32[8, 128] strides [128, 1]   =>   alloc addmm : float32[8, 128] strides [128, 1] at
//   arena+0
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "codegen/passes/passes.h"
#include "codegen/passes/storage_roots.h"

namespace aotic::codegen {
namespace {

using wir::Stmt;

constexpr int64_t kAlignment = 64;
constexpr size_t kMinBuffers = 3;
constexpr size_t kNever = std::numeric_limits<size_t>::max();

struct Slot {
  size_t stmt = 0;       // its alloc
  size_t dies = kNever;  // the free after which nothing shares it (kNever: alive to the end)
  int64_t bytes = 0;
  int64_t offset = -1;
};

/// Bytes a static buffer spans, rounded up to the alignment; 0 when not static or empty.
int64_t static_bytes(const wir::BufferMeta& buffer) {
  ir::TensorMeta meta;
  meta.dtype = buffer.dtype;
  meta.sizes = buffer.sizes;
  meta.strides = buffer.strides;
  meta.storage_offset = ir::SymExpr::constant(0);
  const std::optional<int64_t> bytes = meta.static_storage_bytes();
  if (!bytes || *bytes <= 0 || *bytes > std::numeric_limits<int64_t>::max() - kAlignment) return 0;
  return (*bytes + kAlignment - 1) / kAlignment * kAlignment;
}

}  // namespace

void plan_memory(wir::Module& module) {
  wir::Block& block = module.body;
  // reuse_buffers chains a dead buffer into a later one of the same shape, which would make one
  // long lifetime of the chain; the arena places each on its own instead (same bytes or not).
  std::map<std::string, size_t> free_of;  // value -> its free
  for (size_t i = 0; i < block.size(); ++i) {
    if (block[i].kind == Stmt::Kind::kFree) free_of[block[i].value] = i;
  }
  for (Stmt& s : block) {
    if (s.kind != Stmt::Kind::kAlloc || s.reuse.empty() || static_bytes(s.buffer) == 0 ||
        s.buffer.device.type != module.device) {
      continue;
    }
    auto it = free_of.find(s.reuse);
    if (it == free_of.end() || block[it->second].reused_by != s.value) continue;
    block[it->second].reused_by.clear();
    s.reuse.clear();
  }

  StorageRoots storage;
  std::map<std::string, Slot> slots;              // root value -> its slot
  std::map<std::string, std::string> storage_of;  // alloc value -> the root whose bytes it holds
  const auto revive = [&](const std::set<std::string>& roots) {
    for (const std::string& r : roots) {
      auto it = slots.find(r);
      if (it != slots.end()) it->second.dies = kNever;  // alive again (a reuse, a late alias)
    }
  };
  for (size_t i = 0; i < block.size(); ++i) {
    const Stmt& s = block[i];
    switch (s.kind) {
      case Stmt::Kind::kAlloc: {
        if (!s.reuse.empty()) {  // reuse_buffers: the same bytes under a new name
          const std::string root = storage_of.count(s.reuse) ? storage_of.at(s.reuse) : s.reuse;
          storage_of[s.value] = root;
          revive(storage.define(s.value, {root}));
          break;
        }
        storage_of[s.value] = s.value;
        const int64_t bytes = static_bytes(s.buffer);
        if (bytes > 0 && s.buffer.device.type == module.device) slots[s.value] = Slot{i, kNever, bytes, -1};
        storage.define(s.value, {s.value});
        break;
      }
      case Stmt::Kind::kFree:
        for (const std::string& r : storage.release(s.value)) {
          auto it = slots.find(r);
          if (it != slots.end()) it->second.dies = i;
        }
        break;
      default:
        revive(storage.define_results(s));
        break;
    }
  }

  // What a free ends: buffers alive to the end (outputs and what may share them) keep their own.
  std::vector<Slot*> planned;
  for (auto& [value, slot] : slots) {
    if (slot.dies != kNever) planned.push_back(&slot);
  }
  // Two buffers or fewer: an arena saves nothing (small_cnn, two buffers, ran about 4% slower).
  if (planned.size() < kMinBuffers) return;
  std::stable_sort(planned.begin(), planned.end(), [](const Slot* a, const Slot* b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->stmt < b->stmt;
  });
  std::vector<const Slot*> placed;
  int64_t arena = 0, separate = 0;
  for (Slot* slot : planned) {
    std::vector<std::pair<int64_t, int64_t>> taken;  // [begin, end) of buffers alive with it
    for (const Slot* other : placed) {
      if (other->stmt <= slot->dies && slot->stmt <= other->dies)
        taken.emplace_back(other->offset, other->offset + other->bytes);
    }
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : taken) {
      if (offset + slot->bytes <= begin) break;
      offset = std::max(offset, end);
    }
    slot->offset = offset;
    placed.push_back(slot);
    arena = std::max(arena, offset + slot->bytes);
    separate += slot->bytes;
  }
  for (const Slot* slot : planned) block[slot->stmt].pool_offset = slot->offset;
  module.arena.bytes = arena;
  module.arena.buffers = static_cast<int64_t>(planned.size());
  module.arena.separate_bytes = separate;
}

}  // namespace aotic::codegen
