// The templates under templates/ compiled and run on their own: the ABI names agree with the
// shim's own functions and with ir/dtype, the size helpers have Python's semantics, and the kernel
// helper runs a kernel, in place and not. Also: aotic's embedded copy has every section the
// printer asks for.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "aotic/runtime/threads.h"
#include "codegen/templates.h"
#include "ir/dtype.h"
#include "templates/abi_codes.h"
#include "templates/kernel_helpers.h"
#include "templates/kernel_math.h"
#include "templates/prologue.h"
#include "templates/size_helpers.h"

namespace t = aotic_template;

TEST_CASE("abi_codes names the numbers the shim uses") {
  CHECK(t::kUInt8 == aoti_torch_dtype_uint8());
  CHECK(t::kInt8 == aoti_torch_dtype_int8());
  CHECK(t::kInt16 == aoti_torch_dtype_int16());
  CHECK(t::kInt32 == aoti_torch_dtype_int32());
  CHECK(t::kInt64 == aoti_torch_dtype_int64());
  CHECK(t::kFloat16 == aoti_torch_dtype_float16());
  CHECK(t::kFloat32 == aoti_torch_dtype_float32());
  CHECK(t::kFloat64 == aoti_torch_dtype_float64());
  CHECK(t::kComplex32 == aoti_torch_dtype_complex32());
  CHECK(t::kComplex64 == aoti_torch_dtype_complex64());
  CHECK(t::kComplex128 == aoti_torch_dtype_complex128());
  CHECK(t::kBool == aoti_torch_dtype_bool());
  CHECK(t::kBFloat16 == aoti_torch_dtype_bfloat16());
  CHECK(t::kCPU == aoti_torch_device_type_cpu());
  CHECK(t::kCUDA == aoti_torch_device_type_cuda());
  CHECK(t::kMeta == aoti_torch_device_type_meta());
  CHECK(t::kStrided == aoti_torch_layout_strided());
  CHECK(t::kSparseCoo == aoti_torch_layout_sparse_coo());
  CHECK(t::kSparseCsr == aoti_torch_layout_sparse_csr());
  CHECK(t::kSparseCsc == aoti_torch_layout_sparse_csc());
  CHECK(t::kSparseBsr == aoti_torch_layout_sparse_bsr());
  CHECK(t::kSparseBsc == aoti_torch_layout_sparse_bsc());
  CHECK(t::kMkldnn == aoti_torch_layout__mkldnn());
  CHECK(t::kContiguousFormat == aoti_torch_memory_format_contiguous_format());
  CHECK(t::kPreserveFormat == aoti_torch_memory_format_preserve_format());
  CHECK(t::kChannelsLast == aoti_torch_memory_format_channels_last());
  CHECK(t::kChannelsLast3d == aoti_torch_memory_format_channels_last_3d());
}

TEST_CASE("abi_codes agrees with ir/dtype for every dtype") {
  using aotic::ir::DType;
  const std::pair<DType, int32_t> kPairs[] = {
      {DType::kUInt8, t::kUInt8},
      {DType::kInt8, t::kInt8},
      {DType::kInt16, t::kInt16},
      {DType::kInt32, t::kInt32},
      {DType::kInt64, t::kInt64},
      {DType::kFloat16, t::kFloat16},
      {DType::kFloat32, t::kFloat32},
      {DType::kFloat64, t::kFloat64},
      {DType::kComplex32, t::kComplex32},
      {DType::kComplex64, t::kComplex64},
      {DType::kComplex128, t::kComplex128},
      {DType::kBool, t::kBool},
      {DType::kBFloat16, t::kBFloat16},
      {DType::kUInt16, t::kUInt16},
      {DType::kFloat8E4M3FN, t::kFloat8E4M3FN},
      {DType::kFloat8E5M2, t::kFloat8E5M2},
      {DType::kFloat8E4M3FNUZ, t::kFloat8E4M3FNUZ},
      {DType::kFloat8E5M2FNUZ, t::kFloat8E5M2FNUZ},
  };
  for (const auto& pair : kPairs) {  // (no structured bindings: doctest's CAPTURE is a lambda)
    CAPTURE(aotic::ir::dtype_name(pair.first));
    CHECK(aotic::ir::dtype_c10_code(pair.first) == pair.second);
  }
}

TEST_CASE("size helpers follow Python's integer semantics") {
  CHECK(t::aotic_floordiv(7, 2) == 3);
  CHECK(t::aotic_floordiv(-7, 2) == -4);
  CHECK(t::aotic_floordiv(7, -2) == -4);
  CHECK(t::aotic_floordiv(-8, 2) == -4);
  CHECK(t::aotic_ceildiv(7, 2) == 4);
  CHECK(t::aotic_ceildiv(-7, 2) == -3);
  CHECK(t::aotic_ceildiv(8, 2) == 4);
  CHECK(t::aotic_mod(-7, 3) == 2);
  CHECK(t::aotic_mod(7, -3) == -2);
  CHECK(t::aotic_mod(6, 3) == 0);
  CHECK(t::aotic_mod(5, -1) == 0);
  CHECK(t::aotic_pow(3, 4) == 81);
  CHECK(t::aotic_pow(2, 0) == 1);
  CHECK(t::aotic_exactdiv(12, 4) == 3);
}

namespace {

void double_it(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = 2 * in[i];
}

aotic::runtime::TensorHandle make(std::vector<int64_t> sizes, std::vector<int64_t> strides,
                                  const std::vector<float>& storage) {
  aotic::runtime::TensorHandle h;
  aotic::runtime::check(aoti_torch_empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(),
                                                 strides.data(), t::kFloat32, t::kCPU, 0, h.out()),
                        "empty_strided");
  std::memcpy(aotic::runtime::data<float>(h.get()), storage.data(), storage.size() * sizeof(float));
  return h;
}

}  // namespace

TEST_CASE("run_unary_kernel: into a new buffer, in place, and on a non-contiguous input") {
  aotic::runtime::TensorHandle in = make({2, 2}, {2, 1}, {1, 2, 3, 4});
  aotic::runtime::TensorHandle out = make({2, 2}, {2, 1}, {0, 0, 0, 0});
  t::run_unary_kernel(double_it, in.get(), out.get());
  const float* o = aotic::runtime::data<float>(out.get());
  CHECK(std::vector<float>(o, o + 4) == std::vector<float>{2, 4, 6, 8});
  CHECK(aotic::runtime::data<float>(in.get())[3] == 4);  // the input is untouched

  t::run_unary_kernel(double_it, in.get(), in.get());
  const float* i = aotic::runtime::data<float>(in.get());
  CHECK(std::vector<float>(i, i + 4) == std::vector<float>{2, 4, 6, 8});

  // A transposed view: the kernel runs on a contiguous copy that is written back.
  aotic::runtime::TensorHandle transposed = make({2, 2}, {1, 2}, {1, 2, 3, 4});
  t::run_unary_kernel(double_it, transposed.get(), transposed.get());
  const float* tr = aotic::runtime::data<float>(transposed.get());
  CHECK(std::vector<float>(tr, tr + 4) == std::vector<float>{2, 4, 6, 8});
}

TEST_CASE("kernel_input: a tensor's own data in the kernel's layout, else a copy in that layout") {
  aotic::runtime::TensorHandle rows = make({2, 3}, {3, 1}, {1, 2, 3, 4, 5, 6});
  const int64_t row_major[] = {3, 1};
  aotic::runtime::TensorHandle scratch;
  CHECK(t::kernel_input<float>(rows.get(), 2, row_major, scratch) == aotic::runtime::data<float>(rows.get()));
  CHECK(scratch.get() == nullptr);
  // The same values stored column-major: copied into row-major for the kernel.
  aotic::runtime::TensorHandle columns = make({2, 3}, {1, 2}, {1, 4, 2, 5, 3, 6});
  const float* copy = t::kernel_input<float>(columns.get(), 2, row_major, scratch);
  REQUIRE(scratch.get() != nullptr);
  CHECK(std::vector<float>(copy, copy + 6) == std::vector<float>{1, 2, 3, 4, 5, 6});
  // Dimensions of size 1 may have any stride.
  aotic::runtime::TensorHandle one_row = make({1, 3}, {99, 1}, {7, 8, 9});
  aotic::runtime::TensorHandle none;
  CHECK(t::kernel_input<float>(one_row.get(), 2, row_major, none) ==
        aotic::runtime::data<float>(one_row.get()));
}

TEST_CASE("runtime::parallel_for covers every index once, on threads or not") {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{100000}}) {
    for (int64_t work : {int64_t{1}, int64_t{1} << 20}) {
      CAPTURE(n);
      CAPTURE(work);
      std::vector<int> seen(static_cast<size_t>(n), 0);
      aotic::runtime::parallel_for(n, work, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
      });
      CHECK(std::count(seen.begin(), seen.end(), 1) == n);
    }
  }
}

TEST_CASE("runtime::kernel_isa takes the best copy the CPU runs, capped by AOTIC_KERNEL_ISA") {
  using aotic::runtime::capped_kernel_isa;
  using aotic::runtime::KernelIsa;
  for (KernelIsa cpu : {KernelIsa::kBase, KernelIsa::kAvx2, KernelIsa::kAvx512}) {
    CAPTURE(static_cast<int>(cpu));
    CHECK(capped_kernel_isa(cpu, nullptr) == cpu);
    CHECK(capped_kernel_isa(cpu, "avx512") == cpu);
    CHECK(capped_kernel_isa(cpu, "base") == KernelIsa::kBase);
    CHECK(capped_kernel_isa(cpu, "avx2") == (cpu == KernelIsa::kBase ? KernelIsa::kBase : KernelIsa::kAvx2));
    CHECK(capped_kernel_isa(cpu, "AVX2") == capped_kernel_isa(cpu, "avx2"));  // any case
    CHECK(capped_kernel_isa(cpu, "sse9") == cpu);  // not a copy: ignored, with a warning
    CHECK(capped_kernel_isa(cpu, "") == cpu);
  }
}

TEST_CASE("kernel math has PyTorch's semantics") {
  // Integer arithmetic wraps (torch int32: 2147483647 + 1 == -2147483648), no undefined behaviour.
  CHECK(t::km::add<int32_t>(2147483647, 1) == -2147483647 - 1);
  CHECK(t::km::mul<int64_t>(INT64_MAX, 2) == -2);
  CHECK(t::km::neg<int8_t>(-128) == -128);
  CHECK(t::km::abs<int16_t>(-5) == 5);
  // max/min propagate NaN in either position.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(t::km::maximum(nan, 1.0f)));
  CHECK(std::isnan(t::km::maximum(1.0f, nan)));
  CHECK(std::isnan(t::km::minimum(2.0, std::numeric_limits<double>::quiet_NaN())));
  CHECK(std::isnan(t::km::relu(nan)));
  CHECK(t::km::relu(-3.0f) == 0.0f);
  // Conversions: to bool tests for nonzero (0.5 is true), floats truncate towards zero.
  CHECK(t::km::convert<bool>(0.5f));
  CHECK_FALSE(t::km::convert<bool>(int64_t{0}));
  CHECK(t::km::convert<int64_t>(-2.7) == -2);
  // round is half to even; sign of 0 is 0.
  CHECK(t::km::round(2.5f) == 2.0f);
  CHECK(t::km::round(-1.5) == -2.0);
  CHECK(t::km::sign(-0.0f) == 0.0f);
  CHECK(t::km::sign<int64_t>(-9) == -1);
  CHECK(t::km::gelu(1.0) == doctest::Approx(0.8413447460685429));
  CHECK(t::km::gelu_tanh(1.0) == doctest::Approx(0.8411919906082768));
  CHECK(t::km::hardswish(1.0f) == doctest::Approx(2.0f / 3.0f));
  CHECK(t::km::silu(2.0) == doctest::Approx(1.7615941559557646));
}

TEST_CASE("kernel math: the vectorisable float exp, tanh and erf are within float32 tolerance of libm") {
  double worst_exp = 0, worst_tanh = 0, worst_erf = 0;
  for (int i = -200000; i <= 200000; ++i) {
    const float x = static_cast<float>(i) * 4.4e-4f;  // about -88 .. 88
    const double e = std::exp(static_cast<double>(x));
    worst_exp = std::max(worst_exp, std::fabs(t::km::exp(x) - e) / e);
    const float y = x / 16;  // -5.5 .. 5.5
    worst_tanh = std::max(worst_tanh, std::fabs(t::km::tanh(y) - std::tanh(static_cast<double>(y))));
    worst_erf = std::max(worst_erf, std::fabs(t::km::erf(y) - std::erf(static_cast<double>(y))));
  }
  CHECK(worst_exp < 3e-7);   // relative: about 2 ulp
  CHECK(worst_tanh < 3e-7);  // absolute
  CHECK(worst_erf < 1e-6);   // absolute
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(t::km::exp(inf) == inf);
  CHECK(t::km::exp(-inf) == 0.0f);
  CHECK(t::km::exp(100.0f) == inf);
  CHECK(t::km::exp(-120.0f) == 0.0f);
  CHECK(std::isnan(t::km::exp(std::numeric_limits<float>::quiet_NaN())));
  CHECK(t::km::tanh(inf) == 1.0f);
  CHECK(t::km::tanh(-inf) == -1.0f);
  CHECK(t::km::erf(-inf) == -1.0f);
  CHECK(std::isnan(t::km::erf(std::numeric_limits<float>::quiet_NaN())));
  CHECK(t::km::sigmoid(-inf) == 0.0f);
  CHECK(t::km::tanh(-1e-5f) == -1e-5f);
}

TEST_CASE("aotic embeds every section the printer uses") {
  using aotic::codegen::template_sections;
  CHECK(template_sections("prologue.h") == std::vector<std::string>{"includes", "host_device",
                                                                    "kernel_includes", "math_includes",
                                                                    "unoptimised", "usings"});
  CHECK(template_sections("abi_codes.h") == std::vector<std::string>{"abi_codes"});
  CHECK(template_sections("size_helpers.h") == std::vector<std::string>{"aotic_floordiv", "aotic_ceildiv",
                                                                        "aotic_mod", "aotic_pow",
                                                                        "aotic_exactdiv"});
  CHECK(template_sections("kernel_helpers.h") ==
        std::vector<std::string>{"run_unary_kernel", "kernel_input", "kernels_isa"});
  CHECK(template_sections("kernel_math.h") == std::vector<std::string>{"kernel_math"});
  CHECK(template_sections("cuda_helpers.h") ==
        std::vector<std::string>{"cuda_includes", "cuda_kernel_includes", "cuda_fatbin_symbols",
                                 "cuda_launch_sizes", "cuda_kernel_loader", "cuda_kernel_helpers",
                                 "cuda_launch_check", "cuda_stream_scope", "cuda_graphs"});
  CHECK(aotic::codegen::template_section("size_helpers.h", "aotic_exactdiv") ==
        "AOTIC_HOST_DEVICE inline int64_t aotic_exactdiv(int64_t a, int64_t b) { return a / b; }\n");
}
