#include "eager/kernel_holder.h"

#include <ATen/core/stack.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "codegen/compile.h"
#include "eager/one_op_program.h"
#include "ir/error.h"

namespace aotic::eager {
namespace {

/// Set while a kernel of the cache runs or compiles on this thread: calls the kernel itself makes
/// through libtorch (a fallback op inside model.so) go straight to the regular kernel.
thread_local int tls_depth = 0;

struct DepthGuard {
  DepthGuard() { ++tls_depth; }
  ~DepthGuard() { --tls_depth; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

/// The regular kernel: everything after BackendSelect.
void redispatch(const c10::OperatorHandle& op, c10::DispatchKeySet keys, torch::jit::Stack* stack) {
  op.redispatchBoxed(
      keys & c10::DispatchKeySet(c10::DispatchKeySet::FULL_AFTER, c10::DispatchKey::BackendSelect), stack);
}

}  // namespace

Stats AtomicStats::snapshot() const {
  Stats s;
  s.hits = hits;
  s.misses = misses;
  s.compiles = compiles;
  s.compile_failures = compile_failures;
  s.loaded_from_disk = loaded_from_disk;
  s.fallbacks = fallbacks;
  s.stale_entries = stale_entries;
  s.compile_seconds = static_cast<double>(compile_microseconds.load()) / 1e6;
  return s;
}

OpCache::OpCache(std::string op, const ir::OpSchema& schema, Options options,
                 std::shared_ptr<AtomicStats> stats, CompileQueue* queue)
    : op_(std::move(op)),
      schema_(schema),
      options_(std::move(options)),
      stats_(std::move(stats)),
      queue_(queue),
      index_(options_.cache_dir, op_, options_.isa) {
  IndexContents contents = index_.read();
  for (const std::string& w : contents.warnings) warn(w);
  stats_->stale_entries += static_cast<int64_t>(contents.warnings.size());
  for (IndexEntry& entry : contents.entries) {
    Slot& slot = slots_[entry.key];
    slot.library_path = index_.resolve(entry.kernel_path);
    slot.library_hash = entry.library_hash;
  }
}

void OpCache::warn(const std::string& message) const {
  if (options_.warnings) std::cerr << "aotic eager: warning: " << message << "\n";
}

void OpCache::mark(const std::string& key, bool refused, bool not_dynamic) {
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& slot = slots_[key];
  slot.refused = slot.refused || refused;
  slot.not_dynamic = slot.not_dynamic || not_dynamic;
}

OpCache::Lookup OpCache::find(const std::string& key) {
  Lookup out;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return out;
  Slot& slot = it->second;
  out.refused = slot.refused;
  out.not_dynamic = slot.not_dynamic;
  out.pending = slot.pending;
  if (slot.library || slot.library_path.empty()) {
    out.library = slot.library;
    return out;
  }
  // Known from the index: check the bytes are the ones recorded, then load.
  const std::string path = slot.library_path;
  slot.library_path.clear();
  if (!slot.library_hash.empty() && CacheIndex::file_hash(path) != slot.library_hash) {
    warn(fmt::format("{}: library changed since it was cached; rebuilt", path));
    ++stats_->stale_entries;
    return out;
  }
  try {
    slot.library = KernelLibrary::load(path);
    ++stats_->loaded_from_disk;
  } catch (const std::exception& e) {
    warn(fmt::format("{}; rebuilt", e.what()));
    ++stats_->stale_entries;
  }
  out.library = slot.library;
  return out;
}

void OpCache::call(const c10::OperatorHandle& op, c10::DispatchKeySet keys, torch::jit::Stack* stack) {
  if (tls_depth > 0) return redispatch(op, keys, stack);
  const size_t num_args = op.schema().arguments().size();
  const c10::ArrayRef<c10::IValue> args = torch::jit::last(*stack, num_args);

  bool dynamic = options_.dynamic_shapes;
  CallDescription call = describe_call(schema_, args, dynamic, /*full=*/false);
  if (!call.cacheable) {
    ++stats_->fallbacks;
    return redispatch(op, keys, stack);
  }
  Lookup found = find(call.key);
  if (!found.library && found.not_dynamic) {
    dynamic = false;
    call = describe_call(schema_, args, dynamic, /*full=*/false);
    found = find(call.key);
  }
  if (found.library) {
    std::vector<at::Tensor> results;
    try {
      DepthGuard guard;
      results = found.library->run(call.tensors);
    } catch (const std::exception& e) {
      // Not expected (the description matched): the regular kernel still answers the call.
      warn(fmt::format("{}: {}; the call ran the regular kernel", op_, e.what()));
      ++stats_->fallbacks;
      return redispatch(op, keys, stack);
    }
    torch::jit::drop(*stack, num_args);
    for (at::Tensor& r : results) torch::jit::push(*stack, std::move(r));
    ++stats_->hits;
    return;
  }
  if (found.refused) {
    ++stats_->fallbacks;
    return redispatch(op, keys, stack);
  }
  ++stats_->misses;
  if (found.pending) return redispatch(op, keys, stack);  // its kernel is being compiled

  // A miss: this call's result comes from the regular kernel; the kernel compiled from it serves
  // the next calls. The full description is taken before the redispatch consumes the arguments.
  call = describe_call(schema_, args, dynamic, /*full=*/true);
  // When the results turn out not to keep the inputs' sizes, the per-size kernel is built instead.
  std::optional<CallDescription> per_size;
  if (call.dynamic) per_size = describe_call(schema_, args, /*dynamic=*/false, /*full=*/true);
  redispatch(op, keys, stack);
  const size_t num_returns = op.schema().returns().size();
  std::vector<at::Tensor> results;
  for (const c10::IValue& v : torch::jit::last(*stack, num_returns)) {
    if (!v.isTensor()) return mark(call.key, /*refused=*/true, false);
    results.push_back(v.toTensor());
  }
  std::optional<CompileJob> job = plan_compile(std::move(call), std::move(per_size), results);
  if (!job) return;
  if (queue_) {
    queue_->push([self = shared_from_this(), job = std::move(*job)] {
      DepthGuard guard;
      self->build(job);
    });
  } else {
    DepthGuard guard;
    build(*job);
  }
}

std::optional<OpCache::CompileJob> OpCache::plan_compile(CallDescription first,
                                                         std::optional<CallDescription> per_size,
                                                         const std::vector<at::Tensor>& results) {
  CompileJob job;
  job.call = std::move(first);
  for (;;) {
    job.results.clear();
    for (const at::Tensor& r : results) {
      std::optional<ir::TensorMeta> meta = result_meta(r, job.call);
      if (!meta) break;
      job.results.push_back(*meta);
    }
    if (job.results.size() == results.size()) break;
    if (!job.call.dynamic || !per_size) {
      mark(job.call.key, /*refused=*/true, false);
      return std::nullopt;
    }
    // The results do not keep the inputs' sizes: one kernel per size instead.
    mark(job.call.key, false, /*not_dynamic=*/true);
    job.call = std::move(*per_size);
    per_size.reset();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& slot = slots_[job.call.key];
  if (slot.library || slot.refused || slot.pending) return std::nullopt;  // another call got here first
  slot.pending = true;
  return job;
}

void OpCache::build(const CompileJob& job) {
  std::lock_guard<std::mutex> compiling(compile_mutex_);
  const CallDescription& call = job.call;
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<KernelLibrary> library;
  try {
    const ir::Program program = one_op_program(schema_, call, job.results);
    codegen::CompileOptions options;
    options.output = index_.library_path(call.key);
    options.cxx = options_.cxx;
    options.opt_level = options_.opt_level;
    options.isa = options_.isa;
    options.shim_library = options_.shim_library;
    options.runtime_library = options_.runtime_library;
    options.source_name = op_;
    codegen::compile_model(program, options);
    library = KernelLibrary::load(options.output);
    IndexEntry entry;
    entry.key = call.key;
    entry.meta_info = call.meta_info;
    entry.arguments = call.arguments;
    entry.kernel_path = std::filesystem::path(options.output).lexically_relative(options_.cache_dir).string();
    index_.add(entry);
    ++stats_->compiles;
  } catch (const std::exception& e) {
    warn(fmt::format("{}: cannot compile a kernel for this call ({}); it runs the regular kernel", op_,
                     e.what()));
    ++stats_->compile_failures;
    library.reset();
  }
  stats_->compile_microseconds +=
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& slot = slots_[call.key];
  slot.pending = false;
  slot.library_path.clear();
  slot.library = library;
  slot.refused = library == nullptr;
}

}  // namespace aotic::eager
