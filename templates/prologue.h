// The start of every generated model.cpp. aotic copies the text between an
// "aotic-template: NAME" line and the next "aotic-template-end" line into model.cpp; the rest of
// this file only makes it compile on its own (tests/templates/templates_test.cc).
#pragma once

// aotic-template: includes
#include <cstdint>
#include <limits>

#include "aotic/c_shim_cpu.h"
#include "aotic/runtime/model_spec.h"
#include "aotic/shim.h"
// aotic-template-end

// aotic-template: host_device
// Helpers generated kernels call run on the host, and on the GPU when nvcc compiles for CUDA.
#ifdef __CUDACC__
#define AOTIC_HOST_DEVICE __host__ __device__
#else
#define AOTIC_HOST_DEVICE
#endif
// aotic-template-end

// aotic-template: kernel_includes
#include <cstdint>
#include <type_traits>
#ifdef __CUDACC__
#include <cmath>
#endif
// aotic-template-end

// aotic-template: math_includes
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
// aotic-template-end

// aotic-template: unoptimised
// Functions compiled without optimisation: those that run once per constants set (fold()) or only
// to warm up and capture a CUDA graph (its ops; op by op every run only where capture failed),
// and a long run() (hundreds of calls, each far longer than the ~40 ns optimisation saves it).
// They were most of a large model's compile time (resnet18's model.cpp: 0.56 s with fold() at
// -O1, 0.30 s without; mobilenet_v3_small's: 1.05 s with run() at -O1, 0.65 s without).
#if defined(__clang__)
#define AOTIC_UNOPTIMISED __attribute__((optnone, noinline))
#elif defined(__GNUC__)
#define AOTIC_UNOPTIMISED __attribute__((optimize("O0")))
#else
#define AOTIC_UNOPTIMISED
#endif
// aotic-template-end

namespace aotic_template {

// aotic-template: usings
using aotic::runtime::check;
using aotic::runtime::new_reference;
using aotic::runtime::TensorHandle;
// aotic-template-end

}  // namespace aotic_template
