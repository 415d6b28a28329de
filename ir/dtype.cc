#include "ir/dtype.h"

#include <array>

namespace aotic::ir {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t itemsize;
  std::string_view safetensors;
  bool floating;
  int32_t c10;  // c10::ScalarType
};

constexpr std::array<DTypeInfo, 18> kDTypes = {{
    {DType::kUInt8, "uint8", 1, "U8", false, 0},
    {DType::kInt8, "int8", 1, "I8", false, 1},
    {DType::kInt16, "int16", 2, "I16", false, 2},
    {DType::kInt32, "int32", 4, "I32", false, 3},
    {DType::kInt64, "int64", 8, "I64", false, 4},
    {DType::kFloat16, "float16", 2, "F16", true, 5},
    {DType::kFloat32, "float32", 4, "F32", true, 6},
    {DType::kFloat64, "float64", 8, "F64", true, 7},
    {DType::kComplex32, "complex32", 4, "C32", false, 8},
    {DType::kComplex64, "complex64", 8, "C64", false, 9},
    {DType::kComplex128, "complex128", 16, "C128", false, 10},
    {DType::kBool, "bool", 1, "BOOL", false, 11},
    {DType::kBFloat16, "bfloat16", 2, "BF16", true, 15},
    {DType::kUInt16, "uint16", 2, "U16", false, 27},
    {DType::kFloat8E4M3FN, "float8_e4m3fn", 1, "F8_E4M3", true, 24},
    {DType::kFloat8E5M2, "float8_e5m2", 1, "F8_E5M2", true, 23},
    {DType::kFloat8E4M3FNUZ, "float8_e4m3fnuz", 1, "F8_E4M3FNUZ", true, 26},
    {DType::kFloat8E5M2FNUZ, "float8_e5m2fnuz", 1, "F8_E5M2FNUZ", true, 25},
}};

const DTypeInfo& info(DType dtype) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  return kDTypes[6];  // unreachable for values made by dtype_from_code
}

}  // namespace

std::optional<DType> dtype_from_code(int64_t code) {
  for (const DTypeInfo& entry : kDTypes) {
    if (static_cast<int64_t>(entry.dtype) == code) return entry.dtype;
  }
  return std::nullopt;
}

std::string_view dtype_name(DType dtype) { return info(dtype).name; }
size_t dtype_itemsize(DType dtype) { return info(dtype).itemsize; }
bool dtype_is_floating(DType dtype) { return info(dtype).floating; }
std::string_view dtype_safetensors_name(DType dtype) { return info(dtype).safetensors; }

int32_t dtype_c10_code(DType dtype) { return info(dtype).c10; }

std::optional<DType> dtype_from_c10_code(int32_t code) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.c10 == code) return entry.dtype;
  }
  return std::nullopt;
}

std::optional<DType> dtype_from_safetensors_name(std::string_view name) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.safetensors == name) return entry.dtype;
  }
  return std::nullopt;
}

std::optional<Layout> layout_from_code(int64_t code) {
  if (code >= 1 && code <= 7) return static_cast<Layout>(code);
  return std::nullopt;
}

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::kSparseCoo:
      return "sparse_coo";
    case Layout::kSparseCsr:
      return "sparse_csr";
    case Layout::kSparseCsc:
      return "sparse_csc";
    case Layout::kSparseBsr:
      return "sparse_bsr";
    case Layout::kSparseBsc:
      return "sparse_bsc";
    case Layout::kMkldnn:
      return "_mkldnn";
    case Layout::kStrided:
      return "strided";
  }
  return "?";
}

std::optional<MemoryFormat> memory_format_from_code(int64_t code) {
  if (code >= 1 && code <= 4) return static_cast<MemoryFormat>(code);
  return std::nullopt;
}

std::string_view memory_format_name(MemoryFormat format) {
  switch (format) {
    case MemoryFormat::kContiguous:
      return "contiguous_format";
    case MemoryFormat::kChannelsLast:
      return "channels_last";
    case MemoryFormat::kChannelsLast3d:
      return "channels_last_3d";
    case MemoryFormat::kPreserve:
      return "preserve_format";
  }
  return "?";
}

}  // namespace aotic::ir
