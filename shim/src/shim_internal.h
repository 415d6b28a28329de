// Shared by the shim's implementation files (never by generated model code): handle conversion,
// argument checks and the exception-to-error-code boundary.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "aotic/shim.h"
#include "shim/src/calling_as.h"

namespace aotic::shim {

/// Bad arguments from the caller (null handle, unknown dtype code, ...).
class ShimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Records `message` as the calling thread's last error and prints it to stderr (once per
/// failure), under the name of an enclosing CallingAs when there is one.
void record_error(const char* function, const std::string& message);
void clear_error();

/// Runs `body`, converting any exception into AOTI_TORCH_FAILURE with its message recorded.
template <typename F>
AOTITorchError guard(const char* function, F&& body) noexcept {
  try {
    clear_error();
    body();
    return AOTI_TORCH_SUCCESS;
  } catch (const c10::Error& e) {
    record_error(function, e.what_without_backtrace());
  } catch (const std::exception& e) {
    record_error(function, e.what());
  } catch (...) {
    record_error(function, "unknown exception");
  }
  return AOTI_TORCH_FAILURE;
}

/// The tensor behind a handle; throws ShimError naming `what` when the handle is null.
inline at::Tensor& tensor(AtenTensorHandle handle, const char* what = "tensor") {
  if (handle == nullptr) throw ShimError(std::string("null tensor handle for '") + what + "'");
  return *reinterpret_cast<at::Tensor*>(handle);
}

/// A nullable handle (a `Tensor?` argument): nullopt for null.
inline c10::optional<at::Tensor> optional_tensor(AtenTensorHandle handle) {
  if (handle == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Tensor*>(handle);
}

/// A new owning handle for `t`.
inline AtenTensorHandle new_handle(at::Tensor t) {
  return reinterpret_cast<AtenTensorHandle>(new at::Tensor(std::move(t)));
}

/// Stores a new handle for `t` in `out`; throws when `out` is null.
inline void set_output(AtenTensorHandle* out, at::Tensor t, const char* what = "ret") {
  if (out == nullptr) throw ShimError(std::string("null output pointer '") + what + "'");
  *out = new_handle(std::move(t));
}

/// Validates a dtype code (c10::ScalarType's numbering) against what this libtorch knows.
at::ScalarType scalar_type(int32_t code);
/// Validates a device type code and index.
at::Device device(int32_t device_type, int32_t device_index);
/// Validates a layout / memory format code.
at::Layout layout(int32_t code);
at::MemoryFormat memory_format(int32_t code);

/// A list argument passed as pointer + length; throws on a null pointer with a non-zero length
/// or a negative length.
template <typename T>
c10::ArrayRef<T> array(const T* data, int64_t length, const char* what) {
  if (length < 0) throw ShimError(std::string("negative length for '") + what + "'");
  if (length > 0 && data == nullptr) throw ShimError(std::string("null pointer for '") + what + "'");
  return c10::ArrayRef<T>(data, static_cast<size_t>(length));
}

/// A Tensor[] argument passed as an array of handles.
std::vector<at::Tensor> tensor_list(const AtenTensorHandle* handles, int64_t length, const char* what);
/// A Tensor?[] argument.
c10::List<c10::optional<at::Tensor>> optional_tensor_list(const AtenTensorHandle* handles, int64_t length,
                                                          const char* what);

}  // namespace aotic::shim
