// Prints a kernel of the kernel IR as one C++ function: buffers as restrict pointers, size symbols
// as int64_t parameters; parallel loops through `aotic::runtime::parallel_for` (runtime/.../threads.h:
// chunks on the OpenMP pool when the work is large enough), vector loops with `omp simd` (sum
// reductions declared).
// Values used more than once are computed once into locals. The function calls the
// `km::` helpers of templates/kernel_math.h.
//
//   // add, relu
//   void add_relu(const float* __restrict in0, float* __restrict out0) {
//     aotic::runtime::parallel_for(1024, 1024, [&](int64_t i0_begin, int64_t i0_end) {
//       #pragma omp simd
//       for (int64_t i0 = i0_begin; i0 < i0_end; ++i0) {
//         const float t0 = in0[i0];
//         const float t1 = km::add(t0, 1.0f);
//         out0[i0] = km::relu(t1);
//       }
//     });
//   }
#pragma once

#include <string>

#include "kernel/expr_printer.h"
#include "kernel/kernel_ir.h"
#include "kernel/writer.h"

namespace aotic::kernel {

/// Writes `kernel` as a C++ function (a comment line, then the definition) into `out`, with
/// external linkage: the caller chooses its namespace.
void print_cpu_kernel(const Kernel& kernel, CodeWriter& out);

/// Writes the function's declaration (its signature and a semicolon), for the file that calls it
/// when another file defines it.
void print_cpu_kernel_declaration(const Kernel& kernel, CodeWriter& out);

}  // namespace aotic::kernel
