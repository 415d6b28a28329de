// A small C++ API over a compiled model's C interface, for services that link a model.so (for
// example through the aotic_model Bazel rule, whose generated header derives a class from
// ModelApi). Header-only; uses only the model.so's interface and the C shim.
//
//   aotic_models::mlp model(/*instances=*/2);
//   aotic::Tensor x = aotic::Tensor::empty({8, 64});
//   std::fill_n(x.data<float>(), 8 * 64, 0.5f);
//   std::vector<aotic::Tensor> outputs = model.run({std::move(x)});
//
// One process can link one model.so this way (every model.so exports the same C symbols); load
// several with dlopen instead.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aotic/runtime/interface.h"

namespace aotic {

/// A failure reported by the model or the shim.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An owned tensor handle.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(AtenTensorHandle handle) : handle_(handle) {}
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  Tensor(Tensor&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~Tensor() { reset(); }

  /// A new contiguous CPU tensor (uninitialised). dtype: a shim code, e.g. aoti_torch_dtype_float32().
  static Tensor empty(const std::vector<int64_t>& sizes, int32_t dtype = aoti_torch_dtype_float32()) {
    std::vector<int64_t> strides(sizes.size(), 1);
    for (size_t i = sizes.size(); i > 1; --i)
      strides[i - 2] = strides[i - 1] * (sizes[i - 1] > 1 ? sizes[i - 1] : 1);
    AtenTensorHandle h = nullptr;
    if (aoti_torch_empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(), strides.data(), dtype,
                                 aoti_torch_device_type_cpu(), 0, &h) != AOTI_TORCH_SUCCESS) {
      throw ModelError("aoti_torch_empty_strided failed");
    }
    return Tensor(h);
  }

  AtenTensorHandle get() const { return handle_; }
  AtenTensorHandle release() { return std::exchange(handle_, nullptr); }

  std::vector<int64_t> sizes() const {
    int64_t dim = 0;
    int64_t* sizes = nullptr;
    check(aoti_torch_get_dim(handle_, &dim));
    check(aoti_torch_get_sizes(handle_, &sizes));
    return std::vector<int64_t>(sizes, sizes + dim);
  }
  int32_t dtype() const {
    int32_t dtype = 0;
    check(aoti_torch_get_dtype(handle_, &dtype));
    return dtype;
  }
  int64_t numel() const {
    int64_t n = 0;
    check(aoti_torch_get_numel(handle_, &n));
    return n;
  }
  /// The data pointer (model outputs are contiguous unless the model says otherwise: check
  /// strides before indexing).
  template <typename T>
  T* data() const {
    void* p = nullptr;
    check(aoti_torch_get_data_ptr(handle_, &p));
    return static_cast<T*>(p);
  }

 private:
  static void check(AOTITorchError e) {
    if (e != AOTI_TORCH_SUCCESS) throw ModelError("a tensor query failed");
  }
  void reset() {
    if (handle_ != nullptr) aoti_torch_delete_tensor_object(handle_);
    handle_ = nullptr;
  }
  AtenTensorHandle handle_ = nullptr;
};

/// The model container of the linked model.so: `instances` copies serve concurrent run() calls.
class ModelApi {
 public:
  explicit ModelApi(size_t instances = 1, const char* device = "cpu") {
    check(AOTInductorModelContainerCreateWithDevice(&container_, instances, device, nullptr));
  }
  ModelApi(const ModelApi&) = delete;
  ModelApi& operator=(const ModelApi&) = delete;
  ~ModelApi() {
    if (container_ != nullptr) AOTInductorModelContainerDelete(container_);
  }

  /// Runs once; the inputs are consumed. Throws ModelError with the model's message (e.g.
  /// "input 0 'x': size 0 is 2000, allowed 1..1024").
  std::vector<Tensor> run(std::vector<Tensor> inputs) const {
    std::vector<AtenTensorHandle> in;
    in.reserve(inputs.size());
    for (Tensor& t : inputs) in.push_back(t.release());
    std::vector<AtenTensorHandle> out(num_outputs(), nullptr);
    check(AOTInductorModelContainerRun(container_, in.data(), in.size(), out.data(), out.size(), nullptr,
                                       nullptr));
    std::vector<Tensor> outputs;
    outputs.reserve(out.size());
    for (AtenTensorHandle h : out) outputs.emplace_back(h);
    return outputs;
  }

  size_t num_inputs() const {
    size_t n = 0;
    check(AOTInductorModelContainerGetNumInputs(container_, &n));
    return n;
  }
  size_t num_outputs() const {
    size_t n = 0;
    check(AOTInductorModelContainerGetNumOutputs(container_, &n));
    return n;
  }
  std::string input_name(size_t i) const {
    const char* name = nullptr;
    check(AOTInductorModelContainerGetInputName(container_, i, &name));
    return name;
  }
  std::string output_name(size_t i) const {
    const char* name = nullptr;
    check(AOTInductorModelContainerGetOutputName(container_, i, &name));
    return name;
  }

 private:
  static void check(AOTIRuntimeError e) {
    if (e != AOTI_RUNTIME_SUCCESS) throw ModelError(aotic_model_last_error());
  }
  AOTInductorModelContainerHandle container_ = nullptr;
};

}  // namespace aotic
