// The CPU printer: the wrapper IR of a model (codegen/wrapper_ir.h) as the C++ source of
// model.cpp, which reaches libtorch only through the C shim (aotic/shim.h, aotic/c_shim_cpu.h)
// and plugs into the runtime through aotic_model_spec() (aotic/runtime/model.h). It decides
// nothing: every choice was made by a pass; it picks C names and lays out text.
#pragma once

#include <string>
#include <vector>

#include "codegen/wrapper_ir.h"

namespace aotic::codegen {

struct PrintOptions {
  /// Symbol of the constants blob defined by the assembly file.
  std::string blob_symbol = "aotic_constants_blob";
  /// Text for the banner: what was compiled (a file name, never a machine path).
  std::string source_name;
  /// The weights ship in this file beside model.so instead of inside it ("" = embedded).
  std::string external_weights_file;
  /// CPU kernels three times: for AVX-512 (x86-64-v4), for AVX2/FMA and for the baseline the
  /// compiler targets, each launch taking the first the CPU runs (the default --isa x86-64-v2 and
  /// below).
  bool isa_dispatch = false;
};

/// A generated source file: its name in the build folder and its text.
struct SourceFile {
  std::string name;
  std::string text;
};

/// What a model's printing gives: model.cpp (the wrapper: the model's spec, run and fold), and
/// its generated kernels apart, in namespace aotic_kernels, which model.cpp declares and calls:
/// for a CPU model, C++ files (kernels.cpp, or kernels_avx512.cpp, kernels_avx2.cpp and
/// kernels_base.cpp, in parts when large), each compiled on its own and all in parallel; for a CUDA model,
/// kernels.cu (the kernels' device parts; their launchers are in model.cpp).
struct PrintedSources {
  std::string model_cpp;
  std::vector<SourceFile> wrapper_files;  // CPU: fold.cpp when fold() is large, compiled as model.cpp is
  std::vector<SourceFile> kernel_files;   // CPU: empty without generated kernels
  std::string kernels_cu;                 // "" unless CUDA with kernels
  bool wrapper_loops = false;             // model.cpp has loops of its own (--pointwise=kernel)

  /// model.cpp, then each other file after a "// ---- NAME ----" line: what dumps and golden
  /// files show.
  std::string joined() const;
};
PrintedSources print_sources(const wir::Module& module, const PrintOptions& options);

/// Kernels' texts (in order) grouped into parts of about `part_bytes` each, at most `max_parts`,
/// none empty: one part when they are small. The grouping depends on the texts alone, so the
/// kernel files, and the model.so, do not depend on the machine.
std::vector<std::string> kernel_parts(const std::vector<std::string>& kernels, size_t part_bytes = 4 * 1024,
                                      size_t max_parts = 8);

/// The text of model.cpp, followed by its kernel files' (PrintedSources::joined). For a CUDA module
/// (module.device == "cuda", the CppWrapperCuda counterpart) the same wrapper runs under a stream scope on
/// the model's GPU, allocates there, and launches kernels printed by kernel/cuda_printer.h on the run's
/// stream; nvcc compiles it.
std::string print_cpu(const wir::Module& module, const PrintOptions& options);

}  // namespace aotic::codegen
