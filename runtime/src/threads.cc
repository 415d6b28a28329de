#include "aotic/runtime/threads.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <string>

namespace aotic::runtime {
namespace {

/// The path of a loaded libgomp (the first one the process mapped), or "".
std::string loaded_libgomp() {
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const char* name = info->dlpi_name;
        if (name == nullptr) return 0;
        const char* base = std::strrchr(name, '/');
        base = base ? base + 1 : name;
        if (std::strncmp(base, "libgomp", 7) != 0) return 0;
        *static_cast<std::string*>(out) = name;
        return 1;
      },
      &found);
  return found;
}

OpenMp resolve() {
  OpenMp omp;
  void* lib = nullptr;
  const std::string loaded = loaded_libgomp();
  if (!loaded.empty()) lib = dlopen(loaded.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) lib = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return omp;
  omp.parallel = reinterpret_cast<decltype(omp.parallel)>(dlsym(lib, "GOMP_parallel"));
  omp.thread_num = reinterpret_cast<decltype(omp.thread_num)>(dlsym(lib, "omp_get_thread_num"));
  omp.num_threads = reinterpret_cast<decltype(omp.num_threads)>(dlsym(lib, "omp_get_num_threads"));
  omp.max_threads = reinterpret_cast<decltype(omp.max_threads)>(dlsym(lib, "omp_get_max_threads"));
  omp.in_parallel = reinterpret_cast<decltype(omp.in_parallel)>(dlsym(lib, "omp_in_parallel"));
  return omp;
}

}  // namespace

const OpenMp* openmp() {
  static const OpenMp omp = resolve();
  const bool complete =
      omp.parallel && omp.thread_num && omp.num_threads && omp.max_threads && omp.in_parallel;
  return complete ? &omp : nullptr;
}

}  // namespace aotic::runtime
