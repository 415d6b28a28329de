// The conformance suite's CI subset (tools/conformance): every sample must have the outcome
// tests/conformance/expected_ci.txt records for it, so a regression (or an improvement not yet
// recorded) fails here with the sample named. Regenerate the expectations with
//   bazel run //tools/conformance -- --ci --update-expected $PWD/tests/conformance/expected_ci.txt
// The whole suite: bazel run //tools/conformance (see the README).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "ir/error.h"
#include "tests/test_util.h"
#include "tools/conformance/conformance.h"

namespace aotic::conformance {
namespace {

TEST_CASE("conformance: the CI subset of the OpInfo suite has the recorded outcomes") {
  Selection selection;
  selection.ci_subset = true;
  const Suite suite = load_suite(testing::repo_path("tests/data/opinfo"), selection);
  const auto expected = read_outcomes(testing::repo_path("tests/conformance/expected_ci.txt"));
  REQUIRE(suite.samples.size() == expected.size());
  REQUIRE(suite.entries.size() > 500);

  RunOptions options;
  options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (const char* tmp = std::getenv("TEST_TMPDIR")) options.work_dir = tmp;
  const std::vector<Result> results = run_samples(suite, suite.samples, options);
  std::cout << table(suite, results);
  for (const Result& r : results) {
    auto it = expected.find(r.sample.key());
    const std::string want = it == expected.end() ? "no entry" : outcome_name(it->second);
    CHECK_MESSAGE(want == outcome_name(r.outcome), fmt::format("{}: expected {}, got {}: {}", r.sample.key(),
                                                               want, outcome_name(r.outcome), r.message));
  }
}

TEST_CASE("conformance: a sample's outcome names the unsupported op, and a bad suite is a user error") {
  Selection selection;
  selection.entries = {"add"};
  selection.dtypes = {"float32"};
  const Suite suite = load_suite(testing::repo_path("tests/data/opinfo"), selection);
  REQUIRE(!suite.samples.empty());
  CHECK(suite.samples.front().key() == "add/float32_0.pt2");

  RunOptions options;
  if (const char* tmp = std::getenv("TEST_TMPDIR")) options.work_dir = tmp;
  const Result pass = run_sample(suite, suite.samples.front(), options);
  CHECK_MESSAGE(pass.outcome == Outcome::kPass, pass.message);

  Selection missing;
  missing.entries = {"no_such_op"};
  CHECK_THROWS_WITH_AS(load_suite(testing::repo_path("tests/data/opinfo"), missing),
                       doctest::Contains("no entry 'no_such_op'"), UserError);
  CHECK_THROWS_WITH_AS(load_suite(testing::scratch_dir("empty"), Selection{}),
                       doctest::Contains("suite.json: cannot read"), UserError);
  CHECK(outcome_from_name("wrong_dtype_shape") == Outcome::kWrongDtypeShape);
  CHECK_THROWS_WITH_AS(outcome_from_name("fine"), "unknown outcome 'fine'", UserError);
}

TEST_CASE("conformance: a mismatch of a program that draws random numbers says so") {
  // scaled_dot_product_attention with dropout_p=0.5: its reference came from another run's
  // random numbers (as exported, and after decompositions as native_dropout).
  Selection selection;
  selection.entries = {"nn.functional.scaled_dot_product_attention"};
  selection.dtypes = {"float32"};
  const Suite suite = load_suite(testing::repo_path("tests/data/opinfo"), selection);
  RunOptions options;
  if (const char* tmp = std::getenv("TEST_TMPDIR")) options.work_dir = tmp;
  size_t seen = 0;
  for (const Sample& sample : suite.samples) {
    if (sample.io != "float32_2.io.safetensors") continue;
    ++seen;
    const Result r = run_sample(suite, sample, options);
    CAPTURE(r.message);
    REQUIRE((r.outcome == Outcome::kWrongResult || r.outcome == Outcome::kPass));
    if (r.outcome != Outcome::kWrongResult) continue;  // the same numbers by chance
    const std::string node = sample.core ? "node 'native_dropout' (aten.native_dropout.default)"
                                         : "node 'scaled_dot_product_attention' "
                                           "(aten.scaled_dot_product_attention.default)";
    CHECK(r.message.rfind(node + " draws random numbers: output_0: ", 0) == 0);
  }
  CHECK(seen == 2);
}

TEST_CASE("conformance: reused workers give the outcomes of a process per sample") {
  Selection selection;
  // masked_select's float32_2 fails on every libtorch: its export asserts a size the sample exceeds.
  selection.entries = {"abs", "add", "masked_select", "neg"};
  selection.dtypes = {"float32"};
  selection.exported = true;
  selection.core = false;
  const Suite suite = load_suite(testing::repo_path("tests/data/opinfo"), selection);
  REQUIRE(suite.samples.size() >= 5);

  RunOptions options;
  if (const char* tmp = std::getenv("TEST_TMPDIR")) options.work_dir = tmp;
  options.jobs = 1;  // one worker: the failing samples come after passing ones in it
  options.samples_per_process = 1;
  const std::vector<Result> fresh = run_samples(suite, suite.samples, options);
  options.samples_per_process = 64;
  std::vector<size_t> order;
  const std::vector<Result> reused =
      run_samples(suite, suite.samples, options, [&](const Result& r, size_t, size_t) {
        for (size_t i = 0; i < suite.samples.size(); ++i)
          if (suite.samples[i].key() == r.sample.key()) order.push_back(i);
      });
  REQUIRE(fresh.size() == reused.size());
  size_t failures = 0;
  for (size_t i = 0; i < fresh.size(); ++i) {
    CHECK_MESSAGE(reused[i].sample.key() == suite.samples[i].key(), reused[i].sample.key());
    CHECK_MESSAGE(fresh[i].outcome == reused[i].outcome, suite.samples[i].key());
    CHECK(fresh[i].message == reused[i].message);
    if (reused[i].outcome != Outcome::kPass) ++failures;
  }
  CHECK(failures >= 1);
  CHECK(failures < fresh.size());
  CHECK(order.size() == suite.samples.size());

  // A sample past its time limit (compiling takes far longer than 1 ms) is killed with its worker
  // and reported; the next ones go on in fresh workers.
  std::vector<Sample> passing;
  for (size_t i = 0; i < fresh.size(); ++i)
    if (fresh[i].outcome == Outcome::kPass) passing.push_back(suite.samples[i]);
  options.timeout_s = 0.001;
  const std::vector<Result> late = run_samples(suite, passing, options);
  REQUIRE(late.size() == passing.size());
  for (const Result& r : late) {
    CHECK(r.outcome == Outcome::kError);
    CHECK(r.message == "timed out");
  }
}

}  // namespace
}  // namespace aotic::conformance
