#include "aotic/runtime/threads.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace aotic::runtime {
namespace {

/// The path of the OpenMP runtime already loaded (libtorch's: libgomp, or Intel's or LLVM's, which
/// provide libgomp's entry points too), or "".
std::string loaded_openmp() {
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const char* name = info->dlpi_name;
        if (name == nullptr) return 0;
        const char* base = std::strrchr(name, '/');
        base = base ? base + 1 : name;
        for (const char* prefix : {"libgomp", "libiomp5", "libomp"}) {
          if (std::strncmp(base, prefix, std::strlen(prefix)) == 0) {
            *static_cast<std::string*>(out) = name;
            return 1;
          }
        }
        return 0;
      },
      &found);
  return found;
}

OpenMp resolve() {
  OpenMp omp;
  // Only a runtime the process has already: a second pool would spin against libtorch's and
  // ignore its thread setting. Without one, kernels run on the calling thread.
  const std::string loaded = loaded_openmp();
  void* lib = loaded.empty() ? nullptr : dlopen(loaded.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) return omp;
  omp.parallel = reinterpret_cast<decltype(omp.parallel)>(dlsym(lib, "GOMP_parallel"));
  omp.thread_num = reinterpret_cast<decltype(omp.thread_num)>(dlsym(lib, "omp_get_thread_num"));
  omp.num_threads = reinterpret_cast<decltype(omp.num_threads)>(dlsym(lib, "omp_get_num_threads"));
  omp.max_threads = reinterpret_cast<decltype(omp.max_threads)>(dlsym(lib, "omp_get_max_threads"));
  omp.in_parallel = reinterpret_cast<decltype(omp.in_parallel)>(dlsym(lib, "omp_in_parallel"));
  return omp;
}

}  // namespace

KernelIsa capped_kernel_isa(KernelIsa cpu, const char* cap) {
  if (cap == nullptr) return cpu;
  const std::string wanted = cap;
  const KernelIsa limit = wanted == "base"   ? KernelIsa::kBase
                          : wanted == "avx2" ? KernelIsa::kAvx2
                                             : KernelIsa::kAvx512;  // avx512, or a value it ignores
  return static_cast<int>(limit) < static_cast<int>(cpu) ? limit : cpu;
}

KernelIsa kernel_isa() {
  static const KernelIsa isa = [] {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512vl");
    return capped_kernel_isa(avx512 ? KernelIsa::kAvx512
                             : avx2 ? KernelIsa::kAvx2
                                    : KernelIsa::kBase,
                             std::getenv("AOTIC_KERNEL_ISA"));
  }();
  return isa;
}

const OpenMp* openmp() {
  static const OpenMp omp = resolve();
  const bool complete =
      omp.parallel && omp.thread_num && omp.num_threads && omp.max_threads && omp.in_parallel;
  return complete ? &omp : nullptr;
}

}  // namespace aotic::runtime
