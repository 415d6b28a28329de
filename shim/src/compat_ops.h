// Hand-written pieces of the generated fallback ops (shim/generated/c_shim_cpu.cc):
//  - aotic::shim::arg: converting the C shim's argument encodings (torchgen's conventions: a
//    `Tensor?` is an AtenTensorHandle*, an `int[]?` a const int64_t** plus a length, ...) into the
//    types of ATen's C++ API;
//  - aotic::shim::compat: the ops that libtorch 1.13 lacks or whose 1.13 signature differs from
//    PyTorch 2.11's schema, rebuilt from older ATen calls with 2.11's semantics. tools/shim_gen calls
//    them for the targets in its kCompatOps table, with the 2.11 arguments in schema order.
// Included only by shim implementation files, never by generated model code.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "aotic/shim.h"
#include "shim/src/shim_internal.h"

namespace aotic::shim::arg {

/// A Scalar that takes no part in type promotion (alpha, beta): an integral value becomes an integer
/// Scalar, so that integer tensors accept it.
inline at::Scalar integral_scalar(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.0e18) {
    return at::Scalar(static_cast<int64_t>(value));
  }
  return at::Scalar(value);
}

/// A `str` argument.
inline c10::string_view str(const char* value, const char* what) {
  if (value == nullptr) throw ShimError(std::string("null string for '") + what + "'");
  return c10::string_view(value);
}

/// A `Tensor?` argument: a pointer to a handle; a null pointer (or a null handle) is None.
inline c10::optional<at::Tensor> optional_tensor(const AtenTensorHandle* handle) {
  if (handle == nullptr || *handle == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Tensor*>(*handle);
}

/// `int?`, `SymInt?`, `float?`: a pointer to the value, null for None.
template <typename T>
c10::optional<T> optional_value(const T* value) {
  if (value == nullptr) return c10::nullopt;
  return *value;
}

inline c10::optional<bool> optional_bool(const int32_t* value) {
  if (value == nullptr) return c10::nullopt;
  return *value != 0;
}

inline c10::optional<at::Scalar> optional_scalar(const double* value) {
  if (value == nullptr) return c10::nullopt;
  return at::Scalar(*value);
}

/// `str?`: a pointer to the string pointer.
inline c10::optional<c10::string_view> optional_str(const char** value) {
  if (value == nullptr || *value == nullptr) return c10::nullopt;
  return c10::string_view(*value);
}

inline c10::optional<at::ScalarType> optional_scalar_type(const int32_t* code) {
  if (code == nullptr) return c10::nullopt;
  return scalar_type(*code);
}

inline c10::optional<at::Layout> optional_layout(const int32_t* code) {
  if (code == nullptr) return c10::nullopt;
  return layout(*code);
}

inline c10::optional<at::MemoryFormat> optional_memory_format(const int32_t* code) {
  if (code == nullptr) return c10::nullopt;
  return memory_format(*code);
}

/// `Device?`: a pointer to the device type and the index by value.
inline c10::optional<at::Device> optional_device(const int32_t* device_type, int32_t device_index) {
  if (device_type == nullptr) return c10::nullopt;
  return device(*device_type, device_index);
}

/// `Generator?`: a pointer to a generator handle (an at::Generator*), null for the default one.
inline c10::optional<at::Generator> optional_generator(const AtenGeneratorHandle* handle) {
  if (handle == nullptr || *handle == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Generator*>(*handle);
}

/// `int[]?`: a pointer to the data pointer, plus the length.
inline at::OptionalIntArrayRef optional_int_array(const int64_t** data, int64_t length, const char* what) {
  if (data == nullptr) return c10::nullopt;
  return array(*data, length, what);
}

inline c10::optional<at::ArrayRef<double>> optional_double_array(const double** data, int64_t length,
                                                                 const char* what) {
  if (data == nullptr) return c10::nullopt;
  return array(*data, length, what);
}

/// `bool[N]`: N int32_t.
template <size_t N>
std::array<bool, N> bool_array(const int32_t* data, int64_t length, const char* what) {
  if (length != static_cast<int64_t>(N)) {
    throw ShimError(std::string("'") + what + "' needs " + std::to_string(N) + " values, got " +
                    std::to_string(length));
  }
  std::array<bool, N> values{};
  for (size_t i = 0; i < N; ++i) values[i] = data[i] != 0;
  return values;
}

/// `Scalar[]`.
inline std::vector<at::Scalar> scalar_list(const double* data, int64_t length, const char* what) {
  std::vector<at::Scalar> values;
  for (double v : array(data, length, what)) values.emplace_back(v);
  return values;
}

/// `Tensor?[]`: an array of pointers to handles; a null pointer (or null handle) is None.
inline c10::List<c10::optional<at::Tensor>> optional_tensor_list(const AtenTensorHandle* const* handles,
                                                                 int64_t length, const char* what) {
  c10::List<c10::optional<at::Tensor>> list;
  for (const AtenTensorHandle* h : array(handles, length, what)) list.push_back(optional_tensor(h));
  return list;
}

/// `Scalar?[]`: an array of pointers to values; a null pointer is None.
inline c10::List<c10::optional<at::Scalar>> optional_scalar_list(const double* const* values, int64_t length,
                                                                 const char* what) {
  c10::List<c10::optional<at::Scalar>> list;
  for (const double* v : array(values, length, what)) list.push_back(optional_scalar(v));
  return list;
}

/// A `Tensor[]` return (aotic's extension of the C shim): the caller passes room for exactly as many
/// handles as the op returns.
inline void set_outputs(AtenTensorHandle* out, int64_t length, std::vector<at::Tensor> tensors,
                        const char* what) {
  if (length != static_cast<int64_t>(tensors.size())) {
    throw ShimError(std::string("'") + what + "' has room for " + std::to_string(length) +
                    " tensors, the op returns " + std::to_string(tensors.size()));
  }
  if (length > 0 && out == nullptr) throw ShimError(std::string("null output pointer '") + what + "'");
  for (size_t i = 0; i < tensors.size(); ++i) out[i] = new_handle(std::move(tensors[i]));
}

/// A non-tensor return (int, float, bool).
template <typename C, typename V>
void set_value(C* out, const V& value, const char* what) {
  if (out == nullptr) throw ShimError(std::string("null output pointer '") + what + "'");
  *out = static_cast<C>(value);
}

}  // namespace aotic::shim::arg

namespace aotic::shim::compat {

/// aten::_native_batch_norm_legit_no_training: batch norm in eval mode; returns (out, empty, empty)
/// like PyTorch 2.11 on CPU.
std::tuple<at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit_no_training(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, double momentum, double eps);

/// aten::rms_norm: input * rsqrt(mean(input^2 over the normalized dims) + eps) * weight, computed in
/// float for half/bfloat16 input; eps defaults to the epsilon of that computation type.
/// 2.11 also asserts device and layout; each property is checked only where given.
void _assert_tensor_metadata(const at::Tensor& a, at::OptionalIntArrayRef size,
                             at::OptionalIntArrayRef stride, c10::optional<at::ScalarType> dtype,
                             c10::optional<at::Device> device, c10::optional<at::Layout> layout);

/// squeeze over several dimensions (1.13 squeezes one at a time): each listed dimension of size 1.
at::Tensor squeeze_dims(const at::Tensor& self, at::IntArrayRef dim);

at::Tensor rms_norm(const at::Tensor& input, at::IntArrayRef normalized_shape,
                    const c10::optional<at::Tensor>& weight, c10::optional<double> eps);

/// aten::scaled_dot_product_attention: libtorch's own op where it has one (PyTorch 2.x, with its
/// fused kernels), else PyTorch 2.11's math path (scale defaults to 1/sqrt(E); a bool mask keeps
/// the true positions, a float mask is added; is_causal masks above the diagonal; enable_gqa
/// repeats key/value heads; rows with every position masked give 0). A call libtorch's op fails
/// takes the math path, whose own checks report a bad call.
at::Tensor scaled_dot_product_attention(const at::Tensor& query, const at::Tensor& key,
                                        const at::Tensor& value, const c10::optional<at::Tensor>& attn_mask,
                                        double dropout_p, bool is_causal, c10::optional<double> scale,
                                        bool enable_gqa);

/// aten::var_mean.correction with 2.11's Scalar correction (1.13 takes an int).
std::tuple<at::Tensor, at::Tensor> var_mean_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                                                       const c10::optional<at::Scalar>& correction,
                                                       bool keepdim);

/// aten::_assert_scalar: fails with assert_msg when the value is zero (false).
void _assert_scalar(const at::Scalar& self, c10::string_view assert_msg);

/// Training-mode batch norm (libtorch 1.13 has only native_batch_norm): normalizes with the batch
/// statistics and updates running_mean / running_var in place, or, when `training` is false, uses
/// them and returns empty save_mean / save_invstd like PyTorch 2.11 on CPU.
std::tuple<at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, bool training, double momentum,
    double eps);

/// The functional form: the running statistics are updated in copies, returned after the others.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> _native_batch_norm_legit_functional(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, bool training, double momentum,
    double eps);

/// aten::_batch_norm_with_update: training-mode batch norm updating the running statistics in place;
/// the fourth result is the (empty, uint8) reserve of the CPU kernel.
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> _batch_norm_with_update(
    const at::Tensor& input, const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& running_mean, const at::Tensor& running_var, double momentum, double eps);

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor>
_batch_norm_with_update_functional(const at::Tensor& input, const c10::optional<at::Tensor>& weight,
                                   const c10::optional<at::Tensor>& bias, const at::Tensor& running_mean,
                                   const at::Tensor& running_var, double momentum, double eps);

/// aten::_chunk_cat: each tensor is zero-padded along `dim` to a multiple of num_chunks, viewed as
/// [..., num_chunks, -1] and the results concatenated along dim + 1.
at::Tensor _chunk_cat(at::TensorList tensors, int64_t dim, int64_t num_chunks);

/// aten::_safe_softmax: softmax, with 0 for the rows whose every element is -inf.
at::Tensor _safe_softmax(const at::Tensor& self, int64_t dim, c10::optional<at::ScalarType> dtype);

/// aten::_unsafe_masked_index: where(mask, self[indices], fill), the indices clamped into range (the
/// masked-out ones may be out of bounds).
at::Tensor _unsafe_masked_index(const at::Tensor& self, const at::Tensor& mask,
                                const c10::List<c10::optional<at::Tensor>>& indices, const at::Scalar& fill);

/// aten::_unsafe_masked_index_put_accumulate: index_put(accumulate=True) of values where mask holds.
at::Tensor _unsafe_masked_index_put_accumulate(const at::Tensor& self, const at::Tensor& mask,
                                               const c10::List<c10::optional<at::Tensor>>& indices,
                                               const at::Tensor& values);

/// aten::any.dims: any over several dimensions (all of them for None or an empty list).
at::Tensor any_dims(const at::Tensor& self, at::OptionalIntArrayRef dim, bool keepdim);

/// aten::copy (the functional copy_): a new tensor with self's sizes and strides holding src's
/// values. 1.13's at::copy returns src converted and expanded instead, an alias of src.
at::Tensor copy(const at::Tensor& self, const at::Tensor& src, bool non_blocking);

/// aten::empty_permuted: an uninitialized tensor of `size` whose memory is laid out in the order of
/// physical_layout.
at::Tensor empty_permuted(at::IntArrayRef size, at::IntArrayRef physical_layout,
                          c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                          c10::optional<at::Device> device, c10::optional<bool> pin_memory);

/// linspace / logspace with 0-dim tensor endpoints (1.13 takes Scalars only).
at::Tensor linspace_Scalar_Tensor(const at::Scalar& start, const at::Tensor& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);
at::Tensor linspace_Tensor_Scalar(const at::Tensor& start, const at::Scalar& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);
at::Tensor linspace_Tensor_Tensor(const at::Tensor& start, const at::Tensor& end, int64_t steps,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);
at::Tensor logspace_Scalar_Tensor(const at::Scalar& start, const at::Tensor& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);
at::Tensor logspace_Tensor_Scalar(const at::Tensor& start, const at::Scalar& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);
at::Tensor logspace_Tensor_Tensor(const at::Tensor& start, const at::Tensor& end, int64_t steps, double base,
                                  c10::optional<at::ScalarType> dtype, c10::optional<at::Layout> layout,
                                  c10::optional<at::Device> device, c10::optional<bool> pin_memory);

/// aten::nonzero_static: the indices of the nonzero elements, truncated or padded with fill_value to
/// `size` rows.
at::Tensor nonzero_static(const at::Tensor& self, int64_t size, int64_t fill_value);

/// aten::stft without center (1.13 lacks align_to_window, which only the default false is accepted for).
at::Tensor stft(const at::Tensor& self, int64_t n_fft, c10::optional<int64_t> hop_length,
                c10::optional<int64_t> win_length, const c10::optional<at::Tensor>& window, bool normalized,
                c10::optional<bool> onesided, c10::optional<bool> return_complex,
                c10::optional<bool> align_to_window);

/// aten::var / std / std_mean .correction with 2.11's Scalar correction (1.13 takes an int).
at::Tensor var_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                          const c10::optional<at::Scalar>& correction, bool keepdim);
at::Tensor std_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                          const c10::optional<at::Scalar>& correction, bool keepdim);
std::tuple<at::Tensor, at::Tensor> std_mean_correction(const at::Tensor& self, at::OptionalIntArrayRef dim,
                                                       const c10::optional<at::Scalar>& correction,
                                                       bool keepdim);

/// aten::mkldnn_reorder_conv2d_weight: an MKLDNN weight in the blocked layout oneDNN's convolution
/// reads. 2.11's input_size hint is not passed on (1.13 has no such argument).
at::Tensor mkldnn_reorder_conv2d_weight(const at::Tensor& self, at::IntArrayRef padding,
                                        at::IntArrayRef stride, at::IntArrayRef dilation, int64_t groups,
                                        at::OptionalIntArrayRef input_size);

// shim/src/mkldnn_ops.cc: PyTorch's oneDNN ops (namespace mkldnn), called through the dispatcher
// where libtorch registers them (PyTorch 2.x built with oneDNN). Elsewhere (1.13) the same result
// comes from aten's mkldnn_convolution (an MKLDNN weight) or convolution, then the post-ops. The
// result has the input's memory format.

/// mkldnn::_convolution_pointwise: a convolution with a unary post-op `attr` ("none", "relu",
/// "sigmoid", "tanh", "hardswish", "hardsigmoid", "swish", "gelu" with `algorithm`, "leaky_relu"
/// and "hardtanh" with `scalars`).
at::Tensor mkldnn__convolution_pointwise(const at::Tensor& X, const at::Tensor& W,
                                         const c10::optional<at::Tensor>& B, at::IntArrayRef padding,
                                         at::IntArrayRef stride, at::IntArrayRef dilation, int64_t groups,
                                         c10::string_view attr,
                                         const c10::List<c10::optional<at::Scalar>>& scalars,
                                         const c10::optional<c10::string_view>& algorithm);

/// mkldnn::_convolution_pointwise.binary: binary_attr ("add", "sub", "mul", "div") of the
/// convolution and `other`, then the unary post-op.
at::Tensor mkldnn__convolution_pointwise_binary(const at::Tensor& X, const at::Tensor& other,
                                                const at::Tensor& W, const c10::optional<at::Tensor>& B,
                                                at::IntArrayRef padding, at::IntArrayRef stride,
                                                at::IntArrayRef dilation, int64_t groups,
                                                c10::string_view binary_attr,
                                                const c10::optional<at::Scalar>& alpha,
                                                const c10::optional<c10::string_view>& unary_attr,
                                                const c10::List<c10::optional<at::Scalar>>& unary_scalars,
                                                const c10::optional<c10::string_view>& unary_algorithm);

/// mkldnn::_convolution_pointwise_.binary: the same, written into `other`, which it returns.
at::Tensor mkldnn__convolution_pointwise_binary_(const at::Tensor& other, const at::Tensor& X,
                                                 const at::Tensor& W, const c10::optional<at::Tensor>& B,
                                                 at::IntArrayRef padding, at::IntArrayRef stride,
                                                 at::IntArrayRef dilation, int64_t groups,
                                                 c10::string_view binary_attr,
                                                 const c10::optional<at::Scalar>& alpha,
                                                 const c10::optional<c10::string_view>& unary_attr,
                                                 const c10::List<c10::optional<at::Scalar>>& unary_scalars,
                                                 const c10::optional<c10::string_view>& unary_algorithm);

/// mkl::_mkl_reorder_linear_weight: a linear's weight [N, K] packed by MKL for inputs of
/// batch_size rows (an MKLDNN tensor over MKL's buffer). Where libtorch has no MKL, the weight as
/// it is.
at::Tensor mkl__mkl_reorder_linear_weight(const at::Tensor& X, int64_t batch_size);

/// mkl::_mkl_linear: linear(X, ORI_W, B), through MKL's packed product over MKL_W when X has
/// batch_size rows (all dimensions but the last) and MKL_W was packed; libtorch's linear otherwise.
at::Tensor mkl__mkl_linear(const at::Tensor& X, const at::Tensor& MKL_W, const at::Tensor& ORI_W,
                           const c10::optional<at::Tensor>& B, int64_t batch_size);

}  // namespace aotic::shim::compat
