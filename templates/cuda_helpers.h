// What generated CUDA code needs around its kernels: launch sizes, the launch check, block
// reductions (kernel/cuda_printer.h prints calls to them) and the stream scope of a run. A
// model.cpp compiled for CUDA gets these sections; nvcc compiles them (tests/tools/cuda_compile_test).
#pragma once

// aotic-template: cuda_includes
#include <cuda_runtime.h>

#include <string>

#include "aotic/c_shim_cuda.h"
#include "aotic/runtime/error.h"
// aotic-template-end

#include <cstdint>
#include <limits>
#include <type_traits>

#include "aotic/runtime/model_spec.h"
#include "aotic/shim.h"
#include "templates/kernel_math.h"
#include "templates/prologue.h"

namespace aotic_template {

// aotic-template: cuda_kernel_helpers
namespace km {

/// Threads per block of every generated kernel.
constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over `n` elements (at most 2^16: each thread takes several).
inline unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

/// Blocks for `n` rows, one block per row (at most 2^18: each block takes several).
inline unsigned rows_for(int64_t n) { return static_cast<unsigned>(n < 262144 ? n : 262144); }

/// Throws the launch's error, naming the kernel.
inline void check_launch(const char* kernel) {
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) {
    throw aotic::runtime::RuntimeError(std::string("CUDA kernel ") + kernel + ": " + cudaGetErrorString(error));
  }
}

template <typename T>
struct SumOp {
  __device__ static T identity() { return T(0); }
  __device__ static T apply(T a, T b) { return add(a, b); }
};
template <typename T>
struct MaxOp {
  __device__ static T identity() {
    if constexpr (std::is_floating_point_v<T>) {
      return -std::numeric_limits<T>::infinity();
    } else {
      return std::numeric_limits<T>::lowest();
    }
  }
  __device__ static T apply(T a, T b) { return maximum(a, b); }
};
template <typename T>
struct MinOp {
  __device__ static T identity() {
    if constexpr (std::is_floating_point_v<T>) {
      return std::numeric_limits<T>::infinity();
    } else {
      return std::numeric_limits<T>::max();
    }
  }
  __device__ static T apply(T a, T b) { return minimum(a, b); }
};

template <typename T>
__device__ T shuffle_down(T v, int offset) {
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_down_sync(0xffffffffu, static_cast<int>(v), offset));
  } else {
    return __shfl_down_sync(0xffffffffu, v, offset);
  }
}

/// The block's threads' values combined with Op; every thread gets the result. Every thread of
/// the block must call it (it synchronises the block).
template <typename T, typename Op>
__device__ T block_reduce(T v) {
  __shared__ T warps[32];
  for (int offset = 16; offset > 0; offset /= 2) v = Op::apply(v, shuffle_down(v, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // the last call's readers are done with `warps`
  if (lane == 0) warps[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>((blockDim.x + 31) / 32) ? warps[lane] : Op::identity();
    for (int offset = 16; offset > 0; offset /= 2) v = Op::apply(v, shuffle_down(v, offset));
    if (lane == 0) warps[0] = v;
  }
  __syncthreads();
  return warps[0];
}

}  // namespace km
// aotic-template-end

// aotic-template: cuda_stream_scope
/// For the length of a run: the caller's stream (or the GPU's current one when the caller passes
/// none) is the current stream of the model's GPU, so libtorch's ops and the generated kernels
/// run on it, in order.
class CudaStreamScope {
 public:
  explicit CudaStreamScope(const aotic::runtime::RunState& state) {
    void* stream = state.stream();
    if (stream == nullptr) {
      check(aoti_torch_get_current_cuda_stream(state.device_index(), &stream),
            "aoti_torch_get_current_cuda_stream");
    }
    stream_ = static_cast<cudaStream_t>(stream);
    check(aoti_torch_create_cuda_stream_guard(stream, state.device_index(), &guard_),
          "aoti_torch_create_cuda_stream_guard");
  }
  ~CudaStreamScope() { aoti_torch_delete_cuda_stream_guard(guard_); }
  CudaStreamScope(const CudaStreamScope&) = delete;
  CudaStreamScope& operator=(const CudaStreamScope&) = delete;
  cudaStream_t stream() const { return stream_; }

 private:
  CUDAStreamGuardHandle guard_ = nullptr;
  cudaStream_t stream_ = nullptr;
};
// aotic-template-end

}  // namespace aotic_template
