// The shim generator: from ATen schemas (PyTorch 2.11) and the fallback-op list, the C
// declarations of the fallback ops (aoti_torch_cpu_<op>, aoti_torch_cuda_<op>) with names and
// signatures identical to PyTorch's generated c_shim, and their CPU implementations over libtorch
// 1.13's ATen. A port of torchgen/gen_aoti_c_shim.py's schema -> C type mapping:
//
//   aten::addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1,
//                   Tensor(a!) out) -> Tensor(a!)
//   => AOTITorchError aoti_torch_cpu_addmm_out(AtenTensorHandle out, AtenTensorHandle self,
//          AtenTensorHandle mat1, AtenTensorHandle mat2, double beta, double alpha)
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ir/op_schema.h"

namespace aotic::shim_gen {

/// The command that writes the files (tools/shim_gen/shim_gen.cc), as named in their banner.
inline constexpr std::string_view kGeneratorName = "tools/shim_gen";
/// Bumped whenever the generated text changes for the same inputs.
inline constexpr std::string_view kGeneratorVersion = "1";
/// The command that rewrites the checked-in files.
inline constexpr std::string_view kRegenerateCommand = "bazel run //tools/shim_gen -- --update";

/// One C parameter: "const int64_t*" "stride".
struct CParam {
  std::string type;
  std::string name;
};

/// The C function of one op on one device.
struct CFunction {
  std::string target;  // "aten.addmm.out"
  std::string name;    // "aoti_torch_cpu_addmm_out"
  std::vector<CParam> params;

  /// "AOTITorchError aoti_torch_cpu_addmm_out(AtenTensorHandle out, ...)", PyTorch's spelling.
  std::string signature() const;
};

/// The C function of `schema` on `device` ("cpu", "cuda"). Throws UserError naming the op and the
/// argument or return when a type has no C mapping (e.g. Dimname, Tensor[][]).
CFunction c_function(const ir::OpSchema& schema, std::string_view device);

/// The CPU definition of `schema`: the signature and a body that converts the arguments and calls
/// ATen 1.13 (or aotic::shim::compat for ops listed as compat). Throws UserError like c_function.
std::string cpu_definition(const ir::OpSchema& schema);

/// Whether the op is implemented by hand in shim/src/compat_ops.cc (libtorch 1.13 lacks it or its
/// 1.13 signature differs from 2.11's).
bool is_compat(const ir::OpSchema& schema);

/// The export targets of a fallback-op list: one per line, '#' starts a comment. Throws UserError
/// "<source>:<line>: ..." on a malformed line or a repeated target.
std::vector<std::string> parse_op_list(std::string_view text, std::string_view source_name);

struct Inputs {
  std::string schemas_text;
  std::string schemas_name;  // as written in the banner: "ir/data/aten_schemas_torch2.11.txt"
  std::string ops_text;
  std::string ops_name;  // "shim/fallback_ops.txt"
};

/// The generated files by name: "c_shim_cpu.h", "c_shim_cuda.h", "c_shim_cpu.cc", "c_shim_cuda.cc".
/// Functions are sorted by name. Throws UserError for an unknown target or an unmappable type.
std::map<std::string, std::string> generate(const Inputs& inputs);

/// The ops of the list whose schema differs from `other_schemas_text` (e.g. libtorch 1.13's list,
/// "addmm.out(...) -> ..." lines) and which are not compat, one message per op. A development aid for
/// keeping the compat table right.
std::vector<std::string> schema_differences(const Inputs& inputs, std::string_view other_schemas_text);

}  // namespace aotic::shim_gen
