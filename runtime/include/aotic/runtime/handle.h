// RAII for shim handles and the check that turns a failed shim call into an exception inside the
// model (the C interface converts it back into an error code).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "aotic/shim.h"

namespace aotic::runtime {

/// A failure inside a model run; the interface returns AOTI_RUNTIME_FAILURE with this message.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The shim's message for the last failure, when the shim in use records one (aotic's does;
/// PyTorch's libtorch prints its own).
std::string shim_error_message();

/// Throws RuntimeError naming `what` when a shim call failed.
inline void check(AOTITorchError error, const char* what) {
  if (error != AOTI_TORCH_SUCCESS) {
    std::string detail = shim_error_message();
    throw RuntimeError(std::string(what) + " failed" + (detail.empty() ? "" : ": " + detail));
  }
}

/// Unique ownership of an AtenTensorHandle.
class TensorHandle {
 public:
  TensorHandle() = default;
  explicit TensorHandle(AtenTensorHandle handle) : handle_(handle) {}
  TensorHandle(const TensorHandle&) = delete;
  TensorHandle& operator=(const TensorHandle&) = delete;
  TensorHandle(TensorHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  TensorHandle& operator=(TensorHandle&& other) noexcept {
    if (this != &other) reset(std::exchange(other.handle_, nullptr));
    return *this;
  }
  ~TensorHandle() { reset(); }

  AtenTensorHandle get() const { return handle_; }
  /// Gives up ownership.
  AtenTensorHandle release() { return std::exchange(handle_, nullptr); }
  /// For out-parameters: `aoti_torch_foo(..., h.out())`. Releases what was held.
  AtenTensorHandle* out() {
    reset();
    return &handle_;
  }
  void reset(AtenTensorHandle handle = nullptr) {
    if (handle_ != nullptr) aoti_torch_delete_tensor_object(handle_);
    handle_ = handle;
  }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  AtenTensorHandle handle_ = nullptr;
};

/// A new reference to the same tensor.
inline TensorHandle new_reference(AtenTensorHandle handle) {
  TensorHandle out;
  check(aoti_torch_new_tensor_handle(handle, out.out()), "aoti_torch_new_tensor_handle");
  return out;
}

}  // namespace aotic::runtime
