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
class OpCache {
 public:
  OpCache(std::string op, const ir::OpSchema& schema, Options options, std::shared_ptr<AtomicStats> stats);

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
  };

  void warn(const std::string& message) const;
  /// The loaded kernel for `key`, loading a library known from the index; nullptr when none.
  std::shared_ptr<KernelLibrary> find(const std::string& key, bool& refused, bool& not_dynamic);
  /// After the regular kernel produced `results` for `call`: compile, load and record a kernel.
  /// `per_size`: for a dynamic `call`, the same call described per size, used when the results
  /// do not keep the inputs' sizes.
  void compile(const CallDescription& call, const std::optional<CallDescription>& per_size,
               const std::vector<at::Tensor>& results);
  void mark(const std::string& key, bool refused, bool not_dynamic);

  std::string op_;
  const ir::OpSchema& schema_;
  Options options_;
  std::shared_ptr<AtomicStats> stats_;
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
