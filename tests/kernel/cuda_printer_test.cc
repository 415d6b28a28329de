// The CUDA printer (kernel/cuda_printer.h): how each shape of loop nest maps onto the GPU, checked
// on the printed text. nvcc compiles what it prints for every fixture in tests/tools/cuda_test.cc;
// the GPU machine runs it (README.md, CUDA).
#include <doctest/doctest.h>

#include <string>

#include "kernel/cuda_printer.h"
#include "kernel/kernel_ir.h"
#include "kernel/schedule.h"
#include "kernel/writer.h"

namespace aotic {
namespace {

using ir::DType;
using ir::SymExpr;
using kernel::Index;

SymExpr c(int64_t v) { return SymExpr::constant(v); }

/// The device parts (kernels.cu), then the host launcher (model.cpp).
std::string print(const kernel::Kernel& k) {
  kernel::CodeWriter device, host;
  kernel::print_cuda_kernel(k, device, host);
  return device.text() + "\n// ---- launcher ----\n" + host.text();
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

/// out0[i0, i1] = in0[i0, i1] + in1[i1] over [s0, 8].
kernel::Kernel broadcast_add() {
  kernel::Kernel k;
  k.name = "add";
  k.comment = "add";
  k.buffers = {
      {"in0", DType::kFloat32, false}, {"in1", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  Index at = Index::of("i0") * c(8) + Index::of("i1");
  auto y = kernel::binary("add", kernel::load("in0", at, DType::kFloat32),
                          kernel::load("in1", Index::of("i1"), DType::kFloat32));
  k.body = {
      kernel::loop("i0", SymExpr::symbol("s0"), {kernel::loop("i1", c(8), {kernel::store("out0", at, y)})})};
  kernel::schedule(k, c(8));
  return k;
}

/// out0[i0] = max over r0 < 64 of in0[i0, r0], over s0 rows.
kernel::Kernel row_max() {
  kernel::Kernel k;
  k.name = "amax";
  k.comment = "amax";
  k.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  auto x = kernel::load("in0", Index::of("i0") * c(64) + Index::of("r0"), DType::kFloat32);
  k.body = {kernel::loop("i0", SymExpr::symbol("s0"),
                         {kernel::define("acc", kernel::constant(-INFINITY, DType::kFloat32)),
                          kernel::loop("r0", c(64), {kernel::accumulate("acc", "max", x)}),
                          kernel::store("out0", Index::of("i0"), kernel::variable("acc", DType::kFloat32))})};
  kernel::schedule(k, c(64));
  return k;
}

TEST_CASE("cuda printer: a pointwise nest is one grid-stride loop over all its elements") {
  const std::string text = print(broadcast_add());
  INFO(text);
  CHECK(has(
      text,
      "extern \"C\" __global__ void __launch_bounds__(km::kThreads) add_part0(const float* __restrict in0,"));
  CHECK(has(text,
            "for (int64_t flat = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; flat < ((s0) * 8); "
            "flat += int64_t{gridDim.x} * blockDim.x) {"));
  CHECK(has(text, "const int64_t i1 = rest % 8;"));
  CHECK(has(text, "out0[8 * i0 + i1] = "));
  // The launcher (host code): finds its part in the fatbin, passes the arguments' addresses;
  // symbolic sizes may be 0, and a grid of 0 blocks is an error.
  const std::string launcher = text.substr(text.find("// ---- launcher ----"));
  CHECK(launcher.find("__restrict") == std::string::npos);
  CHECK(has(launcher,
            "cudaError_t add(const float* in0, const float* in1, float* out0, int64_t s0, "
            "cudaStream_t stream) {"));
  CHECK(has(launcher, "static const void* const part0 = km::kernel(\"add_part0\");"));
  CHECK(has(launcher, "void* args[] = {&in0, &in1, &out0, &s0};"));
  CHECK(has(launcher, "if (cudaError_t e = ((s0) * 8) > 0 ? km::launch(part0, km::blocks_for(((s0) * 8)), "));
  CHECK(has(launcher, "km::kThreads, args,\n      stream) : cudaSuccess) return e;"));
  CHECK(has(launcher, "  return cudaSuccess;\n}"));
}

TEST_CASE(
    "cuda printer: a row reduction is a block per row, threads' partials combined by a block reduction") {
  const std::string text = print(row_max());
  CHECK(has(text, "for (int64_t i0 = blockIdx.x; i0 < (s0); i0 += gridDim.x) {"));
  CHECK(has(text, "float acc_part = km::MaxOp<float>::identity();"));
  CHECK(has(text, "for (int64_t r0 = threadIdx.x; r0 < 64; r0 += blockDim.x) {"));
  CHECK(has(text, "acc_part = km::maximum(acc_part, "));
  CHECK(
      has(text, "acc = km::MaxOp<float>::apply(acc, km::block_reduce<float, km::MaxOp<float>>(acc_part));"));
  CHECK(has(text, "if (threadIdx.x == 0) out0[i0] = acc;"));
  CHECK(has(text, "km::rows_for((s0))"));
}

TEST_CASE(
    "cuda printer: one value over everything is one block; a running value read in its loop, one thread") {
  // sum over all 100 elements into out0[0]: the define is outside every loop.
  kernel::Kernel sum;
  sum.name = "sum";
  sum.comment = "sum";
  sum.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  sum.body = {
      kernel::define("acc", kernel::constant(0, DType::kFloat32)),
      kernel::loop("r0", c(100),
                   {kernel::accumulate("acc", "sum", kernel::load("in0", Index::of("r0"), DType::kFloat32))}),
      kernel::store("out0", Index::at(c(0)), kernel::variable("acc", DType::kFloat32))};
  kernel::schedule(sum, c(100));
  std::string text = print(sum);
  CHECK(
      has(text, "acc = km::SumOp<float>::apply(acc, km::block_reduce<float, km::SumOp<float>>(acc_part));"));
  CHECK(has(text, "if (cudaError_t e = km::launch(part0, 1, km::kThreads, args, stream)) return e;"));

  // A cumulative sum stores the running value inside the loop: no split across threads.
  kernel::Kernel scan = sum;
  scan.name = "cumsum";
  auto x = kernel::load("in0", Index::of("r0"), DType::kFloat32);
  scan.body = {
      kernel::define("acc", kernel::constant(0, DType::kFloat32)),
      kernel::loop("r0", c(100),
                   {kernel::accumulate("acc", "sum", x),
                    kernel::store("out0", Index::of("r0"), kernel::variable("acc", DType::kFloat32))})};
  text = print(scan);
  CHECK(has(text, "(one thread: an accumulator is read while it is filled)"));
  CHECK(has(text, "if (blockIdx.x == 0 && threadIdx.x == 0) {"));
  CHECK(has(text, "if (cudaError_t e = km::launch(part0, 1, 1, args, stream)) return e;"));
}

}  // namespace
}  // namespace aotic
