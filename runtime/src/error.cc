// The runtime's throwing side of handle.h's checks, out of line so that generated code need not
// include <string> or <stdexcept>.
#include "aotic/runtime/error.h"

#include <cstdint>
#include <string>

#include "aotic/runtime/handle.h"

// Only aotic's shim records messages; PyTorch's libtorch has no such function. A weak reference
// binds to it when the model.so's own dependencies (libaotic_shim.so) provide it, and stays null
// otherwise, whatever RTLD_LOCAL/RTLD_GLOBAL the loader used.
#pragma weak aotic_shim_last_error

namespace aotic::runtime {

std::string shim_error_message() {
  if (&aotic_shim_last_error == nullptr) return std::string();
  return std::string(aotic_shim_last_error());
}

void throw_shim_failure(const char* what) {
  const std::string detail = shim_error_message();
  throw RuntimeError(std::string(what) + " failed" + (detail.empty() ? "" : ": " + detail));
}

void throw_runtime_error(const char* message) { throw RuntimeError(message); }

void throw_runtime_error(const char* what, const char* detail) {
  throw RuntimeError(std::string(what) + ": " + detail);
}

int64_t item_as_int(AtenTensorHandle t, const char* where) {
  int32_t dtype = 0;
  check(aoti_torch_get_dtype(t, &dtype), "aoti_torch_get_dtype");
  const std::string what = std::string(where) + ": .item()";
  auto read = [&](auto fn, auto zero) {
    decltype(zero) v = zero;
    check(fn(t, &v), what.c_str());
    return static_cast<int64_t>(v);
  };
  if (dtype == aoti_torch_dtype_int64()) return read(aoti_torch_item_int64, int64_t{0});
  if (dtype == aoti_torch_dtype_int32()) return read(aoti_torch_item_int32, int32_t{0});
  if (dtype == aoti_torch_dtype_int16()) return read(aoti_torch_item_int16, int16_t{0});
  if (dtype == aoti_torch_dtype_int8()) return read(aoti_torch_item_int8, int8_t{0});
  if (dtype == aoti_torch_dtype_uint8()) return read(aoti_torch_item_uint8, uint8_t{0});
  if (dtype == aoti_torch_dtype_bool()) return read(aoti_torch_item_bool, false);
  if (dtype == aoti_torch_dtype_uint16()) return read(aoti_torch_item_uint16, uint16_t{0});
  if (dtype == aoti_torch_dtype_uint32()) return read(aoti_torch_item_uint32, uint32_t{0});
  if (dtype == aoti_torch_dtype_uint64()) {
    const uint64_t v = static_cast<uint64_t>(read(aoti_torch_item_uint64, uint64_t{0}));
    if (v > static_cast<uint64_t>(INT64_MAX))
      throw RuntimeError(what + ": " + std::to_string(v) + " is out of range");
    return static_cast<int64_t>(v);
  }
  throw RuntimeError(what + ": the tensor's dtype (code " + std::to_string(dtype) +
                     ") is not an integer type");
}

}  // namespace aotic::runtime
