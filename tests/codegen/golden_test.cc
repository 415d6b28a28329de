// Generated model.cpp for every bundled archive, compared with tests/golden/codegen/<case>/model.cpp.
// Regenerate after an intended change with tools/update_goldens.sh and review the diff.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "codegen/compile.h"
#include "ir/error.h"
#include "ir/load.h"
#include "tests/test_util.h"

namespace aotic {
namespace {

TEST_CASE("generated model.cpp matches the golden files") {
  const char* update_root = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const bool update = std::getenv("AOTIC_UPDATE_GOLDENS") != nullptr && update_root != nullptr;
  int cases = 0;
  for (const std::string& relative : testing::bundled_archives()) {
    const std::string name = std::filesystem::path(relative).filename().string();
    CAPTURE(name);
    ++cases;
    ir::Program program = ir::load_program(testing::repo_path(relative));
    std::string actual;
    try {
      actual = codegen::generate_model_cpp(program, name);
    } catch (const UserError& e) {
      FAIL_CHECK(std::string(e.what()));  // reported, and the other archives still compared
      continue;
    }
    std::string golden_rel = "tests/golden/codegen/" + name.substr(0, name.size() - 4) + "/model.cpp";
    if (update) {
      testing::write_file(std::string(update_root) + "/" + golden_rel, actual);
      continue;
    }
    std::string golden = testing::read_file(testing::repo_path(golden_rel));
    INFO(testing::first_difference(golden, actual));
    CHECK(golden == actual);
    // Emitted code stays within the project's width (string literals are split, lists wrapped).
    std::istringstream lines(actual);
    int line_number = 0;
    for (std::string line; std::getline(lines, line);) {
      ++line_number;
      CAPTURE(line_number);
      CHECK(line.size() <= 110);
    }
  }
  CHECK(cases == 39);

  auto compare = [&](const std::string& golden_rel, const std::string& actual) {
    if (update) {
      testing::write_file(std::string(update_root) + "/" + golden_rel, actual);
      return;
    }
    std::string golden = testing::read_file(testing::repo_path(golden_rel));
    INFO(testing::first_difference(golden, actual));
    CHECK(golden == actual);
  };
  // --shim=host with generated kernels: out= variants and loops instead of aotic's fallback ops.
  ir::Program program = ir::load_program(testing::fixture("mlp.core.pt2"));
  compare("tests/golden/codegen/mlp.core.host_kernels/model.cpp",
          codegen::generate_model_cpp(program, "mlp.core.pt2", codegen::ShimMode::kHost, true));
  // --debug-checks: each op's result checked against the export's dtype and (symbolic) sizes.
  program = ir::load_program(testing::fixture("mlp_dyn.core.pt2"));
  compare("tests/golden/codegen/mlp_dyn.core.debug_checks/model.cpp",
          codegen::generate_model_cpp(program, "mlp_dyn.core.pt2", codegen::ShimMode::kBundled, false, "", {},
                                      true));
  // --device cuda: the wrapper on the run's stream, CUDA kernels (pointwise, row reductions,
  // symbolic sizes) printed from the same kernel IR.
  codegen::CompileOptions cuda;
  cuda.device = "cuda";
  for (const char* name : {"tiny_gpt.core", "mlp_dyn.core", "small_cnn"}) {
    CAPTURE(name);
    program = ir::load_program(testing::fixture(std::string(name) + ".pt2"));
    cuda.source_name = std::string(name) + ".pt2";
    compare("tests/golden/codegen/" + std::string(name) + ".cuda/model.cpp",
            codegen::generate_model_cpp(program, cuda));
  }
}

TEST_CASE("generation is deterministic") {
  ir::Program a = ir::load_program(testing::fixture("tiny_gpt.core.pt2"));
  ir::Program b = ir::load_program(testing::fixture("tiny_gpt.core.pt2"));
  CHECK(codegen::generate_model_cpp(a, "tiny_gpt.core.pt2") ==
        codegen::generate_model_cpp(b, "tiny_gpt.core.pt2"));
}

TEST_CASE("unsupported ops are all listed before anything is compiled") {
  ir::Program program = ir::load_program(testing::fixture("mlp.core.pt2"));
  program.graph.nodes[1].target = "torch.ops.aten.special_gammaln.default";
  program.graph.nodes[2].target = "torch.ops.aten.special_expit.default";
  try {
    codegen::generate_model_cpp(program, "mlp.core.pt2");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()) ==
          testing::fixture("mlp.core.pt2") +
              ": 2 unsupported ops: aten.special_gammaln.default (node 'addmm'): no shim function "
              "aoti_torch_cpu_special_gammaln in shim/fallback_ops.txt; aten.special_expit.default (node "
              "'relu'): no shim function aoti_torch_cpu_special_expit in shim/fallback_ops.txt");
  }
}

}  // namespace
}  // namespace aotic
