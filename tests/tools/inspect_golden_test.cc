// `aotic inspect` output for every bundled archive, compared with tests/golden/inspect/<case>.txt.
// Regenerate after an intended change with: tools/update_goldens.sh (then review the diff).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "ir/load.h"
#include "tests/test_util.h"
#include "tools/inspect.h"

namespace aotic {
namespace {

TEST_CASE("inspect output matches the golden files") {
  const char* update_root = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const bool update = std::getenv("AOTIC_UPDATE_GOLDENS") != nullptr && update_root != nullptr;
  int cases = 0;
  for (const std::string& relative : testing::bundled_archives()) {
    const std::string name = std::filesystem::path(relative).filename().string();
    ++cases;
    CAPTURE(name);
    // The source is the repository-relative path, so the text is the same wherever tests run.
    ir::Program program = ir::load_program(testing::repo_path(relative));
    program.source = relative;
    std::string actual = inspect_program(program);
    std::string golden_rel = "tests/golden/inspect/" + name.substr(0, name.size() - 4) + ".txt";
    if (update) {
      testing::write_file(std::string(update_root) + "/" + golden_rel, actual);
      continue;
    }
    std::string golden = testing::read_file(testing::repo_path(golden_rel));
    INFO(testing::first_difference(golden, actual));
    CHECK(golden == actual);
  }
  CHECK(cases == 39);
  if (update) MESSAGE("updated " << cases << " golden files under " << update_root);
}

}  // namespace
}  // namespace aotic
