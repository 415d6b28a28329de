// The aotic binary as users run it: exit codes and one-line messages.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ir/archive.h"
#include "ir/version.h"
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

TEST_CASE("compile --dump-after shows the IR after a pass; --disable-pass skips an optimising one") {
  std::string dir = testing::scratch_dir("dump");
  Run r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir +
              "/m.so --shim=host --disable-pass fold_constants --disable-pass pack_linear_weights "
              "--dump-after select_ops");
  CHECK(r.code == 0);
  CHECK(r.out.find("view permute = aoti_torch_cpu_permute(p_l1_weight, [1, 0])  # aliases p_l1_weight\n"
                   "alloc addmm : float32[8, 128] strides [128, 1]\n"
                   "call aoti_torch_cpu_addmm_out(addmm, p_l1_bias, x, permute, 1.0, 1.0)\n"
                   "alloc relu : float32[8, 128] strides [128, 1]\n"
                   "launch k0_relu(addmm -> relu)\n") != std::string::npos);
  // --no-fuse: no generated kernels (relu through the old unary kernel, --shim=host lacking it).
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir +
          "/m.so --shim=host --no-fuse --dump-after select_ops");
  CHECK(r.code == 0);
  CHECK(r.out.find("launch ") == std::string::npos);
  CHECK(r.out.find("kernel kernel_relu(addmm -> relu)\n") != std::string::npos);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --dump-after load");
  CHECK(r.code == 0);
  CHECK(r.out.find(
            "  %addmm: float32[8, 128] = aten.addmm.default(self=%p_l1_bias, mat1=%x, mat2=%permute)\n") !=
        std::string::npos);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --dump-after parse");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: --dump-after: unknown stage 'parse' (stages: load, functionalize, fold_batch_norm, "
        "fuse_conv_relu, "
        "to_channels_last, pack_conv_weights, split_conv_bias, pack_linear_weights, "
        "import_graph, bind_shapes, lower_views, check_types, fold_constants, fuse_kernels, dedup_kernels, "
        "select_ops, "
        "insert_checks, plan_lifetimes, "
        "reuse_buffers, plan_memory, plan_cuda_graphs, codegen)\n");
  r = run("compile tests/data/fixtures/tiny_gpt.core.pt2 -o " + dir +
          "/g.so --disable-pass reuse_buffers "
          "--dump-after codegen");
  CHECK(r.code == 0);
  CHECK(r.out.find("std::move(") == std::string::npos);
  // reuse_buffers' chains, where plan_memory does not place the buffers in its arena instead.
  r = run("compile tests/data/fixtures/tiny_gpt.core.pt2 -o " + dir +
          "/g.so --disable-pass plan_memory --disable-pass pack_linear_weights --dump-after codegen");
  CHECK(r.code == 0);
  CHECK(r.out.find("addmm_3 = std::move(addmm);  // addmm's buffer: same dtype, sizes and strides\n") !=
        std::string::npos);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --disable-pass plan_lifetimes");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: --disable-pass: 'plan_lifetimes' is needed to compile a model (optimising "
        "passes: functionalize, fold_batch_norm, fuse_conv_relu, to_channels_last, pack_conv_weights, "
        "split_conv_bias, pack_linear_weights, fold_constants, "
        "fuse_kernels, "
        "dedup_kernels, reuse_buffers, "
        "plan_memory, plan_cuda_graphs)\n");
  // --isa: the x86-64 levels the compilers know; anything else is a user error, nothing written.
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/isa.so --isa pentium");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: --isa must be x86-64, x86-64-v2, x86-64-v3, x86-64-v4 or native, got 'pentium'\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/isa.so"));
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/isa.so --isa x86-64");
  CHECK(r.code == 0);
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

/// The names `nm -D --defined-only` lists for a shared library, sorted.
std::vector<std::string> exported_names(const std::string& so) {
  std::vector<std::string> names;
  FILE* pipe = popen(("nm -D --defined-only " + so + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char line[1024];
  while (fgets(line, sizeof line, pipe) != nullptr) {
    std::string text(line);
    const size_t space = text.rfind(' ');
    if (space != std::string::npos)
      names.push_back(text.substr(space + 1, text.find_last_not_of("\r\n") - space));
  }
  pclose(pipe);
  std::sort(names.begin(), names.end());
  return names;
}

/// The entry points aotic/runtime/interface.h declares (marked AOTI_RUNTIME_EXPORT), sorted.
std::vector<std::string> interface_names() {
  const std::string header =
      testing::read_file(testing::repo_path("runtime/include/aotic/runtime/interface.h"));
  std::vector<std::string> names;
  for (size_t pos = header.find("\nAOTI_RUNTIME_EXPORT "); pos != std::string::npos;
       pos = header.find("\nAOTI_RUNTIME_EXPORT ", pos + 1)) {
    const size_t paren = header.find('(', pos);
    size_t start = paren;
    while (start > pos &&
           (std::isalnum(static_cast<unsigned char>(header[start - 1])) || header[start - 1] == '_'))
      --start;
    names.push_back(header.substr(start, paren - start));
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_CASE("compile links the precompiled runtime: model.so exports exactly interface.h's entry points") {
  const std::vector<std::string> expected = interface_names();
  REQUIRE(expected.size() >= 30);
  CHECK(std::find(expected.begin(), expected.end(), "AOTInductorModelContainerRun") != expected.end());
  const std::string dir = testing::scratch_dir("exports");
  Run r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/m.so --shim=host --runtime-lib " +
              testing::repo_path("runtime/libaotic_runtime.a"));
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(exported_names(dir + "/m.so") == expected);
}

TEST_CASE("a missing runtime library is an error naming it, before compiling") {
  const std::string out = testing::scratch_dir("runtime_lib") + "/m.so";
  Run r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + out +
              " --runtime-lib /no/such/libaotic_runtime.a");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: /no/such/libaotic_runtime.a: cannot read the runtime library (libaotic_runtime.a)\n");
  CHECK_FALSE(std::filesystem::exists(out));
  setenv("AOTIC_RUNTIME_LIBRARY", "/no/such/either.a", 1);
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + out);
  unsetenv("AOTIC_RUNTIME_LIBRARY");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: /no/such/either.a: cannot read the runtime library (libaotic_runtime.a)\n");
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("compile: an output that cannot be written fails first, naming the folder") {
  const std::string dir = testing::scratch_dir("unwritable");
  Run r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/missing/m.so");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: " + dir + "/missing/m.so: cannot write: no such directory '" + dir + "/missing'\n");
  testing::write_file(dir + "/file", "x");
  r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/file/m.so");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: " + dir + "/file/m.so: cannot write: '" + dir + "/file' is not a directory\n");
  r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir);
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: " + dir + ": cannot write: it is a directory\n");
  r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/m.so --header " + dir + "/nope/m.h");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: " + dir + "/nope/m.h: cannot write: no such directory '" + dir + "/nope'\n");
  CHECK(std::filesystem::directory_iterator(dir) != std::filesystem::directory_iterator());
  CHECK_FALSE(std::filesystem::exists(dir + "/m.so"));
}

/// The names of the entries of `dir`, sorted.
std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_CASE("compile killed midway leaves the previous outputs intact and no scratch files") {
  const std::string dir = testing::scratch_dir("killed");
  const std::string out = dir + "/out";
  std::filesystem::create_directories(out);
  Run r = run("compile tests/data/fixtures/mlp.pt2 -o " + out + "/m.so --header " + out + "/m.h");
  REQUIRE_MESSAGE(r.code == 0, r.out);
  const std::string model_before = testing::read_file(out + "/m.so");
  const std::string header_before = testing::read_file(out + "/m.h");
  const std::vector<std::string> files_before = listing(out);

  // A compiler that signals it has started, then hangs until aotic is killed.
  const std::string tmp = dir + "/tmp";
  std::filesystem::create_directories(tmp);
  const std::string started = dir + "/started";
  const std::string cxx = dir + "/slow-cxx";
  testing::write_file(cxx, "#!/bin/sh\ntouch " + started + "\nexec sleep 60\n");
  std::filesystem::permissions(cxx, std::filesystem::perms::owner_all);
  const std::string command = "TMPDIR=" + tmp + " exec " + testing::repo_path("tools/aotic") +
                              " compile tests/data/fixtures/small_cnn.pt2 -o " + out + "/m.so --header " +
                              out + "/m.h --cxx " + cxx + " >/dev/null 2>&1";
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    setpgid(0, 0);  // its own group, so the hanging compiler can be killed with it
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(started); ++i) usleep(50 * 1000);
  REQUIRE(std::filesystem::exists(started));
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  kill(-child, SIGKILL);  // the compiler's sleep
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK(listing(out) == files_before);  // no staged files left
  CHECK(testing::read_file(out + "/m.so") == model_before);
  CHECK(testing::read_file(out + "/m.h") == header_before);
  CHECK(listing(tmp).empty());  // the build directory was removed
}

TEST_CASE("compile --package writes PyTorch's AOTInductor package around the model.so") {
  const std::string dir = testing::scratch_dir("package");
  Run r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/mlp_pkg.pt2 --package");
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(r.out == "wrote " + dir + "/mlp_pkg.pt2 (" +
                     std::to_string(std::filesystem::file_size(dir + "/mlp_pkg.pt2")) +
                     " bytes)\n");  // no shim copy: PyTorch's libtorch is the shim
  const std::map<std::string, std::string> entries = [&] {
    std::map<std::string, std::string> out;
    auto zip = ir::Archive::open_zip(dir + "/mlp_pkg.pt2");
    for (const std::string& name : zip->entries()) out[name] = zip->read_text(name);
    return out;
  }();
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const auto& [name, bytes] : entries) names.push_back(name);
  CHECK(names == std::vector<std::string>{"mlp_pkg/.data/version", "mlp_pkg/archive_format",
                                          "mlp_pkg/archive_version", "mlp_pkg/byteorder",
                                          "mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper.cpp",
                                          "mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper.so",
                                          "mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper_metadata.json"});
  CHECK(entries.at("mlp_pkg/archive_format") == "pt2");
  CHECK(entries.at("mlp_pkg/archive_version") == "0");
  CHECK(entries.at("mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper_metadata.json") ==
        R"({"AOTI_DEVICE_KEY":"cpu","AOTI_PLATFORM":"linux","AOTI_MACHINE":"x86_64","AOTIC_ISA":"x86-64-v2",)"
        R"("AOTIC_VERSION":")" +
            std::string(kVersion) + R"("})");
  // The .so inside is the model.so a plain --shim=host compile writes, byte for byte, and so is the
  // package on a second compile.
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/mlp_pkg.so --shim=host");
  REQUIRE_MESSAGE(r.code == 0, r.out);
  CHECK(entries.at("mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper.so") ==
        testing::read_file(dir + "/mlp_pkg.so"));
  CHECK(entries.at("mlp_pkg/data/aotinductor/model/mlp_pkg.wrapper.cpp").find("aotic_model_spec()") !=
        std::string::npos);
  const std::string first = testing::read_file(dir + "/mlp_pkg.pt2");
  REQUIRE(run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/mlp_pkg.pt2 --package").code == 0);
  CHECK(testing::read_file(dir + "/mlp_pkg.pt2") == first);

  // What a package cannot hold.
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/b.pt2 --package --shim=bundled");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "aotic: error: --package needs --shim=host: PyTorch's loader takes one .so per model and gives it "
        "PyTorch's own shim\n");
  r = run("compile tests/data/fixtures/mlp.core.pt2 -o " + dir + "/b.pt2 --package --weights external");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --package embeds the weights: --weights external does not apply\n");
  CHECK_FALSE(std::filesystem::exists(dir + "/b.pt2"));
}

TEST_CASE("--help and --version") {
  CHECK(run("--help").code == 0);
  Run r = run("--version");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("aotic 0.", 0) == 0);
  CHECK(r.out.find("\nlibtorch (bundled shim): ") != std::string::npos);
  CHECK(r.out.find("\ncompilers:\n  ") != std::string::npos);
  CHECK(r.out.find(" (default)\n") != std::string::npos);
  CHECK(r.out.find("\n  nvcc: ") != std::string::npos);
}

TEST_CASE("compile --timings: one line on stderr with each step's seconds") {
  const std::string dir = testing::scratch_dir("timings");
  Run r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/m.so --quiet --timings");
  REQUIRE(r.code == 0);
  INFO(r.out);
  // run() gives stdout and stderr together; --quiet leaves only the timings.
  CHECK(r.out.rfind("timings: load ", 0) == 0);
  for (const char* step : {" s, generate ", " s, compile ", " s, link ", " s, write ", " s, total "})
    CHECK(r.out.find(step) != std::string::npos);
  CHECK(r.out.back() == '\n');
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

TEST_CASE("compile progress: on a terminal only, never with --quiet") {
  const std::string dir = testing::scratch_dir("progress");
  // Not a terminal (a pipe): the summary line only.
  Run r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/m.so");
  REQUIRE(r.code == 0);
  CHECK(r.out == "wrote " + dir + "/m.so (" + std::to_string(std::filesystem::file_size(dir + "/m.so")) +
                     " bytes) and " + dir + "/libaotic_shim.so\n");
  r = run("compile tests/data/fixtures/mlp.pt2 -o " + dir + "/m.so --quiet");
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  // A terminal (script(1) gives the command a pseudo-terminal): each stage, then the line cleared.
  const std::string aotic = testing::repo_path("tools/aotic");
  Run tty = testing::run_command("script -qec '" + aotic + " compile tests/data/fixtures/mlp.pt2 -o " + dir +
                                 "/m.so' /dev/null");
  REQUIRE(tty.code == 0);
  CHECK(tty.out.find("aotic: loading tests/data/fixtures/mlp.pt2") != std::string::npos);
  CHECK(tty.out.find("aotic: [1/4] generating model.cpp") != std::string::npos);
  CHECK(tty.out.find("aotic: [2/4] compiling model.cpp (") != std::string::npos);
  CHECK(tty.out.find("aotic: [3/4] linking model.so") != std::string::npos);
  CHECK(tty.out.find("aotic: [4/4] writing ") != std::string::npos);  // (long paths are cut)
  CHECK(tty.out.find("\r\033[Kwrote " + dir + "/m.so") != std::string::npos);
  tty = testing::run_command("script -qec '" + aotic + " compile tests/data/fixtures/mlp.pt2 -o " + dir +
                             "/m.so --quiet' /dev/null");
  CHECK(tty.code == 0);
  CHECK(tty.out.empty());
}

}  // namespace
}  // namespace aotic
