#include "eager/kernel_library.h"

#include <dlfcn.h>

#include "aotic/runtime/interface.h"
#include "ir/error.h"

namespace aotic::eager {

struct KernelLibrary::Api {
  decltype(&AOTInductorModelContainerCreateWithDevice) create = nullptr;
  decltype(&AOTInductorModelContainerDelete) destroy = nullptr;
  decltype(&AOTInductorModelContainerRun) run = nullptr;
  decltype(&AOTInductorModelContainerGetNumInputs) num_inputs = nullptr;
  decltype(&AOTInductorModelContainerGetNumOutputs) num_outputs = nullptr;
  decltype(&aotic_model_last_error) last_error = nullptr;

  std::string message() const {
    const char* text = last_error != nullptr ? last_error() : nullptr;
    return text != nullptr && *text != '\0' ? text : "no message";
  }
};

namespace {

template <typename F>
void resolve(void* handle, const char* name, F& out, const std::string& path) {
  out = reinterpret_cast<F>(::dlsym(handle, name));
  if (out == nullptr) user_error("{}: not an aotic model.so: no {}", path, name);
}

}  // namespace

std::unique_ptr<KernelLibrary> KernelLibrary::load(const std::string& path) {
  std::unique_ptr<KernelLibrary> lib(new KernelLibrary());
  lib->path_ = path;
  lib->handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* why = ::dlerror();
    user_error("{}: cannot load: {}", path, why != nullptr ? why : "dlopen failed");
  }
  lib->api_ = std::make_unique<Api>();
  Api& api = *lib->api_;
  resolve(lib->handle_, "AOTInductorModelContainerCreateWithDevice", api.create, path);
  resolve(lib->handle_, "AOTInductorModelContainerDelete", api.destroy, path);
  resolve(lib->handle_, "AOTInductorModelContainerRun", api.run, path);
  resolve(lib->handle_, "AOTInductorModelContainerGetNumInputs", api.num_inputs, path);
  resolve(lib->handle_, "AOTInductorModelContainerGetNumOutputs", api.num_outputs, path);
  resolve(lib->handle_, "aotic_model_last_error", api.last_error, path);

  AOTInductorModelContainerHandle container = nullptr;
  if (api.create(&container, 1, "cpu", nullptr) != AOTI_RUNTIME_SUCCESS) {
    user_error("{}: cannot create the model: {}", path, api.message());
  }
  lib->container_ = container;
  if (api.num_inputs(container, &lib->num_inputs_) != AOTI_RUNTIME_SUCCESS ||
      api.num_outputs(container, &lib->num_outputs_) != AOTI_RUNTIME_SUCCESS) {
    user_error("{}: cannot read the model's inputs and outputs: {}", path, api.message());
  }
  return lib;
}

KernelLibrary::~KernelLibrary() {
  if (container_ != nullptr) api_->destroy(static_cast<AOTInductorModelContainerHandle>(container_));
  // Not dlclose()d: the library may have registered thread-local state with the C++ runtime, and
  // kernels live as long as their registration, usually the process.
}

std::vector<at::Tensor> KernelLibrary::run(const std::vector<at::Tensor>& inputs) const {
  if (inputs.size() != num_inputs_) {
    user_error("{}: {} inputs given, the kernel takes {}", path_, inputs.size(), num_inputs_);
  }
  std::vector<AtenTensorHandle> in(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    in[i] = reinterpret_cast<AtenTensorHandle>(new at::Tensor(inputs[i]));
  std::vector<AtenTensorHandle> out(num_outputs_, nullptr);
  // Run steals the input handles, also when it fails.
  const AOTIRuntimeError status = api_->run(static_cast<AOTInductorModelContainerHandle>(container_),
                                            in.data(), in.size(), out.data(), out.size(), nullptr, nullptr);
  std::vector<at::Tensor> results;
  results.reserve(out.size());
  for (AtenTensorHandle h : out) {
    if (h == nullptr) continue;
    auto* t = reinterpret_cast<at::Tensor*>(h);
    results.push_back(std::move(*t));
    delete t;
  }
  if (status != AOTI_RUNTIME_SUCCESS) user_error("{}: run failed: {}", path_, api_->message());
  AOTIC_CHECK(results.size() == num_outputs_, "eager cache: the kernel returned a null output: " + path_);
  return results;
}

}  // namespace aotic::eager
