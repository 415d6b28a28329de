// aotic's eager kernel cache: compiled kernels for ATen ops called eagerly from a libtorch C++
// program, without Python (the C++ counterpart of PyTorch's AOTI eager kernel holder).
//
//   aotic::eager::Options options;
//   options.cache_dir = "kcache";
//   auto cache = aotic::eager::enable({"aten::add.Tensor", "aten::gelu"}, options);
//   at::Tensor y = at::gelu(x);  // first call with these sizes: compiled; later calls: the kernel
//
// enable() registers a kernel for each op at the BackendSelect dispatch key, which libtorch runs
// right before the backend's kernel on every call (after autograd, so gradients still work). For
// each call the kernel describes the arguments (dtype, device, sizes and strides of each tensor,
// the value of each non-tensor argument: eager/call_key.h) and looks the description up:
//  - hit: runs the cached model.so through the AOTInductor container interface;
//  - miss: runs the regular kernel for this call's result, builds a one-op program from the op's
//    schema and the call (eager/one_op_program.h), compiles it in-process with aotic's codegen
//    (on a background thread by default: eager/compile_queue.h), loads it and records it in the
//    persistent cache (eager/cache_index.h) for this and later processes;
//  - a call the cache cannot serve (a CUDA or sparse tensor, a Generator argument, an op aotic
//    cannot compile) goes to the regular kernel, never to an error for the caller.
//
// Kernels are model.so files built with the bundled shim against the libtorch of this process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aotic::eager {

struct Options {
  /// Where compiled kernels and their indexes live (created if missing). Required.
  std::string cache_dir;
  /// One kernel per op, dtype and rank instead of per exact sizes, for calls whose tensors all have
  /// the same sizes and are contiguous (pointwise ops); a new size then reuses the kernel.
  bool dynamic_shapes = false;
  /// The C++ compiler ("" picks as `aotic compile` does), optimisation level and x86-64 level.
  /// Kernels are compiled where they run, so for this CPU by default; entries record the CPU's
  /// features and a cache directory shared with another kind of CPU rebuilds them there.
  std::string cxx;
  int opt_level = 2;
  std::string isa = "native";
  /// libaotic_shim.so and libaotic_runtime.a ("" finds them as `aotic compile` does:
  /// $AOTIC_SHIM_LIBRARY / $AOTIC_RUNTIME_LIBRARY, else beside the running binary).
  std::string shim_library;
  std::string runtime_library;
  /// Warnings (a corrupt index entry, a failed compile) go to stderr, one line each.
  bool warnings = true;
  /// Compile on a background thread (one per registration): a miss answers with the regular
  /// kernel at once and later calls hit once the kernel is ready. false: the missing call waits
  /// for its compile (deterministic, as in the tests).
  bool background_compile = true;
};

/// Counters of one registration, summed over its ops.
struct Stats {
  int64_t hits = 0;      // calls served by a cached kernel
  int64_t misses = 0;    // calls that found no kernel (and ran the regular one)
  int64_t compiles = 0;  // kernels compiled
  int64_t compile_failures = 0;
  int64_t loaded_from_disk = 0;  // kernels found in the persistent cache and loaded
  int64_t fallbacks = 0;         // calls the cache cannot serve, sent to the regular kernel
  int64_t stale_entries = 0;     // index entries ignored as corrupt or stale
  double compile_seconds = 0;
};

/// The kernels registered by one enable() call; destroying it unregisters them.
class Registration {
 public:
  virtual ~Registration() = default;
  virtual Stats stats() const = 0;
  /// The ops, as "aten::add.Tensor".
  virtual std::vector<std::string> ops() const = 0;
  /// Blocks until every compile queued so far has finished.
  virtual void wait_for_compiles() = 0;
};

/// Registers cached kernels for `ops` ("aten::add.Tensor"; "aten::gelu" names the default
/// overload) on the CPU. Throws aotic::UserError naming the op when one is unknown or cannot be
/// cached (it writes to an argument, returns a view or a non-tensor, or takes no tensor), and when
/// the cache directory cannot be created.
std::unique_ptr<Registration> enable(const std::vector<std::string>& ops, const Options& options);

}  // namespace aotic::eager
