// What generated loops need around them. A model.cpp gets it only when it has a generated kernel.
#pragma once

#include <cstdint>

#include "aotic/runtime/handle.h"

namespace aotic_template {

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

}  // namespace aotic_template
