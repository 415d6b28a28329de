#include "codegen/nvrtc.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <future>
#include <map>
#include <mutex>

#include "codegen/shell.h"

namespace aotic::codegen {

namespace fs = std::filesystem;

namespace {

// NVRTC's C interface (nvrtc.h of CUDA 11 to 13): the functions aotic calls, opened by dlsym.
using nvrtcProgram = struct _nvrtcProgram*;
using nvrtcResult = int;
constexpr nvrtcResult kNvrtcSuccess = 0;

struct NvrtcApi {
  const char* (*get_error_string)(nvrtcResult) = nullptr;
  nvrtcResult (*create_program)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                                const char* const*) = nullptr;
  nvrtcResult (*destroy_program)(nvrtcProgram*) = nullptr;
  nvrtcResult (*compile_program)(nvrtcProgram, int, const char* const*) = nullptr;
  nvrtcResult (*get_program_log_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_program_log)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*get_cubin_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_cubin)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*get_ptx_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_ptx)(nvrtcProgram, char*) = nullptr;
};

/// The API of the library at `path`, loaded once per path and kept for the process; an error
/// message when it cannot be.
const NvrtcApi* load_api(const std::string& path, std::string* error) {
  static std::mutex mutex;
  static std::map<std::string, NvrtcApi> loaded;  // entries are never replaced or removed
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto it = loaded.find(path); it != loaded.end()) return &it->second;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    *error = fmt::format("{}: cannot load NVRTC: {}", path, why != nullptr ? why : "unknown error");
    return nullptr;
  }
  NvrtcApi found;
  bool missing = false;
  const auto bind = [&](auto& fn, const char* symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, symbol));
    if (fn == nullptr && !missing) {
      missing = true;
      *error = fmt::format("{}: not NVRTC (no {})", path, symbol);
    }
  };
  bind(found.get_error_string, "nvrtcGetErrorString");
  bind(found.create_program, "nvrtcCreateProgram");
  bind(found.destroy_program, "nvrtcDestroyProgram");
  bind(found.compile_program, "nvrtcCompileProgram");
  bind(found.get_program_log_size, "nvrtcGetProgramLogSize");
  bind(found.get_program_log, "nvrtcGetProgramLog");
  bind(found.get_cubin_size, "nvrtcGetCUBINSize");
  bind(found.get_cubin, "nvrtcGetCUBIN");
  bind(found.get_ptx_size, "nvrtcGetPTXSize");
  bind(found.get_ptx, "nvrtcGetPTX");
  if (missing) {
    dlclose(handle);
    return nullptr;
  }
  return &loaded.emplace(path, found).first->second;
}

struct ArchOutput {
  bool ok = false;
  std::string log;
  std::string cubin;
  std::string ptx;
};

/// One architecture: machine code, and PTX when `with_ptx`.
ArchOutput compile_arch(const NvrtcApi& api, const std::string& source, const std::string& name,
                        const std::string& arch, bool with_ptx) {
  ArchOutput out;
  nvrtcProgram program = nullptr;
  nvrtcResult r = api.create_program(&program, source.c_str(), name.c_str(), 0, nullptr, nullptr);
  if (r != kNvrtcSuccess) {
    out.log = fmt::format("NVRTC could not take {}: {}", name, api.get_error_string(r));
    return out;
  }
  // What nvcc does by default for device code, plus: functions without __device__ are device
  // functions (NVRTC compiles no host code), and no remark on variables the printer declares for
  // every kernel (177: declared but never referenced).
  const std::string arch_option = "-arch=sm_" + arch;
  const char* options[] = {"-std=c++17", arch_option.c_str(), "-default-device", "-diag-suppress=177"};
  r = api.compile_program(program, static_cast<int>(sizeof(options) / sizeof(options[0])), options);
  size_t log_size = 0;
  if (api.get_program_log_size(program, &log_size) == kNvrtcSuccess && log_size > 1) {
    out.log.resize(log_size);
    api.get_program_log(program, out.log.data());
    out.log.resize(log_size - 1);  // the log's terminating NUL
  }
  if (r != kNvrtcSuccess) {
    if (out.log.empty()) out.log = fmt::format("{}: NVRTC failed: {}", name, api.get_error_string(r));
    api.destroy_program(&program);
    return out;
  }
  size_t size = 0;
  if (api.get_cubin_size(program, &size) == kNvrtcSuccess && size > 0) {
    out.cubin.resize(size);
    api.get_cubin(program, out.cubin.data());
  }
  if (with_ptx && api.get_ptx_size(program, &size) == kNvrtcSuccess && size > 1) {
    out.ptx.resize(size);
    api.get_ptx(program, out.ptx.data());
    out.ptx.resize(size - 1);  // PTX is text; fatbinary takes it without the NUL
  }
  api.destroy_program(&program);
  if (out.cubin.empty() || (with_ptx && out.ptx.empty())) {
    out.log =
        fmt::format("{}: NVRTC gave no {} for sm_{}", name, out.cubin.empty() ? "machine code" : "PTX", arch);
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace

bool nvrtc_loads(const std::string& library, std::string* why) { return load_api(library, why) != nullptr; }

std::string find_nvrtc(const fs::path& cuda_home) {
  for (const char* dir : {"lib64", "targets/x86_64-linux/lib", "lib"}) {
    std::error_code ec;
    const fs::path candidate = cuda_home / dir / "libnvrtc.so";
    if (fs::exists(candidate, ec)) return candidate.string();
  }
  return "";
}

NvrtcOutcome nvrtc_fatbin(const std::string& library, const fs::path& cuda_home, const std::string& source,
                          const std::string& name, const std::vector<std::string>& archs,
                          const fs::path& fatbin) {
  NvrtcOutcome outcome;
  const NvrtcApi* api = load_api(library, &outcome.log);
  if (api == nullptr) return outcome;
  if (archs.empty()) {
    outcome.log = "no CUDA architecture to compile for";
    return outcome;
  }
  // One thread per architecture (futures: joined however this ends).
  std::vector<std::future<ArchOutput>> running;
  running.reserve(archs.size());
  for (size_t i = 0; i < archs.size(); ++i) {
    running.push_back(std::async(std::launch::async, compile_arch, std::cref(*api), std::cref(source),
                                 std::cref(name), std::cref(archs[i]), i + 1 == archs.size()));
  }
  std::vector<ArchOutput> outputs;
  outputs.reserve(running.size());
  for (std::future<ArchOutput>& f : running) outputs.push_back(f.get());
  for (const ArchOutput& out : outputs) {
    if (!out.ok) {
      outcome.log = out.log;
      return outcome;
    }
  }
  // The images beside the fatbin, then the toolkit's fatbinary packs them (as nvcc's driver does).
  std::string command = shell_quote((cuda_home / "bin" / "fatbinary").string()) +
                        " -64 --create=" + shell_quote(fatbin.string());
  for (size_t i = 0; i < archs.size(); ++i) {
    fs::path image = fatbin;
    image.replace_extension(".sm_" + archs[i] + ".cubin");
    write_file(image, outputs[i].cubin);
    command += fmt::format(" --image3=kind=elf,sm={},file={}", archs[i], shell_quote(image.string()));
  }
  fs::path ptx = fatbin;
  ptx.replace_extension(".compute_" + archs.back() + ".ptx");
  write_file(ptx, outputs.back().ptx);
  command += fmt::format(" --image3=kind=ptx,sm={},file={}", archs.back(), shell_quote(ptx.string()));
  std::string output;
  if (run(fatbin.parent_path(), command, &output) != 0) {
    outcome.log = output.empty() ? "fatbinary failed" : "fatbinary: " + output;
    return outcome;
  }
  // Warnings (NVRTC's log of a successful compile) are kept for the caller.
  for (const ArchOutput& out : outputs) outcome.log += out.log;
  outcome.ok = true;
  return outcome;
}

}  // namespace aotic::codegen
