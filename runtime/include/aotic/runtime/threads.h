// Threads for generated kernels: chunks of a loop on the OpenMP pool of the process. The pool is
// the libgomp that is already loaded (libtorch's: Debian's system libgomp, or the copy a PyTorch
// wheel bundles), found at run time, so that library ops and kernels share one pool and one thread
// setting (omp_set_num_threads) instead of two pools spinning against each other; when none is
// loaded, the system's libgomp.so.1; when there is none, kernels run on the calling thread.
#pragma once

#include <cstdint>

namespace aotic::runtime {

/// libgomp's C entry points, resolved once (runtime/src/threads.cc).
struct OpenMp {
  void (*parallel)(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags) = nullptr;
  int (*thread_num)() = nullptr;
  int (*num_threads)() = nullptr;
  int (*max_threads)() = nullptr;
  int (*in_parallel)() = nullptr;
};

/// The OpenMP runtime kernels use, or nullptr when none can be loaded.
const OpenMp* openmp();

/// Elements one thread should have before a kernel's loop is split over threads.
constexpr int64_t kWorkPerThread = 16384;

/// Runs `body(begin, end)` over [0, n) in contiguous chunks on threads of the OpenMP pool: as many
/// threads as `work` (elements processed in all) keeps busy, at most the pool's size; on the
/// calling thread when that is one, or inside a pool already.
template <typename Body>
void parallel_for(int64_t n, int64_t work, const Body& body) {
  const OpenMp* omp = n > 1 && work >= 2 * kWorkPerThread ? openmp() : nullptr;
  int64_t threads = omp != nullptr && omp->in_parallel() == 0 ? omp->max_threads() : 1;
  if (threads > work / kWorkPerThread) threads = work / kWorkPerThread;
  if (threads > n) threads = n;
  if (threads <= 1) {
    body(int64_t{0}, n);
    return;
  }
  struct Task {
    const Body* body;
    const OpenMp* omp;
    int64_t n;
  } task{&body, omp, n};
  omp->parallel(
      [](void* data) {
        const Task& t = *static_cast<const Task*>(data);
        const int64_t count = t.omp->num_threads();
        const int64_t chunk = (t.n + count - 1) / count;
        const int64_t begin = chunk * t.omp->thread_num();
        const int64_t end = begin + chunk < t.n ? begin + chunk : t.n;
        if (begin < end) (*t.body)(begin, end);
      },
      &task, static_cast<unsigned>(threads), 0);
}

}  // namespace aotic::runtime
