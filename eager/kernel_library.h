// One compiled kernel: a model.so opened with dlopen and run through the AOTInductor container
// interface (runtime/include/aotic/runtime/interface.h), with at::Tensor in and out.
//
// Tensor handles are passed as the bundled shim makes them (an AtenTensorHandle is an at::Tensor*,
// shim/src/shim_internal.h), which holds because the eager cache builds every kernel with the
// bundled shim against this process's libtorch.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace aotic::eager {

class KernelLibrary {
 public:
  /// Opens `path` and creates a container of one model instance on the CPU. Throws UserError
  /// naming the file when it is not a loadable model.so.
  static std::unique_ptr<KernelLibrary> load(const std::string& path);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary&) = delete;
  KernelLibrary& operator=(const KernelLibrary&) = delete;

  size_t num_inputs() const { return num_inputs_; }
  size_t num_outputs() const { return num_outputs_; }
  /// Runs the kernel; thread-safe (the container serialises its one instance). Throws UserError
  /// with the model's message when the run fails.
  std::vector<at::Tensor> run(const std::vector<at::Tensor>& inputs) const;

 private:
  struct Api;
  KernelLibrary() = default;
  std::string path_;
  void* handle_ = nullptr;
  std::unique_ptr<Api> api_;
  void* container_ = nullptr;
  size_t num_inputs_ = 0;
  size_t num_outputs_ = 0;
};

}  // namespace aotic::eager
