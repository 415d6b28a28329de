// The core shim functions (declared in aotic/shim.h) over libtorch's ATen. Every function either
// returns a plain value that cannot fail or runs inside guard(), so no exception leaves.
#include <ATen/ATen.h>
#include <ATen/EmptyTensor.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "shim/src/shim_internal.h"

namespace aotic::shim {
namespace {

thread_local std::string last_error;

// Codes of PyTorch 2.11's enums, which the ABI uses. libtorch 1.13 numbers most of them the same;
// the exceptions are mapped explicitly below.
constexpr int32_t kPrivateUse1Code = 20;  // 19 in libtorch 1.13
constexpr int32_t kJaggedLayoutCode = 7;  // not in libtorch 1.13

struct DTypeCode {
  int32_t code;
  const char* name;
  size_t itemsize;
};
// Every dtype the ABI names, with PyTorch 2.11's c10::ScalarType numbers.
constexpr DTypeCode kDTypes[] = {
    {0, "uint8", 1},
    {1, "int8", 1},
    {2, "int16", 2},
    {3, "int32", 4},
    {4, "int64", 8},
    {5, "float16", 2},
    {6, "float32", 4},
    {7, "float64", 8},
    {8, "complex32", 4},
    {9, "complex64", 8},
    {10, "complex128", 16},
    {11, "bool", 1},
    {15, "bfloat16", 2},
    {23, "float8_e5m2", 1},
    {24, "float8_e4m3fn", 1},
    {25, "float8_e5m2fnuz", 1},
    {26, "float8_e4m3fnuz", 1},
    {27, "uint16", 2},
    {28, "uint32", 4},
    {29, "uint64", 8},
};

const DTypeCode* find_dtype(int32_t code) {
  for (const DTypeCode& d : kDTypes) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

bool quiet() {
  static const bool value =
      std::getenv("AOTIC_SHIM_QUIET") != nullptr || std::getenv("AOTIC_QUIET") != nullptr;
  return value;
}

}  // namespace

namespace {
thread_local const char* current_name = nullptr;
}  // namespace

CallingAs::CallingAs(const char* function) : previous_(current_name) { current_name = function; }
CallingAs::~CallingAs() { current_name = previous_; }
const char* calling_as() { return current_name; }

void record_error(const char* function, const std::string& message) {
  last_error = std::string(current_name != nullptr ? current_name : function) + ": " + message;
  // One line per failure; the caller decides what to do with the code.
  if (!quiet()) std::fprintf(stderr, "aotic shim error: %s\n", last_error.c_str());
}

void clear_error() { last_error.clear(); }

at::ScalarType scalar_type(int32_t code) {
  const DTypeCode* d = find_dtype(code);
  if (d == nullptr) throw ShimError("unknown dtype code " + std::to_string(code));
  if (code > 15) throw ShimError(std::string("dtype ") + d->name + " is not supported by this libtorch");
  return static_cast<at::ScalarType>(code);
}

at::Device device(int32_t device_type, int32_t device_index) {
  if (device_index < -1) throw ShimError("invalid device index " + std::to_string(device_index));
  switch (device_type) {
    case 0:
      // There is one CPU device: callers pass -1 or 0 for it.
      if (device_index > 0) throw ShimError("invalid CPU device index " + std::to_string(device_index));
      return at::Device(at::kCPU);
    case 1:
      if (!at::hasCUDA()) throw ShimError("CUDA is not available in this libtorch");
      return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
    case 12:
    case 13:
    case 14:
      return at::Device(static_cast<c10::DeviceType>(device_type),
                        static_cast<c10::DeviceIndex>(device_index));
    case kPrivateUse1Code:
      return at::Device(c10::DeviceType::PrivateUse1, static_cast<c10::DeviceIndex>(device_index));
    default:
      throw ShimError("unknown device type code " + std::to_string(device_type));
  }
}

at::Layout layout(int32_t code) {
  if (code == kJaggedLayoutCode) throw ShimError("jagged layout is not supported by this libtorch");
  if (code < 0 || code >= static_cast<int32_t>(at::Layout::NumOptions)) {
    throw ShimError("unknown layout code " + std::to_string(code));
  }
  return static_cast<at::Layout>(code);
}

at::MemoryFormat memory_format(int32_t code) {
  if (code < 0 || code > 3) throw ShimError("unknown memory format code " + std::to_string(code));
  return static_cast<at::MemoryFormat>(code);
}

std::vector<at::Tensor> tensor_list(const AtenTensorHandle* handles, int64_t length, const char* what) {
  c10::ArrayRef<AtenTensorHandle> items = array(handles, length, what);
  std::vector<at::Tensor> out;
  out.reserve(items.size());
  for (AtenTensorHandle h : items) out.push_back(tensor(h, what));
  return out;
}

c10::List<c10::optional<at::Tensor>> optional_tensor_list(const AtenTensorHandle* handles, int64_t length,
                                                          const char* what) {
  c10::ArrayRef<AtenTensorHandle> items = array(handles, length, what);
  c10::List<c10::optional<at::Tensor>> out;
  out.reserve(items.size());
  for (AtenTensorHandle h : items) out.push_back(optional_tensor(h));
  return out;
}

namespace {

template <typename T>
void store(T* out, T value, const char* what) {
  if (out == nullptr) throw ShimError(std::string("null output pointer '") + what + "'");
  *out = value;
}

at::Scalar single_element(AtenTensorHandle handle) {
  at::Tensor& t = tensor(handle);
  if (t.numel() != 1) {
    throw ShimError("item of a tensor with " + std::to_string(t.numel()) + " elements (expected exactly 1)");
  }
  return t.item();
}

int32_t device_type_code(const at::Tensor& t) {
  c10::DeviceType type = t.device().type();
  if (type == c10::DeviceType::PrivateUse1) return kPrivateUse1Code;
  return static_cast<int32_t>(type);
}

/// A tensor viewing `base`'s storage; checks the view stays inside the storage.
at::Tensor view_of_storage(const at::Tensor& base, at::ScalarType dtype, at::IntArrayRef sizes,
                           at::IntArrayRef strides, int64_t storage_offset) {
  if (sizes.size() != strides.size()) throw ShimError("sizes and strides differ in length");
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0) throw ShimError("negative size " + std::to_string(sizes[i]));
    if (strides[i] < 0) throw ShimError("negative stride " + std::to_string(strides[i]));
  }
  if (storage_offset < 0) throw ShimError("negative storage offset " + std::to_string(storage_offset));
  const size_t itemsize = c10::elementSize(dtype);
  const size_t span = at::detail::computeStorageNbytes(sizes, strides, itemsize);
  const size_t needed = span == 0 ? 0 : span + static_cast<size_t>(storage_offset) * itemsize;
  if (needed > base.storage().nbytes()) {
    throw ShimError("view of " + std::to_string(needed) + " bytes exceeds its storage of " +
                    std::to_string(base.storage().nbytes()) + " bytes");
  }
  at::Tensor result = at::detail::make_tensor<c10::TensorImpl>(c10::Storage(base.storage()), base.key_set(),
                                                               c10::scalarTypeToTypeMeta(dtype));
  c10::TensorImpl* impl = result.unsafeGetTensorImpl();
  impl->set_storage_offset(storage_offset);
  impl->set_sizes_and_strides(sizes, strides);
  return result;
}

}  // namespace
}  // namespace aotic::shim

using aotic::shim::array;
using aotic::shim::guard;
using aotic::shim::ShimError;
using aotic::shim::store;
using aotic::shim::tensor;

extern "C" {

// ---- Constants ---------------------------------------------------------------------------------

int32_t aoti_torch_device_type_cpu() { return 0; }
int32_t aoti_torch_device_type_cuda() { return 1; }
int32_t aoti_torch_device_type_meta() { return 14; }
int32_t aoti_torch_device_type_xpu() { return 12; }
int32_t aoti_torch_device_type_mps() { return 13; }
int32_t aoti_torch_device_type_privateuse1() { return aotic::shim::kPrivateUse1Code; }

int32_t aoti_torch_dtype_float8_e5m2() { return 23; }
int32_t aoti_torch_dtype_float8_e4m3fn() { return 24; }
int32_t aoti_torch_dtype_float8_e5m2fnuz() { return 25; }
int32_t aoti_torch_dtype_float8_e4m3fnuz() { return 26; }
int32_t aoti_torch_dtype_bfloat16() { return 15; }
int32_t aoti_torch_dtype_float16() { return 5; }
int32_t aoti_torch_dtype_float32() { return 6; }
int32_t aoti_torch_dtype_float64() { return 7; }
int32_t aoti_torch_dtype_uint8() { return 0; }
int32_t aoti_torch_dtype_uint16() { return 27; }
int32_t aoti_torch_dtype_uint32() { return 28; }
int32_t aoti_torch_dtype_uint64() { return 29; }
int32_t aoti_torch_dtype_int8() { return 1; }
int32_t aoti_torch_dtype_int16() { return 2; }
int32_t aoti_torch_dtype_int32() { return 3; }
int32_t aoti_torch_dtype_int64() { return 4; }
int32_t aoti_torch_dtype_bool() { return 11; }
int32_t aoti_torch_dtype_complex32() { return 8; }
int32_t aoti_torch_dtype_complex64() { return 9; }
int32_t aoti_torch_dtype_complex128() { return 10; }

size_t aoti_torch_dtype_element_size(int32_t dtype) {
  const aotic::shim::DTypeCode* d = aotic::shim::find_dtype(dtype);
  if (d == nullptr) {
    aotic::shim::record_error("aoti_torch_dtype_element_size", "unknown dtype code " + std::to_string(dtype));
    return 0;
  }
  return d->itemsize;
}

int32_t aoti_torch_layout_strided() { return 0; }
int32_t aoti_torch_layout_sparse_coo() { return 1; }
int32_t aoti_torch_layout_sparse_csr() { return 2; }
int32_t aoti_torch_layout_sparse_csc() { return 4; }
int32_t aoti_torch_layout_sparse_bsr() { return 5; }
int32_t aoti_torch_layout_sparse_bsc() { return 6; }
int32_t aoti_torch_layout__mkldnn() { return 3; }
int32_t aoti_torch_layout_jagged() { return aotic::shim::kJaggedLayoutCode; }

int32_t aoti_torch_memory_format_contiguous_format() { return 0; }
int32_t aoti_torch_memory_format_channels_last() { return 2; }
int32_t aoti_torch_memory_format_channels_last_3d() { return 3; }
int32_t aoti_torch_memory_format_preserve_format() { return 1; }

uint64_t aoti_torch_abi_version() { return 1; }

// ---- Items -------------------------------------------------------------------------------------

// Types are macro arguments here, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define AOTIC_ITEM(NAME, TYPE, CONVERT)                                             \
  AOTITorchError aoti_torch_item_##NAME(AtenTensorHandle tensor, TYPE* ret_value) { \
    return guard("aoti_torch_item_" #NAME, [&] {                                    \
      at::Scalar s = aotic::shim::single_element(tensor);                           \
      store(ret_value, static_cast<TYPE>(CONVERT), "ret_value");                    \
    });                                                                             \
  }

AOTIC_ITEM(float32, float, s.toFloat())
AOTIC_ITEM(float64, double, s.toDouble())
AOTIC_ITEM(uint8, uint8_t, s.toByte())
AOTIC_ITEM(uint16, uint16_t, s.toLong())
AOTIC_ITEM(uint32, uint32_t, s.toLong())
AOTIC_ITEM(uint64, uint64_t, s.toLong())
AOTIC_ITEM(int8, int8_t, s.toChar())
AOTIC_ITEM(int16, int16_t, s.toShort())
AOTIC_ITEM(int32, int32_t, s.toInt())
AOTIC_ITEM(int64, int64_t, s.toLong())
AOTIC_ITEM(bool, bool, s.toBool())
AOTIC_ITEM(float16, c10::Half, s.toHalf())
AOTIC_ITEM(bfloat16, c10::BFloat16, s.toBFloat16())
AOTIC_ITEM(complex64, c10::complex<float>, s.toComplexFloat())
#undef AOTIC_ITEM

// ---- Scalars to tensors ------------------------------------------------------------------------

#define AOTIC_SCALAR_TO_TENSOR(NAME, TYPE, DTYPE_CODE, AS)                                                 \
  AOTITorchError aoti_torch_scalar_to_tensor_##NAME(TYPE value, AtenTensorHandle* ret_new_tensor) {        \
    return guard("aoti_torch_scalar_to_tensor_" #NAME, [&] {                                               \
      at::ScalarType dtype = aotic::shim::scalar_type(DTYPE_CODE);                                         \
      aotic::shim::set_output(ret_new_tensor,                                                              \
                              at::scalar_tensor(static_cast<AS>(value), at::TensorOptions().dtype(dtype)), \
                              "ret_new_tensor");                                                           \
    });                                                                                                    \
  }

AOTIC_SCALAR_TO_TENSOR(float32, float, 6, float)
AOTIC_SCALAR_TO_TENSOR(float64, double, 7, double)
AOTIC_SCALAR_TO_TENSOR(uint8, uint8_t, 0, uint8_t)
AOTIC_SCALAR_TO_TENSOR(uint16, uint16_t, 27, int64_t)
AOTIC_SCALAR_TO_TENSOR(uint32, uint32_t, 28, int64_t)
AOTIC_SCALAR_TO_TENSOR(uint64, uint64_t, 29, int64_t)
AOTIC_SCALAR_TO_TENSOR(int8, int8_t, 1, int8_t)
AOTIC_SCALAR_TO_TENSOR(int16, int16_t, 2, int16_t)
AOTIC_SCALAR_TO_TENSOR(int32, int32_t, 3, int32_t)
AOTIC_SCALAR_TO_TENSOR(int64, int64_t, 4, int64_t)
AOTIC_SCALAR_TO_TENSOR(bool, bool, 11, bool)
AOTIC_SCALAR_TO_TENSOR(complex64, c10::complex<float>, 9, c10::complex<float>)
AOTIC_SCALAR_TO_TENSOR(complex128, c10::complex<double>, 10, c10::complex<double>)
#undef AOTIC_SCALAR_TO_TENSOR
// NOLINTEND(bugprone-macro-parentheses)

// ---- Grad mode ---------------------------------------------------------------------------------

bool aoti_torch_grad_mode_is_enabled() { return c10::GradMode::is_enabled(); }
void aoti_torch_grad_mode_set_enabled(bool enabled) { c10::GradMode::set_enabled(enabled); }

// ---- Lifetime and metadata ---------------------------------------------------------------------

AOTITorchError aoti_torch_delete_tensor_object(AtenTensorHandle tensor) {
  return guard(__func__, [&] {
    if (tensor == nullptr) throw ShimError("null tensor handle");
    delete reinterpret_cast<at::Tensor*>(tensor);
  });
}

AOTITorchError aoti_torch_get_data_ptr(AtenTensorHandle tensor, void** ret_data_ptr) {
  return guard(__func__,
               [&] { store(ret_data_ptr, aotic::shim::tensor(tensor).data_ptr(), "ret_data_ptr"); });
}

AOTITorchError aoti_torch_get_storage_size(AtenTensorHandle tensor, int64_t* ret_size) {
  return guard(__func__, [&] {
    store(ret_size, static_cast<int64_t>(aotic::shim::tensor(tensor).storage().nbytes()), "ret_size");
  });
}

AOTITorchError aoti_torch_get_dim(AtenTensorHandle tensor, int64_t* ret_dim) {
  return guard(__func__, [&] { store(ret_dim, aotic::shim::tensor(tensor).dim(), "ret_dim"); });
}

AOTITorchError aoti_torch_get_numel(AtenTensorHandle tensor, int64_t* ret_numel) {
  return guard(__func__, [&] { store(ret_numel, aotic::shim::tensor(tensor).numel(), "ret_numel"); });
}

AOTITorchError aoti_torch_get_storage_numel(AtenTensorHandle tensor, int64_t* ret_numel) {
  return guard(__func__, [&] {
    const at::Tensor& t = aotic::shim::tensor(tensor);
    store(ret_numel, static_cast<int64_t>(t.storage().nbytes() / t.itemsize()), "ret_numel");
  });
}

AOTITorchError aoti_torch_get_sizes(AtenTensorHandle tensor, int64_t** ret_sizes) {
  return guard(__func__, [&] {
    store(ret_sizes, const_cast<int64_t*>(aotic::shim::tensor(tensor).sizes().data()), "ret_sizes");
  });
}

AOTITorchError aoti_torch_get_size(AtenTensorHandle tensor, int64_t d, int64_t* ret_size) {
  return guard(__func__, [&] { store(ret_size, aotic::shim::tensor(tensor).size(d), "ret_size"); });
}

AOTITorchError aoti_torch_get_strides(AtenTensorHandle tensor, int64_t** ret_strides) {
  return guard(__func__, [&] {
    store(ret_strides, const_cast<int64_t*>(aotic::shim::tensor(tensor).strides().data()), "ret_strides");
  });
}

AOTITorchError aoti_torch_get_stride(AtenTensorHandle tensor, int64_t d, int64_t* ret_stride) {
  return guard(__func__, [&] { store(ret_stride, aotic::shim::tensor(tensor).stride(d), "ret_stride"); });
}

AOTITorchError aoti_torch_get_dtype(AtenTensorHandle tensor, int32_t* ret_dtype) {
  return guard(__func__, [&] {
    store(ret_dtype, static_cast<int32_t>(aotic::shim::tensor(tensor).scalar_type()), "ret_dtype");
  });
}

AOTITorchError aoti_torch_get_device_type(AtenTensorHandle tensor, int32_t* ret_device_type) {
  return guard(__func__, [&] {
    store(ret_device_type, aotic::shim::device_type_code(aotic::shim::tensor(tensor)), "ret_device_type");
  });
}

AOTITorchError aoti_torch_get_device_index(AtenTensorHandle tensor, int32_t* ret_device_index) {
  return guard(__func__, [&] {
    store(ret_device_index, static_cast<int32_t>(aotic::shim::tensor(tensor).device().index()),
          "ret_device_index");
  });
}

AOTITorchError aoti_torch_get_layout(AtenTensorHandle tensor, int32_t* ret_layout) {
  return guard(__func__, [&] {
    store(ret_layout, static_cast<int32_t>(aotic::shim::tensor(tensor).layout()), "ret_layout");
  });
}

AOTITorchError aoti_torch_get_storage_offset(AtenTensorHandle tensor, int64_t* ret_storage_offset) {
  return guard(__func__, [&] {
    store(ret_storage_offset, aotic::shim::tensor(tensor).storage_offset(), "ret_storage_offset");
  });
}

AOTITorchError aoti_torch_is_contiguous(AtenTensorHandle tensor, bool* ret_is_contiguous) {
  return guard(__func__, [&] {
    store(ret_is_contiguous, aotic::shim::tensor(tensor).is_contiguous(), "ret_is_contiguous");
  });
}

AOTITorchError aoti_torch_is_defined(AtenTensorHandle tensor, bool* ret_is_defined) {
  return guard(__func__,
               [&] { store(ret_is_defined, aotic::shim::tensor(tensor).defined(), "ret_is_defined"); });
}

AOTITorchError aoti_torch_new_tensor_handle(AtenTensorHandle orig_handle, AtenTensorHandle* new_handle) {
  return guard(__func__, [&] {
    aotic::shim::set_output(new_handle, aotic::shim::tensor(orig_handle, "orig_handle"), "new_handle");
  });
}

// ---- Making tensors ----------------------------------------------------------------------------

AOTITorchError aoti_torch__alloc_from_pool(AtenTensorHandle self, int64_t offset_bytes, int32_t dtype,
                                           int64_t ndim, const int64_t* sizes_ptr, const int64_t* strides_ptr,
                                           AtenTensorHandle* ret_new_tensor) {
  return guard(__func__, [&] {
    const at::Tensor& pool = tensor(self, "self");
    at::ScalarType type = aotic::shim::scalar_type(dtype);
    const int64_t itemsize = static_cast<int64_t>(c10::elementSize(type));
    if (offset_bytes < 0 || offset_bytes % itemsize != 0) {
      throw ShimError("offset " + std::to_string(offset_bytes) + " is not a multiple of the element size " +
                      std::to_string(itemsize));
    }
    if (pool.storage_offset() != 0) throw ShimError("the pool tensor must start at its storage");
    at::Tensor view =
        aotic::shim::view_of_storage(pool, type, array(sizes_ptr, ndim, "sizes"),
                                     array(strides_ptr, ndim, "strides"), offset_bytes / itemsize);
    aotic::shim::set_output(ret_new_tensor, std::move(view), "ret_new_tensor");
  });
}

AOTITorchError aoti_torch__reinterpret_tensor(AtenTensorHandle self, int64_t ndim, const int64_t* sizes_ptr,
                                              const int64_t* strides_ptr, int64_t storage_offset,
                                              AtenTensorHandle* ret_new_tensor) {
  return guard(__func__, [&] {
    const at::Tensor& base = tensor(self, "self");
    at::IntArrayRef sizes = array(sizes_ptr, ndim, "sizes");
    at::IntArrayRef strides = array(strides_ptr, ndim, "strides");
    at::Tensor view = aotic::shim::view_of_storage(base, base.scalar_type(), sizes, strides, storage_offset);
    aotic::shim::set_output(ret_new_tensor, std::move(view), "ret_new_tensor");
  });
}

AOTITorchError aoti_torch_empty_strided(int64_t ndim, const int64_t* sizes_ptr, const int64_t* strides_ptr,
                                        int32_t dtype, int32_t device_type, int32_t device_index,
                                        AtenTensorHandle* ret_new_tensor) {
  return guard(__func__, [&] {
    at::TensorOptions options = at::TensorOptions()
                                    .dtype(aotic::shim::scalar_type(dtype))
                                    .device(aotic::shim::device(device_type, device_index));
    at::IntArrayRef sizes = array(sizes_ptr, ndim, "sizes");
    at::IntArrayRef strides = array(strides_ptr, ndim, "strides");
    aotic::shim::set_output(ret_new_tensor, at::empty_strided(sizes, strides, options), "ret_new_tensor");
  });
}

AOTITorchError aoti_torch_empty_strided_pinned(int64_t ndim, const int64_t* sizes_ptr,
                                               const int64_t* strides_ptr, int32_t dtype, int32_t device_type,
                                               int32_t device_index, AtenTensorHandle* ret_new_tensor) {
  return guard(__func__, [&] {
    at::TensorOptions options = at::TensorOptions()
                                    .dtype(aotic::shim::scalar_type(dtype))
                                    .device(aotic::shim::device(device_type, device_index))
                                    .pinned_memory(true);
    at::IntArrayRef sizes = array(sizes_ptr, ndim, "sizes");
    at::IntArrayRef strides = array(strides_ptr, ndim, "strides");
    aotic::shim::set_output(ret_new_tensor, at::empty_strided(sizes, strides, options), "ret_new_tensor");
  });
}

AOTITorchError aoti_torch_as_strided(AtenTensorHandle self, const int64_t* sizes_ptr,
                                     const int64_t* strides_ptr, AtenTensorHandle* ret) {
  return guard(__func__, [&] {
    const at::Tensor& t = tensor(self, "self");
    aotic::shim::set_output(
        ret, at::as_strided(t, array(sizes_ptr, t.dim(), "sizes"), array(strides_ptr, t.dim(), "strides")),
        "ret");
  });
}

namespace {

at::Tensor from_blob(void* data, int64_t ndim, const int64_t* sizes_ptr, const int64_t* strides_ptr,
                     int64_t storage_offset, int32_t dtype, int32_t device_type, int32_t device_index) {
  at::IntArrayRef sizes = array(sizes_ptr, ndim, "sizes");
  at::IntArrayRef strides = array(strides_ptr, ndim, "strides");
  for (int64_t s : sizes) {
    if (s < 0) throw ShimError("negative size " + std::to_string(s));
  }
  if (storage_offset < 0) throw ShimError("negative storage offset " + std::to_string(storage_offset));
  at::TensorOptions options = at::TensorOptions()
                                  .dtype(aotic::shim::scalar_type(dtype))
                                  .device(aotic::shim::device(device_type, device_index));
  if (data == nullptr && c10::multiply_integers(sizes) != 0)
    throw ShimError("null data for a non-empty tensor");
  return at::for_blob(data, sizes)
      .strides(strides)
      .storage_offset(storage_offset)
      .options(options)
      .make_tensor();
}

}  // namespace

AOTITorchError aoti_torch_create_tensor_from_blob(void* data, int64_t ndim, const int64_t* sizes_ptr,
                                                  const int64_t* strides_ptr, int64_t storage_offset,
                                                  int32_t dtype, int32_t device_type, int32_t device_index,
                                                  AtenTensorHandle* ret) {
  return guard(__func__, [&] {
    aotic::shim::set_output(
        ret, from_blob(data, ndim, sizes_ptr, strides_ptr, storage_offset, dtype, device_type, device_index),
        "ret");
  });
}

AOTITorchError aoti_torch_create_tensor_from_blob_v2(void* data, int64_t ndim, const int64_t* sizes_ptr,
                                                     const int64_t* strides_ptr, int64_t storage_offset,
                                                     int32_t dtype, int32_t device_type, int32_t device_index,
                                                     AtenTensorHandle* ret, int32_t layout,
                                                     const uint8_t* opaque_metadata,
                                                     int64_t opaque_metadata_size) {
  return guard(__func__, [&] {
    if (aotic::shim::layout(layout) != at::kStrided) {
      throw ShimError("only the strided layout is supported (got layout code " + std::to_string(layout) +
                      ")");
    }
    if (opaque_metadata_size != 0 || opaque_metadata != nullptr) {
      throw ShimError("opaque metadata is only meaningful for the mkldnn layout");
    }
    aotic::shim::set_output(
        ret, from_blob(data, ndim, sizes_ptr, strides_ptr, storage_offset, dtype, device_type, device_index),
        "ret");
  });
}

AOTITorchError aoti_torch_new_uninitialized_tensor(AtenTensorHandle* ret) {
  return guard(__func__, [&] { aotic::shim::set_output(ret, at::Tensor(), "ret"); });
}

// ---- Copies and in-place updates ---------------------------------------------------------------

AOTITorchError aoti_torch_tensor_copy_(AtenTensorHandle src, AtenTensorHandle dst) {
  return guard(__func__, [&] { tensor(dst, "dst").copy_(tensor(src, "src")); });
}

AOTITorchError aoti_torch_assign_tensors(AtenTensorHandle src, AtenTensorHandle dst) {
  return guard(__func__, [&] { tensor(dst, "dst") = tensor(src, "src"); });
}

AOTITorchError aoti_torch_assign_tensors_out(AtenTensorHandle src, AtenTensorHandle* ret_dst) {
  return guard(__func__, [&] { aotic::shim::set_output(ret_dst, tensor(src, "src"), "ret_dst"); });
}

AOTITorchError aoti_torch_clone(AtenTensorHandle self, AtenTensorHandle* ret) {
  return guard(__func__, [&] { aotic::shim::set_output(ret, tensor(self, "self").clone(), "ret"); });
}

AOTITorchError aoti_torch_clone_preserve_strides(AtenTensorHandle self, AtenTensorHandle* ret) {
  return guard(__func__, [&] {
    const at::Tensor& t = tensor(self, "self");
    // A fresh buffer just large enough for the strided layout, then a copy through the same view.
    const int64_t needed = static_cast<int64_t>(
        at::detail::computeStorageNbytes(t.sizes(), t.strides(), t.itemsize()) / t.itemsize());
    at::Tensor buffer = at::empty({needed}, t.options());
    at::Tensor out = buffer.as_strided(t.sizes(), t.strides());
    out.copy_(t);
    aotic::shim::set_output(ret, std::move(out), "ret");
  });
}

AOTITorchError aoti_torch_copy_(AtenTensorHandle self, AtenTensorHandle src, int32_t non_blocking) {
  return guard(__func__, [&] { tensor(self, "self").copy_(tensor(src, "src"), non_blocking != 0); });
}

AOTITorchError aoti_torch_zero_(AtenTensorHandle self) {
  return guard(__func__, [&] { tensor(self, "self").zero_(); });
}

AOTITorchError aoti_torch__mm_plus_mm_out(AtenTensorHandle out, AtenTensorHandle a, AtenTensorHandle b,
                                          AtenTensorHandle c, AtenTensorHandle d) {
  return guard(__func__, [&] {
    at::Tensor& result = tensor(out, "out");
    at::mm_out(result, tensor(a, "a"), tensor(b, "b"));
    result.addmm_(tensor(c, "c"), tensor(d, "d"));
  });
}

AOTITorchError aoti_torch_scatter_out(AtenTensorHandle out, AtenTensorHandle self, int64_t dim,
                                      AtenTensorHandle index, AtenTensorHandle src) {
  return guard(__func__, [&] {
    at::Tensor& result = tensor(out, "out");
    at::scatter_out(result, tensor(self, "self"), dim, tensor(index, "index"), tensor(src, "src"));
  });
}

AOTITorchError aoti_torch_scatter_reduce_out(AtenTensorHandle out, AtenTensorHandle self, int64_t dim,
                                             AtenTensorHandle index, AtenTensorHandle src, const char* reduce,
                                             int32_t include_self) {
  return guard(__func__, [&] {
    if (reduce == nullptr) throw ShimError("null reduce");
    at::Tensor& result = tensor(out, "out");
    at::scatter_reduce_out(result, tensor(self, "self"), dim, tensor(index, "index"), tensor(src, "src"),
                           reduce, include_self != 0);
  });
}

AOTITorchError aoti_torch_index_put_out(AtenTensorHandle out, AtenTensorHandle self,
                                        const AtenTensorHandle* indices, const uint32_t num_indices,
                                        const AtenTensorHandle values, bool accumulate) {
  return guard(__func__, [&] {
    at::Tensor& result = tensor(out, "out");
    auto index_list = aotic::shim::optional_tensor_list(indices, num_indices, "indices");
    at::index_put_out(result, tensor(self, "self"), index_list, tensor(values, "values"), accumulate);
  });
}

// ---- Debugging and checks ----------------------------------------------------------------------

AOTITorchError aoti_torch_check_inf_and_nan(const char* tensor_name, AtenTensorHandle tensor) {
  return guard(__func__, [&] {
    const at::Tensor& t = aotic::shim::tensor(tensor, tensor_name ? tensor_name : "tensor");
    if (!t.is_floating_point() && !t.is_complex()) return;
    const char* name = tensor_name ? tensor_name : "<unnamed>";
    if (at::isnan(t).any().item<bool>()) throw ShimError(std::string("tensor '") + name + "' contains NaN");
    if (at::isinf(t).any().item<bool>()) throw ShimError(std::string("tensor '") + name + "' contains Inf");
  });
}

void aoti_torch_print_tensor_handle(AtenTensorHandle self, const char* msg) {
  try {
    std::ostringstream out;
    if (msg != nullptr) out << "[" << msg << "]\n";
    if (self == nullptr) {
      out << "<null tensor handle>\n";
    } else {
      const at::Tensor& t = *reinterpret_cast<at::Tensor*>(self);
      out << t << "\n";
      if (t.defined()) {
        out << "sizes " << t.sizes() << ", strides " << t.strides() << ", dtype " << t.scalar_type()
            << ", device " << t.device() << "\n";
      }
    }
    std::cout << out.str() << std::flush;
  } catch (...) {
    aotic::shim::record_error(__func__, "cannot print the tensor");
  }
}

void aoti_torch_warn(const char* func, const char* file, uint32_t line, const char* msg) {
  std::fprintf(stderr, "Warning: %s (%s at %s:%u)\n", msg ? msg : "", func ? func : "?", file ? file : "?",
               line);
}

AOTITorchError aotic_shim_set_intra_op_threads(int32_t n) {
  return guard(__func__, [&] {
    if (n < 1) throw ShimError("intra-op threads must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

const char* aotic_shim_last_error(void) { return aotic::shim::last_error.c_str(); }

}  // extern "C"
