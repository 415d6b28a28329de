// A minimal model.cpp that reaches libtorch only through the shim (abi_check must accept it).
#include <cstdint>
#include <cstring>

#include "aotic/shim.h"

namespace {
AOTITorchError make_buffer(AtenTensorHandle* out) {
  const int64_t sizes[2] = {2, 3};
  const int64_t strides[2] = {3, 1};
  return aoti_torch_empty_strided(2, sizes, strides, aoti_torch_dtype_float32(), aoti_torch_device_type_cpu(), 0,
                                  out);
}
}  // namespace

extern "C" int32_t model_run(float* result) {
  AtenTensorHandle buffer = nullptr;
  if (make_buffer(&buffer) != AOTI_TORCH_SUCCESS) return 1;
  void* data = nullptr;
  aoti_torch_get_data_ptr(buffer, &data);
  std::memset(data, 0, 6 * sizeof(float));
  std::memcpy(result, data, sizeof(float));
  return aoti_torch_delete_tensor_object(buffer);
}
