#include "codegen/cpu_printer.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "codegen/templates.h"
#include "ir/dtype.h"
#include "ir/error.h"
#include "ir/version.h"
#include "kernel/cpu_printer.h"
#include "kernel/cuda_printer.h"
#include "kernel/writer.h"

namespace aotic::codegen {

using kernel::CodeWriter;
using kernel::cpp_double;
using kernel::cpp_identifier;
using kernel::cpp_string;
namespace {

using wir::Arg;
using wir::Stmt;

/// Emitted lines longer than this are wrapped (the project's clang-format width).
constexpr size_t kWidth = 110;

/// The constant templates/abi_codes.h names a dtype with.
std::string dtype_constant(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kUInt8:
      return "kUInt8";
    case ir::DType::kInt8:
      return "kInt8";
    case ir::DType::kInt16:
      return "kInt16";
    case ir::DType::kInt32:
      return "kInt32";
    case ir::DType::kInt64:
      return "kInt64";
    case ir::DType::kFloat16:
      return "kFloat16";
    case ir::DType::kFloat32:
      return "kFloat32";
    case ir::DType::kFloat64:
      return "kFloat64";
    case ir::DType::kComplex32:
      return "kComplex32";
    case ir::DType::kComplex64:
      return "kComplex64";
    case ir::DType::kComplex128:
      return "kComplex128";
    case ir::DType::kBool:
      return "kBool";
    case ir::DType::kBFloat16:
      return "kBFloat16";
    case ir::DType::kUInt16:
      return "kUInt16";
    case ir::DType::kFloat8E4M3FN:
      return "kFloat8E4M3FN";
    case ir::DType::kFloat8E5M2:
      return "kFloat8E5M2";
    case ir::DType::kFloat8E4M3FNUZ:
      return "kFloat8E4M3FNUZ";
    case ir::DType::kFloat8E5M2FNUZ:
      return "kFloat8E5M2FNUZ";
  }
  return std::to_string(ir::dtype_c10_code(dtype));
}

std::string device_constant(const ir::Device& device) {
  if (device.type == "cpu") return "kCPU";
  if (device.type == "cuda") return "kCUDA";
  if (device.type == "meta") return "kMeta";
  user_error("device '{}' is not supported", device.type);
}

/// A device's index: the export's, else the default (the CPU), or the GPU the run is on.
std::string device_index(const ir::Device& device) {
  if (device.index) return std::to_string(*device.index);
  return device.type == "cuda" ? "state.device_index()" : "kDefaultDeviceIndex";
}

std::string layout_constant(int64_t code) {
  static const char* kNames[] = {"kStrided",   "kSparseCoo", "kSparseCsr", "kMkldnn",
                                 "kSparseCsc", "kSparseBsr", "kSparseBsc"};
  return code >= 0 && code < 7 ? kNames[code] : std::to_string(code);
}

std::string memory_format_constant(int64_t code) {
  static const char* kNames[] = {"kContiguousFormat", "kPreserveFormat", "kChannelsLast", "kChannelsLast3d"};
  return code >= 0 && code < 4 ? kNames[code] : std::to_string(code);
}

std::string int_literal(int64_t v) {
  if (v == INT64_MIN) return "(-9223372036854775807 - 1)";
  return std::to_string(v);
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

/// The C ABI function making a 0-dim tensor of `dtype` from a number. The ABI has none for the
/// 16-bit floats: float32 stands in (the same promotion category, so only a 0-dim half operand
/// would see the difference).
std::string scalar_to_tensor_function(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kFloat64:
      return "aoti_torch_scalar_to_tensor_float64";
    case ir::DType::kUInt8:
      return "aoti_torch_scalar_to_tensor_uint8";
    case ir::DType::kInt8:
      return "aoti_torch_scalar_to_tensor_int8";
    case ir::DType::kInt16:
      return "aoti_torch_scalar_to_tensor_int16";
    case ir::DType::kInt32:
      return "aoti_torch_scalar_to_tensor_int32";
    case ir::DType::kInt64:
      return "aoti_torch_scalar_to_tensor_int64";
    case ir::DType::kUInt16:
      return "aoti_torch_scalar_to_tensor_uint16";
    case ir::DType::kBool:
      return "aoti_torch_scalar_to_tensor_bool";
    default:
      return "aoti_torch_scalar_to_tensor_float32";
  }
}

/// Whether printing `arg` needs a temporary tensor handle (and so a scope of its own).
bool needs_scope(const Arg& arg) {
  if (arg.kind == Arg::Kind::kScalarTensor) return true;
  for (const Arg& item : arg.items) {
    if (needs_scope(item)) return true;
  }
  return false;
}

/// Folded constants' names (PyTorch's AOTInductor uses the same prefix).
constexpr const char* kFoldedPrefix = "_FOLDED_CONST_";

class CpuPrinter {
 public:
  CpuPrinter(const wir::Module& module, const PrintOptions& options) : module_(module), options_(options) {
    // Names the templates define: a value with one of these names gets another.
    for (const char* file :
         {"abi_codes.h", "size_helpers.h", "kernel_helpers.h", "kernel_math.h", "cuda_helpers.h"}) {
      for (const std::string& section : template_sections(file)) w_.unique_name(section);
    }
    for (const AbiCode& code : abi_codes()) w_.unique_name(code.name);
    for (const kernel::Kernel& k : module_.kernels) w_.unique_name(k.name);
    for (const char* name : {"kSpec",
                             "AOTIC_UNOPTIMISED",
                             "AOTIC_HOST_DEVICE",
                             "kInputs",
                             "kOutputs",
                             "kSymbols",
                             "kConstants",
                             "TensorHandle",
                             "new_reference",
                             "km",
                             "CudaStreamScope",
                             "cuda",
                             "stream",
                             "state",
                             "inputs",
                             "outputs",
                             "run",
                             "fold",
                             "aotic_fold_constants",
                             "run_ops",
                             "GraphState",
                             "new_graph_state",
                             "delete_graph_state",
                             "capture",
                             "check_launch",
                             "check_cuda_call",
                             "Array"}) {
      w_.unique_name(name);
    }
  }

  PrintedSources print() {
    print_fold();
    const size_t fold_end = w_.text().size();
    print_run();
    // A large fold() (resnet18's: 80 KB of model.cpp's 157) is a file of its own, fold.cpp,
    // compiled beside model.cpp: its compile was most of model.cpp's, the compile step's longest
    // job. model.cpp keeps a fold() that calls it.
    const bool fold_apart = !cuda() && fold_end >= kFoldFileBytes;
    const std::string fold_text = w_.text().substr(0, fold_end);
    const std::string wrapper_text = fold_apart ? w_.text().substr(fold_end) : w_.text();
    CodeWriter spec;
    print_spec(spec);
    CodeWriter generated;     // CUDA: the kernels of module_.kernels
    CodeWriter launchers;     // CUDA: their host launchers, for model.cpp
    CodeWriter declarations;  // CPU: the kernels, for model.cpp (kernels_*.cpp define them)
    for (const kernel::Kernel& k : module_.kernels) {
      if (cuda()) {
        generated.blank();
        launchers.blank();
        kernel::print_cuda_kernel(k, generated, launchers);
      } else {
        kernel::print_cpu_kernel_declaration(k, declarations);
      }
    }
    PrintedSources sources;
    // A CUDA model's kernels are a file of their own, which nvcc compiles while the host compiler
    // compiles model.cpp; a CPU model's are files of their own too, compiled beside it.
    if (cuda() && !module_.kernels.empty()) sources.kernels_cu = print_kernels_cu(generated.text());
    if (!cuda() && !module_.kernels.empty()) sources.kernel_files = print_kernel_files();
    sources.wrapper_loops = !kernels_.text().empty();
    // What the size helpers and ABI codes are looked up in.
    const std::string body = w_.text() + launchers.text();

    CodeWriter out;
    out.linef("// Generated by aotic {} from {}.", kVersion, options_.source_name);
    out.line("// Generated code: do not edit. It reaches libtorch only through the C shim.");
    const size_t header_end = out.text().size();  // fold.cpp has its own first lines
    out.raw(template_section("prologue.h", "includes"));
    if (!cuda() && options_.isa_dispatch && !module_.kernels.empty()) {
      out.line("#include \"aotic/runtime/threads.h\"");
    }
    out.raw(template_section("prologue.h", "host_device"));
    if (!module_.fold.empty() || module_.cuda_graphs || long_wrapper())
      out.raw(template_section("prologue.h", "unoptimised"));
    if (cuda()) out.raw(template_section("cuda_helpers.h", "cuda_includes"));
    bool math = !kernels_.text().empty();
    for (const char* use : {"std::min", "std::max", "std::abs"}) math |= body.find(use) != std::string::npos;
    if (math) out.raw(template_section("prologue.h", "math_includes"));
    out.blank();
    if (!module_.constants.entries.empty() && options_.external_weights_file.empty()) {
      out.line("// The constants' bytes, linked in from constants.S.");
      out.linef("extern \"C\" const uint8_t {}[];", options_.blob_symbol);
      out.blank();
    }
    if (!sources.kernels_cu.empty()) {
      out.raw(template_section("cuda_helpers.h", "cuda_fatbin_symbols"));
      out.blank();
    }
    if (!sources.kernel_files.empty()) {
      // A comment, so each of its lines starts with "//".
      std::string comment = "// The generated kernels, defined in";
      for (size_t i = 0; i < sources.kernel_files.size(); ++i) {
        const std::string item =
            " " + sources.kernel_files[i].name + (i + 1 < sources.kernel_files.size() ? "," : ".");
        if (comment.size() + item.size() > 100) {
          out.line(comment);
          comment = "//";
        }
        comment += item;
      }
      out.line(comment);
      out.line("namespace aotic_kernels {");
      for (const char* isa : kernel_isas()) {
        if (*isa != '\0') out.linef("namespace {} {{", isa);
        out.raw(declarations.text());
        if (*isa != '\0') out.linef("}}  // namespace {}", isa);
      }
      out.line("}  // namespace aotic_kernels");
      out.blank();
    }
    out.line("namespace {");
    out.blank();
    out.raw(template_section("prologue.h", "usings"));
    out.blank();
    print_abi_codes(out, body + spec.text());
    for (const std::string& helper : template_sections("size_helpers.h")) {
      if (uses(body, helper)) {
        out.blank();
        out.raw(template_section("size_helpers.h", helper));
      }
    }
    if (!kernels_.text().empty()) {
      out.blank();
      out.raw(template_section("kernel_helpers.h", "run_unary_kernel"));
      out.blank();
      out.raw(kernels_.text());
    }
    if (!module_.kernels.empty()) {
      out.blank();
      out.raw(template_section("kernel_helpers.h", "kernel_input"));
      if (!cuda() && options_.isa_dispatch) {
        out.blank();
        out.raw(template_section("kernel_helpers.h", "kernels_isa"));
      }
    }
    if (!sources.kernels_cu.empty()) {
      out.blank();
      out.line("// The kernels' launchers: their parts are in kernels.cu's fatbin.");
      out.line("namespace aotic_kernels {");
      out.blank();
      out.raw(template_section("cuda_helpers.h", "cuda_launch_sizes"));
      out.blank();
      out.raw(template_section("cuda_helpers.h", "cuda_kernel_loader"));
      out.raw(launchers.text());
      out.blank();
      out.line("}  // namespace aotic_kernels");
      out.blank();
      out.raw(template_section("cuda_helpers.h", "cuda_launch_check"));
    }
    if (cuda()) {
      out.blank();
      out.raw(template_section("cuda_helpers.h", "cuda_stream_scope"));
    }
    if (module_.cuda_graphs) {
      out.blank();
      out.raw(template_section("cuda_helpers.h", "cuda_graphs"));
    }
    out.blank();
    const std::string preamble = out.text().substr(header_end);
    if (fold_apart) {
      CodeWriter fold;
      fold.linef("// Generated by aotic {} from {}: fold() of model.cpp.", kVersion, options_.source_name);
      fold.line("// Generated code: do not edit. It reaches libtorch only through the C shim.");
      fold.raw(preamble);
      fold.raw(fold_text);
      fold.line("}  // namespace");
      fold.blank();
      fold.line("void aotic_fold_constants(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {");
      fold.line("  fold(state, outputs);");
      fold.line("}");
      sources.wrapper_files.push_back({"fold.cpp", fold.text()});
      out.line("}  // namespace");
      out.blank();
      out.line("// The folded constants: fold() in fold.cpp.");
      out.line("void aotic_fold_constants(aotic::runtime::RunState& state, AtenTensorHandle* outputs);");
      out.blank();
      out.line("namespace {");
      out.blank();
      out.line("void fold(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {");
      out.line("  aotic_fold_constants(state, outputs);");
      out.line("}");
      out.blank();
    }
    out.raw(wrapper_text);
    out.blank();
    out.raw(spec.text());
    out.blank();
    out.line("}  // namespace");
    out.blank();
    out.line("const aotic::runtime::ModelSpec& aotic_model_spec() { return kSpec; }");
    sources.model_cpp = out.text();
    return sources;
  }

  /// kernels.cu: the helpers the kernels use, then the kernels' parts (device code only: NVRTC
  /// or nvcc compiles it to a fatbin; the launchers are in model.cpp).
  std::string print_kernels_cu(const std::string& kernels) const {
    CodeWriter cu;
    cu.linef("// Generated by aotic {} from {}: the CUDA kernels of model.cpp (device code only).", kVersion,
             options_.source_name);
    cu.line("// Generated code: do not edit.");
    cu.raw(template_section("cuda_helpers.h", "cuda_kernel_includes"));
    cu.raw(template_section("prologue.h", "host_device"));
    cu.blank();
    cu.line("namespace aotic_kernels {");
    for (const std::string& helper : template_sections("size_helpers.h")) {
      if (uses(kernels, helper)) {
        cu.blank();
        cu.raw(template_section("size_helpers.h", helper));
      }
    }
    cu.blank();
    cu.raw(template_section("kernel_math.h", "kernel_math"));
    cu.blank();
    cu.raw(template_section("cuda_helpers.h", "cuda_launch_sizes"));
    cu.blank();
    cu.raw(template_section("cuda_helpers.h", "cuda_kernel_helpers"));
    cu.raw(kernels);
    cu.blank();
    cu.line("}  // namespace aotic_kernels");
    return cu.text();
  }

  /// A CPU model's kernels, in files of their own that the host compiler compiles in parallel
  /// with model.cpp and each other: with --isa dispatch, an AVX-512 copy (kernels_avx512*.cpp), an
  /// AVX2/FMA copy (kernels_avx2*.cpp) and a baseline copy (kernels_base*.cpp); each copy in parts
  /// (kernel_parts) when it is large.
  std::vector<SourceFile> print_kernel_files() const {
    std::vector<std::string> texts;
    for (const kernel::Kernel& k : module_.kernels) {
      CodeWriter one;
      one.blank();
      kernel::print_cpu_kernel(k, one);
      texts.push_back(one.text());
    }
    const std::vector<std::string> part_texts = kernel_parts(texts);
    std::vector<SourceFile> files;
    for (const char* isa : kernel_isas()) {
      for (size_t i = 0; i < part_texts.size(); ++i) {
        std::string name = std::string("kernels") + (*isa != '\0' ? std::string("_") + isa : "") +
                           (part_texts.size() > 1 ? "_" + std::to_string(i + 1) : "") + ".cpp";
        files.push_back({name, print_kernel_file(isa, part_texts[i], i + 1, part_texts.size())});
      }
    }
    return files;
  }

  /// One kernels_*.cpp: the helpers its kernels use, private to the file, then the kernels in
  /// namespace aotic_kernels (::avx512, ::avx2 or ::base with --isa dispatch).
  std::string print_kernel_file(const std::string& isa, const std::string& kernels, size_t part,
                                size_t parts) const {
    CodeWriter f;
    f.linef("// Generated by aotic {} from {}: kernels of model.cpp{}{}.", kVersion, options_.source_name,
            isa == "avx512" ? ", AVX-512 build"
            : isa == "avx2" ? ", AVX2/FMA build"
            : isa == "base" ? ", baseline build"
                            : "",
            parts > 1 ? fmt::format(", part {} of {}", part, parts) : "");
    f.line("// Generated code: do not edit.");
    f.raw(template_section("prologue.h", "kernel_includes"));
    f.raw(template_section("prologue.h", "host_device"));
    f.line("#include \"aotic/runtime/threads.h\"");
    f.blank();
    f.line("namespace aotic_kernels {");
    f.line("namespace {");
    for (const std::string& helper : template_sections("size_helpers.h")) {
      if (uses(kernels, helper)) {
        f.blank();
        f.raw(template_section("size_helpers.h", helper));
      }
    }
    f.blank();
    f.raw(template_section("kernel_math.h", "kernel_math"));
    f.blank();
    f.line("}  // namespace");
    const char* target = isa_target(isa);
    if (target != nullptr) {
      // ISA attributes on the kernels only, no -march: the math above (baseline) still inlines into
      // them and vectorises with them.
      f.line("#if defined(__clang__)");
      f.line("#pragma clang attribute push(__attribute__((target( \\");  // continued: lists are long
      f.linef("    \"{}\"))), \\", target);
      f.line("    apply_to = function)");
      f.line("#else");
      f.line("#pragma GCC push_options");
      f.linef("#pragma GCC target(\"{}\")", target);
      f.line("#endif");
    }
    if (!isa.empty()) f.linef("namespace {} {{", isa);
    f.raw(kernels);
    if (!isa.empty()) f.linef("}}  // namespace {}", isa);
    if (target != nullptr) {
      f.line("#if defined(__clang__)");
      f.line("#pragma clang attribute pop");
      f.line("#else");
      f.line("#pragma GCC pop_options");
      f.line("#endif");
    }
    f.line("}  // namespace aotic_kernels");
    return f.text();
  }

 private:
  bool cuda() const { return module_.device == "cuda"; }

  /// The copies of the CPU kernels, each a namespace and files of its own: with --isa dispatch an
  /// AVX-512 (x86-64-v4), an AVX2/FMA (x86-64-v3) and a baseline one, else one without a name.
  std::vector<const char*> kernel_isas() const {
    return options_.isa_dispatch ? std::vector<const char*>{"avx512", "avx2", "base"}
                                 : std::vector<const char*>{""};
  }

  /// The target attribute of a copy's kernels, or nullptr for the compiler's own --isa: exactly the
  /// features kernel_isa() checks for that copy (runtime/src/threads.cc). No F16C: CPU kernels have
  /// no 16-bit floats, and clang's __builtin_cpu_supports cannot ask for it.
  static const char* isa_target(const std::string& isa) {
    if (isa == "avx512") return "avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2";
    if (isa == "avx2") return "avx2,fma,bmi,bmi2";
    return nullptr;
  }

  /// The lines of templates/abi_codes.h defining a name the model uses.
  /// One constant of templates/abi_codes.h: its name and its defining line.
  struct AbiCode {
    std::string name;
    std::string line;
  };

  static const std::vector<AbiCode>& abi_codes() {
    static const std::vector<AbiCode> kCodes = [] {
      std::vector<AbiCode> codes;
      const std::string text = template_section("abi_codes.h", "abi_codes");
      const std::string prefix = "constexpr int32_t ";
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind(prefix, 0) != 0) continue;
        std::string name = line.substr(prefix.size(), line.find(' ', prefix.size()) - prefix.size());
        codes.push_back({std::move(name), std::move(line)});
      }
      return codes;
    }();
    return kCodes;
  }

  static void print_abi_codes(CodeWriter& out, const std::string& text) {
    out.line("// The C shim's codes this model uses (templates/abi_codes.h).");
    for (const AbiCode& code : abi_codes()) {
      if (uses(text, code.name)) out.line(code.line);
    }
  }

  /// Whether `text` mentions the identifier `name` (not as part of a longer one).
  static bool uses(const std::string& text, const std::string& name) {
    auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (size_t pos = text.find(name); pos != std::string::npos; pos = text.find(name, pos + 1)) {
      const size_t end = pos + name.size();
      if ((pos == 0 || !ident(text[pos - 1])) && (end == text.size() || !ident(text[end]))) return true;
    }
    return false;
  }

  // ---- Names ------------------------------------------------------------------------------------

  struct Scope {
    std::map<std::string, std::string> handles;  // tensor value -> C expression of its AtenTensorHandle
    std::map<std::string, std::string> owned;    // tensor value -> its TensorHandle variable
    std::map<std::string, std::string> ints;     // integer value -> C variable
  };

  std::string handle(const std::string& value) {
    auto it = scope().handles.find(value);
    AOTIC_CHECK(it != scope().handles.end(), "no handle for value " + value);
    return it->second;
  }

  std::string owned(const std::string& value) {
    auto it = scope().owned.find(value);
    AOTIC_CHECK(it != scope().owned.end(), "value is not owned: " + value);
    return it->second;
  }

  /// Declares a TensorHandle owning the value `name`.
  std::string define_owned(const std::string& name) {
    std::string var = w_.unique_name(cpp_identifier(name));
    w_.linef("TensorHandle {};", var);
    scope().owned[name] = var;
    scope().handles[name] = var + ".get()";
    return var;
  }

  Scope& scope() { return scopes_.back(); }

  std::string symbol_code(const std::string& symbol) {
    auto it = symbol_vars_.find(symbol);
    AOTIC_CHECK(it != symbol_vars_.end(), "unbound symbol " + symbol);
    return it->second;
  }

  std::string size_code(const ir::SymExpr& e) {
    if (e.is_constant()) return int_literal(*e.constant_value());
    return e.to_cpp([&](const std::string& s) { return symbol_code(s); });
  }

  // ---- Text -------------------------------------------------------------------------------------

  /// `check(fn(args), "what");`, wrapped at the project's width: the message on a line of its
  /// own, then the arguments too.
  void call_line(const std::string& fn, const std::vector<std::string>& args, const std::string& what) {
    const size_t indent = static_cast<size_t>(w_.depth()) * 2;
    const std::string call = fmt::format("{}({})", fn, join(args));
    const std::string one = fmt::format("check({}, {});", call, cpp_string(what));
    if (indent + one.size() <= kWidth) {
      w_.line(one);
      return;
    }
    if (indent + call.size() + 7 <= kWidth) {
      w_.linef("check({},", call);
      w_.linef("      {});", cpp_string(what));
      return;
    }
    w_.linef("check({}(", fn);
    std::string line;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string item = args[i] + (i + 1 < args.size() ? "," : "),");
      if (!line.empty() && indent + 10 + line.size() + 1 + item.size() > kWidth) {
        w_.line("          " + line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + item;
    }
    w_.line("          " + (args.empty() ? std::string("),") : line));
    w_.linef("      {});", cpp_string(what));
  }

  void open_scope() { w_.open(""); }
  void close_scope() { w_.close(); }

  // ---- fold() and run() -------------------------------------------------------------------------

  /// Handles for the constants, state.constant(i).
  void bind_constants() {
    for (size_t i = 0; i < module_.constants.entries.size(); ++i) {
      const std::string& name = module_.constants.entries[i].spec->arg.name;
      const std::string var = w_.unique_name(cpp_identifier(name));
      w_.linef("AtenTensorHandle {} = state.constant({});", var, i);
      scope().handles[name] = var;
    }
  }

  /// fold(): the folded constants from the others (fold_constants), returned in `outputs`.
  void print_fold() {
    if (module_.fold.empty()) return;
    scopes_.emplace_back();
    w_.line("// The folded constants, computed from the others whenever the constants are set.");
    w_.open("AOTIC_UNOPTIMISED void fold(aotic::runtime::RunState& state, AtenTensorHandle* outputs)");
    if (cuda()) w_.line("const CudaStreamScope cuda(state);");
    bind_constants();
    print_block(module_.fold);
    if (cuda()) {
      // Runs on any stream may read the folded constants next: they are complete first.
      w_.line("check_cuda_call(cudaStreamSynchronize(cuda.stream()), \"fold: cudaStreamSynchronize\");");
    }
    w_.close();
    w_.blank();
    scopes_.pop_back();
    last_place_.clear();
  }

  /// Whether run() is long enough to be compiled without optimisation. run() is calls into the
  /// shim and kernels, each a few microseconds or more; without optimisation each costs about
  /// 40 ns more (mlp: 7.8 against 8.1 us a run), while optimising mobilenet_v3_small's run()
  /// (about 200 calls, 3,000 lines) took 0.4 s of its model.cpp's 1.05 s.
  bool long_wrapper() const { return module_.body.size() >= kLongWrapperStatements; }
  static constexpr size_t kLongWrapperStatements = 128;

  /// The size from which fold()'s text is a file of its own (print()): it then costs a second
  /// parse of model.cpp's helpers (about 30 KB), so small ones stay.
  static constexpr size_t kFoldFileBytes = 20 * 1024;

  void print_run() {
    scopes_.emplace_back();
    if (module_.cuda_graphs) {
      // run() (templates/cuda_helpers.h, cuda_graphs) captures this once and replays it.
      w_.open_wrapped(
          "AOTIC_UNOPTIMISED void run_ops(aotic::runtime::RunState& state, AtenTensorHandle* inputs, "
          "AtenTensorHandle* outputs, cudaStream_t stream)");
    } else {
      // A long wrapper is compiled without optimisation (long_wrapper).
      w_.open_wrapped(
          fmt::format("{}void run(aotic::runtime::RunState& state, AtenTensorHandle* inputs, "
                      "AtenTensorHandle* outputs)",
                      long_wrapper() ? "AOTIC_UNOPTIMISED " : ""));
    }
    if (cuda() && !module_.cuda_graphs) {
      w_.line("// Every op and kernel runs on the caller's stream, on the model's GPU.");
      w_.line("const CudaStreamScope cuda(state);");
      w_.line("const cudaStream_t stream = cuda.stream();");
    }
    for (size_t i = 0; i < module_.symbols.size(); ++i) {
      const std::string var = w_.unique_name(cpp_identifier(module_.symbols[i].name));
      symbol_vars_[module_.symbols[i].name] = var;
      w_.linef("const int64_t {} = state.symbol({});", var, i);
    }
    for (size_t i = 0; i < module_.inputs.size(); ++i) {
      const std::string var = w_.unique_name(cpp_identifier(module_.inputs[i].name));
      w_.linef("AtenTensorHandle {} = inputs[{}];", var, i);
      scope().handles[module_.inputs[i].name] = var;
    }
    bind_constants();
    for (size_t i = 0; i < module_.folded.size(); ++i) {
      const std::string& name = module_.folded[i].value;
      const std::string var = w_.unique_name(cpp_identifier(name));
      w_.linef("AtenTensorHandle {} = state.constant({});  // folded", var,
               module_.constants.entries.size() + i);
      scope().handles[name] = var;
    }
    if (module_.arena.bytes > 0) {
      arena_ = w_.unique_name("arena");
      w_.linef("// {} buffers carved from one arena of {} bytes ({} bytes allocated one by one)",
               module_.arena.buffers, module_.arena.bytes, module_.arena.separate_bytes);
      w_.linef("TensorHandle {};", arena_);
      w_.linef("const int64_t {}_bytes = {}, {}_unit = 1;", arena_, module_.arena.bytes, arena_);
      call_line("aoti_torch_empty_strided",
                {"1", "&" + arena_ + "_bytes", "&" + arena_ + "_unit", "aoti_torch_dtype_uint8()",
                 cuda() ? "aoti_torch_device_type_cuda()" : "aoti_torch_device_type_cpu()",
                 cuda() ? "state.device_index()" : "0", arena_ + ".out()"},
                "allocate the arena");
    }
    print_block(module_.body);
    close_scope();
  }

  void print_block(const wir::Block& block) {
    for (const Stmt& s : block) {
      if (!s.place.empty() && s.place != last_place_) {
        w_.linef("// {}", s.place);
        last_place_ = s.place;
      }
      if (!s.note.empty()) w_.linef("// {}", s.note);
      switch (s.kind) {
        case Stmt::Kind::kOp:
          AOTIC_CHECK(false, "an op was not lowered: " + s.place);
          break;
        case Stmt::Kind::kAlloc:
          print_alloc(s);
          break;
        case Stmt::Kind::kCall:
        case Stmt::Kind::kView:
          print_call(s);
          break;
        case Stmt::Kind::kKernel:
          print_kernel(s);
          break;
        case Stmt::Kind::kLaunch:
          print_launch(s);
          break;
        case Stmt::Kind::kSize: {
          const std::string var = w_.unique_name(cpp_identifier(s.value));
          w_.wrapped(fmt::format("const int64_t {} = {};", var, size_code(s.expr)));
          scope().ints[s.value] = var;
          break;
        }
        case Stmt::Kind::kReadInt: {
          const std::string var = w_.unique_name(cpp_identifier(s.value));
          const std::string tensor = handle(s.inputs.at(0));
          switch (s.read) {
            case Stmt::Read::kSize:
              w_.linef("// {} is data-dependent: the size the op gave its result", s.value);
              w_.linef("const int64_t {} = aotic::runtime::size_of({}, {});", var, tensor, s.dim);
              break;
            case Stmt::Read::kStorageOffset:
              w_.linef("// {} is data-dependent: the storage offset the op gave its result", s.value);
              w_.linef("const int64_t {} = aotic::runtime::storage_offset_of({});", var, tensor);
              break;
            case Stmt::Read::kItem:
              w_.linef("// {} is data-dependent: the value of a one-element tensor", s.value);
              w_.wrapped(fmt::format("const int64_t {} = aotic::runtime::item_as_int({}, {});", var, tensor,
                                     cpp_string(s.place)));
              break;
          }
          symbol_vars_[s.value] = var;
          scope().ints[s.value] = var;  // a node's own name when .item() equals a bound symbol
          break;
        }
        case Stmt::Kind::kAssert: {
          auto it = scope().ints.find(s.pred);
          AOTIC_CHECK(it != scope().ints.end(), "unknown integer " + s.pred);
          w_.wrapped(fmt::format("aotic::runtime::check_assertion({}, {});", it->second, cpp_string(s.text)));
          break;
        }
        case Stmt::Kind::kCheck:
          print_check(s);
          break;
        case Stmt::Kind::kAlias: {
          const std::string source = handle(s.alias_of);
          const std::string var = w_.unique_name(cpp_identifier(s.value));
          w_.linef("TensorHandle {} = new_reference({});", var, source);
          scope().owned[s.value] = var;
          scope().handles[s.value] = var + ".get()";
          break;
        }
        case Stmt::Kind::kFree:
          if (s.reused_by.empty()) {
            w_.linef("{}.reset();", owned(s.value));
          } else {
            w_.linef("// {} is free: its buffer is kept for {}", owned(s.value), s.reused_by);
          }
          break;
        case Stmt::Kind::kCond:
          print_cond(s);
          break;
        case Stmt::Kind::kReturn:
          for (size_t i = 0; i < s.outs.size(); ++i) {
            w_.linef("outputs[{}] = new_reference({}).release();", i, handle(s.outs[i]));
          }
          break;
      }
    }
  }

  void print_alloc(const Stmt& s) {
    const std::string var = define_owned(s.value);
    if (!s.reuse.empty()) {
      w_.linef("{} = std::move({});  // {}'s buffer: same dtype, sizes and strides", var, owned(s.reuse),
               s.reuse);
      return;
    }
    const size_t rank = s.buffer.sizes.size();
    std::string sizes_var = "nullptr", strides_var = "nullptr";
    if (rank > 0) {
      std::vector<std::string> sizes, strides;
      for (const ir::SymExpr& e : s.buffer.sizes) sizes.push_back(size_code(e));
      for (const ir::SymExpr& e : s.buffer.strides) strides.push_back(size_code(e));
      sizes_var = w_.unique_name(var + "_sizes");
      strides_var = w_.unique_name(var + "_strides");
      w_.wrapped(fmt::format("const int64_t {}[] = {{{}}};", sizes_var, join(sizes)));
      w_.wrapped(fmt::format("const int64_t {}[] = {{{}}};", strides_var, join(strides)));
    }
    if (s.pool_offset >= 0) {
      call_line("aoti_torch__alloc_from_pool",
                {arena_ + ".get()", std::to_string(s.pool_offset), dtype_constant(s.buffer.dtype),
                 std::to_string(rank), sizes_var, strides_var, var + ".out()"},
                "allocate " + s.value);
      return;
    }
    call_line("aoti_torch_empty_strided",
              {std::to_string(rank), sizes_var, strides_var, dtype_constant(s.buffer.dtype),
               device_constant(s.buffer.device), device_index(s.buffer.device), var + ".out()"},
              "allocate " + s.value);
  }

  /// --debug-checks: the result against the export's dtype, rank and sizes.
  void print_check(const Stmt& s) {
    const size_t rank = s.buffer.sizes.size();
    std::string sizes_var = "nullptr", exprs_var = "nullptr";
    if (rank > 0) {
      std::vector<std::string> sizes, exprs;
      bool symbolic = false;
      for (size_t d = 0; d < rank; ++d) {
        const ir::SymExpr& e = s.buffer.sizes[d];
        const bool known = s.checked.at(d);
        sizes.push_back(known ? size_code(e) : "-1");
        symbolic |= known && !e.is_constant();
        exprs.push_back(known && !e.is_constant() ? cpp_string(e.to_string()) : "nullptr");
      }
      sizes_var = w_.unique_name(cpp_identifier(s.value) + "_recorded");
      w_.wrapped(fmt::format("const int64_t {}[] = {{{}}};", sizes_var, join(sizes)));
      if (symbolic) {
        exprs_var = w_.unique_name(cpp_identifier(s.value) + "_recorded_exprs");
        w_.wrapped(fmt::format("const char* const {}[] = {{{}}};", exprs_var, join(exprs)));
      }
    }
    w_.wrapped(fmt::format("aotic::runtime::check_result({}, {}, {}, {}, {}, {});", handle(s.value),
                           cpp_string(s.place), dtype_constant(s.buffer.dtype), rank, sizes_var, exprs_var));
  }

  /// C expressions for one argument (one, or two for lists and devices); temporaries are
  /// declared before the call.
  std::vector<std::string> print_arg(const Arg& a) {
    switch (a.kind) {
      case Arg::Kind::kTensor:
        return {handle(a.value)};
      case Arg::Kind::kInt:
        return {int_literal(a.int_value)};
      case Arg::Kind::kIntValue: {
        auto it = scope().ints.find(a.value);
        AOTIC_CHECK(it != scope().ints.end(), "unknown integer " + a.value);
        return {a.c_type == "double" ? "static_cast<double>(" + it->second + ")" : it->second};
      }
      case Arg::Kind::kDouble:
        return {cpp_double(a.double_value)};
      case Arg::Kind::kBool:
        return {a.bool_value ? "true" : "false"};
      case Arg::Kind::kString:
        return {cpp_string(a.text)};
      case Arg::Kind::kDType:
        return {dtype_constant(a.dtype)};
      case Arg::Kind::kDevice:
        return {device_constant(a.device), device_index(a.device)};
      case Arg::Kind::kLayout:
        return {layout_constant(a.int_value)};
      case Arg::Kind::kMemoryFormat:
        return {memory_format_constant(a.int_value)};
      case Arg::Kind::kNull:
        if (!a.pair) return {"nullptr"};
        return {"nullptr", a.pair_value == -1 ? "kDefaultDeviceIndex" : int_literal(a.pair_value)};
      case Arg::Kind::kScalarTensor: {
        const Arg& v = a.items.at(0);
        const std::string fn = scalar_to_tensor_function(a.dtype);
        const std::string value = print_arg(v).at(0);
        const std::string var = w_.unique_name("scalar");
        w_.linef("TensorHandle {};", var);
        // Made on the GPU when select_ops asks (clamp.Tensor takes no CPU scalar beside GPU
        // tensors): a 0-dim tensor there, filled (a fill kernel, unlike a host copy, can be captured
        // in a CUDA graph). The fill takes a double: a value not known to be exact in one (a run-time
        // integer, a literal beyond 2^53) is made on the host and copied there instead.
        if (a.on_device && cuda()) {
          const bool exact = v.kind == Arg::Kind::kDouble || v.kind == Arg::Kind::kBool ||
                             (v.kind == Arg::Kind::kInt && v.int_value <= (int64_t{1} << 53) &&
                              v.int_value >= -(int64_t{1} << 53));
          w_.wrapped(fmt::format(
              "check(aoti_torch_empty_strided(0, nullptr, nullptr, {}, kCUDA, state.device_index(), "
              "{}.out()), \"aoti_torch_empty_strided\");",
              dtype_constant(a.dtype), var));
          if (exact) {
            w_.wrapped(
                fmt::format("check(aoti_torch_cuda_fill__Scalar({}.get(), static_cast<double>({})), "
                            "\"aoti_torch_cuda_fill__Scalar\");",
                            var, value));
          } else {
            const std::string host = w_.unique_name("scalar_host");
            w_.linef("TensorHandle {};", host);
            w_.linef("check({}({}, {}.out()), \"{}\");", fn, value, host, fn);
            w_.wrapped(fmt::format("check(aoti_torch_copy_({}.get(), {}.get(), 0), \"aoti_torch_copy_\");",
                                   var, host));
          }
          return {var + ".get()"};
        }
        if (a.dtype == ir::DType::kFloat16 || a.dtype == ir::DType::kBFloat16) {
          // No 16-bit scalar_to_tensor in the C ABI: float32, then converted (select_ops checked
          // that the shim has _to_copy).
          const std::string wide = w_.unique_name("scalar_float32");
          const std::string code = w_.unique_name("scalar_dtype");
          w_.linef("TensorHandle {};", wide);
          w_.linef("check({}({}, {}.out()), \"{}\");", fn, value, wide, fn);
          w_.linef("int32_t {} = {};", code, dtype_constant(a.dtype));
          w_.wrapped(
              fmt::format("check(aoti_torch_cpu__to_copy({}.get(), &{}, nullptr, nullptr, 0, nullptr, 0, "
                          "nullptr, {}.out()), "
                          "\"aoti_torch_cpu__to_copy\");",
                          wide, code, var));
          return {var + ".get()"};
        }
        w_.linef("check({}({}, {}.out()), \"{}\");", fn, value, var, fn);
        return {var + ".get()"};
      }
      case Arg::Kind::kOptional: {
        std::vector<std::string> exprs = print_arg(a.items.at(0));
        const std::string var = w_.unique_name(cpp_identifier(a.name) + "_value");
        w_.linef("{} {} = {};", a.c_type, var, exprs.at(0));
        exprs[0] = "&" + var;
        return exprs;
      }
      case Arg::Kind::kArray: {
        std::vector<std::string> items;
        for (const Arg& item : a.items) items.push_back(print_arg(item).at(0));
        const std::string var = w_.unique_name(cpp_identifier(a.name));
        // An element type that is already const (`const AtenTensorHandle*`) takes no second const.
        const bool is_const = a.c_type.rfind("const ", 0) == 0;
        w_.wrapped(fmt::format("{}{} {}[] = {{{}}};", is_const ? "" : "const ", a.c_type, var, join(items)));
        return {var, std::to_string(items.size())};
      }
    }
    return {};
  }

  void print_call(const Stmt& s) {
    if (s.kind == Stmt::Kind::kView) {
      w_.linef("// may share {}'s storage (a view)", s.alias_of);
    }
    std::vector<std::string> out_vars;
    bool scoped = s.list_out;
    for (const std::string& n : s.outs) {
      if (n.empty()) {
        scoped = true;  // an ignored result is released at the end of the call's scope
      } else {
        out_vars.push_back(define_owned(n));
      }
    }
    for (const Arg& a : s.args) scoped |= needs_scope(a);
    if (scoped) open_scope();
    std::vector<std::string> args;
    for (const Arg& a : s.args) {
      for (std::string& e : print_arg(a)) args.push_back(std::move(e));
    }
    std::vector<std::string> after;
    const size_t singles = s.list_out ? s.list_start : s.outs.size();
    for (size_t i = 0; i < singles; ++i) {
      const std::string& n = s.outs[i];
      if (!n.empty()) {
        args.push_back(owned(n) + ".out()");
      } else {
        const std::string var = w_.unique_name("unused");
        w_.linef("TensorHandle {};", var);
        args.push_back(var + ".out()");
      }
    }
    if (s.list_out) {
      // The Tensor[] return: an array the shim fills, each element then owned.
      const size_t count = s.outs.size() - singles;
      const std::string rets = w_.unique_name("rets");
      w_.linef("AtenTensorHandle {}[{}] = {{}};", rets, std::max<size_t>(count, 1));
      args.push_back(rets);
      args.push_back(std::to_string(count));
      for (size_t i = 0; i < count; ++i)
        after.push_back(fmt::format("{}.reset({}[{}]);", owned(s.outs[singles + i]), rets, i));
    }
    call_line(s.function, args, s.place);
    for (const std::string& line : after) w_.line(line);
    if (scoped) close_scope();
  }

  void print_kernel(const Stmt& s) {
    if (kernel_names_.insert(s.function).second) {
      kernels_.linef("// {}", s.comment);
      kernels_.open(fmt::format("void {}(const float* in, float* out, int64_t n)", s.function));
      kernels_.open("for (int64_t i = 0; i < n; ++i)");
      kernels_.line("const float v = in[i];");
      kernels_.linef("out[i] = {};", s.expression);
      kernels_.close();
      kernels_.close();
      kernels_.blank();
    }
    if (s.inplace) w_.line("// in place: the result is written back into the input");
    w_.linef("run_unary_kernel({}, {}, {});", s.function, handle(s.inputs.at(0)), handle(s.value));
  }

  /// A generated kernel's call: each input's data in the layout the kernel reads it with.
  void print_launch(const Stmt& s) {
    const kernel::Kernel& k = module_.kernels.at(static_cast<size_t>(s.kernel));
    open_scope();
    std::vector<std::string> args;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const wir::BufferMeta& layout = s.layouts.at(i);
      const std::string type = kernel::cpp_type(layout.dtype);
      const std::string base = cpp_identifier(s.inputs[i]);
      std::string strides = "nullptr";
      if (!layout.strides.empty()) {
        std::vector<std::string> items;
        for (const ir::SymExpr& e : layout.strides) items.push_back(size_code(e));
        strides = w_.unique_name(base + "_layout");
        w_.wrapped(fmt::format("const int64_t {}[] = {{{}}};", strides, join(items)));
      }
      const std::string scratch = w_.unique_name(base + "_copy");
      const std::string data = w_.unique_name(base + "_data");
      w_.linef("TensorHandle {};", scratch);
      w_.wrapped(fmt::format("const {}* {} = kernel_input<{}>({}, {}, {}, {});", type, data, type,
                             handle(s.inputs[i]), layout.strides.size(), strides, scratch));
      args.push_back(data);
    }
    for (const std::string& out : s.outs) {
      const ir::DType dtype = k.buffers.at(args.size()).dtype;
      args.push_back(fmt::format("aotic::runtime::data<{}>({})", kernel::cpp_type(dtype), handle(out)));
    }
    for (const std::string& symbol : k.symbols) args.push_back(symbol_code(symbol));
    if (cuda()) args.emplace_back("stream");
    if (cuda()) {
      w_.wrapped(fmt::format("check_launch(aotic_kernels::{}({}), {});", s.function, join(args),
                             cpp_string("CUDA kernel " + s.function)));
    } else if (options_.isa_dispatch) {
      const std::string pick = w_.unique_name("kernel");
      w_.linef("auto* {} = &aotic_kernels::base::{};", pick, s.function);
      w_.open("if (kernel_isa() == KernelIsa::kAvx512)");
      w_.linef("{} = &aotic_kernels::avx512::{};", pick, s.function);
      w_.reopen("} else if (kernel_isa() == KernelIsa::kAvx2) {");
      w_.linef("{} = &aotic_kernels::avx2::{};", pick, s.function);
      w_.close();
      w_.wrapped(fmt::format("{}({});", pick, join(args)));
    } else {
      w_.wrapped(fmt::format("aotic_kernels::{}({});", s.function, join(args)));
    }
    close_scope();
  }

  void print_cond(const Stmt& s) {
    std::vector<std::string> out_vars;
    for (const std::string& n : s.outs) out_vars.push_back(define_owned(n));
    std::vector<std::string> operands;
    for (const std::string& n : s.inputs) operands.push_back(handle(n));
    const std::string pred = w_.unique_name("pred");
    open_scope();
    w_.linef("bool {} = false;", pred);
    w_.linef("check(aoti_torch_item_bool({}, &{}), {});", handle(s.pred), pred,
             cpp_string(s.place + ": predicate"));
    for (size_t b = 0; b < s.branches.size(); ++b) {
      const wir::Branch& branch = s.branches[b];
      if (b == 0) {
        w_.open(fmt::format("if ({})", pred));
      } else {
        w_.reopen("} else {");
      }
      w_.linef("// {}", branch.name);
      // The branch sees only its own values: its inputs are the operands.
      scopes_.emplace_back();
      scope().ints = scopes_[scopes_.size() - 2].ints;
      for (size_t i = 0; i < branch.inputs.size(); ++i) scope().handles[branch.inputs[i]] = operands.at(i);
      print_block(branch.body);
      for (size_t i = 0; i < branch.outputs.size(); ++i) {
        w_.linef("{} = new_reference({});", out_vars.at(i), handle(branch.outputs[i]));
      }
      scopes_.pop_back();
    }
    w_.close();
    close_scope();
    last_place_.clear();
  }

  // ---- The spec ---------------------------------------------------------------------------------

  /// size, symbol, multiplier, offset, expression (runtime/include/aotic/runtime/model_spec.h)
  static std::string dims_table(CodeWriter& w, const std::string& name,
                                const std::vector<wir::DimBinding>& dims) {
    if (dims.empty()) return "nullptr";
    std::vector<std::string> items;
    items.reserve(dims.size());
    for (const wir::DimBinding& d : dims) {
      items.push_back(fmt::format("{{{}, {}, {}, {}, {}}}", d.size, d.symbol, d.multiplier, d.offset,
                                  d.expr.empty() ? "nullptr" : cpp_string(d.expr)));
    }
    w.wrapped(fmt::format("constexpr aotic::runtime::DimSpec {}[] = {{{}}};", name, join(items)));
    return name;
  }

  static std::string table(CodeWriter& w, const std::string& type, const std::string& name,
                           const std::vector<std::string>& rows) {
    if (rows.empty()) return "nullptr";
    w.open(fmt::format("constexpr aotic::runtime::{} {}[] =", type, name));
    for (const std::string& row : rows) w.wrapped(row + ",");
    w.close("};");
    return name;
  }

  void print_spec(CodeWriter& w) {
    std::vector<std::string> symbol_rows;
    for (const wir::Symbol& s : module_.symbols) {
      symbol_rows.push_back(
          fmt::format("{{{}, {}, {}}}", cpp_string(s.name), int_literal(s.min), int_literal(s.max)));
    }
    const std::string symbols = table(w, "SymbolSpec", "kSymbols", symbol_rows);
    // name, dtype, device type, rank, dims, needs a contiguous layout
    auto tensor_rows = [&](const std::vector<wir::TensorSpec>& specs, const char* prefix, bool contiguous) {
      std::vector<std::string> rows;
      for (size_t i = 0; i < specs.size(); ++i) {
        const ir::TensorMeta& meta = specs[i].meta;
        const std::string dims = dims_table(w, fmt::format("k{}{}Dims", prefix, i), specs[i].dims);
        rows.push_back(fmt::format("{{{}, {}, {}, {}, {}, {}}}", cpp_string(specs[i].name),
                                   dtype_constant(meta.dtype), device_constant(meta.device),
                                   meta.sizes.size(), dims, contiguous ? "true" : "false"));
      }
      return rows;
    };
    const std::vector<std::string> input_rows = tensor_rows(module_.inputs, "Input", true);
    const std::vector<std::string> output_rows = tensor_rows(module_.outputs, "Output", false);
    const std::string inputs = table(w, "TensorSpec", "kInputs", input_rows);
    const std::string outputs = table(w, "TensorSpec", "kOutputs", output_rows);

    const ConstantsLayout& constants = module_.constants;
    std::vector<std::string> constant_rows;
    // name, FQN, dtype, rank, sizes, strides, storage offset, blob offset, bytes, kind
    auto constant_row = [&](size_t index, const std::string& name, const std::string& fqn,
                            const ir::TensorMeta& meta, uint64_t offset, uint64_t nbytes, const char* kind) {
      std::string sizes = "nullptr", strides = "nullptr";
      if (!meta.sizes.empty()) {
        std::vector<std::string> s, t;
        for (size_t d = 0; d < meta.sizes.size(); ++d) {
          s.push_back(std::to_string(*meta.sizes[d].constant_value()));
          t.push_back(std::to_string(*meta.strides[d].constant_value()));
        }
        sizes = fmt::format("kConstant{}Sizes", index);
        strides = fmt::format("kConstant{}Strides", index);
        w.wrapped(fmt::format("constexpr int64_t {}[] = {{{}}};", sizes, join(s)));
        w.wrapped(fmt::format("constexpr int64_t {}[] = {{{}}};", strides, join(t)));
      }
      constant_rows.push_back(
          fmt::format("{{{}, {}, {}, {}, {}, {}, {}, {}, {}, aotic::runtime::ConstantKind::{}}}",
                      cpp_string(name), cpp_string(fqn), dtype_constant(meta.dtype), meta.sizes.size(), sizes,
                      strides, *meta.storage_offset.constant_value(), offset, nbytes, kind));
    };
    for (size_t i = 0; i < constants.entries.size(); ++i) {
      const ConstantEntry& c = constants.entries[i];
      const char* kind = c.spec->kind == ir::InputKind::kParameter ? "kParameter"
                         : c.spec->kind == ir::InputKind::kBuffer  ? "kBuffer"
                                                                   : "kTensorConstant";
      constant_row(i, c.name, c.spec->fqn, c.weight->meta, c.offset, c.nbytes, kind);
    }
    for (size_t i = 0; i < module_.folded.size(); ++i) {
      // Computed by fold(): no bytes in the blob.
      const std::string name = kFoldedPrefix + cpp_identifier(module_.folded[i].value);
      constant_row(constants.entries.size() + i, name, name, module_.folded[i].meta, 0, 0, "kFoldedConstant");
    }
    const std::string constant_table = table(w, "ConstantSpec", "kConstants", constant_rows);
    const bool embedded = !constants.entries.empty() && options_.external_weights_file.empty();
    const bool external = !constants.entries.empty() && !options_.external_weights_file.empty();
    w.open("const aotic::runtime::ModelSpec kSpec =");
    w.linef("{}, {},", inputs, input_rows.size());
    w.linef("{}, {},", outputs, output_rows.size());
    w.linef("{}, {},", symbols, symbol_rows.size());
    w.linef("{}, {},", constant_table, constant_rows.size());
    w.linef("{}, {},", embedded ? options_.blob_symbol : "nullptr", constants.size);
    w.linef("{},", external ? cpp_string(options_.external_weights_file) : "nullptr");
    w.wrapped(cpp_string(module_.program->in_spec) + ",");
    w.wrapped(cpp_string(module_.program->out_spec) + ",");
    w.line("run,");
    w.line(cuda() ? "kCUDA," : "kCPU,");
    w.line(module_.cuda_graphs ? "new_graph_state, delete_graph_state," : "nullptr, nullptr,");
    w.line(module_.fold.empty() ? "nullptr," : "fold,");
    w.close("};");
  }

  const wir::Module& module_;
  const PrintOptions& options_;
  CodeWriter w_;        // run()
  CodeWriter kernels_;  // generated kernel functions, printed before run()
  std::set<std::string> kernel_names_;
  std::vector<Scope> scopes_;
  std::map<std::string, std::string> symbol_vars_;
  std::string arena_;  // the arena's handle in run(), when plan_memory made one
  std::string last_place_;
};

}  // namespace

std::vector<std::string> kernel_parts(const std::vector<std::string>& kernels, size_t part_bytes,
                                      size_t max_parts) {
  size_t total = 0;
  for (const std::string& text : kernels) total += text.size();
  const size_t parts = std::min(max_parts, std::max<size_t>(1, (total + part_bytes - 1) / part_bytes));
  // Kernels in order, a part closed once it reaches its share of the text.
  std::vector<std::string> out(1);
  size_t done = 0;
  for (const std::string& text : kernels) {
    if (!out.back().empty() && out.size() < parts && done >= total * out.size() / parts) out.emplace_back();
    out.back() += text;
    done += text.size();
  }
  return out;
}

std::string PrintedSources::joined() const {
  std::string text = model_cpp;
  for (const SourceFile& f : wrapper_files) text += "\n// ---- " + f.name + " ----\n" + f.text;
  for (const SourceFile& f : kernel_files) text += "\n// ---- " + f.name + " ----\n" + f.text;
  if (!kernels_cu.empty()) text += "\n// ---- kernels.cu ----\n" + kernels_cu;
  return text;
}

PrintedSources print_sources(const wir::Module& module, const PrintOptions& options) {
  return CpuPrinter(module, options).print();
}

std::string print_cpu(const wir::Module& module, const PrintOptions& options) {
  return print_sources(module, options).joined();
}

}  // namespace aotic::codegen
