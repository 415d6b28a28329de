// tools/conformance/pytorch_runner.py's scheduler (crash isolation, re-runs alone, timeouts that
// take the worker's child processes too), run by pytorch_runner_test.py with a stand-in worker:
// PyTorch itself is not needed (nor installed here).
#include <doctest/doctest.h>

#include "tests/test_util.h"

namespace aotic {
namespace {

TEST_CASE("pytorch_runner: every sample once; crashes, hangs and stray output cost their sample only") {
  const testing::AoticRun r =
      testing::run_command("python3 " + testing::repo_path("tests/conformance/pytorch_runner_test.py"));
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("pytorch_runner scheduler: ok (16 samples in ") != std::string::npos);
}

}  // namespace
}  // namespace aotic
