// The model.so C interface, driven as PyTorch's runner drives it, over the hand-written model in
// test_model.cc (out = x @ w1 + z @ w2, w1 = ones(4, 3), w2 = 2 * ones(2, 3), s0 in 1..16).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "aotic/runtime/error.h"
#include "aotic/runtime/interface.h"
#include "aotic/runtime/model_spec.h"

namespace {

struct Quiet {
  Quiet() {
    setenv("AOTIC_QUIET", "1", 1);
    setenv("AOTIC_SHIM_QUIET", "1", 1);
  }
} quiet;

AtenTensorHandle filled(int64_t rows, int64_t cols, float value, int32_t dtype = aoti_torch_dtype_float32()) {
  int64_t sizes[] = {rows, cols};
  int64_t strides[] = {cols, 1};
  AtenTensorHandle h = nullptr;
  REQUIRE(aoti_torch_empty_strided(2, sizes, strides, dtype, aoti_torch_device_type_cpu(), 0, &h) ==
          AOTI_TORCH_SUCCESS);
  if (dtype == aoti_torch_dtype_float32()) {
    void* data = nullptr;
    aoti_torch_get_data_ptr(h, &data);
    for (int64_t i = 0; i < rows * cols; ++i) static_cast<float*>(data)[i] = value;
  }
  return h;
}

std::vector<float> values(AtenTensorHandle h) {
  int64_t numel = 0;
  void* data = nullptr;
  aoti_torch_get_numel(h, &numel);
  aoti_torch_get_data_ptr(h, &data);
  const float* f = static_cast<const float*>(data);
  return std::vector<float>(f, f + numel);
}

class Model {
 public:
  explicit Model(size_t instances = 1) {
    REQUIRE(AOTInductorModelContainerCreateWithDevice(&handle, instances, "cpu", nullptr) ==
            AOTI_RUNTIME_SUCCESS);
  }
  ~Model() { AOTInductorModelContainerDelete(handle); }

  /// Runs on x = value_x (rows x 4) and z = value_z (rows x 2); returns the output's values.
  AOTIRuntimeError run(int64_t rows, float value_x, float value_z, std::vector<float>* out = nullptr) {
    AtenTensorHandle inputs[] = {filled(rows, 4, value_x), filled(rows, 2, value_z)};
    AtenTensorHandle outputs[1] = {nullptr};
    AOTIRuntimeError e = AOTInductorModelContainerRun(handle, inputs, 2, outputs, 1, nullptr, nullptr);
    if (e == AOTI_RUNTIME_SUCCESS) {
      if (out) *out = values(outputs[0]);
      aoti_torch_delete_tensor_object(outputs[0]);
    }
    return e;
  }

  AOTInductorModelContainerHandle handle = nullptr;
};

std::string error() { return aotic_model_last_error(); }

TEST_CASE("names, counts, constants metadata and call spec") {
  Model m;
  size_t n = 0;
  const char* s = nullptr;
  CHECK(AOTInductorModelContainerGetNumInputs(m.handle, &n) == AOTI_RUNTIME_SUCCESS);
  CHECK(n == 2);
  CHECK(AOTInductorModelContainerGetInputName(m.handle, 1, &s) == AOTI_RUNTIME_SUCCESS);
  CHECK(std::string(s) == "z");
  CHECK(AOTInductorModelContainerGetNumOutputs(m.handle, &n) == AOTI_RUNTIME_SUCCESS);
  CHECK(n == 1);
  CHECK(AOTInductorModelContainerGetOutputName(m.handle, 0, &s) == AOTI_RUNTIME_SUCCESS);
  CHECK(std::string(s) == "out");
  CHECK(AOTInductorModelContainerGetInputName(m.handle, 2, &s) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerGetInputName: input index 2 out of range");
  CHECK(AOTInductorModelContainerGetOutputName(m.handle, 1, &s) == AOTI_RUNTIME_FAILURE);

  CHECK(AOTInductorModelContainerGetNumConstants(m.handle, &n) == AOTI_RUNTIME_SUCCESS);
  CHECK(n == 3);  // l1.weight, l2.weight and the folded copy of l2.weight
  CHECK(AOTInductorModelContainerGetConstantName(m.handle, 0, &s) == AOTI_RUNTIME_SUCCESS);
  CHECK(std::string(s) == "l1_weight");
  CHECK(AOTInductorModelContainerGetConstantOriginalFQN(m.handle, 1, &s) == AOTI_RUNTIME_SUCCESS);
  CHECK(std::string(s) == "l2.weight");
  int32_t v = 0;
  CHECK(AOTInductorModelContainerGetConstantType(m.handle, 0, &v) == AOTI_RUNTIME_SUCCESS);
  CHECK(v == 1);  // parameter
  CHECK(AOTInductorModelContainerGetConstantType(m.handle, 1, &v) == AOTI_RUNTIME_SUCCESS);
  CHECK(v == 2);  // buffer
  CHECK(AOTInductorModelContainerGetConstantDtype(m.handle, 0, &v) == AOTI_RUNTIME_SUCCESS);
  CHECK(v == aoti_torch_dtype_float32());
  CHECK(AOTInductorModelContainerGetConstantDataSize(m.handle, 1, &n) == AOTI_RUNTIME_SUCCESS);
  CHECK(n == 24);
  bool folded = true;
  CHECK(AOTInductorModelContainerGetConstantFromFolded(m.handle, 0, &folded) == AOTI_RUNTIME_SUCCESS);
  CHECK_FALSE(folded);
  CHECK(AOTInductorModelContainerGetConstantFromFolded(m.handle, 2, &folded) == AOTI_RUNTIME_SUCCESS);
  CHECK(folded);
  CHECK(AOTInductorModelContainerGetConstantType(m.handle, 2, &v) == AOTI_RUNTIME_SUCCESS);
  CHECK(v == 4);  // folded constant
  CHECK(AOTInductorModelContainerGetConstantName(m.handle, 3, &s) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerGetConstantName: constant index 3 out of range (3 constants)");

  const char* in_spec = nullptr;
  const char* out_spec = nullptr;
  CHECK(AOTInductorModelContainerGetCallSpec(m.handle, &in_spec, &out_spec) == AOTI_RUNTIME_SUCCESS);
  CHECK(std::string(in_spec) == "[1, {\"type\": \"builtins.tuple\"}]");
  CHECK(std::string(out_spec) == "[1, {\"type\": null}]");
  uint64_t blob_size = 0;
  CHECK(AOTInductorModelContainerGetConstantsBlobSize(m.handle, &blob_size) == AOTI_RUNTIME_SUCCESS);
  CHECK(blob_size == 128);
  CHECK(AOTInductorModelContainerRunConstantFolding(m.handle, false, nullptr, nullptr) ==
        AOTI_RUNTIME_SUCCESS);
}

TEST_CASE("run computes x @ w1 + z @ w2") {
  Model m;
  std::vector<float> out;
  REQUIRE(m.run(2, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
  CHECK(out == std::vector<float>(6, 8.0f));  // 4 * 1 + 2 * 2
  REQUIRE(m.run(16, 0.5f, 0.0f, &out) == AOTI_RUNTIME_SUCCESS);
  CHECK(out == std::vector<float>(48, 2.0f));
  CHECK(AOTInductorModelContainerRunSingleThreaded(m.handle, nullptr, 0, nullptr, 0, nullptr, nullptr) ==
        AOTI_RUNTIME_FAILURE);
}

TEST_CASE("a non-contiguous input runs on a contiguous copy") {
  Model m;
  // x = 3x4 with column i holding value i, stored transposed (strides 1, 3).
  float storage[12];
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 3; ++c) storage[r * 3 + c] = static_cast<float>(r);
  }
  int64_t sizes[] = {3, 4};
  int64_t strides[] = {1, 3};
  AtenTensorHandle x = nullptr;
  REQUIRE(aoti_torch_create_tensor_from_blob(storage, 2, sizes, strides, 0, aoti_torch_dtype_float32(), 0, 0,
                                             &x) == AOTI_TORCH_SUCCESS);
  bool contiguous = true;
  aoti_torch_is_contiguous(x, &contiguous);
  REQUIRE_FALSE(contiguous);
  AtenTensorHandle inputs[] = {x, filled(3, 2, 0.0f)};
  AtenTensorHandle outputs[1] = {nullptr};
  REQUIRE(AOTInductorModelContainerRun(m.handle, inputs, 2, outputs, 1, nullptr, nullptr) ==
          AOTI_RUNTIME_SUCCESS);
  // Each row of x is [0, 1, 2, 3]; times ones(4, 3): 6 everywhere.
  CHECK(values(outputs[0]) == std::vector<float>(9, 6.0f));
  aoti_torch_delete_tensor_object(outputs[0]);
}

TEST_CASE("every input check has its message") {
  Model m;
  auto run_with = [&](AtenTensorHandle x, AtenTensorHandle z) {
    AtenTensorHandle inputs[] = {x, z};
    AtenTensorHandle outputs[1] = {nullptr};
    return AOTInductorModelContainerRun(m.handle, inputs, 2, outputs, 1, nullptr, nullptr);
  };
  CHECK(run_with(filled(17, 4, 1), filled(17, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 0 'x': size 0 is 17, allowed 1..16");
  CHECK(run_with(filled(3, 4, 1), filled(2, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 1 'z': size 0 is 2, but s0 is 3 from input 0");
  CHECK(run_with(filled(3, 5, 1), filled(3, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 0 'x': size 1 is 5, expected 4");
  CHECK(run_with(filled(3, 4, 1, aoti_torch_dtype_int64()), filled(3, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 0 'x': dtype is int64, expected float32");
  int64_t sizes[] = {3};
  int64_t strides[] = {1};
  AtenTensorHandle vec = nullptr;
  aoti_torch_empty_strided(1, sizes, strides, aoti_torch_dtype_float32(), 0, 0, &vec);
  CHECK(run_with(vec, filled(3, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 0 'x': rank is 1, expected 2");
  CHECK(run_with(nullptr, filled(3, 2, 1)) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: input 0 'x': null tensor handle");

  AtenTensorHandle one[] = {filled(1, 4, 1)};
  AtenTensorHandle outputs[1] = {nullptr};
  CHECK(AOTInductorModelContainerRun(m.handle, one, 1, outputs, 1, nullptr, nullptr) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: expected 2 inputs, got 1");
  AtenTensorHandle two[] = {filled(1, 4, 1), filled(1, 2, 1)};
  CHECK(AOTInductorModelContainerRun(m.handle, two, 2, outputs, 2, nullptr, nullptr) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: expected 1 outputs, got 2");
  CHECK(AOTInductorModelContainerRun(nullptr, nullptr, 0, outputs, 1, nullptr, nullptr) ==
        AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerRun: null container handle");
}

TEST_CASE("creation errors") {
  AOTInductorModelContainerHandle h = nullptr;
  CHECK(AOTInductorModelContainerCreateWithDevice(&h, 1, "cuda:0", nullptr) == AOTI_RUNTIME_FAILURE);
  CHECK(error() ==
        "AOTInductorModelContainerCreateWithDevice: device 'cuda:0' is not supported: this model was "
        "compiled for cpu");
  CHECK(AOTInductorModelContainerCreateWithDevice(&h, 0, "cpu", nullptr) == AOTI_RUNTIME_FAILURE);
  CHECK(error() == "AOTInductorModelContainerCreateWithDevice: num_models must be at least 1");
  CHECK(AOTInductorModelContainerCreate(&h, 1, false, nullptr) == AOTI_RUNTIME_FAILURE);
  REQUIRE(AOTInductorModelContainerCreate(&h, 2, true, nullptr) == AOTI_RUNTIME_SUCCESS);
  CHECK(AOTInductorModelContainerDelete(h) == AOTI_RUNTIME_SUCCESS);
  CHECK(AOTInductorModelContainerDelete(nullptr) == AOTI_RUNTIME_FAILURE);
}

TEST_CASE("constant updates, inactive buffer and swap change the outputs") {
  Model m;
  std::vector<float> out;
  AtenTensorHandle w1_zero = filled(4, 3, 0.0f);
  AtenTensorHandle w2_one = filled(2, 3, 1.0f);

  SUBCASE("active update by FQN") {
    std::unordered_map<std::string, AtenTensorHandle> map = {{"l1.weight", w1_zero}};
    REQUIRE(AOTInductorModelContainerUpdateConstantBuffer(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&map), false, false) ==
            AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 4.0f));  // 0 + 2 * 2
  }
  SUBCASE("folded constants are recomputed from updated ones; updates need not name them") {
    std::unordered_map<std::string, AtenTensorHandle> map = {{"l2.weight", w2_one}};
    REQUIRE(AOTInductorModelContainerUpdateConstantBuffer(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&map), false, false) ==
            AOTI_RUNTIME_SUCCESS);
    std::unordered_map<std::string, AtenTensorHandle> extracted;
    REQUIRE(AOTInductorModelContainerExtractConstantsMap(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&extracted), false) ==
            AOTI_RUNTIME_SUCCESS);
    CHECK(values(extracted.at("_FOLDED_CONST_w2")) == std::vector<float>(6, 1.0f));
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 6.0f));  // 4 + 2 * 1
    CHECK(AOTInductorModelContainerRunConstantFolding(m.handle, false, nullptr, nullptr) ==
          AOTI_RUNTIME_SUCCESS);
    CHECK(AOTInductorModelContainerRunConstantFolding(m.handle, true, nullptr, nullptr) ==
          AOTI_RUNTIME_FAILURE);
    CHECK(error() == "AOTInductorModelContainerRunConstantFolding: there is no inactive constant buffer");
    // An update whose fold() fails changes nothing, in the active set or the inactive one.
    AtenTensorHandle w2_negative = filled(2, 3, -1.0f);
    std::unordered_map<std::string, AtenTensorHandle> bad = {{"l1.weight", w1_zero},
                                                             {"l2.weight", w2_negative}};
    for (bool inactive : {false, true}) {
      CHECK(AOTInductorModelContainerUpdateConstantBuffer(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&bad), inactive, false) ==
            AOTI_RUNTIME_FAILURE);
      CHECK(
          error() ==
          "AOTInductorModelContainerUpdateConstantBuffer: folding constants: fold: w2 must not be negative");
    }
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 6.0f));                                             // still 4 + 2 * 1
    CHECK(AOTInductorModelContainerSwapConstantBuffer(m.handle) == AOTI_RUNTIME_FAILURE);  // none made
    aoti_torch_delete_tensor_object(w2_negative);
    // A full update names every constant but the folded ones.
    std::unordered_map<std::string, AtenTensorHandle> full = {{"l1.weight", w1_zero}, {"l2.weight", w2_one}};
    REQUIRE(AOTInductorModelContainerUpdateConstantBuffer(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&full), false, true) ==
            AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 2.0f));  // 0 + 2 * 1
  }
  SUBCASE("full update validation") {
    std::unordered_map<std::string, AtenTensorHandle> map = {{"l1_weight", w1_zero}};
    CHECK(AOTInductorModelContainerUpdateConstantBuffer(m.handle,
                                                        reinterpret_cast<AOTInductorConstantMapHandle>(&map),
                                                        false, true) == AOTI_RUNTIME_FAILURE);
    CHECK(
        error() ==
        "AOTInductorModelContainerUpdateConstantBuffer: constant 'l2.weight' is missing from a full update");
    std::unordered_map<std::string, AtenTensorHandle> wrong = {{"l1.weight", w2_one}};
    CHECK(AOTInductorModelContainerUpdateConstantBuffer(
              m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&wrong), false, false) ==
          AOTI_RUNTIME_FAILURE);
    CHECK(error() ==
          "AOTInductorModelContainerUpdateConstantBuffer: constant 'l1.weight': shape differs from the "
          "model's");
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 8.0f));  // unchanged after failed updates
  }
  SUBCASE("inactive update, swap, extract, free") {
    std::unordered_map<std::string, AtenTensorHandle> map = {{"l1.weight", w1_zero}, {"l2.weight", w2_one}};
    auto* handle = reinterpret_cast<AOTInductorConstantMapHandle>(&map);
    CHECK(AOTInductorModelContainerSwapConstantBuffer(m.handle) == AOTI_RUNTIME_FAILURE);
    CHECK(error() ==
          "AOTInductorModelContainerSwapConstantBuffer: there is no inactive constant buffer to swap in");
    REQUIRE(AOTInductorModelContainerUpdateInactiveConstantBuffer(m.handle, handle) == AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 8.0f));  // still the active buffer
    std::unordered_map<std::string, AtenTensorHandle> extracted;
    REQUIRE(AOTInductorModelContainerExtractConstantsMap(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&extracted), true) ==
            AOTI_RUNTIME_SUCCESS);
    CHECK(values(extracted.at("l2.weight")) == std::vector<float>(6, 1.0f));
    REQUIRE(AOTInductorModelContainerSwapConstantBuffer(m.handle) == AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 2.0f));  // 0 + 2 * 1
    REQUIRE(AOTInductorModelContainerSwapConstantBuffer(m.handle) == AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 8.0f));
    REQUIRE(AOTInductorModelContainerFreeInactiveConstantBuffer(m.handle) == AOTI_RUNTIME_SUCCESS);
    CHECK(AOTInductorModelContainerExtractConstantsMap(
              m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&extracted), true) ==
          AOTI_RUNTIME_FAILURE);
  }
  SUBCASE("user-managed pairs") {
    AOTInductorConstantMapEntry pairs[] = {{"l2_weight", w2_one}};
    REQUIRE(AOTInductorModelContainerUpdateUserManagedConstantBufferPairs(m.handle, pairs, 1, false, false) ==
            AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 6.0f));  // 4 + 2 * 1
    std::unordered_map<std::string, AtenTensorHandle> map = {{"l1.weight", w1_zero}};
    REQUIRE(AOTInductorModelContainerUpdateUserManagedConstantBuffer(
                m.handle, reinterpret_cast<AOTInductorConstantMapHandle>(&map), false, false) ==
            AOTI_RUNTIME_SUCCESS);
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 2.0f));
  }
  SUBCASE("update from a blob") {
    alignas(64) float blob[32] = {};
    for (int i = 0; i < 12; ++i) blob[i] = 0.5f;   // w1 at byte 0
    for (int i = 16; i < 22; ++i) blob[i] = 3.0f;  // w2 at byte 64
    REQUIRE(AOTInductorModelUpdateConstantsFromBlob(m.handle, reinterpret_cast<const uint8_t*>(blob)) ==
            AOTI_RUNTIME_SUCCESS);
    std::memset(blob, 0, sizeof blob);  // the model keeps its own copy
    REQUIRE(m.run(1, 1.0f, 1.0f, &out) == AOTI_RUNTIME_SUCCESS);
    CHECK(out == std::vector<float>(3, 8.0f));  // 4 * 0.5 + 2 * 3
  }
  aoti_torch_delete_tensor_object(w1_zero);
  aoti_torch_delete_tensor_object(w2_one);
}

TEST_CASE("bare model functions") {
  AOTInductorModelHandle model = nullptr;
  REQUIRE(AOTInductorModelCreate(&model, nullptr) == AOTI_RUNTIME_SUCCESS);
  size_t n = 0;
  CHECK(AOTInductorModelGetNumOutputs(model, &n) == AOTI_RUNTIME_SUCCESS);
  CHECK(n == 1);
  AtenTensorHandle inputs[] = {filled(2, 4, 1.0f), filled(2, 2, 1.0f)};
  AtenTensorHandle outputs[1] = {nullptr};
  REQUIRE(AOTInductorModelRun(model, inputs, outputs) == AOTI_RUNTIME_SUCCESS);
  CHECK(values(outputs[0]) == std::vector<float>(6, 8.0f));
  aoti_torch_delete_tensor_object(outputs[0]);
  AtenTensorHandle w2 = filled(2, 3, 0.0f);
  std::unordered_map<std::string, AtenTensorHandle> map = {{"l2.weight", w2}};
  REQUIRE(AOTInductorModelUpdateConstantsMap(model, reinterpret_cast<AOTInductorConstantMapHandle>(&map)) ==
          AOTI_RUNTIME_SUCCESS);
  AtenTensorHandle again[] = {filled(2, 4, 1.0f), filled(2, 2, 1.0f)};
  REQUIRE(AOTInductorModelRun(model, again, outputs) == AOTI_RUNTIME_SUCCESS);
  CHECK(values(outputs[0]) == std::vector<float>(6, 4.0f));
  aoti_torch_delete_tensor_object(outputs[0]);
  aoti_torch_delete_tensor_object(w2);
  CHECK(AOTInductorModelDelete(model) == AOTI_RUNTIME_SUCCESS);
}

TEST_CASE("concurrent runs on several instances give identical results") {
  Model m(3);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int64_t rows = 1 + (t + i) % 16;
        std::vector<float> out;
        if (m.run(rows, 1.0f, 0.5f, &out) != AOTI_RUNTIME_SUCCESS ||
            out != std::vector<float>(rows * 3, 6.0f)) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
}

}  // namespace

namespace {

/// The message check_result throws for a 3 x 4 float32 tensor, or "" when it passes.
std::string result_error(int32_t dtype, int32_t rank, const int64_t* sizes, const char* const* exprs) {
  AtenTensorHandle t = filled(3, 4, 1.f);
  std::string message;
  try {
    aotic::runtime::check_result(t, "node 'add_1' (aten.add.Tensor)", dtype, rank, sizes, exprs);
  } catch (const aotic::runtime::RuntimeError& e) {
    message = e.what();
  }
  aoti_torch_delete_tensor_object(t);
  return message;
}

TEST_CASE("--debug-checks: check_result names the node and what differs from the export") {
  const int32_t f32 = aoti_torch_dtype_float32();
  const int64_t same[] = {3, 4};
  CHECK(result_error(f32, 2, same, nullptr).empty());
  CHECK(result_error(aoti_torch_dtype_float64(), 2, same, nullptr) ==
        "node 'add_1' (aten.add.Tensor): result dtype float32, export recorded float64");
  const int64_t three[] = {3, 4, 1};
  CHECK(result_error(f32, 3, three, nullptr) ==
        "node 'add_1' (aten.add.Tensor): result rank 2, export recorded 3");
  const int64_t wider[] = {3, 5};
  CHECK(result_error(f32, 2, wider, nullptr) ==
        "node 'add_1' (aten.add.Tensor): result size 1 is 4, export recorded 5");
  const char* const exprs[] = {nullptr, "s0 + 1"};
  CHECK(result_error(f32, 2, wider, exprs) ==
        "node 'add_1' (aten.add.Tensor): result size 1 is 4, export recorded s0 + 1 = 5");
  const int64_t unknown[] = {-1, 4};  // a size no bound symbol decides: not checked
  CHECK(result_error(f32, 2, unknown, nullptr).empty());
}

}  // namespace

namespace {

/// The message item_as_int throws for `h`, or "" with its value in `*value`.
std::string item_error(AtenTensorHandle h, int64_t* value) {
  try {
    *value = aotic::runtime::item_as_int(h, "node 'item' (aten._local_scalar_dense.default)");
  } catch (const aotic::runtime::RuntimeError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("item_as_int reads one element of an integer or bool tensor and names the node otherwise") {
  int64_t value = 0;
  AtenTensorHandle i64 = filled(1, 1, 0.f, aoti_torch_dtype_int64());
  void* data = nullptr;
  aoti_torch_get_data_ptr(i64, &data);
  *static_cast<int64_t*>(data) = -7;
  CHECK(item_error(i64, &value).empty());
  CHECK(value == -7);
  AtenTensorHandle flag = filled(1, 1, 0.f, aoti_torch_dtype_bool());
  aoti_torch_get_data_ptr(flag, &data);
  *static_cast<bool*>(data) = true;
  CHECK(item_error(flag, &value).empty());
  CHECK(value == 1);
  AtenTensorHandle f32 = filled(1, 1, 2.5f);
  CHECK(item_error(f32, &value)
            .rfind("node 'item' (aten._local_scalar_dense.default): .item(): the tensor's "
                   "dtype (code 6) is not an integer type",
                   0) == 0);
  AtenTensorHandle two = filled(1, 2, 0.f, aoti_torch_dtype_int64());
  CHECK(item_error(two, &value).rfind("node 'item' (aten._local_scalar_dense.default): .item() failed", 0) ==
        0);
  for (AtenTensorHandle h : {i64, flag, f32, two}) aoti_torch_delete_tensor_object(h);
}

}  // namespace
