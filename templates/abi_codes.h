// Names for the numbers of the C shim's ABI (PyTorch's c10 enums), so generated code says
// kFloat32 and kCPU instead of 6 and 0. Copied into every model.cpp (see prologue.h).
#pragma once

#include <cstdint>

namespace aotic_template {

// aotic-template: abi_codes
// c10::ScalarType
constexpr int32_t kUInt8 = 0;
constexpr int32_t kInt8 = 1;
constexpr int32_t kInt16 = 2;
constexpr int32_t kInt32 = 3;
constexpr int32_t kInt64 = 4;
constexpr int32_t kFloat16 = 5;
constexpr int32_t kFloat32 = 6;
constexpr int32_t kFloat64 = 7;
constexpr int32_t kComplex32 = 8;
constexpr int32_t kComplex64 = 9;
constexpr int32_t kComplex128 = 10;
constexpr int32_t kBool = 11;
constexpr int32_t kBFloat16 = 15;
constexpr int32_t kFloat8E5M2 = 23;
constexpr int32_t kFloat8E4M3FN = 24;
constexpr int32_t kFloat8E5M2FNUZ = 25;
constexpr int32_t kFloat8E4M3FNUZ = 26;
constexpr int32_t kUInt16 = 27;
// c10::DeviceType, and the index meaning "the current device"
constexpr int32_t kCPU = 0;
constexpr int32_t kCUDA = 1;
constexpr int32_t kMeta = 14;
constexpr int32_t kDefaultDeviceIndex = -1;
// c10::Layout
constexpr int32_t kStrided = 0;
constexpr int32_t kSparseCoo = 1;
constexpr int32_t kSparseCsr = 2;
constexpr int32_t kMkldnn = 3;
constexpr int32_t kSparseCsc = 4;
constexpr int32_t kSparseBsr = 5;
constexpr int32_t kSparseBsc = 6;
// c10::MemoryFormat
constexpr int32_t kContiguousFormat = 0;
constexpr int32_t kPreserveFormat = 1;
constexpr int32_t kChannelsLast = 2;
constexpr int32_t kChannelsLast3d = 3;
// aotic-template-end

}  // namespace aotic_template
