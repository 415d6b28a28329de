// NVRTC, the CUDA Toolkit's runtime compiler, used ahead of time: it compiles a model's kernels.cu
// to machine code for each architecture asked for plus PTX of the newest, and the toolkit's
// `fatbinary` packs them into the fatbin that model.so links in. It reads no host headers and
// runs no host compiler, so it takes about 0.2 s where nvcc takes 0.5 (most of nvcc's time is
// <cuda_runtime.h>, which it always includes). libnvrtc is opened at run time: aotic needs no
// CUDA to compile for the CPU.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace aotic::codegen {

/// The toolkit's libnvrtc under `cuda_home` (lib64/, or targets/x86_64-linux/lib/), or "" when it
/// has none.
std::string find_nvrtc(const std::filesystem::path& cuda_home);

/// Whether the library at `library` loads and is NVRTC; else why not, in `why`.
bool nvrtc_loads(const std::string& library, std::string* why);

struct NvrtcOutcome {
  bool ok = false;
  std::string log;  // the compiler's messages: NVRTC's log, or why it could not run
};

/// Compiles `source` (named `name` in messages) with the NVRTC at `library` for each of `archs`
/// ("90", "80", ...; machine code for each, PTX for the last) and writes their fatbin to `fatbin`
/// with `cuda_home`/bin/fatbinary. Each architecture compiles on a thread of its own.
NvrtcOutcome nvrtc_fatbin(const std::string& library, const std::filesystem::path& cuda_home,
                          const std::string& source, const std::string& name,
                          const std::vector<std::string>& archs, const std::filesystem::path& fatbin);

}  // namespace aotic::codegen
