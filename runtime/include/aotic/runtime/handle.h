// RAII for shim handles and the check that turns a failed shim call into an exception inside the
// model (the C interface converts it back into an error code).
//
// Every generated model.cpp includes this header (through model_spec.h), so it stays light: no
// <string>, no <stdexcept> (together about 0.3 s of each model's compile). The exceptions are
// thrown out of line, by the runtime (src/error.cc); the exception type is in error.h.
#pragma once

#include <cstdint>
#include <utility>

#include "aotic/shim.h"

namespace aotic::runtime {

/// Throws RuntimeError (aotic/runtime/error.h) "<what> failed", with the shim's message when it
/// has one.
[[noreturn]] void throw_shim_failure(const char* what);
/// Throws RuntimeError(message).
[[noreturn]] void throw_runtime_error(const char* message);
/// Throws RuntimeError "<what>: <detail>" (a CUDA call and the CUDA runtime's error string).
[[noreturn]] void throw_runtime_error(const char* what, const char* detail);

/// Throws RuntimeError naming `what` when a shim call failed.
inline void check(AOTITorchError error, const char* what) {
  if (error != AOTI_TORCH_SUCCESS) throw_shim_failure(what);
}

/// Throws RuntimeError(message) unless `condition` (an assertion of the export on sizes) holds.
inline void check_assertion(int64_t condition, const char* message) {
  if (condition == 0) throw_runtime_error(message);
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

/// Elements of a tensor.
inline int64_t numel(AtenTensorHandle t) {
  int64_t n = 0;
  check(aoti_torch_get_numel(t, &n), "aoti_torch_get_numel");
  return n;
}

/// Size `dim` of a tensor (generated code reads a data-dependent size from an op's result).
inline int64_t size_of(AtenTensorHandle t, int64_t dim) {
  int64_t* sizes = nullptr;
  check(aoti_torch_get_sizes(t, &sizes), "aoti_torch_get_sizes");
  return sizes[dim];
}

/// The storage offset of a tensor (generated code reads a data-dependent offset from an op's
/// result).
inline int64_t storage_offset_of(AtenTensorHandle t) {
  int64_t offset = 0;
  check(aoti_torch_get_storage_offset(t, &offset), "aoti_torch_get_storage_offset");
  return offset;
}

/// The value of a one-element integer or bool tensor (aten._local_scalar_dense, .item()); fails
/// naming `where` for any other dtype.
int64_t item_as_int(AtenTensorHandle t, const char* where);

/// The data pointer of a tensor, typed (generated kernels only use it on tensors they made
/// contiguous).
template <typename T>
T* data(AtenTensorHandle t) {
  void* p = nullptr;
  check(aoti_torch_get_data_ptr(t, &p), "aoti_torch_get_data_ptr");
  return static_cast<T*>(p);
}

/// A new contiguous tensor with `t`'s sizes, dtype and device.
inline TensorHandle empty_contiguous_like(AtenTensorHandle t) {
  int64_t dim = 0;
  int64_t* sizes = nullptr;
  int32_t dtype = 0, device_type = 0, device_index = 0;
  check(aoti_torch_get_dim(t, &dim), "aoti_torch_get_dim");
  check(aoti_torch_get_sizes(t, &sizes), "aoti_torch_get_sizes");
  check(aoti_torch_get_dtype(t, &dtype), "aoti_torch_get_dtype");
  check(aoti_torch_get_device_type(t, &device_type), "aoti_torch_get_device_type");
  check(aoti_torch_get_device_index(t, &device_index), "aoti_torch_get_device_index");
  int64_t strides[64];
  if (dim > 64) throw_runtime_error("tensors of more than 64 dimensions are not supported");
  int64_t stride = 1;
  for (int64_t d = dim; d-- > 0;) {
    strides[d] = stride;
    stride *= sizes[d] > 1 ? sizes[d] : 1;
  }
  TensorHandle out;
  check(aoti_torch_empty_strided(dim, sizes, strides, dtype, device_type, device_index, out.out()),
        "aoti_torch_empty_strided");
  return out;
}

/// `t` itself (a new reference) when contiguous, else a contiguous copy.
inline TensorHandle contiguous(AtenTensorHandle t) {
  bool is_contiguous = false;
  check(aoti_torch_is_contiguous(t, &is_contiguous), "aoti_torch_is_contiguous");
  if (is_contiguous) return new_reference(t);
  TensorHandle copy = empty_contiguous_like(t);
  check(aoti_torch_copy_(copy.get(), t, 0), "aoti_torch_copy_");
  return copy;
}

/// After an in-place kernel ran on `work` (from contiguous(target)): copies the result into
/// `target` when `work` was a copy.
inline void copy_back(AtenTensorHandle work, AtenTensorHandle target) {
  if (data<void>(work) != data<void>(target)) check(aoti_torch_copy_(target, work, 0), "aoti_torch_copy_");
}

}  // namespace aotic::runtime
