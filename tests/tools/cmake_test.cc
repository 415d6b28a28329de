// The install tree and the CMake package: tools/install.sh puts aotic under a prefix, and the
// example project (examples/cmake_mlp) compiles a model at build time with aotic_add_model,
// links it and runs it. Rebuilding without changes does not recompile the model.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/test_util.h"

namespace aotic {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("install tree, find_package(aotic) and aotic_add_model") {
  const std::string dir = testing::scratch_dir("cmake");
  const std::string prefix = dir + "/prefix";
  testing::AoticRun r = run_command("AOTIC_BUILD_ROOT=. bash " + testing::repo_path("tools/install.sh") +
                                    " --no-build " + prefix);
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(contains(r.out, "installed aotic 0."));
  for (const char* file :
       {"bin/aotic", "lib/libaotic_shim.so", "lib/libaotic_runtime.a", "include/aotic/model_api.h",
        "include/aotic/shim.h", "include/aotic/runtime/interface.h", "lib/cmake/aotic/aoticConfig.cmake",
        "lib/cmake/aotic/aoticConfigVersion.cmake"}) {
    CHECK_MESSAGE(fs::exists(prefix + "/" + file), file);
  }
  // The installed aotic finds its shim and runtime in ../lib.
  r = run_command(prefix + "/bin/aotic --version");
  CHECK(r.code == 0);

  // The example project, copied out of the source tree (a CMake build writes beside nothing).
  const std::string source = dir + "/src";
  fs::create_directories(source);
  for (const char* file : {"CMakeLists.txt", "main.cc", "mlp_dyn.pt2"}) {
    fs::copy_file(testing::repo_path(std::string("examples/cmake_mlp/") + file), source + "/" + file);
    fs::permissions(source + "/" + file, fs::perms::owner_read | fs::perms::owner_write);
  }
  const std::string build = dir + "/build";
  r = run_command("cmake -S " + source + " -B " + build + " -DCMAKE_PREFIX_PATH=" + prefix);
  REQUIRE_MESSAGE(r.code == 0, r.out);
  r = run_command("cmake --build " + build);
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(contains(r.out, "aotic: compiling"));
  r = run_command(build + "/run_mlp");
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(contains(r.out, "model: 1 input(s), 1 output(s)\n"));
  CHECK(contains(r.out, "batch 1 -> output [1, 10], first "));
  CHECK(contains(r.out, "batch 3 -> output [3, 10], first "));

  // Up to date: nothing recompiled. A newer model: compiled again.
  r = run_command("cmake --build " + build);
  CHECK(r.code == 0);
  CHECK_FALSE(contains(r.out, "aotic: compiling"));
  fs::last_write_time(source + "/mlp_dyn.pt2", fs::file_time_type::clock::now() + std::chrono::seconds(5));
  r = run_command("cmake --build " + build);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "aotic: compiling"));

  // A model aotic rejects fails the build with aotic's one-line message.
  testing::write_file(source + "/mlp_dyn.pt2", "not an archive");
  r = run_command("cmake --build " + build);
  CHECK(r.code != 0);
  CHECK(contains(r.out, "aotic: error: " + source + "/mlp_dyn.pt2: not a readable .pt2 (zip) archive"));
}

TEST_CASE("aotic_add_model: a missing MODEL is a configure error naming the call") {
  const std::string dir = testing::scratch_dir("cmake_bad");
  const std::string prefix = dir + "/prefix";
  REQUIRE(run_command("AOTIC_BUILD_ROOT=. bash " + testing::repo_path("tools/install.sh") + " --no-build " +
                      prefix)
              .code == 0);
  testing::write_file(dir + "/src/CMakeLists.txt",
                      "cmake_minimum_required(VERSION 3.16)\nproject(bad CXX)\nfind_package(aotic REQUIRED)\n"
                      "aotic_add_model(m WEIGHTS w.safetensors)\n");
  const testing::AoticRun r =
      run_command("cmake -S " + dir + "/src -B " + dir + "/build -DCMAKE_PREFIX_PATH=" + prefix);
  CHECK(r.code != 0);
  CHECK(contains(r.out, "aotic_add_model(m): MODEL file.pt2 is required"));
}

}  // namespace
}  // namespace aotic
