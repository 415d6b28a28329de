// How generated CPU kernels run: which of their instruction-set copies this CPU takes, and their
// threads: chunks of a loop on the OpenMP pool of the process. The pool is
// the OpenMP runtime libtorch already loaded (Debian's libgomp, the copy a PyTorch wheel bundles,
// or Intel's or LLVM's, which offer libgomp's entry points too), found at run time, so that library
// ops and kernels share one pool and one thread setting (torch.set_num_threads,
// omp_set_num_threads) instead of two pools spinning against each other. Without one, kernels run
// on the calling thread.
#pragma once

#include <cstdint>

namespace aotic::runtime {

/// The copies of a model's generated CPU kernels (with the default --isa), worst to best.
enum class KernelIsa { kBase, kAvx2, kAvx512 };

/// The best copy this CPU runs, asked once: AVX-512 (x86-64-v4: F, BW, CD, DQ and VL, found only
/// where the OS saves their registers), AVX2 with FMA, BMI and BMI2, else the baseline.
/// AOTIC_KERNEL_ISA=base, avx2 or avx512 (any case) caps it, never above what the CPU runs;
/// another value is ignored with a warning on stderr.
KernelIsa kernel_isa();

/// kernel_isa()'s choice for a CPU whose best copy is `cpu` and an AOTIC_KERNEL_ISA of `cap`
/// (nullptr: unset).
KernelIsa capped_kernel_isa(KernelIsa cpu, const char* cap);

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

/// Elements a loop must process before it is split over threads.
constexpr int64_t kParallelWork = 65536;

/// Runs `body(begin, end)` over [0, n) in contiguous chunks, one per thread of the OpenMP pool
/// (the whole team, as libtorch's own parallel regions use it: a team of another size makes the
/// runtime regroup its threads each time); on the calling thread when `work` (elements processed
/// in all) is small, the pool has one thread, or it runs inside a pool already.
/// parallel_for's one call of the loop body, on either path: the compiler then optimises the
/// body once instead of twice (small_cnn's baseline kernel copy compiled in 85 ms instead of 110
/// with g++ 12, the longest of its compile jobs).
template <typename Body>
__attribute__((noinline)) void run_chunk(const Body& body, int64_t begin, int64_t end) {
  body(begin, end);
}

template <typename Body>
void parallel_for(int64_t n, int64_t work, const Body& body) {
  const OpenMp* omp = n > 1 && work >= kParallelWork ? openmp() : nullptr;
  if (omp == nullptr || omp->in_parallel() != 0 || omp->max_threads() <= 1) {
    run_chunk(body, int64_t{0}, n);
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
        if (begin < end) run_chunk(*t.body, begin, end);
      },
      &task, 0, 0);
}

}  // namespace aotic::runtime
