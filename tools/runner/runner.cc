#include "tools/runner/runner.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "aotic/runtime/interface.h"
#include "ir/error.h"
#include "ir/safetensors.h"

namespace aotic::runner {

const char* const kRunUsage =
    "  run MODEL.so --inputs X.safetensors [--out Y.safetensors] [--check REF.safetensors]\n"
    "      [--rtol 1e-4] [--atol 1e-5] [--shim-lib libaotic_shim.so] [--device-index N]\n"
    "      Run a compiled model once on the tensors input_0, input_1, ... (or the model's input\n"
    "      names) of X and print each output. --out writes output_0, ... to Y; --check compares\n"
    "      them with REF (|got - expected| <= atol + rtol * |expected|; integers exactly) and\n"
    "      exits 1 on a mismatch. --shim-lib provides the shim to a model built with --shim=host.\n"
    "      A model compiled with --device cuda runs on GPU --device-index (default 0).\n";
const char* const kBenchUsage =
    "  bench MODEL.so --inputs X.safetensors [--iters 100] [--warmup 10] [--threads 1]\n"
    "      [--instances 1] [--intra-op-threads N] [--shim-lib libaotic_shim.so] [--device-index N]\n"
    "      Time a compiled model: latency p50/p90/p99 of single runs, throughput of --threads\n"
    "      client threads on a container of --instances model instances, peak memory.\n"
    "      --intra-op-threads sets the threads one run uses (OpenMP pool and OpenBLAS);\n"
    "      --threads sets concurrent callers.\n";

// The functions of model.so (and the shim it uses) the runner calls, resolved with dlsym.
struct ModelApi {
  decltype(&AOTInductorModelContainerCreateWithDevice) create = nullptr;
  decltype(&AOTInductorModelContainerDelete) destroy = nullptr;
  decltype(&AOTInductorModelContainerRun) run = nullptr;
  decltype(&AOTInductorModelContainerGetNumInputs) get_num_inputs = nullptr;
  decltype(&AOTInductorModelContainerGetInputName) get_input_name = nullptr;
  decltype(&AOTInductorModelContainerGetNumOutputs) get_num_outputs = nullptr;
  decltype(&AOTInductorModelContainerGetOutputName) get_output_name = nullptr;
  decltype(&aotic_model_last_error) model_last_error = nullptr;  // optional (aotic only)
  decltype(&aotic_model_device) model_device = nullptr;          // optional (aotic only)

  decltype(&aoti_torch_empty_strided) empty_strided = nullptr;
  decltype(&aoti_torch_new_tensor_handle) new_tensor_handle = nullptr;
  decltype(&aoti_torch_delete_tensor_object) delete_tensor = nullptr;
  decltype(&aoti_torch_get_data_ptr) get_data_ptr = nullptr;
  decltype(&aoti_torch_get_dim) get_dim = nullptr;
  decltype(&aoti_torch_get_sizes) get_sizes = nullptr;
  decltype(&aoti_torch_get_strides) get_strides = nullptr;
  decltype(&aoti_torch_get_dtype) get_dtype = nullptr;
  decltype(&aoti_torch_get_device_type) get_device_type = nullptr;
  decltype(&aoti_torch_device_type_cpu) device_type_cpu = nullptr;
  decltype(&aoti_torch_device_type_cuda) device_type_cuda = nullptr;
  decltype(&aoti_torch_copy_) copy = nullptr;
  decltype(&aotic_shim_last_error) shim_last_error = nullptr;  // optional (aotic's shim only)
};

namespace {

using ir::DType;

// ---------------------------------------------------------------------------------------------
// dtypes

enum class Kind { kFloat, kSigned, kUnsigned, kBool, kOther };

Kind kind_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
      return Kind::kFloat;
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
      return Kind::kSigned;
    case DType::kUInt8:
    case DType::kUInt16:
      return Kind::kUnsigned;
    case DType::kBool:
      return Kind::kBool;
    default:
      return Kind::kOther;
  }
}

double half_to_double(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double value;
  if (exponent == 0) {
    value = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    value = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    value = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return sign ? -value : value;
}

double bfloat16_to_double(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

// One element as a double (floats, integers and bool).
double as_double(DType dtype, const uint8_t* p) {
  switch (dtype) {
    case DType::kFloat16:
      return half_to_double(load<uint16_t>(p));
    case DType::kBFloat16:
      return bfloat16_to_double(load<uint16_t>(p));
    case DType::kFloat32:
      return load<float>(p);
    case DType::kFloat64:
      return load<double>(p);
    case DType::kInt8:
      return load<int8_t>(p);
    case DType::kInt16:
      return load<int16_t>(p);
    case DType::kInt32:
      return load<int32_t>(p);
    case DType::kInt64:
      return static_cast<double>(load<int64_t>(p));
    case DType::kUInt8:
      return load<uint8_t>(p);
    case DType::kUInt16:
      return load<uint16_t>(p);
    case DType::kBool:
      return load<uint8_t>(p) != 0 ? 1.0 : 0.0;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

// One element as exact text.
std::string element_text(DType dtype, const uint8_t* p) {
  switch (kind_of(dtype)) {
    case Kind::kFloat:
      return fmt::format("{:.7g}", as_double(dtype, p));
    case Kind::kSigned:
      return std::to_string(dtype == DType::kInt64 ? load<int64_t>(p)
                                                   : static_cast<int64_t>(as_double(dtype, p)));
    case Kind::kUnsigned:
      return std::to_string(static_cast<uint64_t>(as_double(dtype, p)));
    case Kind::kBool:
      return load<uint8_t>(p) != 0 ? "true" : "false";
    case Kind::kOther:
      break;
  }
  std::string hex = "0x";
  for (size_t i = ir::dtype_itemsize(dtype); i-- > 0;) hex += fmt::format("{:02x}", p[i]);
  return hex;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  return "[" + fmt::format("{}", fmt::join(shape, ", ")) + "]";
}

std::string index_text(const std::vector<int64_t>& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return shape_text(index);
}

// ---------------------------------------------------------------------------------------------
// Loading

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
}

// Resolves `name` in model.so and its dependencies, else in the process (a model.so built for
// PyTorch's host takes the shim from the process). Null when absent.
void* find_symbol(void* library, const char* name) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) symbol = dlsym(RTLD_DEFAULT, name);
  return symbol;
}

template <typename F>
void resolve(void* library, const std::string& path, const char* name, F* out, bool required = true) {
  *out = reinterpret_cast<F>(find_symbol(library, name));
  if (*out == nullptr && required) {
    user_error("{}: not an aotic/AOTInductor model.so: missing symbol '{}'", path, name);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// HostTensor, dtype codes, TensorHandles

namespace {

/// Row-major strides for `sizes` (a dimension of size 0 counts as 1).
std::vector<int64_t> contiguous_strides(const int64_t* sizes, int64_t rank) {
  std::vector<int64_t> strides(static_cast<size_t>(rank));
  int64_t stride = 1;
  for (int64_t d = rank; d-- > 0;) {
    strides[static_cast<size_t>(d)] = stride;
    stride *= std::max<int64_t>(sizes[d], 1);
  }
  return strides;
}

}  // namespace

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

TensorHandles::TensorHandles(TensorHandles&& other) noexcept
    : api_(other.api_), handles_(std::move(other.handles_)) {
  other.handles_.clear();
}

TensorHandles& TensorHandles::operator=(TensorHandles&& other) noexcept {
  if (this != &other) {
    reset();
    api_ = other.api_;
    handles_ = std::move(other.handles_);
    other.handles_.clear();
  }
  return *this;
}

TensorHandles::~TensorHandles() { reset(); }

void TensorHandles::replace_last(AtenTensorHandle handle) {
  if (handles_.back() != nullptr) api_->delete_tensor(handles_.back());
  handles_.back() = handle;
}

void TensorHandles::reset() {
  for (AtenTensorHandle h : handles_) {
    if (h != nullptr && api_ != nullptr) api_->delete_tensor(h);
  }
  handles_.clear();
}

// ---------------------------------------------------------------------------------------------
// LoadedModel

LoadedModel::LoadedModel(const std::string& path, size_t num_instances, int32_t device_index)
    : path_(path), num_instances_(num_instances), api_(std::make_unique<ModelApi>()) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) user_error("{}: no such file", path);
  if (!S_ISREG(st.st_mode)) user_error("{}: not a file", path);
  // A name without '/' would be searched on the library path, not in the current directory.
  const std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  library_ = dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    std::string why = dl_error();
    if (why.rfind(open_path + ": ", 0) == 0) why.erase(0, open_path.size() + 2);  // dlerror names it too
    user_error("{}: cannot load model: {}", path, why);
  }
  try {
    ModelApi& a = *api_;
    resolve(library_, path, "AOTInductorModelContainerCreateWithDevice", &a.create);
    resolve(library_, path, "AOTInductorModelContainerDelete", &a.destroy);
    resolve(library_, path, "AOTInductorModelContainerRun", &a.run);
    resolve(library_, path, "AOTInductorModelContainerGetNumInputs", &a.get_num_inputs);
    resolve(library_, path, "AOTInductorModelContainerGetInputName", &a.get_input_name);
    resolve(library_, path, "AOTInductorModelContainerGetNumOutputs", &a.get_num_outputs);
    resolve(library_, path, "AOTInductorModelContainerGetOutputName", &a.get_output_name);
    resolve(library_, path, "aotic_model_last_error", &a.model_last_error, false);
    resolve(library_, path, "aoti_torch_empty_strided", &a.empty_strided);
    resolve(library_, path, "aoti_torch_new_tensor_handle", &a.new_tensor_handle);
    resolve(library_, path, "aoti_torch_delete_tensor_object", &a.delete_tensor);
    resolve(library_, path, "aoti_torch_get_data_ptr", &a.get_data_ptr);
    resolve(library_, path, "aoti_torch_get_dim", &a.get_dim);
    resolve(library_, path, "aoti_torch_get_sizes", &a.get_sizes);
    resolve(library_, path, "aoti_torch_get_strides", &a.get_strides);
    resolve(library_, path, "aoti_torch_get_dtype", &a.get_dtype);
    resolve(library_, path, "aoti_torch_get_device_type", &a.get_device_type);
    resolve(library_, path, "aoti_torch_device_type_cpu", &a.device_type_cpu);
    resolve(library_, path, "aotic_shim_last_error", &a.shim_last_error, false);
    resolve(library_, path, "aotic_model_device", &a.model_device, false);
    resolve(library_, path, "aoti_torch_device_type_cuda", &a.device_type_cuda);
    resolve(library_, path, "aoti_torch_copy_", &a.copy);

    if (num_instances == 0) user_error("{}: the number of model instances must be at least 1", path);
    if (device_index < 0) user_error("{}: --device-index must be 0 or more", path);
    if (a.model_device != nullptr && std::string(a.model_device()) == "cuda") device_ = "cuda";
    device_index_ = device_index;
    const std::string device = device_ == "cuda" ? fmt::format("cuda:{}", device_index) : "cpu";
    AOTInductorModelContainerHandle container = nullptr;
    if (int32_t rc = a.create(&container, num_instances, device.c_str(), nullptr);
        rc != AOTI_RUNTIME_SUCCESS) {
      fail("cannot create the model container", rc);
    }
    container_ = container;
    size_t n = 0;
    if (int32_t rc = a.get_num_inputs(container, &n); rc != AOTI_RUNTIME_SUCCESS)
      fail("GetNumInputs failed", rc);
    for (size_t i = 0; i < n; ++i) {
      const char* name = nullptr;
      if (int32_t rc = a.get_input_name(container, i, &name); rc != AOTI_RUNTIME_SUCCESS) {
        fail("GetInputName failed", rc);
      }
      input_names_.push_back(name ? name : "");
    }
    if (int32_t rc = a.get_num_outputs(container, &n); rc != AOTI_RUNTIME_SUCCESS) {
      fail("GetNumOutputs failed", rc);
    }
    for (size_t i = 0; i < n; ++i) {
      const char* name = nullptr;
      if (int32_t rc = a.get_output_name(container, i, &name); rc != AOTI_RUNTIME_SUCCESS) {
        fail("GetOutputName failed", rc);
      }
      output_names_.push_back(name ? name : "");
    }
  } catch (...) {
    if (container_ != nullptr) api_->destroy(static_cast<AOTInductorModelContainerHandle>(container_));
    dlclose(library_);
    throw;
  }
}

LoadedModel::~LoadedModel() {
  if (container_ != nullptr) api_->destroy(static_cast<AOTInductorModelContainerHandle>(container_));
  if (library_ != nullptr) dlclose(library_);
}

void LoadedModel::fail(const std::string& what, int32_t code) const {
  std::string message;
  if (api_->model_last_error != nullptr) {
    const char* m = api_->model_last_error();
    if (m != nullptr) message = m;
  }
  // The runtime prefixes the entry point's name; the user knows which call failed.
  for (const char* entry :
       {"AOTInductorModelContainerRun: ", "AOTInductorModelContainerCreateWithDevice: "}) {
    if (message.rfind(entry, 0) == 0) message.erase(0, std::strlen(entry));
  }
  if (message.empty()) message = fmt::format("error code {} (see the model's messages above)", code);
  user_error("{}: {}: {}", path_, what, message);
}

TensorHandles LoadedModel::make_inputs(const std::vector<HostTensor>& inputs) const {
  TensorHandles owned(api_.get(), {});
  for (const HostTensor& t : inputs) {
    const int32_t code = ir::dtype_c10_code(t.dtype);
    if (t.data.size() != static_cast<size_t>(t.numel()) * ir::dtype_itemsize(t.dtype)) {
      user_error("{}: input '{}': {} bytes for shape {} {}", path_, t.name, t.data.size(),
                 shape_text(t.shape), ir::dtype_name(t.dtype));
    }
    const std::vector<int64_t> strides =
        contiguous_strides(t.shape.data(), static_cast<int64_t>(t.shape.size()));
    AtenTensorHandle h = nullptr;
    if (api_->empty_strided(static_cast<int64_t>(t.shape.size()), t.shape.data(), strides.data(), code,
                            api_->device_type_cpu(), 0, &h) != AOTI_TORCH_SUCCESS) {
      const char* m = api_->shim_last_error ? api_->shim_last_error() : "";
      user_error("{}: cannot make input tensor '{}': {}", path_, t.name,
                 m && *m ? m : "aoti_torch_empty_strided failed");
    }
    owned.push_back(h);
    if (!t.data.empty()) {  // numel > 0
      void* data = nullptr;
      if (api_->get_data_ptr(h, &data) != AOTI_TORCH_SUCCESS || data == nullptr) {
        user_error("{}: cannot get the data of input tensor '{}'", path_, t.name);
      }
      std::memcpy(data, t.data.data(), t.data.size());
    }
    if (device_ == "cuda") {
      // A CUDA model takes its inputs on its GPU: a copy there replaces the host tensor.
      AtenTensorHandle on_gpu = nullptr;
      if (api_->empty_strided(static_cast<int64_t>(t.shape.size()), t.shape.data(), strides.data(), code,
                              api_->device_type_cuda(), device_index_, &on_gpu) != AOTI_TORCH_SUCCESS ||
          api_->copy(on_gpu, h, 0) != AOTI_TORCH_SUCCESS) {
        if (on_gpu != nullptr) api_->delete_tensor(on_gpu);
        const char* m = api_->shim_last_error ? api_->shim_last_error() : "";
        user_error("{}: cannot copy input '{}' to cuda:{}: {}", path_, t.name, device_index_,
                   m && *m ? m : "aoti_torch_copy_ failed");
      }
      owned.replace_last(on_gpu);
    }
  }
  return owned;
}

TensorHandles LoadedModel::run_handles(const TensorHandles& inputs) const {
  // The model steals its inputs: give it new references.
  std::vector<AtenTensorHandle> refs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (api_->new_tensor_handle(inputs[i], &refs[i]) != AOTI_TORCH_SUCCESS) {
      TensorHandles release(api_.get(), refs);
      user_error("{}: aoti_torch_new_tensor_handle failed", path_);
    }
  }
  std::vector<AtenTensorHandle> outputs(output_names_.size(), nullptr);
  const int32_t rc = api_->run(static_cast<AOTInductorModelContainerHandle>(container_), refs.data(),
                               refs.size(), outputs.data(), outputs.size(), nullptr, nullptr);
  TensorHandles owned(api_.get(), std::move(outputs));
  if (rc != AOTI_RUNTIME_SUCCESS) fail("run failed", rc);
  return owned;
}

std::vector<HostTensor> LoadedModel::to_host(const TensorHandles& outputs) const {
  std::vector<HostTensor> result;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string where = fmt::format("{}: output {}", path_, i);
    AtenTensorHandle h = outputs[i];
    if (h == nullptr) user_error("{}: the model returned no tensor", where);
    HostTensor t;
    t.name = fmt::format("output_{}", i);
    int32_t code = 0, device = 0;
    int64_t rank = 0;
    int64_t* sizes = nullptr;
    int64_t* strides = nullptr;
    void* data = nullptr;
    if (api_->get_dtype(h, &code) != AOTI_TORCH_SUCCESS ||
        api_->get_device_type(h, &device) != AOTI_TORCH_SUCCESS ||
        api_->get_dim(h, &rank) != AOTI_TORCH_SUCCESS || api_->get_sizes(h, &sizes) != AOTI_TORCH_SUCCESS ||
        api_->get_strides(h, &strides) != AOTI_TORCH_SUCCESS ||
        api_->get_data_ptr(h, &data) != AOTI_TORCH_SUCCESS) {
      user_error("{}: cannot read the tensor's metadata", where);
    }
    std::optional<DType> dtype = ir::dtype_from_c10_code(code);
    if (!dtype) user_error("{}: unsupported dtype code {}", where, code);
    t.dtype = *dtype;
    TensorHandles host_copy(api_.get(), {});
    if (device == api_->device_type_cuda()) {
      // Read a GPU output through a contiguous copy in host memory.
      const std::vector<int64_t> contiguous = contiguous_strides(sizes, rank);
      AtenTensorHandle copy = nullptr;
      if (api_->empty_strided(rank, sizes, contiguous.data(), code, api_->device_type_cpu(), 0, &copy) !=
          AOTI_TORCH_SUCCESS) {
        user_error("{}: cannot copy it from the GPU", where);
      }
      host_copy.push_back(copy);
      if (api_->copy(copy, h, 0) != AOTI_TORCH_SUCCESS ||
          api_->get_sizes(copy, &sizes) != AOTI_TORCH_SUCCESS ||
          api_->get_strides(copy, &strides) != AOTI_TORCH_SUCCESS ||
          api_->get_data_ptr(copy, &data) != AOTI_TORCH_SUCCESS) {
        user_error("{}: cannot copy it from the GPU", where);
      }
    } else if (device != api_->device_type_cpu()) {
      user_error("{}: not a CPU or CUDA tensor (device type {})", where, device);
    }
    t.shape.assign(sizes, sizes + rank);
    const size_t itemsize = ir::dtype_itemsize(t.dtype);
    const int64_t numel = t.numel();
    t.data.resize(static_cast<size_t>(numel) * itemsize);
    if (numel > 0) {
      // Gather in row-major order; the output may be any strided view.
      const auto* base = static_cast<const uint8_t*>(data);
      std::vector<int64_t> index(static_cast<size_t>(rank), 0);
      int64_t offset = 0;  // in elements
      for (int64_t n = 0; n < numel; ++n) {
        std::memcpy(t.data.data() + static_cast<size_t>(n) * itemsize,
                    base + offset * static_cast<int64_t>(itemsize), itemsize);
        for (int64_t d = rank - 1; d >= 0; --d) {
          if (++index[d] < sizes[d]) {
            offset += strides[d];
            break;
          }
          offset -= strides[d] * (sizes[d] - 1);
          index[d] = 0;
        }
      }
    }
    result.push_back(std::move(t));
  }
  return result;
}

void LoadedModel::wait(const TensorHandles& outputs) const {
  if (device_ != "cuda") return;
  using Synchronize = int (*)();
  static const auto synchronize = reinterpret_cast<Synchronize>(dlsym(RTLD_DEFAULT, "cudaDeviceSynchronize"));
  if (synchronize != nullptr) {
    if (synchronize() != 0) user_error("{}: cudaDeviceSynchronize failed", path_);
    return;
  }
  to_host(outputs);
}

std::vector<HostTensor> LoadedModel::run(const std::vector<HostTensor>& inputs) const {
  if (inputs.size() != num_inputs()) {
    user_error("{}: the model takes {} inputs, got {}", path_, num_inputs(), inputs.size());
  }
  TensorHandles handles = make_inputs(inputs);
  return to_host(run_handles(handles));
}

// ---------------------------------------------------------------------------------------------
// Safetensors in and out

std::vector<HostTensor> read_inputs(const std::string& path, const LoadedModel& model) {
  const ir::SafetensorsFile file = ir::SafetensorsFile::open(path);
  std::vector<HostTensor> inputs;
  for (size_t i = 0; i < model.num_inputs(); ++i) {
    const std::string key = fmt::format("input_{}", i);
    const std::string& name = model.input_names()[i];
    const ir::SafetensorsEntry* entry = file.find(key);
    if (entry == nullptr && !name.empty()) entry = file.find(name);
    if (entry == nullptr) {
      std::vector<std::string> have;
      for (const ir::SafetensorsEntry& e : file.entries()) have.push_back("'" + e.name + "'");
      user_error("{}: no tensor '{}' (or '{}') for model input {}; the file has {}", path, key, name, i,
                 have.empty() ? std::string("no tensors") : fmt::format("{}", fmt::join(have, ", ")));
    }
    HostTensor t;
    t.name = key;
    t.dtype = entry->dtype;
    t.shape = entry->shape;
    t.data.resize(entry->nbytes);
    file.read(*entry, t.data.data());
    inputs.push_back(std::move(t));
  }
  return inputs;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Command lines

struct Options {
  std::string model;
  std::string inputs;
  std::string out;
  std::string check;
  double rtol = 1e-4;
  double atol = 1e-5;
  int64_t iters = 100;
  int64_t warmup = 10;
  int64_t threads = 1;
  int64_t instances = 1;
  int64_t intra_op_threads = 0;  // 0: the pools' defaults
  std::string shim_lib;
  int64_t device_index = 0;  // the GPU a CUDA model runs on
};

/// --intra-op-threads N: the threads one run may use, in the OpenMP pool of the process (the
/// generated kernels' and, with Debian's libtorch, its ops') and in OpenBLAS (matrix products).
/// Set on the calling thread (OpenMP's setting is per thread), after the model is loaded.
void set_intra_op_threads(int64_t n) {
  if (n <= 0) return;
  // aotic's shim sets them as torch.set_num_threads does (MKL's too, where libtorch has it); a
  // model.so on another shim gets the settings below only.
  if (void* shim = dlopen("libaotic_shim.so", RTLD_NOW | RTLD_NOLOAD)) {
    using SetThreads = int32_t (*)(int32_t);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(shim, "aotic_shim_set_intra_op_threads"))) {
      set(static_cast<int32_t>(n));
    }
    dlclose(shim);
  }
  for (const char* lib : {"libgomp.so.1", "libblas.so.3", "libopenblas.so.0"}) {
    void* handle = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    if (auto* omp = reinterpret_cast<void (*)(int)>(dlsym(handle, "omp_set_num_threads"))) {
      omp(static_cast<int>(n));
    }
    if (auto* blas = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"))) {
      blas(static_cast<int>(n));
    }
    dlclose(handle);
  }
}

/// --shim-lib: loads a shim library into the global namespace first, for a model.so built with
/// --shim=host (which expects the process to provide aoti_torch_*) run outside PyTorch.
void preload_shim(const std::string& path) {
  if (path.empty()) return;
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char* why = dlerror();
    user_error("{}: cannot load shim library: {}", path, why ? why : "unknown error");
  }
}

double parse_double(const std::string& command, const std::string& option, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(value) || value < 0) {
    throw UsageError(fmt::format("{}: {} needs a non-negative number, got '{}'", command, option, text));
  }
  return value;
}

int64_t parse_count(const std::string& command, const std::string& option, const std::string& text,
                    int64_t min) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < min || value > 1000000000) {
    throw UsageError(fmt::format("{}: {} needs an integer >= {}, got '{}'", command, option, min, text));
  }
  return value;
}

// Parses `MODEL --opt value|--opt=value ...`; `allowed` lists the options of the command.
Options parse(const std::string& command, const std::vector<std::string>& args,
              const std::vector<std::string>& allowed) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      if (!o.model.empty())
        throw UsageError(fmt::format("{}: more than one MODEL given ('{}')", command, arg));
      o.model = arg;
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw UsageError(fmt::format("{}: unknown option '{}'", command, name));
    }
    if (!has_value) {
      if (i + 1 == args.size()) throw UsageError(fmt::format("{}: {} needs a value", command, name));
      value = args[++i];
    }
    if (name == "--inputs") {
      o.inputs = value;
    } else if (name == "--out") {
      o.out = value;
    } else if (name == "--check") {
      o.check = value;
    } else if (name == "--rtol") {
      o.rtol = parse_double(command, name, value);
    } else if (name == "--atol") {
      o.atol = parse_double(command, name, value);
    } else if (name == "--iters") {
      o.iters = parse_count(command, name, value, 1);
    } else if (name == "--warmup") {
      o.warmup = parse_count(command, name, value, 0);
    } else if (name == "--threads") {
      o.threads = parse_count(command, name, value, 1);
    } else if (name == "--instances") {
      o.instances = parse_count(command, name, value, 1);
    } else if (name == "--intra-op-threads") {
      o.intra_op_threads = parse_count(command, name, value, 1);
    } else if (name == "--device-index") {
      o.device_index = parse_count(command, name, value, 0);
    } else if (name == "--shim-lib") {
      o.shim_lib = value;
    }
  }
  if (o.model.empty()) throw UsageError(command + ": MODEL.so is missing");
  if (o.inputs.empty()) throw UsageError(command + ": --inputs X.safetensors is missing");
  return o;
}

// The model's stderr report of a failure repeats what the runner reports; keep one.
void quiet_model_messages() { setenv("AOTIC_QUIET", "1", 0); }

// "min -1 max 3 mean 0.5  [1, 2, 3, ...]"
std::string summary(const HostTensor& t) {
  const int64_t n = t.numel();
  if (n == 0) return "empty";
  const size_t itemsize = ir::dtype_itemsize(t.dtype);
  const Kind kind = kind_of(t.dtype);
  std::string text;
  if (kind != Kind::kOther) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
    int64_t nans = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double v = as_double(t.dtype, t.data.data() + static_cast<size_t>(i) * itemsize);
      if (std::isnan(v)) {
        ++nans;
        continue;
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    if (kind == Kind::kBool) {
      text = fmt::format("true {} of {}", static_cast<int64_t>(sum), n);
    } else if (nans == n) {
      text = "all nan";
    } else {
      text = fmt::format("min {:.6g} max {:.6g} mean {:.6g}", lo, hi, sum / static_cast<double>(n - nans));
      if (nans > 0) text += fmt::format(" nan {}", nans);
    }
    text += "  ";
  }
  constexpr int64_t kShown = 6;
  std::vector<std::string> values;
  for (int64_t i = 0; i < std::min(n, kShown); ++i) {
    values.push_back(element_text(t.dtype, t.data.data() + static_cast<size_t>(i) * itemsize));
  }
  if (n > kShown) values.push_back("...");
  return text + "[" + fmt::format("{}", fmt::join(values, ", ")) + "]";
}

}  // namespace

Comparison compare(const std::string& label, const HostTensor& got, const HostTensor& want, double rtol,
                   double atol) {
  if (got.shape != want.shape || got.dtype != want.dtype) {
    return {Comparison::Verdict::kShapeOrDtype,
            fmt::format("{}: shape {} {} MISMATCH: expected shape {} {}", label, shape_text(got.shape),
                        ir::dtype_name(got.dtype), shape_text(want.shape), ir::dtype_name(want.dtype))};
  }
  const size_t itemsize = ir::dtype_itemsize(got.dtype);
  const Kind kind = kind_of(got.dtype);
  const int64_t n = got.numel();
  double max_err = 0;
  double worst_excess = 0;
  int64_t worst = -1, mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* a = got.data.data() + static_cast<size_t>(i) * itemsize;
    const uint8_t* b = want.data.data() + static_cast<size_t>(i) * itemsize;
    double err = 0, excess = 0;
    bool bad = false;
    if (kind == Kind::kFloat) {
      const double x = as_double(got.dtype, a), y = as_double(got.dtype, b);
      if (x == y || (std::isnan(x) && std::isnan(y))) continue;
      err = std::abs(x - y);
      if (std::isnan(err)) err = std::numeric_limits<double>::infinity();  // nan vs number, inf vs inf
      excess = err - (atol + rtol * std::abs(y));
      if (std::isnan(excess)) excess = std::numeric_limits<double>::infinity();
      bad = excess > 0;
    } else if (kind == Kind::kBool) {
      bad = (*a != 0) != (*b != 0);
      err = excess = bad ? 1 : 0;
    } else {
      bad = std::memcmp(a, b, itemsize) != 0;
      if (!bad) continue;
      err = kind == Kind::kOther ? std::numeric_limits<double>::infinity()
                                 : std::abs(as_double(got.dtype, a) - as_double(got.dtype, b));
      excess = err;
    }
    max_err = std::max(max_err, err);
    if (bad) {
      ++mismatches;
      if (worst < 0 || excess > worst_excess) {
        worst = i;
        worst_excess = excess;
      }
    }
  }
  std::string line = fmt::format("{}: shape {} max_abs_err {:.3g}", label, shape_text(got.shape), max_err);
  if (worst < 0) return {Comparison::Verdict::kClose, line + " ok"};
  const size_t at = static_cast<size_t>(worst) * itemsize;
  return {Comparison::Verdict::kValues,
          line + fmt::format(
                     " MISMATCH at {}: got {}, expected {} ({} of {} elements differ; rtol {:g} atol {:g})",
                     index_text(got.shape, worst), element_text(got.dtype, got.data.data() + at),
                     element_text(want.dtype, want.data.data() + at), mismatches, n, rtol, atol)};
}

HostTensor read_tensor(const ir::SafetensorsFile& file, const ir::SafetensorsEntry& entry) {
  HostTensor t;
  t.name = entry.name;
  t.dtype = entry.dtype;
  t.shape = entry.shape;
  t.data.resize(entry.nbytes);
  file.read(entry, t.data.data());
  return t;
}

namespace {

double percentile(const std::vector<double>& sorted, double p) {
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank > 0 ? rank - 1 : 0)];
}

/// This process's peak resident size: VmHWM, which starts afresh at exec (ru_maxrss keeps the
/// parent's peak across exec, so a run started by a large process would report that).
double peak_memory_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // kB
  }
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

}  // namespace

int run_command(const std::vector<std::string>& args, std::ostream& out) {
  const Options o = parse(
      "run", args, {"--inputs", "--out", "--check", "--rtol", "--atol", "--shim-lib", "--device-index"});
  quiet_model_messages();
  preload_shim(o.shim_lib);
  std::optional<ir::SafetensorsFile> ref;
  if (!o.check.empty()) ref = ir::SafetensorsFile::open(o.check);  // fail before the run
  LoadedModel model(o.model, 1, static_cast<int32_t>(o.device_index));
  const std::vector<HostTensor> inputs = read_inputs(o.inputs, model);
  const std::vector<HostTensor> outputs = model.run(inputs);

  for (size_t i = 0; i < outputs.size(); ++i) {
    const HostTensor& t = outputs[i];
    const std::string& name = model.output_names()[i];
    out << fmt::format("{}{}: shape {} {}  {}\n", t.name, name.empty() ? "" : " '" + name + "'",
                       shape_text(t.shape), ir::dtype_name(t.dtype), summary(t));
  }
  // The references, found before anything is written: a user error leaves no --out file behind.
  std::vector<HostTensor> references;
  for (size_t i = 0; ref && i < outputs.size(); ++i) {
    const std::string& name = model.output_names()[i];
    const ir::SafetensorsEntry* entry = ref->find(outputs[i].name);
    if (entry == nullptr && !name.empty()) entry = ref->find(name);
    if (entry == nullptr)
      user_error("{}: no tensor '{}' (or '{}') for model output {}", o.check, outputs[i].name, name, i);
    references.push_back(read_tensor(*ref, *entry));
  }
  if (!o.out.empty()) {
    std::vector<ir::SafetensorsTensor> tensors;
    tensors.reserve(outputs.size());
    for (const HostTensor& t : outputs)
      tensors.push_back({t.name, t.dtype, t.shape, t.data.data(), t.data.size()});
    ir::write_safetensors(o.out, std::move(tensors));
    out << fmt::format("wrote {} outputs to {}\n", outputs.size(), o.out);
  }
  if (!ref) return 0;
  bool all_ok = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Comparison c = compare(outputs[i].name, outputs[i], references[i], o.rtol, o.atol);
    out << c.line << "\n";
    all_ok &= c.verdict == Comparison::Verdict::kClose;
  }
  out << (all_ok ? "check: ok\n" : "check: MISMATCH\n");
  return all_ok ? 0 : 1;
}

int run_command(const std::vector<std::string>& args) { return run_command(args, std::cout); }

int bench_command(const std::vector<std::string>& args, std::ostream& out) {
  const Options o = parse("bench", args,
                          {"--inputs", "--iters", "--warmup", "--threads", "--instances",
                           "--intra-op-threads", "--shim-lib", "--device-index"});
  quiet_model_messages();
  preload_shim(o.shim_lib);
  using Clock = std::chrono::steady_clock;
  LoadedModel model(o.model, static_cast<size_t>(o.instances), static_cast<int32_t>(o.device_index));
  set_intra_op_threads(o.intra_op_threads);
  const TensorHandles inputs = model.make_inputs(read_inputs(o.inputs, model));
  out << fmt::format("bench: {} ({} inputs, {} outputs), {} instance(s), {} iterations after {} warmup{}\n",
                     o.model, model.num_inputs(), model.num_outputs(), o.instances, o.iters, o.warmup,
                     o.intra_op_threads > 0 ? fmt::format(", {} intra-op threads", o.intra_op_threads) : "");

  for (int64_t i = 0; i < o.warmup; ++i) model.wait(model.run_handles(inputs));
  std::vector<double> latencies;  // ms, to the end of the GPU's work for a CUDA model
  latencies.reserve(static_cast<size_t>(o.iters));
  double total_s = 0;
  for (int64_t i = 0; i < o.iters; ++i) {
    const auto start = Clock::now();
    model.wait(model.run_handles(inputs));
    const std::chrono::duration<double> took = Clock::now() - start;
    latencies.push_back(took.count() * 1e3);
    total_s += took.count();
  }
  std::sort(latencies.begin(), latencies.end());
  out << fmt::format("latency p50: {:.4f} ms\n", percentile(latencies, 50));
  out << fmt::format("latency p90: {:.4f} ms\n", percentile(latencies, 90));
  out << fmt::format("latency p99: {:.4f} ms\n", percentile(latencies, 99));

  if (o.threads <= 1) {
    out << fmt::format("throughput: {:.1f} runs/s (1 thread)\n", static_cast<double>(o.iters) / total_s);
  } else {
    std::mutex mutex;
    std::exception_ptr error;
    std::atomic<int64_t> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int64_t t = 0; t < o.threads; ++t) {
      threads.emplace_back([&] {
        set_intra_op_threads(o.intra_op_threads);
        ++ready;
        while (!go.load()) std::this_thread::yield();
        try {
          for (int64_t i = 0; i < o.iters; ++i) model.wait(model.run_handles(inputs));
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!error) error = std::current_exception();
        }
      });
    }
    while (ready.load() < o.threads) std::this_thread::yield();
    const auto start = Clock::now();
    go = true;
    for (std::thread& t : threads) t.join();
    const std::chrono::duration<double> took = Clock::now() - start;
    if (error) std::rethrow_exception(error);
    out << fmt::format("throughput: {:.1f} runs/s ({} threads x {} runs, {} instance(s))\n",
                       static_cast<double>(o.threads * o.iters) / took.count(), o.threads, o.iters,
                       o.instances);
  }
  out << fmt::format("peak memory: {:.1f} MB\n", peak_memory_mb());
  return 0;
}

int bench_command(const std::vector<std::string>& args) { return bench_command(args, std::cout); }

}  // namespace aotic::runner
