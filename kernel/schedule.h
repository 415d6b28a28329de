// Makes a kernel's naive loop nest fast to run, without changing what it computes:
//
// - merges a loop with the one loop it holds when every index steps through both as through one
//   (contiguous dimensions: `i0 < 64 { i1 < 128 { x[128*i0 + i1] } }` becomes `i0 < 8192 { x[i0] }`),
//   so inner loops are long and vectorise;
// - marks the outermost loop parallel (threads take it when `work` elements are enough) and the
//   innermost loops vector.
#pragma once

#include "kernel/kernel_ir.h"

namespace aotic::kernel {

void schedule(Kernel& kernel, const ir::SymExpr& work);

}  // namespace aotic::kernel
