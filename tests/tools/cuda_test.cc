// `aotic compile --device cuda` on a machine without a GPU: NVRTC and nvcc each compile the CUDA
// kernels of every bundled fixture into a model.so (what CI can check here; runs and comparisons with PyTorch
// happen on a GPU machine, see README.md), the model.so says it is a CUDA model, and running it
// where CUDA is missing fails with one line instead of crashing. Needs nvcc (CUDA_HOME or
// /usr/local/cuda); under CI=true its absence is a failure, elsewhere the test says it skipped.
#include <doctest/doctest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "codegen/nvrtc.h"
#include "ir/archive.h"
#include "tests/test_util.h"

namespace aotic {
namespace {

namespace fs = std::filesystem;
using Run = testing::AoticRun;

Run run(const std::string& args) {
  Run result = testing::run_aotic(args);
  REQUIRE(result.code != -1);
  return result;
}

/// The nvcc the tests expect aotic to find, or "".
std::string cuda_nvcc() {
  const char* home = std::getenv("CUDA_HOME");
  for (const std::string& nvcc : {std::string(home ? home : "/usr/local/cuda") + "/bin/nvcc",
                                  std::string("/usr/local/cuda/bin/nvcc")}) {
    if (access(nvcc.c_str(), X_OK) == 0) return nvcc;
  }
  return "";
}

bool have_nvcc() { return !cuda_nvcc().empty(); }

/// False (and a failure under CI, a message otherwise) when there is no nvcc.
bool require_nvcc() {
  if (have_nvcc()) return true;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    FAIL("no nvcc in $CUDA_HOME/bin or /usr/local/cuda/bin: CI must check the CUDA build");
  }
  MESSAGE("SKIPPED: no nvcc here; the CUDA compile checks did not run");
  return false;
}

std::vector<std::string> fixtures() {
  std::vector<std::string> out;
  for (const char* dir : {"tests/data/fixtures", "tests/data/extra"}) {
    for (const auto& e : fs::directory_iterator(testing::repo_path(dir))) {
      if (e.path().extension() == ".pt2")
        out.push_back(std::string(dir) + "/" + e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("NVRTC and nvcc each compile every fixture for cuda") {
  if (!require_nvcc()) return;
  const std::string dir = testing::scratch_dir("cuda");
  const std::vector<std::string> models = fixtures();
  REQUIRE(models.size() >= 30);
  for (const char* compiler : {"nvrtc", "nvcc"}) {
    for (const std::string& model : models) {
      CAPTURE(compiler);
      CAPTURE(model);
      const std::string so = dir + "/" + fs::path(model).stem().string() + "." + compiler + ".so";
      Run r = run("compile " + testing::repo_path(model) + " --device cuda --cuda-compiler " + compiler +
                  " --quiet -o " + so);
      CHECK_MESSAGE(r.code == 0, r.out);
      CHECK(fs::file_size(so) > 0);
    }
  }
}

TEST_CASE("NVRTC: machine code for each architecture and PTX for the newest, in one fatbin") {
  if (!require_nvcc()) return;
  const fs::path cuda_home = fs::path(cuda_nvcc()).parent_path().parent_path();
  const std::string library = codegen::find_nvrtc(cuda_home);
  REQUIRE_MESSAGE(!library.empty(), "the CUDA toolkit has no libnvrtc.so");
  const fs::path dir = testing::scratch_dir("nvrtc");
  const std::string source = R"(extern "C" __global__ void twice(const float* in, float* out) {
  out[threadIdx.x] = 2.0f * in[threadIdx.x];
}
)";
  const codegen::NvrtcOutcome outcome =
      codegen::nvrtc_fatbin(library, cuda_home, source, "twice.cu", {"80", "90"}, dir / "twice.fatbin");
  REQUIRE_MESSAGE(outcome.ok, outcome.log);
  const std::string fatbin = testing::read_file((dir / "twice.fatbin").string());
  REQUIRE(fatbin.size() > 16);
  CHECK(fatbin.compare(0, 4, "\x50\xed\x55\xba") == 0);  // the fatbin magic, 0xba55ed50
  for (const char* arch : {"80", "90"}) {
    CAPTURE(arch);
    const std::string cubin =
        testing::read_file((dir / (std::string("twice.sm_") + arch + ".cubin")).string());
    CHECK(cubin.compare(0, 4,
                        "\x7f"
                        "ELF") == 0);
    CHECK(fatbin.find(cubin) != std::string::npos);  // machine code is stored as it is
  }
  const std::string ptx = testing::read_file((dir / "twice.compute_90.ptx").string());
  CHECK(ptx.find(".target sm_90") != std::string::npos);
  CHECK(ptx.find(".entry twice(") != std::string::npos);

  // A compile error comes back as NVRTC's log, naming the file and line.
  const codegen::NvrtcOutcome bad = codegen::nvrtc_fatbin(
      library, cuda_home, "__global__ void k() { nope(); }\n", "bad.cu", {"90"}, dir / "bad.fatbin");
  CHECK(!bad.ok);
  CHECK(bad.log.find("bad.cu(1): error: identifier \"nope\" is undefined") != std::string::npos);
  CHECK(!fs::exists(dir / "bad.fatbin"));
  const codegen::NvrtcOutcome missing = codegen::nvrtc_fatbin((dir / "libnvrtc.so").string(), cuda_home,
                                                              source, "twice.cu", {"90"}, dir / "m.fatbin");
  CHECK(!missing.ok);
  CHECK(missing.log.find((dir / "libnvrtc.so").string() + ": cannot load NVRTC") == 0);
}

TEST_CASE("a CUDA model.so is the same bytes on every compile, NVRTC and nvcc alike") {
  if (!require_nvcc()) return;
  const std::string dir = testing::scratch_dir("cuda-deterministic");
  const std::string model = testing::repo_path("tests/data/fixtures/small_cnn.pt2");
  for (const char* compiler : {"nvrtc", "nvcc"}) {
    CAPTURE(compiler);
    for (const char* name : {"a", "b"}) {
      fs::create_directories(dir + "/" + name);
      Run r = run("compile " + model + " --device cuda --cuda-arch 80,90 --quiet --cuda-compiler " +
                  compiler + " -o " + dir + "/" + name + "/m.so");
      REQUIRE_MESSAGE(r.code == 0, r.out);
    }
    CHECK(testing::read_file(dir + "/a/m.so") == testing::read_file(dir + "/b/m.so"));
  }
}

TEST_CASE("--package with --device cuda: PyTorch's package, its metadata naming the CUDA runner") {
  if (!require_nvcc()) return;
  const std::string dir = testing::scratch_dir("cuda-package");
  Run r = run("compile " + testing::repo_path("tests/data/fixtures/mlp.core.pt2") +
              " --device cuda --package --shim=host --quiet -o " + dir + "/mlp_cuda.pt2");
  REQUIRE_MESSAGE(r.code == 0, r.out);
  auto zip = ir::Archive::open_zip(dir + "/mlp_cuda.pt2");
  const std::string metadata =
      zip->read_text("mlp_cuda/data/aotinductor/model/mlp_cuda.wrapper_metadata.json");
  CHECK(metadata.rfind(R"({"AOTI_DEVICE_KEY":"cuda",)", 0) == 0);
  const std::string source = zip->read_text("mlp_cuda/data/aotinductor/model/mlp_cuda.wrapper.cpp");
  CHECK(source.find("aoti_torch_cuda_") != std::string::npos);
  CHECK(source.find("// ---- kernels.cu ----") != std::string::npos);
  CHECK(zip->read_text("mlp_cuda/data/aotinductor/model/mlp_cuda.wrapper.so").size() > 0);
}

TEST_CASE("a cuda model.so says so, and without a GPU fails in one line") {
  if (!require_nvcc()) return;
  const std::string dir = testing::scratch_dir("cuda-run");
  Run r = run("compile " + testing::repo_path("tests/data/fixtures/mlp.pt2") + " --device cuda -o " + dir +
              "/mlp.so --emit-source " + dir + "/src");
  REQUIRE(r.code == 0);
  const std::string source = testing::read_file(dir + "/src/model.cpp");
  CHECK(source.find("aoti_torch_cuda_") != std::string::npos);
  CHECK(source.find("const CudaStreamScope cuda(state);") != std::string::npos);
  CHECK(source.find("aotic_kernels::k0_relu(") != std::string::npos);  // on the run's stream
  // The kernels are a file of their own, compiled by nvcc to a fatbin beside model.cpp, which
  // holds their launchers.
  const std::string kernels = testing::read_file(dir + "/src/kernels.cu");
  CHECK(kernels.find("extern \"C\" __global__ void __launch_bounds__(km::kThreads) k0_relu_part0(") !=
        std::string::npos);
  CHECK(kernels.find("namespace aotic_kernels {") != std::string::npos);
  CHECK(kernels.find("cudaLaunchKernel") == std::string::npos);
  CHECK(source.find("static const void* const part0 = km::kernel(\"k0_relu_part0\");") != std::string::npos);
  CHECK(source.find("_binary_kernels_fatbin_start") != std::string::npos);

  void* library = dlopen((dir + "/mlp.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE_MESSAGE(library != nullptr, dlerror());
  auto device = reinterpret_cast<const char* (*)()>(dlsym(library, "aotic_model_device"));
  REQUIRE(reinterpret_cast<void*>(device) != nullptr);
  CHECK(std::string(device()) == "cuda");
  // A container for another device is refused before anything touches a GPU.
  using Create = int32_t (*)(void**, size_t, const char*, const char*);
  using LastError = const char* (*)();
  auto create = reinterpret_cast<Create>(dlsym(library, "AOTInductorModelContainerCreateWithDevice"));
  auto last_error = reinterpret_cast<LastError>(dlsym(library, "aotic_model_last_error"));
  REQUIRE(reinterpret_cast<void*>(create) != nullptr);
  REQUIRE(reinterpret_cast<void*>(last_error) != nullptr);
  for (const char* wrong : {"cpu", "cuda:x", "cuda:", "mps"}) {
    CAPTURE(wrong);
    void* container = nullptr;
    CHECK(create(&container, 1, wrong, nullptr) != 0);
    CHECK(container == nullptr);
    CHECK(std::string(last_error())
              .find(std::string("device '") + wrong +
                    "' is not supported: this model was compiled for cuda") != std::string::npos);
  }
  dlclose(library);

  // This machine's shim is built against a CPU-only libtorch: the model cannot make its
  // constants on a GPU, and says so in one line.
  r = run("run " + dir + "/mlp.so --inputs " + testing::repo_path("tests/data/fixtures/mlp.io.safetensors"));
  CHECK(r.code == 1);
  CHECK(r.out.find("aotic: error: " + dir + "/mlp.so: cannot") == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

TEST_CASE("a toolkit without a working NVRTC: nvcc by default, an error with --cuda-compiler nvrtc") {
  if (!require_nvcc()) return;
  const fs::path real = fs::canonical(fs::path(cuda_nvcc()).parent_path().parent_path());
  const fs::path dir = testing::scratch_dir("no-nvrtc");
  const std::string mlp = testing::repo_path("tests/data/fixtures/mlp.pt2");
  for (const bool broken : {false, true}) {
    CAPTURE(broken);
    // The real toolkit through links, its libnvrtc* left out (or replaced by a file that is no
    // library).
    const fs::path fake = dir / (broken ? "broken" : "missing");
    fs::remove_all(fake);
    fs::create_directories(fake / "lib");
    fs::create_directories(fake / "targets" / "x86_64-linux");
    for (const char* sub : {"bin", "include", "nvvm"}) fs::create_directory_symlink(real / sub, fake / sub);
    fs::create_directory_symlink("lib", fake / "lib64");
    fs::create_directory_symlink(real / "include", fake / "targets" / "x86_64-linux" / "include");
    fs::create_directory_symlink("../../lib", fake / "targets" / "x86_64-linux" / "lib");
    for (const auto& e : fs::directory_iterator(real / "lib64")) {
      const std::string name = e.path().filename().string();
      if (name.rfind("libnvrtc", 0) != 0) fs::create_symlink(e.path(), fake / "lib" / name);
    }
    if (broken) testing::write_file((fake / "lib" / "libnvrtc.so").string(), "not a library\n");
    const std::string nvcc = (fake / "bin" / "nvcc").string();
    Run r =
        run("compile " + mlp + " --device cuda --nvcc " + nvcc + " --quiet -o " + (fake / "m.so").string());
    CHECK_MESSAGE(r.code == 0, r.out);
    CHECK(fs::exists(fake / "m.so"));
    r = run("compile " + mlp + " --device cuda --nvcc " + nvcc + " --cuda-compiler nvrtc -o " +
            (fake / "n.so").string());
    CHECK(r.code == 1);
    if (broken) {
      CHECK(r.out.find("aotic: error: --cuda-compiler nvrtc: " + (fake / "lib64" / "libnvrtc.so").string() +
                       ": cannot load NVRTC: ") == 0);
    } else {
      CHECK(r.out == "aotic: error: --cuda-compiler nvrtc: no libnvrtc.so in the CUDA toolkit at " +
                         fake.string() + "\n");
    }
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(!fs::exists(fake / "n.so"));
  }
}

TEST_CASE("--device and --cuda-arch errors") {
  const std::string dir = testing::scratch_dir("cuda-flags");
  const std::string mlp = testing::repo_path("tests/data/fixtures/mlp.pt2");
  Run r = run("compile " + mlp + " --device tpu -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --device must be cpu or cuda, got 'tpu'\n");
  r = run("compile " + mlp + " --device cuda:1 -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out.find("pass --device cuda") != std::string::npos);
  r = run("compile " + mlp + " --device cuda --cuda-arch 7x -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --cuda-arch: '7x' is not a CUDA architecture (a list such as 90 or 80,90)\n");
  r = run("compile " + mlp + " --device cuda --pointwise kernel -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --pointwise=kernel makes host loops: it does not apply to --device cuda\n");
  r = run("compile " + mlp + " --device cuda --cuda-compiler clang -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --cuda-compiler must be nvrtc or nvcc, got 'clang'\n");
  r = run("compile " + mlp + " --device cuda --nvcc " + dir + "/no-nvcc -o " + dir + "/m.so");
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: --nvcc " + dir + "/no-nvcc: not an executable\n");
  CHECK(!fs::exists(dir + "/m.so"));
}

}  // namespace
}  // namespace aotic
