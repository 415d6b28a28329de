// Runs the generated CPU fallback ops (shim/generated/c_shim_cpu.cc) and the compat ops through the
// C ABI and checks their numbers against direct ATen calls or reference formulas.
#include <ATen/ATen.h>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "aotic/shim.h"
#include "shim/generated/c_shim_cpu.h"

namespace {

/// Owns a handle the shim returned (or one made here). A handle is an at::Tensor* (shim_internal.h).
struct Handle {
  AtenTensorHandle h = nullptr;
  Handle() = default;
  explicit Handle(at::Tensor t) : h(reinterpret_cast<AtenTensorHandle>(new at::Tensor(std::move(t)))) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { delete reinterpret_cast<at::Tensor*>(h); }
  const at::Tensor& t() const { return *reinterpret_cast<at::Tensor*>(h); }
};

bool close(const at::Tensor& a, const at::Tensor& b, double tol = 1e-5) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() &&
         at::allclose(a.to(at::kDouble), b.to(at::kDouble), tol, tol, /*equal_nan=*/true);
}

TEST_CASE("out variants, alpha/beta on integer tensors") {
  at::manual_seed(0);
  Handle self(at::randn({3, 5})), m1(at::randn({3, 4})), m2(at::randn({4, 5})), out(at::empty({3, 5}));
  REQUIRE(aoti_torch_cpu_addmm_out(out.h, self.h, m1.h, m2.h, 0.5, 2.0) == AOTI_TORCH_SUCCESS);
  CHECK(close(out.t(), at::addmm(self.t(), m1.t(), m2.t(), 0.5, 2.0)));

  Handle a(at::arange(6, at::kLong)), b(at::ones({6}, at::kLong)), r;
  REQUIRE(aoti_torch_cpu_add_Tensor(a.h, b.h, 1.0, &r.h) == AOTI_TORCH_SUCCESS);
  CHECK((r.t().scalar_type() == at::kLong));
  CHECK(r.t().equal(at::arange(1, 7, at::kLong)));
}

TEST_CASE("multiple returns, Tensor[] returns, Tensor?[] arguments") {
  Handle x(at::tensor({3.0f, 1.0f, 4.0f, 1.0f, 5.0f, 9.0f}));
  Handle values, indices;
  REQUIRE(aoti_torch_cpu_topk(x.h, 2, -1, 1, 1, &values.h, &indices.h) == AOTI_TORCH_SUCCESS);
  CHECK(values.t().equal(at::tensor({9.0f, 5.0f})));
  CHECK(indices.t().equal(at::tensor({5, 4}, at::kLong)));

  AtenTensorHandle parts[3] = {};
  REQUIRE(aoti_torch_cpu_split_Tensor(x.h, 2, 0, parts, 3) == AOTI_TORCH_SUCCESS);
  for (int i = 0; i < 3; ++i) {
    Handle p;
    p.h = parts[i];
    CHECK(p.t().equal(x.t().slice(0, 2 * i, 2 * i + 2)));
  }
  CHECK(aoti_torch_cpu_split_Tensor(x.h, 2, 0, parts, 2) == AOTI_TORCH_FAILURE);  // room for 2 of 3

  Handle m(at::arange(12, at::kFloat).reshape({3, 4})), idx(at::tensor({2, 0}, at::kLong)), r;
  AtenTensorHandle idx_handle = idx.h;
  const AtenTensorHandle* index_list[2] = {nullptr, &idx_handle};  // m[:, [2, 0]]
  REQUIRE(aoti_torch_cpu_index_Tensor(m.h, index_list, 2, &r.h) == AOTI_TORCH_SUCCESS);
  CHECK(r.t().equal(m.t().index_select(1, idx.t())));
}

TEST_CASE("optional arguments, factories, methods") {
  Handle x(at::arange(24, at::kFloat).reshape({2, 3, 4})), r1, r2, r3, r4;
  REQUIRE(aoti_torch_cpu_sum_dim_IntList(x.h, nullptr, 0, 0, nullptr, &r1.h) == AOTI_TORCH_SUCCESS);
  CHECK(r1.t().item<float>() == 276.0f);
  const int64_t dims[] = {1};
  const int64_t* dims_ptr = dims;
  int32_t f64 = static_cast<int32_t>(at::kDouble);
  REQUIRE(aoti_torch_cpu_sum_dim_IntList(x.h, &dims_ptr, 1, 1, &f64, &r2.h) == AOTI_TORCH_SUCCESS);
  CHECK(close(r2.t(), x.t().sum({1}, true, at::kDouble)));

  const int64_t size[] = {2, 2};
  int32_t i32 = static_cast<int32_t>(at::kInt);
  int32_t cpu = static_cast<int32_t>(c10::DeviceType::CPU);
  REQUIRE(aoti_torch_cpu_full(size, 2, 7.0, &i32, nullptr, &cpu, 0, nullptr, &r3.h) == AOTI_TORCH_SUCCESS);
  CHECK(r3.t().equal(at::full({2, 2}, 7, at::kInt)));

  const int64_t shape[] = {4, 6};
  REQUIRE(aoti_torch_cpu_view(x.h, shape, 2, &r4.h) == AOTI_TORCH_SUCCESS);
  CHECK(r4.t().sizes().equals({4, 6}));
  CHECK(r4.t().is_alias_of(x.t()));

  Handle conv_in(at::randn({1, 2, 5, 5})), w(at::randn({3, 2, 3, 3})), bias(at::randn({3})), r5;
  const int64_t one[] = {1, 1}, zero[] = {0, 0};
  REQUIRE(aoti_torch_cpu_convolution(conv_in.h, w.h, &bias.h, one, 2, one, 2, one, 2, 0, zero, 2, 1, &r5.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(r5.t(), at::conv2d(conv_in.t(), w.t(), bias.t(), 1, 1)));

  CHECK(aoti_torch_cpu_relu(nullptr, &r5.h) == AOTI_TORCH_FAILURE);  // null handle: an error, not a crash
}

TEST_CASE("compat: _native_batch_norm_legit_no_training") {
  Handle x(at::randn({2, 3, 4, 4})), w(at::randn({3})), b(at::randn({3})), mean(at::randn({3})),
      var(at::rand({3}) + 0.5);
  Handle out, save_mean, save_invstd;
  REQUIRE(aoti_torch_cpu__native_batch_norm_legit_no_training(x.h, &w.h, &b.h, mean.h, var.h, 0.1, 1e-5,
                                                              &out.h, &save_mean.h,
                                                              &save_invstd.h) == AOTI_TORCH_SUCCESS);
  CHECK(close(out.t(), at::batch_norm(x.t(), w.t(), b.t(), mean.t(), var.t(), false, 0.1, 1e-5, false)));
  CHECK(save_mean.t().numel() == 0);
  CHECK(save_invstd.t().numel() == 0);
}

at::Tensor reference_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                               const at::Tensor& bias, double scale) {
  return at::matmul(at::softmax(at::matmul(q, k.transpose(-2, -1)) * scale + bias, -1), v);
}

TEST_CASE("compat: scaled_dot_product_attention") {
  at::manual_seed(1);
  Handle q(at::randn({2, 4, 5, 8})), k(at::randn({2, 4, 6, 8})), v(at::randn({2, 4, 6, 3}));
  const double s = 1.0 / std::sqrt(8.0);
  Handle plain;
  REQUIRE(aoti_torch_cpu_scaled_dot_product_attention(q.h, k.h, v.h, nullptr, 0.0, 0, nullptr, 0, &plain.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(plain.t(), reference_attention(q.t(), k.t(), v.t(), at::zeros({5, 6}), s)));

  const double inf = std::numeric_limits<double>::infinity();
  at::Tensor causal_bias =
      at::zeros({5, 6}).masked_fill(at::ones({5, 6}, at::kBool).tril().logical_not(), -inf);
  Handle causal;
  double scale = 0.3;
  REQUIRE(aoti_torch_cpu_scaled_dot_product_attention(q.h, k.h, v.h, nullptr, 0.0, 1, &scale, 0, &causal.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(causal.t(), reference_attention(q.t(), k.t(), v.t(), causal_bias, 0.3)));

  Handle float_mask(at::randn({5, 6})), with_mask;
  REQUIRE(aoti_torch_cpu_scaled_dot_product_attention(q.h, k.h, v.h, &float_mask.h, 0.0, 0, nullptr, 0,
                                                      &with_mask.h) == AOTI_TORCH_SUCCESS);
  CHECK(close(with_mask.t(), reference_attention(q.t(), k.t(), v.t(), float_mask.t(), s)));

  // A bool mask keeps the true positions; a fully masked row gives 0.
  at::Tensor keep = at::rand({5, 6}) > 0.3;
  keep[0] = false;
  Handle bool_mask(keep), with_bool;
  REQUIRE(aoti_torch_cpu_scaled_dot_product_attention(q.h, k.h, v.h, &bool_mask.h, 0.0, 0, nullptr, 0,
                                                      &with_bool.h) == AOTI_TORCH_SUCCESS);
  at::Tensor expected =
      reference_attention(q.t(), k.t(), v.t(), at::zeros({5, 6}).masked_fill(keep.logical_not(), -inf), s);
  CHECK(close(with_bool.t().slice(-2, 1), expected.slice(-2, 1)));
  CHECK(with_bool.t().select(-2, 0).abs().max().item<float>() == 0.0f);

  // Explicit mask together with is_causal is an error, as in PyTorch.
  Handle err;
  CHECK(aoti_torch_cpu_scaled_dot_product_attention(q.h, k.h, v.h, &float_mask.h, 0.0, 1, nullptr, 0,
                                                    &err.h) == AOTI_TORCH_FAILURE);

  // Grouped-query attention: 4 query heads over 2 key/value heads.
  Handle k2(at::randn({2, 2, 6, 8})), v2(at::randn({2, 2, 6, 3})), gqa;
  REQUIRE(aoti_torch_cpu_scaled_dot_product_attention(q.h, k2.h, v2.h, nullptr, 0.0, 0, nullptr, 1, &gqa.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(gqa.t(), reference_attention(q.t(), k2.t().repeat_interleave(2, 1),
                                           v2.t().repeat_interleave(2, 1), at::zeros({5, 6}), s)));
}

TEST_CASE("compat: rms_norm and var_mean.correction") {
  Handle x(at::randn({3, 4, 6})), w(at::randn({6})), r;
  const int64_t shape[] = {6};
  double eps = 1e-6;
  REQUIRE(aoti_torch_cpu_rms_norm(x.h, shape, 1, &w.h, &eps, &r.h) == AOTI_TORCH_SUCCESS);
  CHECK(close(r.t(), x.t() * at::rsqrt(x.t().pow(2).mean({-1}, true) + 1e-6) * w.t()));

  Handle var, mean;
  const int64_t dims[] = {1};
  const int64_t* dims_ptr = dims;
  double correction = 1.0;
  REQUIRE(aoti_torch_cpu_var_mean_correction(x.h, &dims_ptr, 1, &correction, 0, &var.h, &mean.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(var.t(), x.t().var({1}, true, false)));
  CHECK(close(mean.t(), x.t().mean({1})));
  double half = 0.5;
  Handle var2, mean2;
  REQUIRE(aoti_torch_cpu_var_mean_correction(x.h, &dims_ptr, 1, &half, 1, &var2.h, &mean2.h) ==
          AOTI_TORCH_SUCCESS);
  CHECK(close(var2.t(), (x.t() - x.t().mean({1}, true)).pow(2).sum({1}, true) / 3.5));
  CHECK(close(mean2.t(), x.t().mean({1}, true)));
}

}  // namespace

TEST_CASE("compat: _assert_tensor_metadata checks what is given, squeeze.dims squeezes size-1 dims") {
  Handle x(at::zeros({2, 1, 3}));
  const int64_t sizes[] = {2, 1, 3};
  const int64_t* sizes_ptr = sizes;
  int32_t float32 = aoti_torch_dtype_float32(), int64 = aoti_torch_dtype_int64();
  int32_t cpu = aoti_torch_device_type_cpu(), strided = aoti_torch_layout_strided();
  CHECK(aoti_torch_cpu__assert_tensor_metadata(x.h, &sizes_ptr, 3, nullptr, 0, &float32, &cpu, -1,
                                               &strided) == AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_cpu__assert_tensor_metadata(x.h, nullptr, 0, nullptr, 0, nullptr, nullptr, -1, nullptr) ==
        AOTI_TORCH_SUCCESS);
  CHECK(aoti_torch_cpu__assert_tensor_metadata(x.h, nullptr, 0, nullptr, 0, &int64, nullptr, -1, nullptr) ==
        AOTI_TORCH_FAILURE);
  CHECK(std::string(aotic_shim_last_error()).find("Tensor dtype mismatch! Expected: Long, Got: Float") !=
        std::string::npos);
  const int64_t wrong[] = {2, 3};
  const int64_t* wrong_ptr = wrong;
  CHECK(aoti_torch_cpu__assert_tensor_metadata(x.h, &wrong_ptr, 2, nullptr, 0, nullptr, nullptr, -1,
                                               nullptr) == AOTI_TORCH_FAILURE);

  // Only listed dimensions of size 1 go, negative ones counted from the end, repeats ignored.
  Handle y(at::zeros({1, 2, 1, 1}));
  const int64_t dims[] = {0, -1, 1, 0};
  Handle r;
  REQUIRE(aoti_torch_cpu_squeeze_dims(y.h, dims, 4, &r.h) == AOTI_TORCH_SUCCESS);
  CHECK(r.t().sizes() == at::IntArrayRef({2, 1}));
  CHECK(r.t().data_ptr() == y.t().data_ptr());  // a view
  Handle s(at::zeros({}));
  const int64_t zero[] = {0};
  Handle q;
  REQUIRE(aoti_torch_cpu_squeeze_dims(s.h, zero, 1, &q.h) == AOTI_TORCH_SUCCESS);
  CHECK(q.t().dim() == 0);
}
