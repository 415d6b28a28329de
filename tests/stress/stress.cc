// Concurrency stress for a compiled model.so (tools/stress.sh builds and runs it under
// ThreadSanitizer): THREADS callers run the model on a container of INSTANCES instances, RUNS
// times each, while another thread keeps replacing the inactive constants
// (AOTInductorModelContainerUpdateInactiveConstantBuffer) and swapping them in
// (...SwapConstantBuffer). The two constant sets are the export's weights (A) and the same
// weights doubled (B). Every result must equal the reference of A (PyTorch's output from the
// .io.safetensors file) or of B (the model's own quiet run): a result that mixes old and new
// constants matches neither.
//
//   stress MODEL.so IO.safetensors [--threads N] [--instances N] [--runs N]
// Prints "stress: T threads x I instances x R runs = N runs, S swaps, M mismatches" and exits 0
// only when nothing mismatched, nothing failed and swaps happened during the runs.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "aotic/runtime/interface.h"

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "stress: %s\n", message.c_str());
  std::exit(2);
}

void ok(AOTITorchError e, const char* what) {
  if (e != AOTI_TORCH_SUCCESS) die(std::string(what) + " failed");
}

/// A float32 tensor read from a .safetensors file.
struct Floats {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

std::map<std::string, Floats> read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8) die(path + ": not a safetensors file");
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  if (length > bytes.size() - 8) die(path + ": bad header length");
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, length));
  std::map<std::string, Floats> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    if (entry.at("dtype") != "F32") die(path + ": " + name + ": only float32 tensors are supported");
    Floats t;
    t.shape = entry.at("shape").get<std::vector<int64_t>>();
    const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
    t.values.resize((offsets[1] - offsets[0]) / sizeof(float));
    std::memcpy(t.values.data(), bytes.data() + 8 + length + offsets[0], offsets[1] - offsets[0]);
    out.emplace(name, std::move(t));
  }
  return out;
}

struct Api {
  decltype(&AOTInductorModelContainerCreateWithDevice) create;
  decltype(&AOTInductorModelContainerRun) run;
  decltype(&AOTInductorModelContainerGetNumInputs) num_inputs;
  decltype(&AOTInductorModelContainerGetNumOutputs) num_outputs;
  decltype(&AOTInductorModelContainerExtractConstantsMap) extract;
  decltype(&AOTInductorModelContainerGetNumConstants) num_constants;
  decltype(&AOTInductorModelContainerGetConstantOriginalFQN) constant_fqn;
  decltype(&AOTInductorModelContainerGetConstantFromFolded) from_folded;
  decltype(&AOTInductorModelContainerUpdateInactiveConstantBuffer) update_inactive;
  decltype(&AOTInductorModelContainerSwapConstantBuffer) swap;
  decltype(&AOTInductorModelContainerDelete) destroy;
};

template <typename F>
void bind(void* library, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(library, name));
  if (out == nullptr) die(std::string("model.so lacks ") + name);
}

Api load(const std::string& path) {
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) die(path + ": " + dlerror());
  Api api{};
  bind(library, "AOTInductorModelContainerCreateWithDevice", api.create);
  bind(library, "AOTInductorModelContainerRun", api.run);
  bind(library, "AOTInductorModelContainerGetNumInputs", api.num_inputs);
  bind(library, "AOTInductorModelContainerGetNumOutputs", api.num_outputs);
  bind(library, "AOTInductorModelContainerExtractConstantsMap", api.extract);
  bind(library, "AOTInductorModelContainerGetNumConstants", api.num_constants);
  bind(library, "AOTInductorModelContainerGetConstantOriginalFQN", api.constant_fqn);
  bind(library, "AOTInductorModelContainerGetConstantFromFolded", api.from_folded);
  bind(library, "AOTInductorModelContainerUpdateInactiveConstantBuffer", api.update_inactive);
  bind(library, "AOTInductorModelContainerSwapConstantBuffer", api.swap);
  bind(library, "AOTInductorModelContainerDelete", api.destroy);
  return api;
}

/// A new tensor with `source`'s sizes and strides holding its values, times `scale` (float32).
AtenTensorHandle scaled_copy(AtenTensorHandle source, float scale) {
  int32_t dtype = 0;
  int64_t rank = 0, *sizes = nullptr, *strides = nullptr;
  ok(aoti_torch_get_dtype(source, &dtype), "aoti_torch_get_dtype");
  ok(aoti_torch_get_dim(source, &rank), "aoti_torch_get_dim");
  ok(aoti_torch_get_sizes(source, &sizes), "aoti_torch_get_sizes");
  ok(aoti_torch_get_strides(source, &strides), "aoti_torch_get_strides");
  AtenTensorHandle copy = nullptr;
  ok(aoti_torch_empty_strided(rank, sizes, strides, dtype, aoti_torch_device_type_cpu(), 0, &copy),
     "aoti_torch_empty_strided");
  ok(aoti_torch_copy_(copy, source, 0), "aoti_torch_copy_");
  int64_t storage = 0;
  void* data = nullptr;
  ok(aoti_torch_get_storage_size(copy, &storage), "aoti_torch_get_storage_size");
  ok(aoti_torch_get_data_ptr(copy, &data), "aoti_torch_get_data_ptr");
  if (dtype == aoti_torch_dtype_float32()) {  // other constants (e.g. batch norm's counters) stay as they are
    float* values = static_cast<float*>(data);
    for (int64_t i = 0; i < storage / static_cast<int64_t>(sizeof(float)); ++i) values[i] *= scale;
  }
  return copy;
}

using ConstantMap = std::unordered_map<std::string, AtenTensorHandle>;

/// The C interface passes a constant map as this opaque handle (as PyTorch's runner does).
AOTInductorConstantMapHandle handle(ConstantMap& map) {
  return reinterpret_cast<AOTInductorConstantMapHandle>(&map);
}

/// Runs once; returns each output's values.
std::vector<std::vector<float>> run_once(const Api& api, AOTInductorModelContainerHandle container,
                                         std::vector<Floats> inputs, size_t num_outputs, bool* failed) {
  std::vector<AtenTensorHandle> in;
  for (Floats& t : inputs) {
    std::vector<int64_t> strides(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) strides[d - 1] = strides[d] * t.shape[d];
    AtenTensorHandle h = nullptr;
    ok(aoti_torch_create_tensor_from_blob(t.values.data(), static_cast<int64_t>(t.shape.size()),
                                          t.shape.data(), strides.data(), 0, aoti_torch_dtype_float32(),
                                          aoti_torch_device_type_cpu(), 0, &h),
       "aoti_torch_create_tensor_from_blob");
    in.push_back(h);
  }
  std::vector<AtenTensorHandle> out(num_outputs, nullptr);
  std::vector<std::vector<float>> values;
  if (api.run(container, in.data(), in.size(), out.data(), out.size(), nullptr, nullptr) !=
      AOTI_RUNTIME_SUCCESS) {
    *failed = true;
    return values;
  }
  for (AtenTensorHandle h : out) {
    int64_t numel = 0;
    void* data = nullptr;
    ok(aoti_torch_get_numel(h, &numel), "aoti_torch_get_numel");
    ok(aoti_torch_get_data_ptr(h, &data), "aoti_torch_get_data_ptr");
    const float* f = static_cast<const float*>(data);
    values.emplace_back(f, f + numel);  // the model's outputs are contiguous
    aoti_torch_delete_tensor_object(h);
  }
  return values;
}

bool close(const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& want,
           float rtol, float atol) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].size() != want[i].size()) return false;
    for (size_t j = 0; j < got[i].size(); ++j) {
      if (std::isnan(got[i][j]) && std::isnan(want[i][j])) continue;
      if (!(std::fabs(got[i][j] - want[i][j]) <= atol + rtol * std::fabs(want[i][j]))) return false;
    }
  }
  return true;
}

int64_t flag(int argc, char** argv, const std::string& name, int64_t fallback) {
  for (int i = 3; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) die("usage: stress MODEL.so IO.safetensors [--threads N] [--instances N] [--runs N]");
  const int64_t threads = flag(argc, argv, "--threads", 8);
  const int64_t instances = flag(argc, argv, "--instances", 4);
  const int64_t runs = flag(argc, argv, "--runs", 1000);
  const Api api = load(argv[1]);
  const std::map<std::string, Floats> io = read_safetensors(argv[2]);

  AOTInductorModelContainerHandle container = nullptr;
  if (api.create(&container, static_cast<size_t>(instances), "cpu", nullptr) != AOTI_RUNTIME_SUCCESS)
    die("cannot create the container");
  size_t num_inputs = 0, num_outputs = 0;
  api.num_inputs(container, &num_inputs);
  api.num_outputs(container, &num_outputs);
  std::vector<Floats> inputs;
  std::vector<std::vector<float>> expected_a;
  for (size_t i = 0; i < num_inputs; ++i) inputs.push_back(io.at("input_" + std::to_string(i)));
  for (size_t i = 0; i < num_outputs; ++i) expected_a.push_back(io.at("output_" + std::to_string(i)).values);

  // The two constant sets, as tensors of our own.
  ConstantMap active;
  if (api.extract(container, handle(active), false) != AOTI_RUNTIME_SUCCESS)
    die("cannot extract the constants");
  // Folded constants are left out: the model recomputes them from the others on each update
  // (and they may be in a layout of the library's own, such as oneDNN's reordered weights).
  std::set<std::string> folded;
  size_t num_constants = 0;
  api.num_constants(container, &num_constants);
  for (size_t i = 0; i < num_constants; ++i) {
    bool from_folded = false;
    const char* fqn = nullptr;
    if (api.from_folded(container, i, &from_folded) == AOTI_RUNTIME_SUCCESS && from_folded &&
        api.constant_fqn(container, i, &fqn) == AOTI_RUNTIME_SUCCESS && fqn != nullptr)
      folded.insert(fqn);
  }
  ConstantMap set_a, set_b;
  for (const auto& [name, tensor] : active) {
    if (folded.count(name) != 0) continue;
    set_a[name] = scaled_copy(tensor, 1.0f);
    set_b[name] = scaled_copy(tensor, 2.0f);
  }

  // Quiet references: A is checked against PyTorch's output, B is what the model gives with B.
  bool failed = false;
  if (!close(run_once(api, container, inputs, num_outputs, &failed), expected_a, 1e-4f, 1e-5f))
    die("a quiet run does not match PyTorch's reference");
  if (api.update_inactive(container, handle(set_b)) != AOTI_RUNTIME_SUCCESS ||
      api.swap(container) != AOTI_RUNTIME_SUCCESS)
    die("cannot swap in constant set B");
  const std::vector<std::vector<float>> expected_b = run_once(api, container, inputs, num_outputs, &failed);
  if (failed || close(expected_b, expected_a, 1e-4f, 1e-5f))
    die("constant set B does not change the outputs");
  if (api.update_inactive(container, handle(set_a)) != AOTI_RUNTIME_SUCCESS ||
      api.swap(container) != AOTI_RUNTIME_SUCCESS)
    die("cannot swap constant set A back");

  std::atomic<int64_t> mismatches{0}, failures{0}, swaps{0}, finished{0};
  std::vector<std::thread> workers;
  for (int64_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int64_t r = 0; r < runs; ++r) {
        bool run_failed = false;
        const auto got = run_once(api, container, inputs, num_outputs, &run_failed);
        if (run_failed) {
          ++failures;
        } else if (!close(got, expected_a, 1e-4f, 1e-5f) && !close(got, expected_b, 1e-4f, 1e-5f)) {
          ++mismatches;
        }
      }
      ++finished;
    });
  }
  // Set A is active: B goes into the inactive buffer, then swaps in, and so on.
  std::thread swapper([&] {
    bool next_is_b = true;
    while (finished.load() < threads) {
      ConstantMap& next = next_is_b ? set_b : set_a;
      if (api.update_inactive(container, handle(next)) != AOTI_RUNTIME_SUCCESS ||
          api.swap(container) != AOTI_RUNTIME_SUCCESS) {
        ++failures;
        break;
      }
      ++swaps;
      next_is_b = !next_is_b;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  for (std::thread& w : workers) w.join();
  swapper.join();
  api.destroy(container);
  for (auto* set : {&set_a, &set_b}) {
    for (auto& [name, tensor] : *set) aoti_torch_delete_tensor_object(tensor);
  }

  std::printf(
      "stress: %lld threads x %lld instances x %lld runs = %lld runs, %lld swaps, %lld mismatches, %lld "
      "failures\n",
      static_cast<long long>(threads), static_cast<long long>(instances), static_cast<long long>(runs),
      static_cast<long long>(threads) * static_cast<long long>(runs), static_cast<long long>(swaps.load()),
      static_cast<long long>(mismatches.load()), static_cast<long long>(failures.load()));
  return mismatches.load() == 0 && failures.load() == 0 && swaps.load() > 0 ? 0 : 1;
}
