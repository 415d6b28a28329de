#include "shim/src/compat_ops.h"

#include <algorithm>
#include <limits>
#include <string>

namespace aotic::shim::compat {
namespace {

/// The type ATen computes in for `t` (at::toOpMathType, absent from libtorch 1.13).
at::ScalarType op_math_type(at::ScalarType t) {
  return t == at::kHalf || t == at::kBFloat16 ? at::kFloat : t;
}

}  // namespace

std::tuple<at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit_no_training(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, double momentum, double eps) {
  at::Tensor out = std::get<0>(at::native_batch_norm(input, weight, bias, running_mean, running_var,
                                                     /*training=*/false, momentum, eps));
  // PyTorch 2.11 returns empty save_mean / save_invstd in eval mode, in the statistics' dtype.
  const at::TensorOptions stats = input.options().dtype(op_math_type(input.scalar_type()));
  return {std::move(out), at::empty({0}, stats), at::empty({0}, stats)};
}

void _assert_tensor_metadata(const at::Tensor& a, at::OptionalIntArrayRef size,
                             at::OptionalIntArrayRef stride, c10::optional<at::ScalarType> dtype,
                             c10::optional<at::Device> device, c10::optional<at::Layout> layout) {
  if (size.has_value()) {
    TORCH_CHECK(a.sizes().equals(*size), "Tensor sizes mismatch! Expected: ", *size, ", Got: ", a.sizes());
  }
  if (stride.has_value()) {
    TORCH_CHECK(a.strides().equals(*stride), "Tensor strides mismatch! Expected: ", *stride,
                ", Got: ", a.strides());
  }
  if (dtype.has_value()) {
    TORCH_CHECK(a.scalar_type() == *dtype, "Tensor dtype mismatch! Expected: ", *dtype,
                ", Got: ", a.scalar_type());
  }
  if (device.has_value()) {
    TORCH_CHECK(a.device() == *device, "Tensor device mismatch! Expected: ", *device, ", Got: ", a.device());
  }
  if (layout.has_value()) {
    TORCH_CHECK(a.layout() == *layout, "Tensor layout mismatch! Expected: ", *layout, ", Got: ", a.layout());
  }
}

at::Tensor squeeze_dims(const at::Tensor& self, at::IntArrayRef dim) {
  const int64_t ndim = self.dim();
  std::vector<int64_t> dims;
  for (int64_t d : dim) {
    const int64_t wrapped = at::maybe_wrap_dim(d, ndim == 0 ? 1 : ndim);
    if (std::find(dims.begin(), dims.end(), wrapped) == dims.end()) dims.push_back(wrapped);
  }
  std::sort(dims.rbegin(), dims.rend());  // from the last, so earlier indices stay valid
  at::Tensor out = self;
  for (int64_t d : dims) {
    if (ndim > 0 && out.size(d) == 1) out = out.squeeze(d);
  }
  return out;
}

at::Tensor rms_norm(const at::Tensor& input, at::IntArrayRef normalized_shape,
                    const c10::optional<at::Tensor>& weight, c10::optional<double> eps) {
  const int64_t ndim = input.dim();
  const int64_t nshape = static_cast<int64_t>(normalized_shape.size());
  TORCH_CHECK(nshape >= 1 && nshape <= ndim && input.sizes().slice(ndim - nshape).equals(normalized_shape),
              "rms_norm: normalized_shape ", normalized_shape, " does not match the trailing sizes of input ",
              input.sizes());
  if (weight.has_value() && weight->defined()) {
    TORCH_CHECK(weight->sizes().equals(normalized_shape), "rms_norm: weight of size ", weight->sizes(),
                " does not match normalized_shape ", normalized_shape);
  }
  std::vector<int64_t> dims;
  for (int64_t d = ndim - nshape; d < ndim; ++d) dims.push_back(d);
  const at::ScalarType compute = op_math_type(input.scalar_type());
  const double eps_value = eps.has_value() ? *eps
                           : compute == at::kDouble
                               ? std::numeric_limits<double>::epsilon()
                               : static_cast<double>(std::numeric_limits<float>::epsilon());
  const at::Tensor x = input.to(compute);
  at::Tensor result =
      x.mul(at::rsqrt(x.pow(2).mean(dims, /*keepdim=*/true).add(eps_value))).to(input.scalar_type());
  if (weight.has_value() && weight->defined()) result = result.mul(*weight);
  return result;
}

at::Tensor scaled_dot_product_attention(const at::Tensor& query, const at::Tensor& key,
                                        const at::Tensor& value, const c10::optional<at::Tensor>& attn_mask,
                                        double dropout_p, bool is_causal, c10::optional<double> scale,
                                        bool enable_gqa) {
  TORCH_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2,
              "scaled_dot_product_attention: query, key and value need at least 2 dimensions");
  const bool has_mask = attn_mask.has_value() && attn_mask->defined();
  TORCH_CHECK(!(is_causal && has_mask),
              "scaled_dot_product_attention: _scaled_dot_product_attention: Explicit attn_mask should not be "
              "set when "
              "is_causal=True");
  at::Tensor k = key;
  at::Tensor v = value;
  if (enable_gqa && query.dim() >= 3 && k.dim() >= 3) {
    const int64_t hq = query.size(-3);
    const int64_t hk = k.size(-3);
    TORCH_CHECK(hk > 0 && hq % hk == 0, "scaled_dot_product_attention: enable_gqa needs the query heads (",
                hq, ") to be a multiple of the key heads (", hk, ")");
    if (hq != hk) {
      k = k.repeat_interleave(hq / hk, -3);
      v = v.repeat_interleave(hq / v.size(-3), -3);
    }
  }
  const int64_t l = query.size(-2);
  const int64_t s = k.size(-2);
  const double scale_value =
      scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(query.size(-1)));
  // Like PyTorch's math path: both sides are scaled by sqrt(scale) for numerical stability.
  const double root = std::sqrt(scale_value);
  at::Tensor attn = at::matmul(query * root, k.transpose(-2, -1) * root);
  bool masked = false;
  if (is_causal) {
    at::Tensor keep = at::ones({l, s}, query.options().dtype(at::kBool)).tril();
    attn = attn.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
    masked = true;
  } else if (has_mask) {
    if (attn_mask->scalar_type() == at::kBool) {
      attn = attn.masked_fill(attn_mask->logical_not(), -std::numeric_limits<double>::infinity());
    } else {
      attn = attn.add(*attn_mask);
    }
    masked = true;
  }
  at::Tensor probs = at::softmax(attn, -1);
  if (masked) {
    // _safe_softmax: a row whose every position is masked gives 0 instead of NaN.
    at::Tensor all_masked = at::isneginf(attn).all(-1, /*keepdim=*/true);
    probs = probs.masked_fill(all_masked, 0);
  }
  if (dropout_p > 0.0) probs = at::dropout(probs, dropout_p, /*train=*/true);
  return at::matmul(probs, v);
}

std::tuple<at::Tensor, at::Tensor> var_mean_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                                                       const c10::optional<at::Scalar>& correction,
                                                       bool keepdim) {
  if (!correction.has_value()) return at::var_mean(self, dim, c10::optional<int64_t>(), keepdim);
  const double c = correction->toDouble();
  if (c == std::trunc(c))
    return at::var_mean(self, dim, c10::optional<int64_t>(static_cast<int64_t>(c)), keepdim);
  // A fractional correction, which libtorch 1.13 cannot take: sum((x - mean)^2) / max(0, N - c).
  at::Tensor mean = dim.has_value() ? self.mean(*dim, /*keepdim=*/true)
                                    : self.mean().reshape(std::vector<int64_t>(self.dim(), 1));
  const double n =
      static_cast<double>(self.numel()) / static_cast<double>(std::max<int64_t>(mean.numel(), 1));
  at::Tensor centered = self - mean;
  at::Tensor sq = at::real(centered * centered.conj());
  at::Tensor sum =
      dim.has_value() ? sq.sum(*dim, keepdim) : (keepdim ? sq.sum(std::vector<int64_t>(), true) : sq.sum());
  at::Tensor var = sum / std::max(0.0, n - c);
  if (!keepdim) mean = dim.has_value() ? self.mean(*dim, /*keepdim=*/false) : self.mean();
  return {var, mean};
}

}  // namespace aotic::shim::compat
