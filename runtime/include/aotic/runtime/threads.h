// Threads for generated kernels: chunks of a loop on the OpenMP pool of the process. The kernels
// call libgomp's C entry points directly (the OpenMP runtime Debian's libtorch uses too, so library
// ops and kernels share one pool and one thread setting, omp_set_num_threads), whatever compiler
// built model.cpp; a model.so with kernels links -lgomp.
#pragma once

#include <cstdint>

extern "C" {
void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags);
int omp_get_thread_num();
int omp_get_num_threads();
int omp_get_max_threads();
int omp_in_parallel();
}

namespace aotic::runtime {

/// Elements a kernel's loop must cover before it is split over threads.
constexpr int64_t kParallelWork = 32768;

/// Runs `body(begin, end)` over [0, n) in one contiguous chunk per thread of the OpenMP pool, or
/// on the calling thread when `work` (elements processed in all) is small, there is one thread,
/// or it runs inside a pool already.
template <typename Body>
void parallel_for(int64_t n, int64_t work, const Body& body) {
  if (n <= 1 || work < kParallelWork || omp_in_parallel() || omp_get_max_threads() <= 1) {
    body(int64_t{0}, n);
    return;
  }
  struct Task {
    const Body* body;
    int64_t n;
  } task{&body, n};
  GOMP_parallel(
      [](void* data) {
        const Task& t = *static_cast<const Task*>(data);
        const int64_t threads = omp_get_num_threads();
        const int64_t chunk = (t.n + threads - 1) / threads;
        const int64_t begin = chunk * omp_get_thread_num();
        const int64_t end = begin + chunk < t.n ? begin + chunk : t.n;
        if (begin < end) (*t.body)(begin, end);
      },
      &task, 0, 0);
}

}  // namespace aotic::runtime
