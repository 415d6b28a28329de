// PyTorch's oneDNN convolution ops for the C shim (aoti_torch_cpu_mkldnn__convolution_pointwise
// and its .binary form, declared in shim/src/compat_ops.h) and the weight reorder they read.
// codegen/passes/pack_conv_weights.cc emits them: the weight reordered once, in fold(), into
// oneDNN's blocked layout; each run then calls the convolution with its post-ops fused.
// Likewise MKL's packed linear (aoti_torch_cpu__mkl_linear, as PyTorch's shim has it, and
// aoti_torch_cpu__mkl_reorder_linear_weight, the packing).
//
// libtorch registers mkldnn::_convolution_pointwise (PyTorch 2.x built with oneDNN); the call goes
// through the dispatcher, boxed, so that it does not depend on the C++ signature of one version.
// Where the op is missing (libtorch 1.13) the same result comes from aten's convolution on the
// weight's dense form (made once per weight), and the post-ops are applied after it.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "shim/src/compat_ops.h"

namespace aotic::shim::compat {
namespace {

/// The op `name`.`overload` when libtorch has a CPU kernel for it.
c10::optional<c10::OperatorHandle> cpu_op(const char* name, const char* overload) {
  c10::optional<c10::OperatorHandle> op = c10::Dispatcher::singleton().findOp({name, overload});
  if (op && op->hasKernelForDispatchKey(c10::DispatchKey::CPU)) return op;
  return c10::nullopt;
}

c10::IValue optional_string(const c10::optional<c10::string_view>& s) {
  if (!s) return c10::IValue();
  return c10::IValue(std::string(s->data(), s->size()));
}

/// The result in the input's memory format (oneDNN may answer channels-last for a contiguous input
/// when the weight is reordered); a copy only when they differ.
at::Tensor like_input(const at::Tensor& X, const at::Tensor& y) {
  const at::MemoryFormat format = X.suggest_memory_format();
  return y.is_contiguous(format) ? y : y.contiguous(format);
}

/// The dense form of a reordered (MKLDNN) weight in memory format `format`, made once per weight
/// and format: without the mkldnn ops aten's own convolution on a dense weight is the fastest path
/// (libtorch 1.13's mkldnn_convolution on the reordered one measured 0.14 against 0.10 ms for
/// small_cnn). Entries hold the weight weakly and go when it does.
at::Tensor dense_weight(const at::Tensor& W, at::MemoryFormat format) {
  struct Entry {
    c10::weak_intrusive_ptr<c10::TensorImpl> packed;
    at::Tensor dense;
  };
  static std::mutex mutex;
  static std::map<std::pair<const c10::TensorImpl*, at::MemoryFormat>, Entry> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(static_cast<const c10::TensorImpl*>(W.unsafeGetTensorImpl()), format);
  auto it = cache.find(key);
  if (it != cache.end() && !it->second.packed.expired() &&
      it->second.packed._unsafe_get_target() == W.unsafeGetTensorImpl())
    return it->second.dense;
  for (auto e = cache.begin(); e != cache.end();)
    e = e->second.packed.expired() ? cache.erase(e) : std::next(e);
  at::Tensor dense = W.to_dense();
  if (dense.dim() == 5) dense = dense.flatten(0, 1);  // a grouped weight: [g, o/g, i/g, h, w]
  dense = dense.contiguous(format);
  cache.erase(key);
  cache.emplace(key, Entry{c10::weak_intrusive_ptr<c10::TensorImpl>(W.getIntrusivePtr()), dense});
  return dense;
}

at::Tensor convolution(const at::Tensor& X, const at::Tensor& W, const c10::optional<at::Tensor>& B,
                       at::IntArrayRef padding, at::IntArrayRef stride, at::IntArrayRef dilation,
                       int64_t groups) {
  const at::Tensor weight = W.is_mkldnn() ? dense_weight(W, X.suggest_memory_format()) : W;
  const std::vector<int64_t> output_padding(padding.size(), 0);
  return at::convolution(X, weight, B, stride, padding, dilation, false, output_padding, groups);
}

at::Scalar scalar_at(const c10::List<c10::optional<at::Scalar>>& scalars, size_t i, const std::string& attr) {
  if (scalars.size() <= i || !scalars.get(i).has_value()) {
    throw ShimError("post-op '" + attr + "' needs " + std::to_string(i + 1) + " scalar(s)");
  }
  return *scalars.get(i);
}

/// Post-ops are checked before either path runs, so a bad name fails the same way everywhere.
void check_post_ops(const std::string& unary_attr, const std::string* binary_attr) {
  static const std::set<std::string> kUnary = {"none", "",           "relu",        "sigmoid",
                                               "tanh", "hardswish",  "hardsigmoid", "swish",
                                               "gelu", "leaky_relu", "hardtanh"};
  if (kUnary.count(unary_attr) == 0) throw ShimError("unknown convolution post-op '" + unary_attr + "'");
  if (binary_attr != nullptr && *binary_attr != "add" && *binary_attr != "sub" && *binary_attr != "mul" &&
      *binary_attr != "div")
    throw ShimError("unknown convolution binary post-op '" + *binary_attr + "'");
}

/// The unary post-op `attr` applied to `y` (the fallback path).
at::Tensor unary(at::Tensor y, const std::string& attr, const c10::List<c10::optional<at::Scalar>>& scalars,
                 const c10::optional<c10::string_view>& algorithm) {
  if (attr == "none" || attr.empty()) return y;
  if (attr == "relu") return y.relu_();
  if (attr == "sigmoid") return y.sigmoid_();
  if (attr == "tanh") return y.tanh_();
  if (attr == "hardswish") return at::hardswish_(y);
  if (attr == "hardsigmoid") return at::hardsigmoid_(y);
  if (attr == "swish") return at::silu_(y);
  if (attr == "gelu") return at::gelu(y, algorithm ? *algorithm : c10::string_view("none"));
  if (attr == "leaky_relu") return at::leaky_relu_(y, scalar_at(scalars, 0, attr));
  if (attr == "hardtanh") return at::hardtanh_(y, scalar_at(scalars, 0, attr), scalar_at(scalars, 1, attr));
  throw ShimError("unknown convolution post-op '" + attr + "'");
}

}  // namespace

at::Tensor mkldnn_reorder_conv2d_weight(const at::Tensor& self, at::IntArrayRef padding,
                                        at::IntArrayRef stride, at::IntArrayRef dilation, int64_t groups,
                                        at::OptionalIntArrayRef /*input_size*/) {
  return at::mkldnn_reorder_conv2d_weight(self, padding, stride, dilation, groups);
}

at::Tensor mkldnn__convolution_pointwise(const at::Tensor& X, const at::Tensor& W,
                                         const c10::optional<at::Tensor>& B, at::IntArrayRef padding,
                                         at::IntArrayRef stride, at::IntArrayRef dilation, int64_t groups,
                                         c10::string_view attr,
                                         const c10::List<c10::optional<at::Scalar>>& scalars,
                                         const c10::optional<c10::string_view>& algorithm) {
  static const c10::optional<c10::OperatorHandle> op = cpu_op("mkldnn::_convolution_pointwise", "");
  check_post_ops(std::string(attr.data(), attr.size()), nullptr);
  if (op) {
    torch::jit::Stack stack{X,       W,
                            B,       padding,
                            stride,  dilation,
                            groups,  std::string(attr.data(), attr.size()),
                            scalars, optional_string(algorithm)};
    op->callBoxed(&stack);
    return like_input(X, stack.at(0).toTensor());
  }
  at::Tensor y = convolution(X, W, B, padding, stride, dilation, groups);
  return like_input(X, unary(std::move(y), std::string(attr.data(), attr.size()), scalars, algorithm));
}

at::Tensor mkldnn__convolution_pointwise_binary(const at::Tensor& X, const at::Tensor& other,
                                                const at::Tensor& W, const c10::optional<at::Tensor>& B,
                                                at::IntArrayRef padding, at::IntArrayRef stride,
                                                at::IntArrayRef dilation, int64_t groups,
                                                c10::string_view binary_attr,
                                                const c10::optional<at::Scalar>& alpha,
                                                const c10::optional<c10::string_view>& unary_attr,
                                                const c10::List<c10::optional<at::Scalar>>& unary_scalars,
                                                const c10::optional<c10::string_view>& unary_algorithm) {
  static const c10::optional<c10::OperatorHandle> op = cpu_op("mkldnn::_convolution_pointwise", "binary");
  const std::string binary(binary_attr.data(), binary_attr.size());
  const std::string u = unary_attr ? std::string(unary_attr->data(), unary_attr->size()) : "none";
  check_post_ops(u, &binary);
  if (op) {
    torch::jit::Stack stack{X,
                            other,
                            W,
                            B,
                            padding,
                            stride,
                            dilation,
                            groups,
                            binary,
                            alpha ? c10::IValue(*alpha) : c10::IValue(),
                            optional_string(unary_attr),
                            unary_scalars,
                            optional_string(unary_algorithm)};
    op->callBoxed(&stack);
    return like_input(X, stack.at(0).toTensor());
  }
  at::Tensor y = convolution(X, W, B, padding, stride, dilation, groups);
  const at::Scalar a = alpha ? *alpha : at::Scalar(1);
  if (binary == "add") {
    y.add_(other, a);
  } else if (binary == "sub") {
    y.sub_(other, a);
  } else if (binary == "mul") {
    y.mul_(other);
  } else {  // div (check_post_ops)
    y.div_(other);
  }
  return like_input(X, unary(std::move(y), u, unary_scalars, unary_algorithm));
}

at::Tensor mkldnn__convolution_pointwise_binary_(const at::Tensor& other, const at::Tensor& X,
                                                 const at::Tensor& W, const c10::optional<at::Tensor>& B,
                                                 at::IntArrayRef padding, at::IntArrayRef stride,
                                                 at::IntArrayRef dilation, int64_t groups,
                                                 c10::string_view binary_attr,
                                                 const c10::optional<at::Scalar>& alpha,
                                                 const c10::optional<c10::string_view>& unary_attr,
                                                 const c10::List<c10::optional<at::Scalar>>& unary_scalars,
                                                 const c10::optional<c10::string_view>& unary_algorithm) {
  static const c10::optional<c10::OperatorHandle> op = cpu_op("mkldnn::_convolution_pointwise_", "binary");
  if (op) {
    const std::string binary(binary_attr.data(), binary_attr.size());
    const std::string u = unary_attr ? std::string(unary_attr->data(), unary_attr->size()) : "none";
    check_post_ops(u, &binary);
    torch::jit::Stack stack{other,
                            X,
                            W,
                            B,
                            padding,
                            stride,
                            dilation,
                            groups,
                            binary,
                            alpha ? c10::IValue(*alpha) : c10::IValue(),
                            optional_string(unary_attr),
                            unary_scalars,
                            optional_string(unary_algorithm)};
    op->callBoxed(&stack);
    return other;
  }
  // Without the in-place op: the out-of-place result, written into `other`.
  at::Tensor result =
      mkldnn__convolution_pointwise_binary(X, other, W, B, padding, stride, dilation, groups, binary_attr,
                                           alpha, unary_attr, unary_scalars, unary_algorithm);
  at::Tensor updated = other;
  updated.copy_(result);
  return updated;
}

at::Tensor mkl__mkl_reorder_linear_weight(const at::Tensor& X, int64_t batch_size) {
  static const c10::optional<c10::OperatorHandle> op = cpu_op("mkl::_mkl_reorder_linear_weight", "");
  if (!op) return X;  // mkl__mkl_linear reads the original weight then
  torch::jit::Stack stack{X, batch_size};
  op->callBoxed(&stack);
  return stack.at(0).toTensor();
}

at::Tensor mkl__mkl_linear(const at::Tensor& X, const at::Tensor& MKL_W, const at::Tensor& ORI_W,
                           const c10::optional<at::Tensor>& B, int64_t batch_size) {
  static const c10::optional<c10::OperatorHandle> op = cpu_op("mkl::_mkl_linear", "");
  if (X.dim() < 1 || ORI_W.dim() != 2 || X.size(-1) != ORI_W.size(1)) {
    throw ShimError("_mkl_linear: input of sizes " + c10::str(X.sizes()) + " and weight of sizes " +
                    c10::str(ORI_W.sizes()) + " do not multiply");
  }
  // MKL_W is packed only when the reorder ran through MKL; the op reads it only then (and only for
  // an input of batch_size rows; other inputs take the original weight).
  if (op && MKL_W.is_mkldnn()) {
    torch::jit::Stack stack{X, MKL_W, ORI_W, B, batch_size};
    op->callBoxed(&stack);
    return stack.at(0).toTensor();
  }
  return at::linear(X, ORI_W, B);
}

}  // namespace aotic::shim::compat
