// The aotic binary as users run it: exit codes and one-line messages.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>

#include "tests/test_util.h"

namespace aotic {
namespace {

using Run = testing::AoticRun;

Run run(const std::string& args) {
  Run result = testing::run_aotic(args);
  REQUIRE(result.code != -1);
  return result;
}

TEST_CASE("inspect a bundled archive") {
  Run r = run("inspect tests/data/fixtures/mlp_dyn.pt2");
  CHECK(r.code == 0);
  CHECK(r.out.find("x                float32[s77, 64]  (s77 in 1..1024)") != std::string::npos);
  CHECK(r.out.find("weights: 4 tensors, 38,440 bytes") != std::string::npos);
}

TEST_CASE("bad input: exit 1 with one line naming the file") {
  Run r = run("inspect tests/data/fixtures/missing.pt2");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: tests/data/fixtures/missing.pt2: no such file or directory\n");
  std::string dir = testing::scratch_dir("cli");
  testing::write_file(dir + "/junk.pt2", "PK\x03\x04 definitely not a zip");
  r = run("inspect " + dir + "/junk.pt2");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: " + dir + "/junk.pt2: not a readable .pt2 (zip) archive: Not a zip archive\n");
  r = run("inspect tests/data/fixtures/mlp.io.safetensors");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: tests/data/fixtures/mlp.io.safetensors: not a readable .pt2 (zip) archive: Not a "
        "zip archive\n");
}

TEST_CASE("bad usage: exit 2 with the usage") {
  Run r = run("");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("usage: aotic", 0) == 0);
  r = run("frobnicate");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: unknown command 'frobnicate'\nusage:", 0) == 0);
  r = run("inspect");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: inspect: MODEL is missing\n", 0) == 0);
  r = run("inspect --bogus x.pt2");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: inspect: unknown option '--bogus'\n", 0) == 0);
}

TEST_CASE("compile --dump-after shows the IR and the lowering") {
  std::string dir = testing::scratch_dir("dump");
  Run r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --shim=host --dump-after lower");
  CHECK(r.code == 0);
  CHECK(r.out.rfind(
            "permute                      aten.permute.default                             fallback\n"
            "addmm                        aten.addmm.default                               out-variant\n"
            "relu                         aten.relu.default                                kernel\n",
            0) == 0);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --dump-after load");
  CHECK(r.code == 0);
  CHECK(r.out.find(
            "  %addmm: float32[8, 128] = aten.addmm.default(self=%p_l1_bias, mat1=%x, mat2=%permute)\n") !=
        std::string::npos);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --dump-after parse");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --dump-after: unknown stage 'parse' (stages: load, lower, codegen)\n");
}

TEST_CASE("compile: bad options are usage errors naming the option") {
  const std::string model = "tests/data/fixtures/mlp.pt2";
  const std::string out = testing::scratch_dir("usage") + "/m.so";
  Run r = run("compile " + model + " -o " + out + " --shim sideways");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: --shim must be bundled or host\n", 0) == 0);
  r = run("compile " + model + " -o " + out + " --pointwise fast");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: --pointwise must be shim or kernel\n", 0) == 0);
  r = run("compile " + model + " -o " + out + " --opt 7");
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: --opt must be 0, 1, 2 or 3\n", 0) == 0);
  r = run("compile " + model);
  CHECK(r.code == 2);
  CHECK(r.out.rfind("aotic: compile: -o model.so is missing\n", 0) == 0);
  r = run("compile " + model + " -o " + out + " --header " + out + ".h --class-name 'not an identifier'");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: class name 'not an identifier' is not a C++ identifier\n");
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK_FALSE(std::filesystem::exists(out + ".h"));
}

TEST_CASE("--help and --version") {
  CHECK(run("--help").code == 0);
  Run r = run("--version");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("aotic ", 0) == 0);
}

}  // namespace
}  // namespace aotic
