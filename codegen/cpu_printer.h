// The CPU printer: the wrapper IR of a model (codegen/wrapper_ir.h) as the C++ source of
// model.cpp, which reaches libtorch only through the C shim (aotic/shim.h, aotic/c_shim_cpu.h)
// and plugs into the runtime through aotic_model_spec() (aotic/runtime/model.h). It decides
// nothing: every choice was made by a pass; it picks C names and lays out text.
#pragma once

#include <string>

#include "codegen/wrapper_ir.h"

namespace aotic::codegen {

struct PrintOptions {
  /// Symbol of the constants blob defined by the assembly file.
  std::string blob_symbol = "aotic_constants_blob";
  /// Text for the banner: what was compiled (a file name, never a machine path).
  std::string source_name;
  /// The weights ship in this file beside model.so instead of inside it ("" = embedded).
  std::string external_weights_file;
  /// CPU kernels twice: for AVX2/FMA and for the baseline the compiler targets, each run taking
  /// the first when the CPU has those (the default --isa x86-64-v2 and below).
  bool avx2_dispatch = false;
};

/// What a model's printing gives: model.cpp, and for a CUDA model with kernels, kernels.cu (the
/// kernels and their launchers in namespace aotic_kernels, which model.cpp declares and calls).
struct PrintedSources {
  std::string model_cpp;
  std::string kernels_cu;  // "" unless CUDA with kernels
};
PrintedSources print_sources(const wir::Module& module, const PrintOptions& options);

/// The text of model.cpp (followed by kernels.cu's, after a "// ---- kernels.cu ----" line, when
/// there is one: what dumps and golden files show). For a CUDA module (module.device == "cuda", the
/// CppWrapperCuda counterpart) the same wrapper runs under a stream scope on the model's GPU, allocates
/// there, and launches kernels printed by kernel/cuda_printer.h on the run's stream; nvcc compiles it.
std::string print_cpu(const wir::Module& module, const PrintOptions& options);

}  // namespace aotic::codegen
