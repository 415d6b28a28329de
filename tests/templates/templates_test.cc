// The templates under templates/ compiled and run on their own: the ABI names agree with the
// shim's own functions and with ir/dtype, the size helpers have Python's semantics, and the kernel
// helper runs a kernel, in place and not. Also: aotic's embedded copy has every section the
// printer asks for.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "codegen/templates.h"
#include "ir/dtype.h"
#include "templates/abi_codes.h"
#include "templates/kernel_helpers.h"
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

TEST_CASE("aotic embeds every section the printer uses") {
  using aotic::codegen::template_sections;
  CHECK(template_sections("prologue.h") == std::vector<std::string>{"includes", "math_includes", "usings"});
  CHECK(template_sections("abi_codes.h") == std::vector<std::string>{"abi_codes"});
  CHECK(template_sections("size_helpers.h") == std::vector<std::string>{"aotic_floordiv", "aotic_ceildiv",
                                                                        "aotic_mod", "aotic_pow",
                                                                        "aotic_exactdiv"});
  CHECK(template_sections("kernel_helpers.h") == std::vector<std::string>{"run_unary_kernel"});
  CHECK(aotic::codegen::template_section("size_helpers.h", "aotic_exactdiv") ==
        "inline int64_t aotic_exactdiv(int64_t a, int64_t b) { return a / b; }\n");
}
