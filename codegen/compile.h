// The toolchain driver: from a checked Program to model.so. Generates model.cpp and the
// constants blob, writes them with the headers model.cpp includes into a scratch directory,
// compiles model.cpp there and links it with the precompiled runtime (libaotic_runtime.a), and
// moves the result into place only when everything succeeded.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace aotic::codegen {

enum class ShimMode {
  /// model.so needs libaotic_shim.so, copied beside it (rpath $ORIGIN).
  kBundled,
  /// model.so leaves aoti_torch_* to the process's libtorch (PyTorch >= 2.x) and records
  /// DT_NEEDED entries on libtorch.so, libtorch_cpu.so and libc10.so.
  kHost,
};

struct CompileOptions {
  std::string output;  // -o: the model.so to write
  std::string cxx;     // compiler; "" picks clang++, else g++
  /// -O0..-O3; -1 (the default): -O2, but -O1 for a CUDA model's model.cpp, which holds only its
  /// wrapper (calls, launches; replayed as a graph when it can be), not its kernels.
  int opt_level = -1;
  /// --isa: the x86-64 level generated kernels are compiled for (-march=): x86-64-v2 (SSE4.2, any
  /// x86-64 CPU since about 2009), x86-64-v3 (AVX2, FMA), x86-64-v4, x86-64 (SSE2) or native.
  std::string isa = "x86-64-v2";
  ShimMode shim = ShimMode::kBundled;
  std::string shim_library;               // libaotic_shim.so to bundle ("" finds the one beside aotic)
  std::string runtime_library;            // libaotic_runtime.a to link ("" finds the one beside aotic)
  bool pointwise_kernels = false;         // --pointwise=kernel: generated loops for unary pointwise ops
  bool external_weights = false;          // --weights external: the blob beside model.so, MODEL.so.weights
  std::string header;                     // also write the C++ header (codegen/model_header.h) here
  std::string class_name;                 // its class, default: from the output's name
  std::string emit_source_dir;            // also write the generated sources here
  std::string source_name;                // for the banner: the model file's name
  std::set<std::string> disabled_passes;  // --disable-pass: optimising passes to skip
  /// --package: `output` is PyTorch's AOTInductor package (codegen/package.h) holding the
  /// model.so, instead of the model.so itself. Needs --shim=host and embedded weights.
  bool package = false;
  /// --debug-checks: model.cpp checks each op's result against the export's dtype and sizes.
  bool debug_checks = false;
  /// --device: what model.so runs on, "cpu" or "cuda" (an export made on the CPU is moved to the
  /// GPU whole: ir/retarget.h). A CUDA model's kernels are compiled by NVRTC or nvcc.
  std::string device = "cpu";
  /// --cuda-arch: the GPU architectures to compile kernels for ("90", "80,90"); PTX is added for
  /// the newest, so later GPUs run it too.
  std::string cuda_archs = "90";
  /// --nvcc: the toolkit's nvcc ("" finds one: $CUDA_HOME, /usr/local/cuda, PATH); its toolkit
  /// also gives the CUDA headers, the static runtime and NVRTC.
  std::string nvcc;
  /// --cuda-compiler: what compiles kernels.cu, "nvrtc" (the toolkit's libnvrtc, in process),
  /// "nvcc", or "" for NVRTC where the toolkit has it and nvcc otherwise.
  std::string cuda_compiler;
  /// Called as each stage of the compile starts ("generating model.cpp", "compiling model.cpp
  /// (412 KB) with g++", ...), with its number and the number of stages; may be empty.
  std::function<void(int stage, int stages, const std::string& what)> on_stage;
};

/// libaotic_shim.so, which --shim=bundled copies beside model.so: $AOTIC_SHIM_LIBRARY, else the
/// one beside the running binary (or in its runfiles). Throws UserError when there is none.
std::string find_shim_library();

/// What a compile produced, for the caller's summary.
struct CompileResult {
  std::string model_so;
  uint64_t model_bytes = 0;
  std::string shim_copy;     // where libaotic_shim.so was put (bundled mode)
  std::string weights_file;  // where the weights were put (--weights external)
};

/// Throws UserError naming every unsupported op at once (before compiling anything), or the
/// compiler's failure with the directory where the sources were kept. Nothing is written at
/// `output` unless the whole compile succeeded.
CompileResult compile_model(const ir::Program& program, const CompileOptions& options);

/// What --dump-after STAGE shows: "load" (the checked graph), the wrapper IR after any pass of
/// the pipeline (codegen/pipeline.h), or "codegen" (the generated model.cpp).
std::string dump_after(const ir::Program& program, const std::string& stage, const CompileOptions& options);

/// The stages dump_after() knows, in pipeline order.
std::vector<std::string> dump_stages();

/// The model.cpp aotic would generate for `options` (its device, shim and passes).
std::string generate_model_cpp(const ir::Program& program, const CompileOptions& options);

/// The model.cpp aotic would generate (used by golden tests and --emit-source).
std::string generate_model_cpp(const ir::Program& program, const std::string& source_name,
                               ShimMode shim = ShimMode::kBundled, bool pointwise_kernels = false,
                               const std::string& external_weights_file = "",
                               const std::set<std::string>& disabled_passes = {}, bool debug_checks = false);

}  // namespace aotic::codegen
