// Prints a kernel of the kernel IR as CUDA: one or more `__global__` functions and a host launcher
// with the kernel's name that launches them on a stream, in order. How the loop nest maps onto
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
//   // add, relu
//   __global__ void __launch_bounds__(256) add_relu_part0(const float* __restrict in0, ...) {
//     for (int64_t i0 = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i0 < 1024; ...) { ... }
//   }
//   cudaError_t add_relu(const float* __restrict in0, float* __restrict out0, cudaStream_t stream) {
//     add_relu_part0<<<km::blocks_for(1024), km::kThreads, 0, stream>>>(in0, out0);
//     return cudaGetLastError();
//   }
#pragma once

#include "kernel/kernel_ir.h"
#include "kernel/writer.h"

namespace aotic::kernel {

/// Writes `kernel` as CUDA (its parts, then the launcher) into `out`.
void print_cuda_kernel(const Kernel& kernel, CodeWriter& out);

/// The launcher's declaration, for the host code that calls it:
/// "cudaError_t add_relu(const float* __restrict in0, float* __restrict out0, cudaStream_t stream);"
/// (it returns what cudaGetLastError says after its launches).
std::string cuda_launcher_declaration(const Kernel& kernel);

}  // namespace aotic::kernel
