// A model compiled by the aotic_model Bazel rule, linked like any library and called through the
// generated class.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "ir/safetensors.h"
#include "small_cnn.h"

namespace {

std::string io_path() {
  const std::string rel = "tests/data/fixtures/small_cnn.io.safetensors";
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir && workspace) return std::string(srcdir) + "/" + workspace + "/" + rel;
  return rel;
}

TEST_CASE("the generated class describes the model") {
  static_assert(aotic_models::small_cnn::kNumInputs == 1);
  CHECK(std::string(aotic_models::small_cnn::kInputNames[0]) == "x");
  CHECK(aotic_models::small_cnn::kInput0Shape[1] == 3);
  aotic_models::small_cnn model;
  CHECK(model.num_inputs() == 1);
  CHECK(model.input_name(0) == "x");
  CHECK(model.num_outputs() == 1);
}

TEST_CASE("the linked model matches PyTorch eager") {
  aotic::ir::SafetensorsFile io = aotic::ir::SafetensorsFile::open(io_path());
  const aotic::ir::SafetensorsEntry* x = io.find("input_0");
  const aotic::ir::SafetensorsEntry* y = io.find("output_0");
  REQUIRE(x != nullptr);
  REQUIRE(y != nullptr);
  aotic::Tensor input = aotic::Tensor::empty(x->shape);
  io.read(*x, input.data<uint8_t>());
  std::vector<float> expected(y->nbytes / 4);
  io.read(*y, reinterpret_cast<uint8_t*>(expected.data()));

  aotic_models::small_cnn model(2);
  std::vector<aotic::Tensor> outputs = model.run([&] {
    std::vector<aotic::Tensor> v;
    v.push_back(std::move(input));
    return v;
  }());
  REQUIRE(outputs.size() == 1);
  CHECK(outputs[0].sizes() == y->shape);
  const float* got = outputs[0].data<float>();
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(std::fabs(got[i] - expected[i]) <= 1e-5 + 1e-4 * std::fabs(expected[i]));
  }
}

TEST_CASE("model errors surface as exceptions with the model's message") {
  aotic_models::small_cnn model;
  std::vector<aotic::Tensor> wrong;
  wrong.push_back(aotic::Tensor::empty({2, 3, 31, 32}));
  CHECK_THROWS_WITH_AS(model.run(std::move(wrong)),
                       "AOTInductorModelContainerRun: input 0 'x': size 2 is 31, expected 32",
                       aotic::ModelError);
}

}  // namespace
