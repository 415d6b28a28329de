#include "aotic/runtime/threads.h"

#include <dlfcn.h>
#include <link.h>

#include <cctype>
#include <cstdio>
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
  if (cap == nullptr || *cap == '\0') return cpu;
  std::string wanted = cap;
  for (char& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  KernelIsa limit;
  if (wanted == "base") {
    limit = KernelIsa::kBase;
  } else if (wanted == "avx2") {
    limit = KernelIsa::kAvx2;
  } else if (wanted == "avx512") {
    limit = KernelIsa::kAvx512;
  } else {
    std::fprintf(stderr, "aotic: AOTIC_KERNEL_ISA='%s' is not base, avx2 or avx512; ignored\n", cap);
    return cpu;
  }
  return static_cast<int>(limit) < static_cast<int>(cpu) ? limit : cpu;
}

KernelIsa kernel_isa() {
  static const KernelIsa isa = [] {
    KernelIsa best = KernelIsa::kBase;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // Every feature the copy's target attribute names (isa_target in codegen/cpu_printer.cc).
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512vl");
    best = avx512 ? KernelIsa::kAvx512 : avx2 ? KernelIsa::kAvx2 : KernelIsa::kBase;
#endif
    return capped_kernel_isa(best, std::getenv("AOTIC_KERNEL_ISA"));
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
