// Element types, layouts and memory formats with the codes torch.export's schema uses
// (torch/_export/serde/schema.py). These are NOT c10::ScalarType's numbers; the shim layer maps
// between the two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aotic::ir {

enum class DType : int {
  kUInt8 = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat16 = 6,
  kFloat32 = 7,
  kFloat64 = 8,
  kComplex32 = 9,
  kComplex64 = 10,
  kComplex128 = 11,
  kBool = 12,
  kBFloat16 = 13,
  kUInt16 = 28,
  kFloat8E4M3FN = 29,
  kFloat8E5M2 = 30,
  kFloat8E4M3FNUZ = 31,
  kFloat8E5M2FNUZ = 32,
};

/// The dtype for a serialized code; nullopt for 0 (UNKNOWN) and codes the schema does not define.
std::optional<DType> dtype_from_code(int64_t code);
/// PyTorch's spelling: "float32", "int64", "bfloat16", ...
std::string_view dtype_name(DType dtype);
/// Bytes per element.
size_t dtype_itemsize(DType dtype);
bool dtype_is_floating(DType dtype);
/// PyTorch's c10::ScalarType number (what the C shim's aoti_torch_dtype_*() return) and back.
int32_t dtype_c10_code(DType dtype);
std::optional<DType> dtype_from_c10_code(int32_t code);
/// Safetensors' spelling ("F32", "I64", "BOOL", "BF16", ...) and back.
std::string_view dtype_safetensors_name(DType dtype);
std::optional<DType> dtype_from_safetensors_name(std::string_view name);

enum class Layout : int {
  kSparseCoo = 1,
  kSparseCsr = 2,
  kSparseCsc = 3,
  kSparseBsr = 4,
  kSparseBsc = 5,
  kMkldnn = 6,
  kStrided = 7,
};
std::optional<Layout> layout_from_code(int64_t code);
std::string_view layout_name(Layout layout);

enum class MemoryFormat : int {
  kContiguous = 1,
  kChannelsLast = 2,
  kChannelsLast3d = 3,
  kPreserve = 4,
};
std::optional<MemoryFormat> memory_format_from_code(int64_t code);
std::string_view memory_format_name(MemoryFormat format);

}  // namespace aotic::ir
