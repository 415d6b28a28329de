// The aotic command line.
//
// Exit codes: 0 success; 1 bad input (the message names the file and place); 2 bad usage;
// 3 internal error (a bug in aotic).
#include <fmt/format.h>
#include <torch/version.h>  // TORCH_VERSION only (a header of macros)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "codegen/compile.h"
#include "ir/error.h"
#include "ir/load.h"
#include "ir/version.h"
#include "tools/inspect.h"
#include "tools/runner/runner.h"

namespace {

constexpr const char* kUsage =
    "usage: aotic <command> [options]\n"
    "\n"
    "commands:\n"
    "  compile MODEL -o model.so [--weights FILE.safetensors|embed|external] [--cxx PATH] [--opt 0-3]\n"
    "          [--shim bundled|host] [--shim-lib PATH] [--runtime-lib PATH] [--emit-source DIR]\n"
    "          [--no-fuse] [--isa x86-64-v2|x86-64-v3|native|...] [--pointwise shim|kernel]\n"
    "          [--device cpu|cuda] [--cuda-arch 90[,80..]] [--nvcc PATH] [--cuda-compiler nvrtc|nvcc]\n"
    "          [--no-cuda-graphs]\n"
    "          [--debug-checks] [--package] [--quiet] [--timings]\n"
    "          [--header FILE.h [--class-name NAME]] [--dump-after STAGE] [--disable-pass PASS]\n"
    "      Compile an export to a model.so with PyTorch AOTInductor's C interface. With\n"
    "      --shim=bundled (default) libaotic_shim.so is copied beside it; --shim=host leaves\n"
    "      the shim to the loading process's libtorch (PyTorch >= 2.x). Pointwise ops, views\n"
    "      and the reductions they feed are fused into generated kernels (C++ loops, threads\n"
    "      from the OpenMP pool); --no-fuse (--disable-pass fuse_kernels) calls libtorch for\n"
    "      every op. --isa names the x86-64 level kernels are compiled for (default x86-64-v2,\n"
    "      plus AVX-512 and AVX2/FMA copies, each launch taking the best the CPU runs,\n"
    "      AOTIC_KERNEL_ISA=avx2|base capping it; x86-64-v3 (AVX2, FMA), x86-64-v4 (AVX-512)\n"
    "      and native (this machine's) give one copy). --pointwise=kernel (with\n"
    "      --no-fuse) compiles float32 unary pointwise ops as generated loops.\n"
    "      --device cuda compiles for NVIDIA GPUs (an export made on the CPU is moved to the GPU):\n"
    "      kernels in CUDA for the --cuda-arch list (default 90, plus PTX), libtorch ops\n"
    "      through aoti_torch_cuda_*, every op on the stream the caller passes to Run. The CUDA\n"
    "      toolkit is nvcc's (--nvcc, $CUDA_HOME, /usr/local/cuda, PATH); its NVRTC compiles the\n"
    "      kernels (about 0.2 s against nvcc's 0.5), or nvcc where it has no NVRTC or with\n"
    "      --cuda-compiler nvcc. With\n"
    "      static shapes and the bundled shim each instance captures its second run into a CUDA\n"
    "      graph and replays it (--no-cuda-graphs: op by op).\n"
    "      --debug-checks makes the model check after every op that its result has the dtype, rank\n"
    "      and sizes the export recorded, failing the run with a message naming the node.\n"
    "      --weights external writes the weights beside it (model.so.weights) instead of inside.\n"
    "      --package writes PyTorch's AOTInductor package instead (-o model.pt2, implies\n"
    "      --shim=host), loaded by torch._inductor.aoti_load_package and AOTIModelPackageLoader.\n"
    "      --shim-lib and --runtime-lib name the libaotic_shim.so to bundle and the precompiled\n"
    "      runtime to link (libaotic_runtime.a); by default those shipped beside aotic.\n"
    "      --dump-after STAGE prints the graph (load), the wrapper IR after a pass (functionalize,\n"
    "      fold_batch_norm, fuse_conv_relu, to_channels_last, pack_conv_weights, split_conv_bias,\n"
    "      pack_linear_weights, import_graph, bind_shapes, lower_views, check_types, fold_constants,\n"
    "      fuse_kernels, dedup_kernels, select_ops, insert_checks, plan_lifetimes, reuse_buffers,\n"
    "      plan_memory, plan_cuda_graphs)\n"
    "      or model.cpp (codegen); --disable-pass skips an optimising pass (functionalize,\n"
    "      fold_batch_norm, fuse_conv_relu, to_channels_last, pack_conv_weights, split_conv_bias,\n"
    "      pack_linear_weights, fold_constants, fuse_kernels, dedup_kernels, reuse_buffers, plan_memory,\n"
    "      plan_cuda_graphs).\n"
    "      The wrapper\n"
    "      (model.cpp, a large fold() in fold.cpp) and the generated kernels (kernels*.cpp, or\n"
    "      kernels.cu) compile in parallel;\n"
    "      --emit-source DIR writes them all. --opt sets the host compiler's -O for all of them\n"
    "      (default 2 for kernels, 1 for model.cpp, which holds only calls into the shim).\n"
    "      On a terminal, progress is shown on stderr; --quiet shows neither progress nor the\n"
    "      summary line. --timings prints the seconds each step took on stderr (load, generate,\n"
    "      compile, link, write).\n"
    "\n"
    "  inspect MODEL [--weights FILE.safetensors]\n"
    "      Summarise an export: inputs and outputs with shapes and symbolic ranges, op\n"
    "      histogram, weights, schema version. MODEL is a .pt2 archive, an unpacked export\n"
    "      directory, or a model.json (weights from --weights or a data/ folder beside it).\n"
    "\n"
    "  run MODEL.so --inputs X.safetensors [--out Y.safetensors] [--check REF.safetensors]\n"
    "          [--rtol 1e-4] [--atol 1e-5] [--shim-lib PATH] [--device-index N]\n"
    "      Run a compiled model on inputs input_0.. and print, save or check its outputs. A model\n"
    "      compiled for cuda runs on GPU N (default 0), its inputs copied there.\n"
    "\n"
    "  bench MODEL.so --inputs X.safetensors [--iters N] [--warmup N] [--threads N] [--instances N]\n"
    "          [--intra-op-threads N] [--device-index N]\n"
    "      Latency percentiles, throughput of concurrent clients (--threads), peak memory;\n"
    "      --intra-op-threads sets the threads of one run.\n"
    "\n"
    "  aotic --version | --help\n";

/// The first line `command` prints, or "" when it fails.
std::string first_line_of(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[512] = {};
  const bool got = std::fgets(buffer, sizeof buffer, pipe) != nullptr;
  const int status = pclose(pipe);
  std::string line = got && status == 0 ? buffer : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

/// `aotic --version`: aotic's version, the libtorch its bundled shim was built against, and the
/// C++ compilers compile can use (the first found is the default).
std::string version_text() {
  std::string text =
      fmt::format("aotic {}\nlibtorch (bundled shim): {}\ncompilers:\n", aotic::kVersion, TORCH_VERSION);
  bool any = false;
  for (const char* cxx : {"clang++", "g++"}) {
    const std::string line = first_line_of(std::string(cxx) + " --version");
    if (line.empty()) continue;
    text += fmt::format("  {}: {}{}\n", cxx, line, any ? "" : " (default)");
    any = true;
  }
  if (!any) text += "  none found (install g++ or clang, or pass --cxx)\n";
  // --device cuda's compiler, where compile looks for it first.
  const char* home = std::getenv("CUDA_HOME");
  const std::string nvcc = std::string(home != nullptr ? home : "/usr/local/cuda") + "/bin/nvcc";
  const std::string release = first_line_of("'" + nvcc + "' --version | grep release");
  text += fmt::format("  nvcc: {}\n", release.empty() ? "none found (--device cuda needs it)" : release);
  return text;
}

struct UsageError {
  std::string message;
};

int inspect(const std::vector<std::string>& args) {
  aotic::ir::LoadOptions options;
  std::string model;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--weights") {
      if (i + 1 == args.size()) throw UsageError{"--weights needs a file"};
      options.weights_path = args[++i];
    } else if (args[i].rfind("--weights=", 0) == 0) {
      options.weights_path = args[i].substr(10);
    } else if (!args[i].empty() && args[i][0] == '-') {
      throw UsageError{"inspect: unknown option '" + args[i] + "'"};
    } else if (model.empty()) {
      model = args[i];
    } else {
      throw UsageError{"inspect: more than one MODEL given"};
    }
  }
  if (model.empty()) throw UsageError{"inspect: MODEL is missing"};
  aotic::ir::Program program = aotic::ir::load_program(model, options);
  std::cout << aotic::inspect_program(program);
  return 0;
}

/// "--name VALUE" or "--name=VALUE" at args[i]; advances i past a separate value.
bool option(const std::vector<std::string>& args, size_t& i, const std::string& name, std::string* value) {
  if (args[i] == name) {
    if (i + 1 == args.size()) throw UsageError{name + " needs a value"};
    *value = args[++i];
    return true;
  }
  if (args[i].rfind(name + "=", 0) == 0) {
    *value = args[i].substr(name.size() + 1);
    return true;
  }
  return false;
}

/// A status line on stderr for terminals (disabled: does nothing).
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void show(const std::string& what) {
    if (!enabled_) return;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    std::string line = fmt::format("aotic: {} ({:.1f} s)", what, elapsed.count());
    if (line.size() > 100) line = line.substr(0, 97) + "...";
    std::cerr << "\r\033[K" << line << std::flush;
    shown_ = true;
  }
  void clear() {
    if (!shown_) return;
    std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

int compile(const std::vector<std::string>& args) {
  aotic::ir::LoadOptions load;
  aotic::codegen::CompileOptions options;
  std::string model, value, dump_stage;
  bool quiet = false, package_flag = false, shim_given = false, timings = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (option(args, i, "-o", &options.output) || option(args, i, "--cxx", &options.cxx) ||
        option(args, i, "--shim-lib", &options.shim_library) ||
        option(args, i, "--runtime-lib", &options.runtime_library) ||
        option(args, i, "--emit-source", &options.emit_source_dir) ||
        option(args, i, "--header", &options.header) ||
        option(args, i, "--class-name", &options.class_name) ||
        option(args, i, "--dump-after", &dump_stage)) {
      continue;
    }
    if (option(args, i, "--weights", &value)) {
      if (value == "external") {
        options.external_weights = true;
      } else if (value != "embed") {  // embedding is the default
        load.weights_path = value;
      }
      continue;
    }
    if (option(args, i, "--opt", &value)) {
      if (value.size() != 1 || value[0] < '0' || value[0] > '3')
        throw UsageError{"--opt must be 0, 1, 2 or 3"};
      options.opt_level = value[0] - '0';
      continue;
    }
    if (option(args, i, "--pointwise", &value)) {
      if (value != "shim" && value != "kernel") throw UsageError{"--pointwise must be shim or kernel"};
      options.pointwise_kernels = value == "kernel";
      continue;
    }
    if (args[i] == "--debug-checks") {
      options.debug_checks = true;
      continue;
    }
    if (args[i] == "--package") {
      options.package = true;
      package_flag = true;
      continue;
    }
    if (args[i] == "--timings") {
      timings = true;
      continue;
    }
    if (args[i] == "--quiet" || args[i] == "-q") {
      quiet = true;
      continue;
    }
    if (option(args, i, "--isa", &value)) {
      options.isa = value;
      continue;
    }
    if (option(args, i, "--device", &value)) {
      options.device = value;
      continue;
    }
    if (option(args, i, "--cuda-arch", &value)) {
      options.cuda_archs = value;
      continue;
    }
    if (option(args, i, "--nvcc", &value)) {
      options.nvcc = value;
      continue;
    }
    if (option(args, i, "--cuda-compiler", &value)) {
      options.cuda_compiler = value;
      continue;
    }
    if (args[i] == "--no-fuse") {
      options.disabled_passes.insert("fuse_kernels");
      continue;
    }
    if (args[i] == "--no-cuda-graphs") {
      options.disabled_passes.insert("plan_cuda_graphs");
      continue;
    }
    if (option(args, i, "--disable-pass", &value)) {
      options.disabled_passes.insert(value);
      continue;
    }
    if (option(args, i, "--shim", &value)) {
      shim_given = true;
      if (value == "bundled") {
        options.shim = aotic::codegen::ShimMode::kBundled;
      } else if (value == "host") {
        options.shim = aotic::codegen::ShimMode::kHost;
      } else {
        throw UsageError{"--shim must be bundled or host"};
      }
      continue;
    }
    if (!args[i].empty() && args[i][0] == '-') throw UsageError{"compile: unknown option '" + args[i] + "'"};
    if (!model.empty()) throw UsageError{"compile: more than one MODEL given"};
    model = args[i];
  }
  // A package is loaded by PyTorch, whose libtorch provides the shim: host unless said otherwise.
  if (package_flag && !shim_given) options.shim = aotic::codegen::ShimMode::kHost;
  if (model.empty()) throw UsageError{"compile: MODEL is missing"};
  if (options.output.empty()) throw UsageError{"compile: -o model.so is missing"};
  // Progress on a terminal: one line on stderr, rewritten at each stage and cleared at the end.
  Progress progress(!quiet && isatty(STDERR_FILENO) != 0);
  progress.show(fmt::format("loading {}", model));
  // --timings: the seconds from each step's start to the next's (load, then compile_model's).
  std::vector<double> step_starts;
  const auto now = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  step_starts.push_back(now());
  aotic::ir::Program program = aotic::ir::load_program(model, load);
  if (!dump_stage.empty()) std::cout << aotic::codegen::dump_after(program, dump_stage, options);
  options.on_stage = [&](int stage, int stages, const std::string& what) {
    step_starts.push_back(now());
    progress.show(fmt::format("[{}/{}] {}", stage, stages, what));
  };
  aotic::codegen::CompileResult result = aotic::codegen::compile_model(program, options);
  progress.clear();
  if (timings) {
    step_starts.push_back(now());
    static const char* const kSteps[] = {"load", "generate", "compile", "link", "write"};
    std::string line = "timings:";
    for (size_t i = 0; i + 1 < step_starts.size() && i < std::size(kSteps); ++i)
      line += fmt::format(" {} {:.3f} s,", kSteps[i], step_starts[i + 1] - step_starts[i]);
    std::cerr << line << fmt::format(" total {:.3f} s\n", step_starts.back() - step_starts.front());
  }
  if (quiet) return 0;
  std::cout << "wrote " << result.model_so << " (" << result.model_bytes << " bytes)";
  if (!result.weights_file.empty()) std::cout << ", " << result.weights_file;
  if (!result.shim_copy.empty()) std::cout << " and " << result.shim_copy;
  std::cout << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
      std::cout << version_text();
      return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "inspect") return inspect(rest);
    if (args[0] == "compile") return compile(rest);
    if (args[0] == "run") return aotic::runner::run_command(rest);
    if (args[0] == "bench") return aotic::runner::bench_command(rest);
    throw UsageError{"unknown command '" + args[0] + "'"};
  } catch (const UsageError& e) {
    std::cerr << "aotic: " << e.message << "\n" << kUsage;
    return 2;
  } catch (const aotic::runner::UsageError& e) {
    std::cerr << "aotic: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const aotic::UserError& e) {
    std::cerr << "aotic: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "aotic: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aotic: internal error: " << e.what() << "\n";
    return 3;
  }
}
