// libFuzzer harness: the bytes choose what a caller hands a compiled model's Run: how many tensors,
// null handles, and each tensor's dtype, rank, sizes and strides. Run must answer every mismatch
// with an error code (its message names the input and what is wrong), never crash, and run what
// it accepts. The models are the .so files in models/ beside this binary (tools/fuzz.sh compiles
// them, with the runtime instrumented too).
#include <dirent.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "aotic/runtime/interface.h"

namespace {

/// One loaded model and its container.
struct Model {
  std::string path;
  AOTInductorModelContainerHandle container = nullptr;
  size_t num_inputs = 0, num_outputs = 0;
  decltype(&AOTInductorModelContainerRun) run = nullptr;
};

std::vector<Model>& models() {
  static std::vector<Model> loaded;
  return loaded;
}

template <typename F>
F symbol(void* library, const char* name) {
  void* address = dlsym(library, name);
  if (address == nullptr) {
    std::fprintf(stderr, "fuzz: %s missing\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(address);
}

void load_models() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) std::abort();
  self[n] = '\0';
  std::string dir(self);
  dir = dir.substr(0, dir.rfind('/')) + "/models";
  std::vector<std::string> paths;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0 && name != "libaotic_shim.so")
        paths.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      std::fprintf(stderr, "fuzz: cannot load %s: %s\n", path.c_str(), dlerror());
      std::abort();
    }
    Model m;
    m.path = path;
    m.run = symbol<decltype(&AOTInductorModelContainerRun)>(library, "AOTInductorModelContainerRun");
    auto create = symbol<decltype(&AOTInductorModelContainerCreateWithDevice)>(
        library, "AOTInductorModelContainerCreateWithDevice");
    auto inputs = symbol<decltype(&AOTInductorModelContainerGetNumInputs)>(
        library, "AOTInductorModelContainerGetNumInputs");
    auto outputs = symbol<decltype(&AOTInductorModelContainerGetNumOutputs)>(
        library, "AOTInductorModelContainerGetNumOutputs");
    if (create(&m.container, 1, "cpu", nullptr) != AOTI_RUNTIME_SUCCESS ||
        inputs(m.container, &m.num_inputs) != AOTI_RUNTIME_SUCCESS ||
        outputs(m.container, &m.num_outputs) != AOTI_RUNTIME_SUCCESS) {
      std::fprintf(stderr, "fuzz: cannot create a container of %s\n", path.c_str());
      std::abort();
    }
    models().push_back(m);
  }
  if (models().empty()) {
    std::fprintf(stderr, "fuzz: no models in %s\n", dir.c_str());
    std::abort();
  }
}

/// Reads the input bytes as choices; past the end every choice is 0.
class Choices {
 public:
  Choices(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t next() { return at_ < size_ ? data_[at_++] : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

/// Sizes near the edges the models' symbol ranges have.
int64_t pick_size(uint8_t b) {
  static constexpr std::array<int64_t, 24> kEdges = {
      0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 511, 512, 513, 1023, 1024, 1025, 4096, 65};
  return b < 200 ? b % 70 : kEdges[static_cast<size_t>(b - 200) % kEdges.size()];
}

AtenTensorHandle make_tensor(Choices& c) {
  static constexpr std::array<int32_t, 8> kDtypes = {6, 6, 6, 7, 4, 3, 11, 5};  // float32 most often
  if (c.next() % 16 == 0) return nullptr;
  const int32_t dtype = kDtypes[c.next() % kDtypes.size()];
  const int64_t rank = c.next() % 5;
  std::vector<int64_t> sizes(static_cast<size_t>(rank)), strides(static_cast<size_t>(rank));
  int64_t elements = 1;
  for (auto& s : sizes) {
    s = pick_size(c.next());
    elements *= std::max<int64_t>(s, 1);
    if (elements > (int64_t{1} << 22)) s = 1;  // keep each run small
  }
  // Layouts: contiguous, reversed (transposed), padded (gaps) or broadcast in the first dim.
  const uint8_t layout = c.next() % 4;
  int64_t step = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    const size_t i = static_cast<size_t>(layout == 1 ? rank - 1 - d : d);
    strides[i] = step;
    step *= std::max<int64_t>(sizes[i], 1) * (layout == 2 ? 2 : 1);
  }
  if (layout == 3 && rank > 0) strides[0] = 0;
  AtenTensorHandle t = nullptr;
  if (aoti_torch_empty_strided(rank, sizes.data(), strides.data(), dtype, aoti_torch_device_type_cpu(), 0,
                               &t) != AOTI_TORCH_SUCCESS) {
    return nullptr;
  }
  // Values that matter to the computation stay finite and small.
  void* data = nullptr;
  int64_t storage = 0;
  aoti_torch_get_data_ptr(t, &data);
  if (aoti_torch_get_storage_size(t, &storage) == AOTI_TORCH_SUCCESS && data != nullptr && storage > 0) {
    std::fill_n(static_cast<uint8_t*>(data), storage, 0);
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  load_models();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Choices c(data, size);
  const Model& model = models()[c.next() % models().size()];
  // Mostly the right count, sometimes one fewer or more.
  const uint8_t count_choice = c.next() % 8;
  size_t num_inputs = model.num_inputs;
  if (count_choice == 6 && num_inputs > 0) --num_inputs;
  if (count_choice == 7) ++num_inputs;
  size_t num_outputs = model.num_outputs + (c.next() % 16 == 0 ? 1 : 0);
  std::vector<AtenTensorHandle> inputs(num_inputs);
  for (AtenTensorHandle& t : inputs) t = make_tensor(c);
  std::vector<AtenTensorHandle> outputs(num_outputs, nullptr);
  // The inputs are stolen by Run, accepted or not.
  const AOTIRuntimeError status = model.run(model.container, inputs.data(), inputs.size(), outputs.data(),
                                            outputs.size(), nullptr, nullptr);
  for (AtenTensorHandle t : outputs) {
    if (status == AOTI_RUNTIME_SUCCESS && t == nullptr) {
      std::fprintf(stderr, "fuzz: %s: Run succeeded with a null output\n", model.path.c_str());
      std::abort();
    }
    if (t != nullptr) aoti_torch_delete_tensor_object(t);
  }
  return 0;
}
