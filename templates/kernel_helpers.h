// What generated loops need around them. A model.cpp gets it only when it has a generated kernel.
#pragma once

#include <cstdint>

#include "aotic/runtime/handle.h"
#include "aotic/runtime/threads.h"

namespace aotic_template {

using aotic::runtime::check;
using aotic::runtime::TensorHandle;

// aotic-template: run_unary_kernel
/// Runs a float32 elementwise `kernel` over `in` into `out` (a new contiguous buffer of the same
/// sizes), or in place when `out` is `in`: on a contiguous copy when `in` is not contiguous.
inline void run_unary_kernel(void (*kernel)(const float*, float*, int64_t), AtenTensorHandle in,
                             AtenTensorHandle out) {
  aotic::runtime::TensorHandle work = aotic::runtime::contiguous(in);
  const float* src = aotic::runtime::data<float>(work.get());
  float* dst = aotic::runtime::data<float>(in == out ? work.get() : out);
  kernel(src, dst, aotic::runtime::numel(work.get()));
  if (in == out) aotic::runtime::copy_back(work.get(), out);
}
// aotic-template-end

// aotic-template: kernel_input
/// The data of `t` laid out with the strides a kernel was generated for: `t`'s own when its
/// strides are those (dimensions of size 1 aside), else a copy made into `scratch` (a library op
/// of this libtorch may lay out its result differently from the export's).
template <typename T>
const T* kernel_input(AtenTensorHandle t, int64_t rank, const int64_t* strides, TensorHandle& scratch) {
  int64_t* sizes = nullptr;
  int64_t* actual = nullptr;
  check(aoti_torch_get_sizes(t, &sizes), "aoti_torch_get_sizes");
  check(aoti_torch_get_strides(t, &actual), "aoti_torch_get_strides");
  bool same = true;
  for (int64_t d = 0; d < rank; ++d) same &= sizes[d] <= 1 || actual[d] == strides[d];
  if (same) return aotic::runtime::data<const T>(t);
  int32_t dtype = 0, device_type = 0, device_index = 0;
  check(aoti_torch_get_dtype(t, &dtype), "aoti_torch_get_dtype");
  check(aoti_torch_get_device_type(t, &device_type), "aoti_torch_get_device_type");
  check(aoti_torch_get_device_index(t, &device_index), "aoti_torch_get_device_index");
  check(aoti_torch_empty_strided(rank, sizes, strides, dtype, device_type, device_index, scratch.out()),
        "aoti_torch_empty_strided");
  check(aoti_torch_copy_(scratch.get(), t, 0), "aoti_torch_copy_");
  return aotic::runtime::data<const T>(scratch.get());
}
// aotic-template-end

// aotic-template: kernels_isa
// Which copy of the kernels a launch takes (aotic/runtime/threads.h).
using aotic::runtime::kernel_isa;
using aotic::runtime::KernelIsa;
// aotic-template-end

}  // namespace aotic_template
