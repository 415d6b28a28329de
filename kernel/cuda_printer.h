// Prints a kernel of the kernel IR as CUDA: one or more `extern "C" __global__` functions for
// kernels.cu, which nvcc compiles to a fatbin linked into model.so, and a host launcher with the
// kernel's name for model.cpp, which launches them on a stream, in order, through the CUDA
// runtime (km::kernel finds a part in the fatbin). How the loop nest maps onto
// the GPU follows its shape:
//
// - a nest of loops holding only stores (pointwise, views, broadcasts): one thread per element of
//   the whole nest, in a grid-stride loop, the loop variables recovered by division;
// - an outer loop whose body reduces (a define, accumulations in inner loops, stores after them:
//   softmax, layer_norm, sum over the last dimension): one block per outer iteration; inner loops
//   are split across the block's threads, each thread accumulating a partial that a block
//   reduction (warp shuffles, then shared memory) combines; statements between them run on every
//   thread, stores outside inner loops on thread 0 only;
// - a kernel that reduces everything into one value: that, in a single block;
// - anything else (an accumulator read inside the loop that accumulates it, as a scan would):
//   one thread, the loops as written. Correct, and slow: a note in the printed comment says so.
//
//   // add, relu                                                       (kernels.cu)
//   extern "C" __global__ void __launch_bounds__(km::kThreads) add_relu_part0(const float* __restrict in0,
//   ...) {
//     for (int64_t i0 = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i0 < 1024; ...) { ... }
//   }
//   // add, relu                                                       (model.cpp)
//   cudaError_t add_relu(const float* in0, float* out0, cudaStream_t stream) {
//     static const void* const part0 = km::kernel("add_relu_part0");
//     void* args[] = {&in0, &out0};
//     if (cudaError_t e = km::launch(part0, km::blocks_for(1024), km::kThreads, args, stream)) return e;
//     return cudaSuccess;
//   }
#pragma once

#include "kernel/kernel_ir.h"
#include "kernel/writer.h"

namespace aotic::kernel {

/// Writes `kernel`'s parts (device code, for kernels.cu) into `out` and its launcher (host code, for
/// model.cpp; it returns the first launch error, or cudaSuccess) into `launcher`.
void print_cuda_kernel(const Kernel& kernel, CodeWriter& out, CodeWriter& launcher);

}  // namespace aotic::kernel
