// The kernel enable() registers for one op at the BackendSelect dispatch key: describes each call,
// serves it from the cache, compiles on a miss, and sends what it cannot serve to the regular
// kernel (the next key: the backend's own).
#pragma once

#include <ATen/core/boxing/KernelFunction.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "eager/cache_index.h"
#include "eager/call_key.h"
#include "eager/compile_queue.h"
#include "eager/eager.h"
#include "eager/kernel_library.h"
#include "ir/op_schema.h"

namespace aotic::eager {

/// Counters shared by the ops of one registration.
struct AtomicStats {
  std::atomic<int64_t> hits{0}, misses{0}, compiles{0}, compile_failures{0}, loaded_from_disk{0},
      fallbacks{0}, stale_entries{0};
  std::atomic<int64_t> compile_microseconds{0};
  Stats snapshot() const;
};

/// The cache of one op: its kernels in memory, its index on disk.
class OpCache : public std::enable_shared_from_this<OpCache> {
 public:
  /// `queue`: where compiles run (outlives every call); null to compile on the calling thread.
  OpCache(std::string op, const ir::OpSchema& schema, Options options, std::shared_ptr<AtomicStats> stats,
          CompileQueue* queue);

  /// The boxed kernel body.
  void call(const c10::OperatorHandle& op, c10::DispatchKeySet keys, torch::jit::Stack* stack);

 private:
  /// What the cache holds for one description.
  struct Slot {
    std::string library_path;                // known (from the index or a compile), maybe not loaded
    std::string library_hash;                // from the index: checked before loading
    std::shared_ptr<KernelLibrary> library;  // loaded
    bool refused = false;                    // no kernel can serve it: go to the regular kernel
    bool not_dynamic = false;                // a dynamic description whose results do not fit it
    bool pending = false;                    // its kernel is being compiled
  };
  /// What find() knows about a key.
  struct Lookup {
    std::shared_ptr<KernelLibrary> library;  // loaded, or null
    bool refused = false;
    bool not_dynamic = false;
    bool pending = false;
  };
  /// A kernel to build: the description and its results' metadata.
  struct CompileJob {
    CallDescription call;
    std::vector<ir::TensorMeta> results;
  };

  void warn(const std::string& message) const;
  /// What the cache holds for `key`, loading a library known from the index.
  Lookup find(const std::string& key);
  /// After the regular kernel produced `results` for `call`: the kernel to build, marked pending;
  /// nullopt when none (results it cannot produce, or another call got there first).
  /// `per_size`: for a dynamic `call`, the same call described per size, used when the results
  /// do not keep the inputs' sizes.
  std::optional<CompileJob> plan_compile(CallDescription call, std::optional<CallDescription> per_size,
                                         const std::vector<at::Tensor>& results);
  /// Compiles, loads and records the kernel (on the queue's thread or the caller's).
  void build(const CompileJob& job);
  void mark(const std::string& key, bool refused, bool not_dynamic);

  std::string op_;
  const ir::OpSchema& schema_;
  Options options_;
  std::shared_ptr<AtomicStats> stats_;
  CompileQueue* queue_;  // owned by the registration, which outlives every call
  CacheIndex index_;
  std::mutex mutex_;          // guards slots_
  std::mutex compile_mutex_;  // one compile of this op at a time
  std::map<std::string, Slot> slots_;
};

/// The c10::OperatorKernel wrapper the dispatcher holds.
class KernelHolder : public c10::OperatorKernel {
 public:
  explicit KernelHolder(std::shared_ptr<OpCache> cache) : cache_(std::move(cache)) {}
  void operator()(const c10::OperatorHandle& op, c10::DispatchKeySet keys, torch::jit::Stack* stack) {
    cache_->call(op, keys, stack);
  }

 private:
  std::shared_ptr<OpCache> cache_;
};

}  // namespace aotic::eager
