#include "shim/src/compat_ops.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <atomic>
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

namespace {

/// libtorch's own aten::scaled_dot_product_attention (PyTorch 2.x: its fused CPU and CUDA kernels),
/// called boxed with the arguments its schema names; false when this libtorch has none (1.13), its
/// schema lacks an argument this call gives or takes one it cannot give, or the call failed.
bool native_attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value,
                      const c10::optional<at::Tensor>& attn_mask, double dropout_p, bool is_causal,
                      c10::optional<double> scale, bool enable_gqa, at::Tensor* result) {
  static const c10::optional<c10::OperatorHandle> op =
      c10::Dispatcher::singleton().findSchema({"aten::scaled_dot_product_attention", ""});
  // Set when libtorch's op gave something other than one tensor: later calls take the math path.
  static std::atomic<bool> unusable{false};
  if (!op.has_value() || unusable.load(std::memory_order_relaxed)) return false;
  std::vector<c10::IValue> stack;
  bool gqa_given = false, scale_given = false;
  for (const c10::Argument& a : op->schema().arguments()) {
    const std::string& name = a.name();
    if (name == "query") {
      stack.emplace_back(query);
    } else if (name == "key") {
      stack.emplace_back(key);
    } else if (name == "value") {
      stack.emplace_back(value);
    } else if (name == "attn_mask") {
      stack.emplace_back(attn_mask.has_value() && attn_mask->defined() ? c10::IValue(*attn_mask)
                                                                       : c10::IValue());
    } else if (name == "dropout_p") {
      stack.emplace_back(dropout_p);
    } else if (name == "is_causal") {
      stack.emplace_back(is_causal);
    } else if (name == "scale") {
      stack.emplace_back(scale.has_value() ? c10::IValue(*scale) : c10::IValue());
      scale_given = true;
    } else if (name == "enable_gqa") {
      stack.emplace_back(enable_gqa);
      gqa_given = true;
    } else {
      return false;
    }
  }
  if ((enable_gqa && !gqa_given) || (scale.has_value() && !scale_given)) return false;
  try {
    op->callBoxed(&stack);
  } catch (const c10::Error&) {
    // This call takes the math path, which computes the same and reports a bad call with its own
    // checks.
    return false;
  }
  if (stack.size() != 1 || !stack[0].isTensor()) {
    unusable.store(true, std::memory_order_relaxed);
    return false;
  }
  *result = stack[0].toTensor();
  return true;
}

}  // namespace

at::Tensor scaled_dot_product_attention(const at::Tensor& query, const at::Tensor& key,
                                        const at::Tensor& value, const c10::optional<at::Tensor>& attn_mask,
                                        double dropout_p, bool is_causal, c10::optional<double> scale,
                                        bool enable_gqa) {
  at::Tensor native;
  if (native_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, &native)) {
    return native;
  }
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

void _assert_scalar(const at::Scalar& self, c10::string_view assert_msg) {
  const bool holds = self.isBoolean() ? self.toBool() : self.toDouble() != 0.0;
  TORCH_CHECK(holds, std::string(assert_msg.data(), assert_msg.size()));
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, bool training, double momentum,
    double eps) {
  if (!training) {
    return aotic::shim::compat::_native_batch_norm_legit_no_training(input, weight, bias, running_mean,
                                                                     running_var, momentum, eps);
  }
  return at::native_batch_norm(input, weight, bias, running_mean, running_var, /*training=*/true, momentum,
                               eps);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit_functional(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, bool training, double momentum,
    double eps) {
  at::Tensor mean = running_mean.clone();
  at::Tensor var = running_var.clone();
  auto [out, save_mean, save_invstd] =
      _native_batch_norm_legit(input, weight, bias, mean, var, training, momentum, eps);
  return {std::move(out), std::move(save_mean), std::move(save_invstd), std::move(mean), std::move(var)};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> _batch_norm_with_update(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, double momentum, double eps) {
  auto [out, save_mean, save_invstd] =
      at::native_batch_norm(input, weight, bias, running_mean, running_var, /*training=*/true, momentum, eps);
  return {std::move(out), std::move(save_mean), std::move(save_invstd),
          at::empty({0}, input.options().dtype(at::kByte))};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor>
_batch_norm_with_update_functional(const at::Tensor& input, const c10::optional<at::Tensor>& weight,
                                   const c10::optional<at::Tensor>& bias, const at::Tensor& running_mean,
                                   const at::Tensor& running_var, double momentum, double eps) {
  at::Tensor mean = running_mean.clone();
  at::Tensor var = running_var.clone();
  auto [out, save_mean, save_invstd, reserve] =
      _batch_norm_with_update(input, weight, bias, mean, var, momentum, eps);
  return {std::move(out),     std::move(save_mean), std::move(save_invstd),
          std::move(reserve), std::move(mean),      std::move(var)};
}

at::Tensor _chunk_cat(at::TensorList tensors, int64_t dim, int64_t num_chunks) {
  TORCH_CHECK(!tensors.empty(), "_chunk_cat expects a non-empty input tensor list");
  TORCH_CHECK(num_chunks >= 1, "_chunk_cat expects positive num_chunks");
  const int64_t d = at::maybe_wrap_dim(dim, tensors[0].dim());
  std::vector<at::Tensor> padded;
  for (const at::Tensor& t : tensors) {
    TORCH_CHECK(t.dim() > d, "_chunk_cat expects every tensor to have more than ", d, " dimensions");
    const int64_t size = t.size(d);
    const int64_t rounded = (size + num_chunks - 1) / num_chunks * num_chunks;
    at::Tensor p = t;
    if (rounded != size) {
      std::vector<int64_t> pad(2 * static_cast<size_t>(t.dim() - d), 0);
      pad.back() = rounded - size;
      p = at::constant_pad_nd(t, pad, 0);
    }
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().begin() + d);
    shape.push_back(num_chunks);
    shape.push_back(-1);
    padded.push_back(p.reshape(shape));
  }
  return at::cat(padded, d + 1);
}

at::Tensor _safe_softmax(const at::Tensor& self, int64_t dim, c10::optional<at::ScalarType> dtype) {
  at::Tensor out = at::softmax(self, dim, dtype);
  at::Tensor all_masked = self.eq(-std::numeric_limits<double>::infinity()).all(dim, /*keepdim=*/true);
  return out.masked_fill(all_masked, 0);
}

namespace {

/// The indices of _unsafe_masked_index(_put_accumulate) clamped into [-size, size - 1].
c10::List<c10::optional<at::Tensor>> clamped_indices(const at::Tensor& self,
                                                     const c10::List<c10::optional<at::Tensor>>& indices) {
  TORCH_CHECK(static_cast<int64_t>(indices.size()) <= self.dim(), "too many indices for tensor of dimension ",
              self.dim());
  c10::List<c10::optional<at::Tensor>> clamped;
  for (size_t i = 0; i < indices.size(); ++i) {
    c10::optional<at::Tensor> index = indices.get(i);
    if (index.has_value() && index->defined()) {
      const at::ScalarType t = index->scalar_type();
      TORCH_CHECK(t == at::kLong || t == at::kInt, "_unsafe_masked_index found unexpected index type ", t);
      const int64_t size = self.size(static_cast<int64_t>(i));
      index = at::clamp(*index, -size, size - 1);
    }
    clamped.push_back(index);
  }
  return clamped;
}

}  // namespace

at::Tensor _unsafe_masked_index(const at::Tensor& self, const at::Tensor& mask,
                                const c10::List<c10::optional<at::Tensor>>& indices, const at::Scalar& fill) {
  c10::List<c10::optional<at::Tensor>> clamped = clamped_indices(self, indices);
  if (self.numel() == 0) {
    // The result has the indexed shape, every element `fill`: index a tensor of fills whose
    // indexed empty dimensions have size 1 (the clamped indices are 0 there).
    std::vector<int64_t> sizes(self.sizes().begin(), self.sizes().end());
    for (size_t i = 0; i < indices.size(); ++i) {
      const c10::optional<at::Tensor> index = indices.get(i);
      if (index.has_value() && index->defined() && sizes[i] == 0) {
        sizes[i] = 1;
        clamped.set(i, at::zeros_like(*index));
      }
    }
    return at::index(at::full(sizes, fill, self.options()), clamped);
  }
  return at::index(self, clamped).masked_fill(mask.logical_not(), fill);
}

at::Tensor _unsafe_masked_index_put_accumulate(const at::Tensor& self, const at::Tensor& mask,
                                               const c10::List<c10::optional<at::Tensor>>& indices,
                                               const at::Tensor& values) {
  if (self.numel() == 0) return self.clone();
  return at::index_put(self, clamped_indices(self, indices), values.masked_fill(mask.logical_not(), 0),
                       /*accumulate=*/true);
}

at::Tensor any_dims(const at::Tensor& self, at::OptionalIntArrayRef dim, bool keepdim) {
  const int64_t ndim = self.dim();
  std::vector<int64_t> dims;
  if (dim.has_value() && !dim->empty()) {
    for (int64_t d : *dim) dims.push_back(at::maybe_wrap_dim(d, ndim));
  } else {
    for (int64_t d = 0; d < ndim; ++d) dims.push_back(d);
  }
  std::sort(dims.begin(), dims.end());
  dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
  if (ndim == 0) return self.any();
  at::Tensor out = self;
  for (int64_t d : dims) out = out.any(d, /*keepdim=*/true);
  if (!keepdim) {
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) out = out.squeeze(*it);
  }
  return out;
}

at::Tensor copy(const at::Tensor& self, const at::Tensor& src, bool non_blocking) {
  at::Tensor out = self.is_non_overlapping_and_dense()
                       ? at::empty_strided(self.sizes(), self.strides(), self.options())
                       : at::empty_like(self, at::MemoryFormat::Contiguous);
  out.copy_(src, non_blocking);
  return out;
}

at::Tensor empty_permuted(at::IntArrayRef size, at::IntArrayRef physical_layout,
                          c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                          c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  const size_t n = size.size();
  TORCH_CHECK(physical_layout.size() == n, "Number of dimensions in size does not match the length of the ",
              "physical_layout; i.e. len(size) = ", n,
              " is not equal to len(physical_layout) = ", physical_layout.size());
  std::vector<int64_t> physical(n);
  std::vector<int64_t> inverse(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t p = physical_layout[i];
    TORCH_CHECK(p >= 0 && p < static_cast<int64_t>(n), "physical_layout is not a permutation");
    physical[i] = size[static_cast<size_t>(p)];
    inverse[static_cast<size_t>(p)] = static_cast<int64_t>(i);
  }
  return at::empty(physical, dtype, layout, device, pin_memory, c10::nullopt).permute(inverse);
}

namespace {

at::Scalar endpoint(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.dim() == 0, "linspace/logspace only supports 0-dimensional start and end tensors, but got ",
              what, " with ", t.dim(), " dimension(s).");
  return t.item();
}

}  // namespace

at::Tensor linspace_Scalar_Tensor(const at::Scalar& start, const at::Tensor& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::linspace(start, endpoint(end, "end"), steps, dtype, layout, device, pin_memory);
}

at::Tensor linspace_Tensor_Scalar(const at::Tensor& start, const at::Scalar& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::linspace(endpoint(start, "start"), end, steps, dtype, layout, device, pin_memory);
}

at::Tensor linspace_Tensor_Tensor(const at::Tensor& start, const at::Tensor& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::linspace(endpoint(start, "start"), endpoint(end, "end"), steps, dtype, layout, device,
                      pin_memory);
}

at::Tensor logspace_Scalar_Tensor(const at::Scalar& start, const at::Tensor& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::logspace(start, endpoint(end, "end"), steps, base, dtype, layout, device, pin_memory);
}

at::Tensor logspace_Tensor_Scalar(const at::Tensor& start, const at::Scalar& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::logspace(endpoint(start, "start"), end, steps, base, dtype, layout, device, pin_memory);
}

at::Tensor logspace_Tensor_Tensor(const at::Tensor& start, const at::Tensor& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory) {
  return at::logspace(endpoint(start, "start"), endpoint(end, "end"), steps, base, dtype, layout, device,
                      pin_memory);
}

at::Tensor nonzero_static(const at::Tensor& self, int64_t size, int64_t fill_value) {
  TORCH_CHECK(size >= 0, "nonzero_static: 'size' must be an non-negative integer, but got size: ", size);
  at::Tensor nz = at::nonzero(self);
  const int64_t n = nz.size(0);
  if (n >= size) return nz.slice(0, 0, size).contiguous();
  return at::cat({nz, at::full({size - n, nz.size(1)}, fill_value, nz.options())}, 0);
}

at::Tensor stft(const at::Tensor& self, int64_t n_fft, c10::optional<int64_t> hop_length,
                c10::optional<int64_t> win_length, const c10::optional<at::Tensor>& window, bool normalized,
                c10::optional<bool> onesided, c10::optional<bool> return_complex,
                c10::optional<bool> align_to_window) {
  TORCH_CHECK(!align_to_window.value_or(false),
              "stft: align_to_window=True is not supported by this libtorch");
  return at::stft(self, n_fft, hop_length, win_length, window, normalized, onesided, return_complex);
}

at::Tensor var_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                          const c10::optional<at::Scalar>& correction, bool keepdim) {
  return std::get<0>(var_mean_correction(self, dim, correction, keepdim));
}

at::Tensor std_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                          const c10::optional<at::Scalar>& correction, bool keepdim) {
  return at::sqrt(var_correction(self, dim, correction, keepdim));
}

std::tuple<at::Tensor, at::Tensor> std_mean_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                                                       const c10::optional<at::Scalar>& correction,
                                                       bool keepdim) {
  auto [var, mean] = var_mean_correction(self, dim, correction, keepdim);
  return {at::sqrt(var), std::move(mean)};
}

}  // namespace aotic::shim::compat
