// The shim functions whose parameters are c10 scalar types. Including the real c10 headers next
// to aotic/shim.h also proves the header's forward declarations agree with c10's definitions.
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <c10/util/complex.h>
#include <doctest/doctest.h>

#include "aotic/shim.h"

namespace {

struct Handle {
  AtenTensorHandle h = nullptr;
  ~Handle() {
    if (h) aoti_torch_delete_tensor_object(h);
  }
};

TEST_CASE("float16 / bfloat16 / complex64 items") {
  Handle t;
  REQUIRE(aoti_torch_scalar_to_tensor_float64(0.5, &t.h) == AOTI_TORCH_SUCCESS);
  c10::Half half;
  c10::BFloat16 bf16;
  c10::complex<float> cf;
  CHECK(aoti_torch_item_float16(t.h, &half) == AOTI_TORCH_SUCCESS);
  CHECK(static_cast<float>(half) == 0.5f);
  CHECK(half.x == 0x3800);
  CHECK(aoti_torch_item_bfloat16(t.h, &bf16) == AOTI_TORCH_SUCCESS);
  CHECK(static_cast<float>(bf16) == 0.5f);
  CHECK(aoti_torch_item_complex64(t.h, &cf) == AOTI_TORCH_SUCCESS);
  CHECK(cf.real() == 0.5f);
  CHECK(cf.imag() == 0.0f);
}

TEST_CASE("complex scalars to tensors") {
  Handle a, b;
  REQUIRE(aoti_torch_scalar_to_tensor_complex64(c10::complex<float>(1.5f, -2.0f), &a.h) ==
          AOTI_TORCH_SUCCESS);
  REQUIRE(aoti_torch_scalar_to_tensor_complex128(c10::complex<double>(0.25, 4.0), &b.h) ==
          AOTI_TORCH_SUCCESS);
  int32_t dtype = -1;
  aoti_torch_get_dtype(a.h, &dtype);
  CHECK(dtype == aoti_torch_dtype_complex64());
  aoti_torch_get_dtype(b.h, &dtype);
  CHECK(dtype == aoti_torch_dtype_complex128());
  c10::complex<float> back;
  CHECK(aoti_torch_item_complex64(a.h, &back) == AOTI_TORCH_SUCCESS);
  CHECK(back.real() == 1.5f);
  CHECK(back.imag() == -2.0f);
  CHECK(aoti_torch_item_complex64(b.h, &back) == AOTI_TORCH_SUCCESS);
  CHECK(back.imag() == 4.0f);
}

}  // namespace
