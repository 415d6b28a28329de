#include "codegen/compile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>

#include "codegen/build_id.h"
#include "codegen/constants.h"
#include "codegen/cpu_printer.h"
#include "codegen/embedded_file.h"
#include "codegen/model_header.h"
#include "codegen/nvrtc.h"
#include "codegen/output_files.h"
#include "codegen/package.h"
#include "codegen/pipeline.h"
#include "codegen/shell.h"
#include "ir/builtin_schemas.h"
#include "ir/error.h"
#include "ir/print.h"
#include "ir/retarget.h"
#include "kernel/writer.h"
#include "shim/gen/shim_gen.h"

namespace aotic::codegen {

using kernel::CodeWriter;
using kernel::cpp_identifier;

extern const EmbeddedFile kRuntimeFiles[];
extern const unsigned long kRuntimeFiles_count;
extern const char kFallbackOps[];
extern const unsigned long kFallbackOps_size;
extern const char kPyTorchCpuShim[];
extern const unsigned long kPyTorchCpuShim_size;
extern const char kPyTorchCudaShim[];
extern const unsigned long kPyTorchCudaShim_size;

namespace {

namespace fs = std::filesystem;

/// aotic's fallback ops: what libaotic_shim.so implements (under both devices' names).
ShimFunctions bundled_functions(const std::string& device) {
  static const std::vector<std::string> targets =
      shim_gen::parse_op_list(std::string_view(kFallbackOps, kFallbackOps_size), "shim/fallback_ops.txt");
  ShimFunctions f;
  f.origin = "shim/fallback_ops.txt";
  f.device = device;
  for (const std::string& target : targets) {
    const ir::OpSchema* schema = ir::builtin_schemas().find(target);
    AOTIC_CHECK(schema != nullptr, "fallback op without a schema: " + target);
    f.names.insert(shim_gen::c_function(*schema, device).name);
  }
  return f;
}

/// The aoti_torch_<device>_* functions PyTorch 2.11's libtorch exports.
ShimFunctions host_functions(const std::string& device) {
  ShimFunctions f;
  f.origin =
      device == "cuda" ? "PyTorch 2.11's CUDA C shim (--shim=host)" : "PyTorch 2.11's C shim (--shim=host)";
  f.device = device;
  const std::string prefix = "aoti_torch_" + device + "_";
  std::string_view text = device == "cuda" ? std::string_view(kPyTorchCudaShim, kPyTorchCudaShim_size)
                                           : std::string_view(kPyTorchCpuShim, kPyTorchCpuShim_size);
  size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string_view::npos) {
    size_t end = text.find('(', pos);
    if (end == std::string_view::npos) break;
    f.names.insert(std::string(text.substr(pos, end - pos)));
    pos = end;
  }
  return f;
}

ShimFunctions shim_functions(ShimMode mode, bool pointwise_kernels, const std::string& device) {
  ShimFunctions f = mode == ShimMode::kHost ? host_functions(device) : bundled_functions(device);
  f.prefer_kernels = pointwise_kernels;
  return f;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

/// The linker flag for the model.so's link: lld where it is installed, else gold, else the
/// compiler's own (GNU ld). The link mostly copies the weights: for resnet18's 46 MB, lld takes
/// about 70 ms, gold 130 ms and GNU ld 180 ms.
std::string fast_linker_flag() {
  if (on_path("ld.lld")) return " -fuse-ld=lld";
  if (on_path("ld.gold")) return " -fuse-ld=gold";
  return "";
}

/// A file that ships with aotic: $`env` when set, else `file` next to the aotic binary, in Bazel's
/// output tree (the `package` folder beside tools/), in the binary's runfiles, or in ../lib.
std::string find_beside_aotic(const char* env, const std::string& file, const std::string& package,
                              const std::string& hint) {
  if (const char* path = std::getenv(env)) return path;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path dir = exe.parent_path();
  for (const fs::path& candidate : {dir / file, dir / ".." / package / file,
                                    dir / (exe.filename().string() + ".runfiles") / "aotic" / package / file,
                                    dir / ".." / "lib" / file}) {
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  user_error("cannot find {} beside the aotic binary: {}", file, hint);
}

/// libaotic_runtime.a, the precompiled runtime every model.so links (//runtime:libaotic_runtime).
std::string find_runtime_library() {
  return find_beside_aotic("AOTIC_RUNTIME_LIBRARY", "libaotic_runtime.a", "runtime",
                           "pass --runtime-lib PATH");
}

/// The assembly that links the blob's bytes into model.so (no giant C array to compile).
std::string blob_assembly(const std::string& symbol) {
  CodeWriter w;
  w.line("# Generated by aotic: the constants blob, linked in as read-only data.");
  w.line("  .section .rodata." + symbol + ",\"a\"");
  w.line("  .balign 64");
  w.line("  .globl " + symbol);
  w.line("  .hidden " + symbol);
  w.line("  .type " + symbol + ", @object");
  w.line(symbol + ":");
  w.line("  .incbin \"constants.bin\"");
  w.line("  .size " + symbol + ", .-" + symbol);
  w.line("  .section .note.GNU-stack,\"\",@progbits");
  return w.text();
}

PipelineOptions pipeline_options(const CompileOptions& options) {
  PipelineOptions pipeline;
  pipeline.shim = shim_functions(options.shim, options.pointwise_kernels, options.device);
  pipeline.disabled = options.disabled_passes;
  pipeline.debug_checks = options.debug_checks;
  pipeline.graph_capture = options.shim == ShimMode::kBundled;
  return pipeline;
}

/// The checks on options that need no model.
void check_options(const CompileOptions& options) {
  if (options.device != "cpu" && options.device != "cuda")
    ir::parse_target_device(options.device);  // the user error for it
  if (options.device == "cuda" && options.pointwise_kernels) {
    user_error("--pointwise=kernel makes host loops: it does not apply to --device cuda");
  }
  if (!options.cuda_compiler.empty() && options.cuda_compiler != "nvrtc" && options.cuda_compiler != "nvcc")
    user_error("--cuda-compiler must be nvrtc or nvcc, got '{}'", options.cuda_compiler);
}

/// model.cpp for an already laid-out constants blob (compile_model needs the layout again for the
/// blob itself). `program` is already on options.device.
PrintedSources sources_for(const ir::Program& program, const ConstantsLayout& layout,
                           const std::string& source_name, const CompileOptions& options,
                           const std::string& external_weights_file) {
  const wir::Module module = lower_program(program, layout, pipeline_options(options));
  PrintOptions print;
  print.source_name = source_name;
  print.external_weights_file = external_weights_file;
  print.isa_dispatch = options.isa == "x86-64" || options.isa == "x86-64-v2";
  try {
    return print_sources(module, print);
  } catch (const UserError& e) {
    rethrow_in(e, program.source);
  }
}

std::string source_name_of(const ir::Program& program, const CompileOptions& options) {
  return options.source_name.empty() ? fs::path(program.source).filename().string() : options.source_name;
}

/// The program on the device the model is compiled for: an export made on the CPU compiled with
/// --device cuda has every tensor, weight and factory op moved to the GPU.
ir::Program on_target(const ir::Program& program, const CompileOptions& options) {
  check_options(options);
  return ir::retarget(program, ir::parse_target_device(options.device));
}

/// "90,80" -> {"80", "90"} (ascending: PTX is made for the last); UserError for anything else.
std::vector<std::string> parse_cuda_archs(const std::string& text) {
  std::set<int> archs;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    if (item.rfind("sm_", 0) == 0) item = item.substr(3);
    const bool digits =
        item.size() >= 2 && item.size() <= 3 && item.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(item) < 50) {
      user_error("--cuda-arch: '{}' is not a CUDA architecture (a list such as 90 or 80,90)", text);
    }
    archs.insert(std::stoi(item));
    start = comma + 1;
  }
  std::vector<std::string> out;
  out.reserve(archs.size());
  for (int a : archs) out.push_back(std::to_string(a));
  return out;
}

/// nvcc: --nvcc, else $CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc, or nvcc on PATH.
std::string find_nvcc(const std::string& given) {
  if (!given.empty()) {
    if (access(given.c_str(), X_OK) != 0) user_error("--nvcc {}: not an executable", given);
    return given;
  }
  std::vector<std::string> candidates;
  if (const char* home = std::getenv("CUDA_HOME")) candidates.push_back(std::string(home) + "/bin/nvcc");
  candidates.emplace_back("/usr/local/cuda/bin/nvcc");
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start < dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    std::string candidate = dirs.substr(start, colon - start) + "/nvcc";
    if (colon > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  user_error(
      "--device cuda needs nvcc: none in $CUDA_HOME/bin, /usr/local/cuda/bin or on PATH (pass --nvcc PATH)");
}

}  // namespace

std::string find_shim_library() {
  return find_beside_aotic("AOTIC_SHIM_LIBRARY", "libaotic_shim.so", "shim",
                           "pass --shim-lib PATH (or --shim=host)");
}

std::string generate_model_cpp(const ir::Program& program, const std::string& source_name, ShimMode shim,
                               bool pointwise_kernels, const std::string& external_weights_file,
                               const std::set<std::string>& disabled_passes, bool debug_checks) {
  CompileOptions options;
  options.shim = shim;
  options.pointwise_kernels = pointwise_kernels;
  options.disabled_passes = disabled_passes;
  options.debug_checks = debug_checks;
  return sources_for(program, layout_constants(program), source_name, options, external_weights_file)
      .joined();
}

std::string generate_model_cpp(const ir::Program& program, const CompileOptions& options) {
  const ir::Program targeted = on_target(program, options);
  return sources_for(targeted, layout_constants(targeted), source_name_of(program, options), options, "")
      .joined();
}

std::vector<std::string> dump_stages() {
  std::vector<std::string> stages = {"load"};
  for (const PassInfo& p : pipeline_passes()) stages.emplace_back(p.name);
  stages.emplace_back("codegen");
  return stages;
}

std::string dump_after(const ir::Program& program, const std::string& stage, const CompileOptions& options) {
  if (stage == "load") return ir::print_graph(program.graph);
  if (stage == "codegen") return generate_model_cpp(program, options);
  for (const PassInfo& p : pipeline_passes()) {
    if (stage != p.name) continue;
    std::string dump;
    const ir::Program targeted = on_target(program, options);
    PipelineOptions pipeline = pipeline_options(options);
    pipeline.dump_after = stage;
    pipeline.dump = &dump;
    lower_program(targeted, layout_constants(targeted), pipeline);
    return dump;
  }
  std::string stages;
  for (const std::string& s : dump_stages()) stages += (stages.empty() ? "" : ", ") + s;
  user_error("--dump-after: unknown stage '{}' (stages: {})", stage, stages);
}

CompileResult compile_model(const ir::Program& original, const CompileOptions& options) {
  if (options.output.empty()) user_error("no output file given (-o model.so)");
  check_options(options);
  const bool cuda = options.device == "cuda";
  const std::vector<std::string> cuda_archs =
      cuda ? parse_cuda_archs(options.cuda_archs) : std::vector<std::string>{};
  const std::string nvcc = cuda ? find_nvcc(options.nvcc) : "";
  if (options.opt_level < -1 || options.opt_level > 3)
    user_error("--opt must be 0..3, got {}", options.opt_level);
  static const std::set<std::string> kIsas = {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "native"};
  if (kIsas.count(options.isa) == 0) {
    user_error("--isa must be x86-64, x86-64-v2, x86-64-v3, x86-64-v4 or native, got '{}'", options.isa);
  }
  if (options.package) {
    if (options.shim != ShimMode::kHost) {
      user_error(
          "--package needs --shim=host: PyTorch's loader takes one .so per model and gives it "
          "PyTorch's own shim");
    }
    if (options.external_weights)
      user_error("--package embeds the weights: --weights external does not apply");
  }
  check_writable_target(options.output);
  if (!options.header.empty()) check_writable_target(options.header);
  const std::string source_name = source_name_of(original, options);
  const ir::Program program = on_target(original, options);
  constexpr int kStages = 4;
  const auto stage = [&](int number, const std::string& what) {
    if (options.on_stage) options.on_stage(number, kStages, what);
  };
  stage(1, "generating model.cpp");
  // Everything that can fail on the model itself fails here, before the compiler runs.
  const ConstantsLayout layout = layout_constants(program);
  const fs::path output_path(options.output);
  const std::string weights_name =
      options.external_weights ? output_path.filename().string() + ".weights" : "";
  const PrintedSources sources = sources_for(program, layout, source_name, options, weights_name);
  const std::string& model_cpp = sources.model_cpp;
  // The header is made before compiling so that a bad class name fails early.
  std::string header;
  if (!options.header.empty()) {
    const std::string class_name =
        options.class_name.empty() ? cpp_identifier(output_path.stem().string()) : options.class_name;
    header = emit_model_header(program, class_name, source_name);
  }
  const std::string cxx = !options.cxx.empty() ? options.cxx : on_path("clang++") ? "clang++" : "g++";
  const std::string shim_library =
      options.shim == ShimMode::kBundled
          ? (options.shim_library.empty() ? find_shim_library() : options.shim_library)
          : "";
  std::error_code ec;
  const fs::path runtime_library =
      fs::absolute(options.runtime_library.empty() ? find_runtime_library() : options.runtime_library, ec);
  if (ec || !fs::is_regular_file(runtime_library, ec))
    user_error("{}: cannot read the runtime library (libaotic_runtime.a)", runtime_library.string());

  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/aotic-build-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr)
    user_error("cannot create a build directory under {}", tmp ? tmp : "/tmp");
  const fs::path build(templ);
  const InterruptCleanup cleanup(build);

  // The build ID hashes what model.so is made of: the sources here, the commands and the
  // libraries below.
  BuildId build_id;
  const auto write_source = [&](const fs::path& name, std::string_view text) {
    build_id.add(name.string());
    build_id.add(text);
    write_file(build / name, text);
  };
  write_source("model.cpp", model_cpp);
  if (!sources.kernels_cu.empty()) write_source("kernels.cu", sources.kernels_cu);
  for (const SourceFile& f : sources.wrapper_files) write_source(f.name, f.text);
  for (const SourceFile& f : sources.kernel_files) write_source(f.name, f.text);
  for (unsigned long i = 0; i < kRuntimeFiles_count; ++i) {
    write_source(kRuntimeFiles[i].name, std::string_view(kRuntimeFiles[i].data, kRuntimeFiles[i].size));
  }
  std::string objects = "model.o";
  const bool embedded_constants = !layout.entries.empty() && !options.external_weights;
  if (!layout.entries.empty()) {
    const std::string blob = constants_blob(layout);
    if (!options.external_weights) build_id.add(blob);
    write_file(build / "constants.bin", blob);
    if (embedded_constants) {
      write_file(build / "constants.S", blob_assembly("aotic_constants_blob"));
      objects += " constants.o";
    }
  }
  if (!options.emit_source_dir.empty()) {
    write_file(fs::path(options.emit_source_dir) / "model.cpp", model_cpp);
    if (!sources.kernels_cu.empty()) {
      write_file(fs::path(options.emit_source_dir) / "kernels.cu", sources.kernels_cu);
    }
    for (const SourceFile& f : sources.wrapper_files)
      write_file(fs::path(options.emit_source_dir) / f.name, f.text);
    for (const SourceFile& f : sources.kernel_files)
      write_file(fs::path(options.emit_source_dir) / f.name, f.text);
  }

  std::string link;
  if (options.shim == ShimMode::kBundled) {
    fs::copy_file(shim_library, build / "libaotic_shim.so", fs::copy_options::overwrite_existing, ec);
    if (ec) user_error("{}: cannot copy: {}", shim_library, ec.message());
    link = "-L. -laotic_shim -Wl,-rpath,'$ORIGIN'";
  } else {
    // Empty stand-ins carrying libtorch's sonames: the model.so records DT_NEEDED on them and
    // binds to the real libraries of the process that loads it.
    write_file(build / "stub" / "empty.c", "");
    std::string log;
    std::vector<std::string> libs = {"libtorch.so", "libtorch_cpu.so", "libc10.so"};
    if (cuda) libs.insert(libs.end(), {"libtorch_cuda.so", "libc10_cuda.so"});
    for (const std::string& lib : libs) {
      std::string cmd =
          fmt::format("{} -shared -fPIC -x c stub/empty.c -o stub/{} -Wl,-soname,{}", cxx, lib, lib);
      if (run(build, cmd, &log) != 0) user_error("cannot build the libtorch stand-ins: {}", log);
    }
    link = cuda
               ? "-Lstub -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -ltorch_cuda -lc10_cuda -Wl,--as-needed"
               : "-Lstub -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed";
  }
  // The sources compile in parallel, each to its object, then one link with the precompiled
  // runtime. The runtime's objects are all linked (--whole-archive): nothing in model.cpp refers
  // to the C interface it exports, and exports.map exports only that. Each step's output is
  // deterministic, so the model.so is too.
  // model.cpp is the wrapper: calls into the shim, whose run time the optimiser barely changes, so
  // it compiles at -O1 (about 60% of -O2's time; it is most of a model's compile time), unless it
  // has loops of its own (--pointwise=kernel).
  const int wrapper_opt = options.opt_level >= 0 ? options.opt_level : sources.wrapper_loops ? 2 : 1;
  const int kernel_opt = options.opt_level >= 0 ? options.opt_level : 2;
  const std::string common = "-std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -Iinclude";
  std::vector<std::string> jobs;
  const fs::path cuda_home = cuda ? fs::path(nvcc).parent_path().parent_path() : fs::path();
  // NVRTC compiles kernels.cu in this process, on threads of its own, while the jobs run.
  std::string nvrtc = cuda && options.cuda_compiler != "nvcc" ? find_nvrtc(cuda_home) : "";
  if (cuda && options.cuda_compiler == "nvrtc" && nvrtc.empty())
    user_error("--cuda-compiler nvrtc: no libnvrtc.so in the CUDA toolkit at {}", cuda_home.string());
  if (std::string why; !nvrtc.empty() && !nvrtc_loads(nvrtc, &why)) {
    // By default a toolkit whose NVRTC does not load compiles with nvcc instead.
    if (options.cuda_compiler == "nvrtc") user_error("--cuda-compiler nvrtc: {}", why);
    nvrtc.clear();
  }
  const bool use_nvrtc = !nvrtc.empty() && !sources.kernels_cu.empty();
  std::future<NvrtcOutcome> nvrtc_job;
  if (use_nvrtc) {
    nvrtc_job = std::async(std::launch::async, [&] {
      return nvrtc_fatbin(nvrtc, cuda_home, sources.kernels_cu, "kernels.cu", cuda_archs,
                          build / "kernels.fatbin");
    });
  }
  if (cuda) {
    jobs.push_back(fmt::format("{} {} -O{} -isystem {} -c model.cpp -o model.o", cxx, common, wrapper_opt,
                               shell_quote((cuda_home / "include").string())));
  } else {
    jobs.push_back(fmt::format("{} {} -O{} -c model.cpp -o model.o", cxx, common, wrapper_opt));
  }
  // fold.cpp (a large fold(), split from model.cpp) compiles as model.cpp does, beside it.
  for (const SourceFile& f : sources.wrapper_files) {
    const std::string object = f.name.substr(0, f.name.size() - 4) + ".o";
    jobs.push_back(fmt::format("{} {} -O{} -c {} -o {}", cxx, common, wrapper_opt, f.name, object));
    objects += " " + object;
  }
  if (embedded_constants) {
    jobs.push_back(fmt::format("{} -c constants.S -o constants.o", cxx));
  }
  // Generated kernels: `omp simd` loops (no OpenMP runtime needed for those); their threads come
  // from the process's libgomp, found at run time (runtime/include/aotic/runtime/threads.h).
  // No floating-point traps or errno (PyTorch uses neither): conditionals become vector selects
  // and sqrt an instruction, so the loops vectorise with g++ too.
  for (const SourceFile& f : sources.kernel_files) {
    const std::string object = f.name.substr(0, f.name.size() - 4) + ".o";
    jobs.push_back(
        fmt::format("{} {} -O{} -fopenmp-simd -fno-trapping-math -fno-math-errno -march={} -c {} -o {}", cxx,
                    common, kernel_opt, options.isa, f.name, object));
    objects += " " + object;
  }
  // A CUDA model: NVRTC or nvcc compiles kernels.cu to a fatbin (kernels for each architecture
  // asked for, plus PTX of the newest) while the host compiler compiles model.cpp; the CUDA
  // runtime is linked statically, so model.so needs no libcudart of its own at run time.
  std::string cuda_link;
  std::string fatbin_object;  // NVRTC's fatbin made linkable, run after it is done
  if (cuda) {
    if (use_nvrtc) {
      fatbin_object = "ld -r -b binary kernels.fatbin -o kernels.o && ";
      objects += " kernels.o";
    } else if (!sources.kernels_cu.empty()) {
      std::string gencode;
      for (const std::string& arch : cuda_archs)
        gencode += fmt::format(" -gencode arch=compute_{0},code=sm_{0}", arch);
      gencode += fmt::format(" -gencode arch=compute_{0},code=compute_{0}", cuda_archs.back());
      // Device code only (no host pass: about half of nvcc's time), linked in as data and loaded
      // by model.cpp's launchers (templates/cuda_helpers.h: cuda_kernel_loader).
      jobs.push_back(fmt::format(
          "{} -std=c++17 -O{} -ccbin {} --expt-relaxed-constexpr -Xcudafe --diag_suppress=177{} -Iinclude "
          "--fatbin kernels.cu -o kernels.fatbin && ld -r -b binary kernels.fatbin -o kernels.o",
          shell_quote(nvcc), kernel_opt, cxx, gencode));
      objects += " kernels.o";
    }
    // kernels.o (data from `ld -b binary`) carries no .note.GNU-stack: the stack stays
    // non-executable only if the link says so.
    cuda_link = fmt::format(" -L{} -lcudart_static -lrt -Wl,-z,noexecstack",
                            shell_quote((cuda_home / "lib64").string()));
  }
  // Every job in the background, its output to a log of its own; the logs shown in order, and
  // the link only when every job succeeded.
  std::string compile = "status=0";
  for (size_t i = 0; i < jobs.size(); ++i)
    compile += fmt::format("; {{ {} ; }} > job{}.log 2>&1 & pid{}=$!", jobs[i], i, i);
  for (size_t i = 0; i < jobs.size(); ++i) compile += fmt::format("; wait $pid{} || status=1", i);
  for (size_t i = 0; i < jobs.size(); ++i) compile += fmt::format("; cat job{}.log", i);
  compile += "; test $status -eq 0";
  std::string link_command = fmt::format(
      "{}{} -shared {} -Wl,--whole-archive {} -Wl,--no-whole-archive "
      "-Wl,--version-script=exports.map -o model.so {}{} -ldl -lpthread",
      fatbin_object, cxx, objects, shell_quote(runtime_library.string()), link, cuda_link);
  // The rest of the build ID's inputs: every command (compiler, flags, --isa), the CUDA
  // architectures NVRTC compiles for, and the runtime library's bytes. Where the runtime, the
  // CUDA toolkit and the compiler are installed is left out (a path names no bytes of model.so,
  // and a Bazel build on another machine must give the same ID); the compiler is named, not
  // hashed: two different compilers under one name give one ID.
  const auto without_paths = [&](std::string command) {
    const auto replace_all = [&command](const std::string& from, const std::string& to) {
      if (from.empty()) return;
      for (size_t at = command.find(from); at != std::string::npos; at = command.find(from, at + to.size()))
        command.replace(at, from.size(), to);
    };
    replace_all(shell_quote(runtime_library.string()), "<runtime>");
    if (cuda) replace_all(cuda_home.string(), "<cuda>");
    replace_all(cxx, fs::path(cxx).filename().string());
    return command;
  };
  for (const std::string& job : jobs) build_id.add(without_paths(job));
  for (const std::string& arch : cuda_archs) build_id.add(arch);
  build_id.add(without_paths(link_command));
  if (!build_id.add_file(runtime_library)) user_error("{}: cannot read", runtime_library.string());
  link_command += " -Wl,--build-id=0x" + build_id.hex();
  size_t kernel_bytes = 0;
  for (const SourceFile& f : sources.kernel_files) kernel_bytes += f.text.size();
  size_t wrapper_bytes = model_cpp.size();
  for (const SourceFile& f : sources.wrapper_files) wrapper_bytes += f.text.size();
  const std::string wrapper =
      fmt::format("model.cpp{} ({} KB)", sources.wrapper_files.empty() ? "" : " and fold.cpp",
                  (wrapper_bytes + 1023) / 1024);
  stage(2, !sources.kernels_cu.empty()
               ? fmt::format("compiling {} with {} and kernels.cu ({} KB) with {}", wrapper, cxx,
                             (sources.kernels_cu.size() + 1023) / 1024, use_nvrtc ? "NVRTC" : "nvcc")
           : !sources.kernel_files.empty()
               ? fmt::format("compiling {} and {} kernel files ({} KB) with {}", wrapper,
                             sources.kernel_files.size(), (kernel_bytes + 1023) / 1024, cxx)
               : fmt::format("compiling {} with {}", wrapper, cxx));
  std::string log;
  // What failed, for the message: the compile jobs (nvcc among them when it compiles kernels.cu),
  // NVRTC, or the link.
  std::string failed = "the C++ compiler (" + cxx + (cuda && !use_nvrtc ? ") or nvcc" : ")");
  int status = run(build, compile, &log);
  if (use_nvrtc) {
    const NvrtcOutcome kernels = nvrtc_job.get();
    if (!kernels.ok && status == 0) {
      log = kernels.log;
      failed = "the CUDA compiler (NVRTC)";
      status = 1;
    }
  }
  if (status == 0) {
    stage(3, "linking model.so");
    failed = "the linker (" + cxx + ")";
    const std::string linker = fast_linker_flag();
    status = run(build, link_command + linker, &log);
    // A compiler that cannot drive that linker (g++ before 9 has no -fuse-ld=lld): its default.
    if (status != 0 && !linker.empty()) {
      log.clear();
      status = run(build, link_command, &log);
    }
  }
  if (status != 0) {
    // The first line that says "error" (g++ opens with an "In function ..." line), else the first.
    std::string first_error = log.substr(0, log.find('\n'));
    for (size_t start = 0; start < log.size();) {
      const size_t end = std::min(log.find('\n', start), log.size());
      const std::string line = log.substr(start, end - start);
      if (line.find("error") != std::string::npos) {
        first_error = line;
        break;
      }
      start = end + 1;
    }
    user_error("{}: {} failed; sources kept in {}: {}", program.source, failed, build.string(), first_error);
  }

  // Into place together: every output staged beside its target, then all renamed
  // (codegen/output_files.h). The weights first, so a model.so never sits without them.
  stage(4, "writing " + options.output);
  CompileResult result;
  const fs::path output(options.output);
  OutputSet outputs;
  try {
    if (!options.header.empty()) outputs.stage_data(options.header, header);
    if (options.external_weights && !layout.entries.empty()) {
      fs::path weights = output;
      weights += ".weights";
      outputs.stage_move(weights, build / "constants.bin");
      result.weights_file = weights.string();
    }
    if (options.package) {
      const std::string stem = cpp_identifier(output.stem().string());
      write_aoti_package((build / "package.pt2").string(),
                         PackageContents{stem, (build / "model.so").string(), sources.joined(), options.isa,
                                         options.device});
      outputs.stage_move(output, build / "package.pt2");
    } else {
      outputs.stage_move(output, build / "model.so");
    }
    if (options.shim == ShimMode::kBundled) {
      const fs::path shim_copy =
          (output.parent_path().empty() ? fs::path(".") : output.parent_path()) / "libaotic_shim.so";
      outputs.stage_copy(shim_copy, build / "libaotic_shim.so");
      result.shim_copy = shim_copy.string();
    }
    outputs.commit();
  } catch (...) {
    fs::remove_all(build, ec);
    throw;
  }
  result.model_so = output.string();
  result.model_bytes = fs::file_size(output, ec);
  fs::remove_all(build, ec);
  return result;
}

}  // namespace aotic::codegen
