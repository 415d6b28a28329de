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

/// The first line where two texts differ, for a readable failure.
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "identical";
    if (!ha || !hb || la != lb) {
      return "line " + std::to_string(line) + ":\n  golden: " + (ha ? la : "<end>") +
             "\n  actual: " + (hb ? lb : "<end>");
    }
  }
}

TEST_CASE("inspect output matches the golden files") {
  const char* update_root = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const bool update = std::getenv("AOTIC_UPDATE_GOLDENS") != nullptr && update_root != nullptr;
  int cases = 0;
  for (const char* folder : {"tests/data/fixtures", "tests/data/extra"}) {
    std::vector<std::string> archives;
    for (const auto& entry : std::filesystem::directory_iterator(testing::repo_path(folder))) {
      if (entry.path().extension() == ".pt2") archives.push_back(entry.path().filename().string());
    }
    std::sort(archives.begin(), archives.end());
    for (const std::string& name : archives) {
      ++cases;
      CAPTURE(name);
      // The source is the repository-relative path, so the text is the same wherever tests run.
      std::string relative = std::string(folder) + "/" + name;
      ir::Program program = ir::load_program(testing::repo_path(relative));
      program.source = relative;
      std::string actual = inspect_program(program);
      std::string golden_rel = "tests/golden/inspect/" + name.substr(0, name.size() - 4) + ".txt";
      if (update) {
        testing::write_file(std::string(update_root) + "/" + golden_rel, actual);
        continue;
      }
      std::string golden = testing::read_file(testing::repo_path(golden_rel));
      INFO(first_difference(golden, actual));
      CHECK(golden == actual);
    }
  }
  CHECK(cases == 16);
  if (update) MESSAGE("updated " << cases << " golden files under " << update_root);
}

}  // namespace
}  // namespace aotic
