// The eager kernel cache (eager/eager.h): results equal libtorch's own kernels over dtypes and
// shapes, calls are served from the cache, the cache survives the process (a second run of the
// example program loads instead of compiling), bad indexes and libraries are rebuilt with a
// warning, and ops that cannot be cached are refused with a message naming them.
#include <ATen/ATen.h>
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "eager/cache_index.h"
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
  options.background_compile = false;  // counts below are exact; the background test sets it
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

std::string user_error_of(const std::vector<std::string>& ops, const Options& options) {
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
  expected.reserve(inputs.size());
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

TEST_CASE("ops that cannot be cached are refused with a message naming them") {
  const Options options = options_for("eager-refused");
  CHECK(user_error_of({"aten::no_such_op"}, options) == "aten::no_such_op: libtorch has no such operator");
  CHECK(user_error_of({"gelu"}, options) == "gelu: not an operator name (expected e.g. aten::add.Tensor)");
  CHECK(user_error_of({"aten::add_.Tensor"}, options) ==
        "aten::add_.Tensor: cannot be cached: it writes to an argument");
  CHECK(user_error_of({"aten::permute"}, options) ==
        "aten::permute: cannot be cached: it returns a view of an argument");
  CHECK(user_error_of({"aten::ones"}, options) == "aten::ones: cannot be cached: it takes no tensor");
  CHECK(user_error_of({"aten::softmax.int"}, options) ==
        "aten::softmax.int: cannot be cached: libtorch runs it as other ops (CompositeImplicitAutograd); "
        "register "
        "those");
  CHECK(user_error_of({"aten::relu", "aten::sym_size.int"}, options).rfind("aten::sym_size.int: ", 0) == 0);
  Options no_dir = options;
  no_dir.cache_dir.clear();
  CHECK(user_error_of({"aten::relu"}, no_dir) == "aotic eager: no cache directory given");
  // Nothing was registered by the failed calls: relu still runs libtorch's kernel.
  const at::Tensor x = at::randn({3, 4});
  CHECK(at::equal(at::relu(x), at::clamp_min(x, 0)));
}

TEST_CASE("calls the cache cannot serve run the regular kernel; autograd still works") {
  const Options options = options_for("eager-fallback");
  at::manual_seed(1);
  const at::Tensor dense = at::randn({4, 5});
  const at::Tensor sparse = dense.to_sparse();
  const at::Tensor sparse_sum = at::add(sparse, sparse).to_dense();
  const at::Tensor x = at::randn({6, 7});
  const at::Tensor expected_grad = at::sigmoid(x) * (1 - at::sigmoid(x));

  auto cache = aotic::eager::enable({"aten::add.Tensor", "aten::sigmoid"}, options);
  CHECK(at::equal(at::add(sparse, sparse).to_dense(), sparse_sum));
  CHECK(cache->stats().fallbacks == 1);
  CHECK(cache->stats().misses == 0);

  // Below autograd: the graph is recorded above the cached kernel and the gradient is right.
  for (int i = 0; i < 2; ++i) {
    at::Tensor leaf = x.clone().set_requires_grad(true);
    at::Tensor y = at::sigmoid(leaf);
    CHECK(y.requires_grad());
    y.sum().backward();
    check_close(leaf.grad(), expected_grad);
  }
  CHECK(cache->stats().hits >= 1);
}

TEST_CASE("dynamic shapes: one kernel per dtype and rank for size-preserving calls") {
  Options options = options_for("eager-dynamic");
  options.dynamic_shapes = true;
  at::manual_seed(2);
  const std::vector<at::Tensor> xs = {at::randn({4, 8}), at::randn({6, 3}), at::randn({9, 17}),
                                      at::randn({2, 3, 5})};
  std::vector<at::Tensor> gelu, sums;
  for (const at::Tensor& x : xs) {
    gelu.push_back(at::gelu(x));
    sums.push_back(at::sum(x, {-1}));
  }
  auto cache = aotic::eager::enable({"aten::gelu", "aten::sum.dim_IntList"}, options);
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < xs.size(); ++i) {
      INFO("round " << round << " input " << i);
      check_close(at::gelu(xs[i]), gelu[i]);
      check_close(at::sum(xs[i], {-1}), sums[i], 1e-5, 1e-5);
    }
  }
  const Stats s = cache->stats();
  CHECK(s.compile_failures == 0);
  // gelu: one kernel for rank 2, one for rank 3. sum changes the sizes, so it gets one kernel per
  // size (four). Every call after a kernel exists is a hit.
  CHECK(s.compiles == 2 + 4);
  CHECK(s.misses == s.compiles);
  CHECK(s.hits == int64_t{2} * 8 - s.misses);
}

TEST_CASE("the cache is shared by threads") {
  const Options options = options_for("eager-threads");
  const at::Tensor x = at::randn({32, 64});
  const at::Tensor expected = at::tanh(x);
  auto cache = aotic::eager::enable({"aten::tanh"}, options);
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!at::allclose(at::tanh(x), expected, 1e-5, 1e-6)) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(wrong == 0);
  const Stats s = cache->stats();
  CHECK(s.compiles == 1);
  CHECK(s.hits + s.misses == 200);
}

TEST_CASE("a corrupt index, a changed library and a stale entry are rebuilt with a warning") {
  const Options options = options_for("eager-corrupt");
  const at::Tensor x = at::randn({5, 6});
  const at::Tensor expected = at::exp(x);
  const auto run_once = [&]() {
    auto cache = aotic::eager::enable({"aten::exp"}, options);
    check_close(at::exp(x), expected);
    check_close(at::exp(x), expected);
    return cache->stats();
  };
  const Stats first = run_once();
  CHECK(first.compiles == 1);
  const Stats second = run_once();
  CHECK(second.compiles == 0);
  CHECK(second.loaded_from_disk == 1);

  aotic::eager::CacheIndex index(options.cache_dir, "aten::exp", options.isa);
  REQUIRE(index.read().entries.size() == 1);
  const std::string library = index.resolve(index.read().entries[0].kernel_path);

  // Not JSON.
  std::ofstream(index.index_path(), std::ios::trunc) << "[{\"key\": ";
  aotic::eager::IndexContents contents = index.read();
  CHECK(contents.entries.empty());
  REQUIRE(contents.warnings.size() == 1);
  CHECK(contents.warnings[0] ==
        index.index_path() + ": not a JSON list of kernels; ignored, kernels are rebuilt");
  Stats s = run_once();
  CHECK(s.stale_entries == 1);
  CHECK(s.compiles == 1);

  // A library whose bytes changed since it was recorded.
  std::ofstream(library, std::ios::binary | std::ios::app) << "extra";
  s = run_once();
  CHECK(s.stale_entries == 1);
  CHECK(s.compiles == 1);

  // Truncated to nothing: dlopen would fail; the hash check catches it first.
  std::filesystem::resize_file(library, 0);
  s = run_once();
  CHECK(s.compiles == 1);

  // Built by another aotic.
  std::string text = aotic::testing::read_file(index.index_path());
  const size_t at = text.find("\"version\": \"");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("\"version\": \"").size(), "\"version\": \"0.0.0-");
  std::ofstream(index.index_path(), std::ios::trunc) << text;
  contents = index.read();
  CHECK(contents.entries.empty());
  REQUIRE(contents.warnings.size() == 1);
  CHECK(contents.warnings[0].find(": entry 0: built by {") != std::string::npos);
  s = run_once();
  CHECK(s.stale_entries == 1);
  CHECK(s.compiles == 1);

  // An entry with missing fields, next to a good one.
  text = aotic::testing::read_file(index.index_path());
  std::ofstream(index.index_path(), std::ios::trunc)
      << "[{\"meta_info\": 3}," << text.substr(text.find('[') + 1);
  contents = index.read();
  CHECK(contents.entries.size() == 1);
  REQUIRE(contents.warnings.size() == 1);
  CHECK(contents.warnings[0] ==
        index.index_path() + ": entry 0: missing or mistyped fields; ignored, the kernel is rebuilt");
  s = run_once();
  CHECK(s.compiles == 0);
  CHECK(s.loaded_from_disk == 1);
}

TEST_CASE("a second process finds the first one's kernels (the example program, run twice)") {
  const std::string cache = aotic::testing::scratch_dir("eager-processes");
  const std::string example = aotic::testing::repo_path("examples/eager_cache/eager_cache");
  // The example finds the shim and the runtime through these (it has no runfiles of its own here).
  ::setenv("AOTIC_SHIM_LIBRARY", fs::absolute(aotic::testing::repo_path("shim/libaotic_shim.so")).c_str(), 1);
  ::setenv("AOTIC_RUNTIME_LIBRARY",
           fs::absolute(aotic::testing::repo_path("runtime/libaotic_runtime.a")).c_str(), 1);
  const auto stats_of = [&](const std::string& label) {
    const std::string log = cache + "/" + label + ".log";
    const int status = std::system(
        (example + " --cache " + cache + " --ops relu,gelu,mean.dim --repeat 5 > " + log + " 2>&1").c_str());
    const std::string text = aotic::testing::read_file(log);
    INFO(text);
    CHECK(status == 0);
    const size_t at = text.find("stats: ");
    REQUIRE(at != std::string::npos);
    return text.substr(at);
  };
  const std::string first = stats_of("first");
  CHECK(first.find(" compiles=0 ") == std::string::npos);
  CHECK(first.find(" loaded_from_disk=0 ") != std::string::npos);
  CHECK(first.find(" mismatches=0") != std::string::npos);
  const std::string second = stats_of("second");
  CHECK(second.find("misses=0 compiles=0 ") != std::string::npos);
  CHECK(second.find(" loaded_from_disk=0 ") == std::string::npos);
  CHECK(second.find(" mismatches=0") != std::string::npos);
}

TEST_CASE("tensor lists, optional-tensor lists and results whose sizes depend on values") {
  const Options options = options_for("eager-lists");
  at::manual_seed(3);
  const at::Tensor a = at::randn({3, 4});
  const at::Tensor b = at::randn({2, 4});
  const at::Tensor rows = at::tensor({2, 0, 1, 1}, at::kLong);
  const at::Tensor other_a = at::randn({3, 4});  // same metadata, other values
  const at::Tensor cat = at::cat({a, b}, 0);
  const at::Tensor indexed = at::index(a, {rows});
  const at::Tensor nonzero = at::nonzero(a > 0);
  const at::Tensor other_nonzero = at::nonzero(other_a > 0.5);
  const at::Tensor selected = at::masked_select(a, a > 0);
  const at::Tensor other_selected = at::masked_select(other_a, other_a > 0.5);
  REQUIRE(nonzero.size(0) != other_nonzero.size(0));

  auto cache = aotic::eager::enable(
      {"aten::cat", "aten::index.Tensor", "aten::nonzero", "aten::masked_select"}, options);
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    check_close(at::cat({a, b}, 0), cat);
    check_close(at::index(a, {rows}), indexed);
    // The kernel compiled for the first call must not keep that call's result size.
    check_close(at::nonzero(a > 0), nonzero);
    check_close(at::nonzero(other_a > 0.5), other_nonzero);
    check_close(at::masked_select(a, a > 0), selected);
    check_close(at::masked_select(other_a, other_a > 0.5), other_selected);
  }
  const Stats s = cache->stats();
  CHECK(s.hits > 0);
  CHECK(s.fallbacks + s.compile_failures + s.compiles + s.hits == 12);
}

TEST_CASE("background compiles: a miss answers at once, the kernel serves later calls") {
  Options options = options_for("eager-background");
  options.background_compile = true;
  at::manual_seed(4);
  const at::Tensor x = at::randn({8, 16});
  const at::Tensor y = at::randn({4, 4});
  const at::Tensor sx = at::sigmoid(x);
  const at::Tensor sy = at::sigmoid(y);
  {
    auto cache = aotic::eager::enable({"aten::sigmoid"}, options);
    check_close(at::sigmoid(x), sx);  // a miss: the regular kernel answers, the compile is queued
    cache->wait_for_compiles();
    check_close(at::sigmoid(x), sx);  // the kernel
    Stats s = cache->stats();
    CHECK(s.misses == 1);
    CHECK(s.compiles == 1);
    CHECK(s.hits == 1);
    // Calls while the kernel is compiling run the regular kernel and queue nothing more.
    for (int i = 0; i < 5; ++i) check_close(at::sigmoid(y), sy);
    cache->wait_for_compiles();
    check_close(at::sigmoid(y), sy);
    s = cache->stats();
    CHECK(s.compiles == 2);
    CHECK(s.hits + s.misses == 8);
    CHECK(s.hits >= 2);
  }
  // Destroyed with compiles queued: they are dropped, the running one finishes, nothing hangs.
  auto cache = aotic::eager::enable({"aten::sigmoid"}, options);
  for (int64_t n = 1; n <= 4; ++n) check_close(at::sigmoid(at::ones({n, 3})), at::sigmoid(at::ones({n, 3})));
  cache.reset();
  CHECK(at::equal(at::sigmoid(at::zeros({2})), at::full({2}, 0.5)));
}
