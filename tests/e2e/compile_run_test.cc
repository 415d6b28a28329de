// End to end, as a user runs it: `aotic compile` every bundled archive, `aotic run --check` it
// against PyTorch eager's outputs (rtol 1e-4, atol 1e-5), dynamic batch sizes in and out of range,
// byte-identical rebuilds, and no partial output when compiling fails.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "ir/safetensors.h"
#include "tests/test_util.h"

namespace aotic {
namespace {

using Run = testing::AoticRun;

Run aotic(const std::string& args) {
  Run result = testing::run_aotic(args);
  REQUIRE(result.code != -1);
  return result;
}

std::string shim_option() { return "--shim-lib " + testing::repo_path("shim/libaotic_shim.so"); }

void compile_and_check_all(const std::string& compile_flags) {
  const std::string dir = testing::scratch_dir("e2e");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fixtures", "mlp"},      {"fixtures", "mlp_dyn"},    {"fixtures", "small_cnn"},
      {"fixtures", "tiny_gpt"}, {"extra", "cond"},          {"extra", "sym_ops"},
      {"extra", "misc_ops"},    {"extra", "gpt_dyn"},       {"extra", "common_ops"},
      {"extra", "lstm_tagger"}, {"extra", "gru_encoder"},   {"extra", "tiny_vit"},
      {"extra", "cnn_dim"},     {"extra", "int_ops"},       {"extra", "derived_dims"},
      {"extra", "res_cnn"},     {"extra", "small_cnn_pad"},
  };
  for (const auto& [folder, name] : cases) {
    for (const char* flavour : {"", ".core"}) {
      const std::string archive = testing::repo_path("tests/data/" + folder + "/" + name + flavour + ".pt2");
      const std::string io = testing::repo_path("tests/data/" + folder + "/" + name + ".io.safetensors");
      const std::string so = dir + "/" + name + flavour + ".so";
      CAPTURE(archive);
      Run compiled = aotic("compile " + archive + " -o " + so + " " + shim_option() + compile_flags);
      INFO(compiled.out);
      REQUIRE(compiled.code == 0);
      Run checked = aotic("run " + so + " --inputs " + io + " --check " + io);
      INFO(checked.out);
      CHECK(checked.code == 0);
      CHECK(checked.out.find("check: ok") != std::string::npos);
    }
  }
}

TEST_CASE("every bundled archive compiles and matches its reference") { compile_and_check_all(""); }

TEST_CASE("the same without fusion: every op a libtorch call (unary float ops as generated loops)") {
  compile_and_check_all(" --no-fuse --pointwise kernel");
}

TEST_CASE("an in-place update that stays in place reaches the values read after it") {
  // res_cnn_inplace: res_cnn with the second block's convolution input doubled in place (add_)
  // before the residual add and returned negated afterwards. Its reference is libtorch's, op by
  // op in NCHW (compile --no-fuse --disable-pass to_channels_last). Channels-last conversion used
  // to give the add_ a contiguous copy, so the returned value missed the update.
  const std::string dir = testing::scratch_dir("inplace");
  const std::string io = testing::repo_path("tests/data/extra/res_cnn_inplace.io.safetensors");
  for (const char* flags : {"", " --no-fuse"}) {
    CAPTURE(flags);
    Run compiled = aotic("compile " + testing::repo_path("tests/data/extra/res_cnn_inplace.pt2") + " -o " +
                         dir + "/m.so " + shim_option() + flags);
    INFO(compiled.out);
    REQUIRE(compiled.code == 0);
    Run checked = aotic("run " + dir + "/m.so --inputs " + io + " --check " + io);
    INFO(checked.out);
    CHECK(checked.code == 0);
    CHECK(checked.out.find("output_2: shape [2, 32, 16, 16] max_abs_err") != std::string::npos);
    CHECK(checked.out.find("check: ok") != std::string::npos);
  }
}

TEST_CASE("--shim=host: PyTorch's C shim only, out= variants and kernels where it has no function") {
  const std::string dir = testing::scratch_dir("host");
  for (const char* name : {"mlp.core", "mlp_dyn.core"}) {
    CAPTURE(name);
    const std::string so = dir + "/" + name + ".so";
    Run compiled =
        aotic("compile " + testing::fixture(std::string(name) + ".pt2") + " -o " + so + " --shim=host");
    INFO(compiled.out);
    REQUIRE(compiled.code == 0);
    CHECK_FALSE(std::filesystem::exists(dir + "/libaotic_shim.so"));
    // Outside PyTorch the shim must come from somewhere: aotic's, loaded first.
    const std::string io =
        testing::fixture(std::string(name).substr(0, std::string(name).size() - 5) + ".io.safetensors");
    Run checked = aotic("run " + so + " --shim-lib " + testing::repo_path("shim/libaotic_shim.so") +
                        " --inputs " + io + " --check " + io);
    INFO(checked.out);
    CHECK(checked.code == 0);
  }
  // small_cnn.core's batch norm, not folded into its convolution, has no function in PyTorch's C
  // shim: a generated kernel computes it.
  Run fused = aotic("compile " + testing::fixture("small_cnn.core.pt2") + " -o " + dir +
                    "/cnn.so --shim=host --disable-pass fold_batch_norm");
  INFO(fused.out);
  REQUIRE(fused.code == 0);
  const std::string io = testing::fixture("small_cnn.io.safetensors");
  Run checked = aotic("run " + dir + "/cnn.so --shim-lib " + testing::repo_path("shim/libaotic_shim.so") +
                      " --inputs " + io + " --check " + io);
  INFO(checked.out);
  CHECK(checked.code == 0);
  // Without fusion it has to be reported.
  Run r = aotic("compile " + testing::fixture("small_cnn.core.pt2") + " -o " + dir +
                "/cnn_unfused.so --shim=host --no-fuse --disable-pass fold_batch_norm");
  CHECK(r.code == 1);
  CHECK(r.out.find(
            "3 unsupported ops: aten._native_batch_norm_legit_no_training.default (node "
            "'_native_batch_norm_legit_no_training'): no shim function "
            "aoti_torch_cpu__native_batch_norm_legit_no_training in PyTorch 2.11's C shim (--shim=host)") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/cnn_unfused.so"));
}

/// The 8 rows of mlp_dyn's reference input, repeated to `rows` rows.
void write_batch(const std::string& path, int64_t rows) {
  ir::SafetensorsFile io = ir::SafetensorsFile::open(testing::fixture("mlp_dyn.io.safetensors"));
  const ir::SafetensorsEntry* x = io.find("input_0");
  REQUIRE(x != nullptr);
  std::vector<uint8_t> eight(x->nbytes);
  io.read(*x, eight.data());
  std::vector<uint8_t> data(static_cast<size_t>(rows) * 64 * 4);
  for (int64_t r = 0; r < rows; ++r) std::memcpy(data.data() + r * 256, eight.data() + (r % 8) * 256, 256);
  ir::write_safetensors(path, {{"input_0", ir::DType::kFloat32, {rows, 64}, data.data(), data.size()}});
}

TEST_CASE("mlp_dyn runs at batch 1, 8 and 1024 and rejects 1025") {
  const std::string dir = testing::scratch_dir("dyn");
  const std::string so = dir + "/mlp_dyn.so";
  REQUIRE(aotic("compile " + testing::fixture("mlp_dyn.core.pt2") + " -o " + so + " " + shim_option()).code ==
          0);
  for (int64_t rows : {1, 8, 1024}) {
    CAPTURE(rows);
    const std::string in = dir + "/in" + std::to_string(rows) + ".safetensors";
    const std::string out = dir + "/out" + std::to_string(rows) + ".safetensors";
    write_batch(in, rows);
    Run r = aotic("run " + so + " --inputs " + in + " --out " + out);
    INFO(r.out);
    REQUIRE(r.code == 0);
    // Row r of the result equals row r % 8 of the reference.
    ir::SafetensorsFile got = ir::SafetensorsFile::open(out);
    ir::SafetensorsFile ref = ir::SafetensorsFile::open(testing::fixture("mlp_dyn.io.safetensors"));
    std::vector<float> g(static_cast<size_t>(rows) * 10), e(80);
    got.read(*got.find("output_0"), reinterpret_cast<uint8_t*>(g.data()));
    ref.read(*ref.find("output_0"), reinterpret_cast<uint8_t*>(e.data()));
    double worst = 0;
    for (int64_t i = 0; i < rows * 10; ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(g[i] - e[(i / 10) % 8 * 10 + i % 10])));
    }
    CHECK(worst < 1e-5);
  }
  const std::string in = dir + "/in1025.safetensors";
  write_batch(in, 1025);
  Run r = aotic("run " + so + " --inputs " + in);
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: " + so + ": run failed: input 0 'x': size 0 is 1025, allowed 1..1024\n");
}

TEST_CASE("inputs sized 8*s and s + 1: the symbol is bound from 8*s, checked everywhere else") {
  const std::string dir = testing::scratch_dir("derived");
  const std::string so = dir + "/derived.so";
  REQUIRE(aotic("compile " + testing::repo_path("tests/data/extra/derived_dims.core.pt2") + " -o " + so +
                " " + shim_option())
              .code == 0);
  // x: (2, 8*s), y: (s + 1, 4), z: (s, 4); outputs x summed in groups of 8 (2, s) and y[1:] + z (s, 4).
  auto write = [&](const std::string& path, int64_t x_cols, int64_t y_rows, int64_t z_rows) {
    std::vector<float> x(static_cast<size_t>(2 * x_cols), 1.0f), y(static_cast<size_t>(y_rows * 4), 2.0f),
        z(static_cast<size_t>(z_rows * 4), 3.0f);
    auto bytes = [](const std::vector<float>& v) { return reinterpret_cast<const uint8_t*>(v.data()); };
    ir::write_safetensors(path, {{"input_0", ir::DType::kFloat32, {2, x_cols}, bytes(x), x.size() * 4},
                                 {"input_1", ir::DType::kFloat32, {y_rows, 4}, bytes(y), y.size() * 4},
                                 {"input_2", ir::DType::kFloat32, {z_rows, 4}, bytes(z), z.size() * 4}});
  };
  for (int64_t s : {1, 3, 64}) {
    CAPTURE(s);
    const std::string in = dir + "/in" + std::to_string(s) + ".safetensors";
    const std::string out = dir + "/out" + std::to_string(s) + ".safetensors";
    write(in, 8 * s, s + 1, s);
    Run r = aotic("run " + so + " --inputs " + in + " --out " + out);
    INFO(r.out);
    REQUIRE(r.code == 0);
    ir::SafetensorsFile result = ir::SafetensorsFile::open(out);
    const ir::SafetensorsEntry* sums = result.find("output_0");
    const ir::SafetensorsEntry* adds = result.find("output_1");
    REQUIRE(sums != nullptr);
    REQUIRE(adds != nullptr);
    CHECK(sums->shape == std::vector<int64_t>{2, s});
    CHECK(adds->shape == std::vector<int64_t>{s, 4});
    std::vector<float> sum_values(static_cast<size_t>(2 * s)), add_values(static_cast<size_t>(4 * s));
    result.read(*sums, reinterpret_cast<uint8_t*>(sum_values.data()));
    result.read(*adds, reinterpret_cast<uint8_t*>(add_values.data()));
    CHECK(sum_values == std::vector<float>(static_cast<size_t>(2 * s), 8.0f));
    CHECK(add_values == std::vector<float>(static_cast<size_t>(4 * s), 5.0f));
  }
  struct Bad {
    int64_t x_cols, y_rows, z_rows;
    std::string message;
  };
  for (const Bad& bad :
       {Bad{30, 5, 4, "input 0 'x': size 1 is 30, allowed 8*s68 for s68 in 1..64"},
        Bad{520, 66, 65, "input 0 'x': size 1 is 520, allowed 8*s68 for s68 in 1..64"},
        Bad{40, 7, 5, "input 1 'y': size 0 is 7, expected s68 + 1 = 6 (s68 is 5 from input 0)"},
        Bad{40, 6, 4, "input 2 'z': size 0 is 4, but s68 is 5 from input 0"}}) {
    CAPTURE(bad.message);
    const std::string in = dir + "/bad.safetensors";
    write(in, bad.x_cols, bad.y_rows, bad.z_rows);
    Run r = aotic("run " + so + " --inputs " + in);
    CHECK(r.code == 1);
    CHECK(r.out == "aotic: error: " + so + ": run failed: " + bad.message + "\n");
  }
}

TEST_CASE(
    "kernels for the default --isa come three times, AVX-512, AVX2/FMA and baseline, picked at run time") {
  const std::string dir = testing::scratch_dir("isa");
  const std::string io = testing::fixture("tiny_gpt.io.safetensors");
  for (const std::string isa : {"", "x86-64-v3"}) {
    CAPTURE(isa);
    const std::string src = dir + "/src" + isa;
    Run compiled = aotic("compile " + testing::fixture("tiny_gpt.pt2") + " -o " + dir + "/m" + isa + ".so " +
                         shim_option() + " --emit-source " + src + (isa.empty() ? "" : " --isa " + isa));
    INFO(compiled.out);
    REQUIRE(compiled.code == 0);
    const std::string cpp = testing::read_file(src + "/model.cpp");
    const bool copies = isa.empty();
    // The kernels are files of their own, compiled in parallel with model.cpp, in parts of about
    // 4 KB of kernels each (tiny_gpt's make several).
    CHECK(std::filesystem::exists(src + "/kernels_avx512_1.cpp") == copies);
    CHECK(std::filesystem::exists(src + "/kernels_avx2_1.cpp") == copies);
    CHECK(std::filesystem::exists(src + "/kernels_base_1.cpp") == copies);
    CHECK(std::filesystem::exists(src + "/kernels_1.cpp") == !copies);
    CHECK(std::filesystem::exists(src + "/kernels_" + std::string(copies ? "base_" : "") + "2.cpp"));
    if (copies) {
      const std::string avx512 = testing::read_file(src + "/kernels_avx512_1.cpp");
      CHECK(avx512.find("namespace avx512 {") != std::string::npos);
      CHECK(avx512.find(
                "#pragma GCC target(\"avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2\")") !=
            std::string::npos);
      CHECK(avx512.find("\n    \"avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2\"))), \\\n") !=
            std::string::npos);  // clang's pragma
      const std::string avx2 = testing::read_file(src + "/kernels_avx2_1.cpp");
      CHECK(avx2.find("namespace avx2 {") != std::string::npos);
      CHECK(avx2.find("#pragma GCC target(\"avx2,fma,bmi,bmi2\")") != std::string::npos);
      const std::string base = testing::read_file(src + "/kernels_base_1.cpp");
      CHECK(base.find("namespace base {") != std::string::npos);
      CHECK(base.find("#pragma GCC target") == std::string::npos);
    }
    CHECK((cpp.find("if (kernel_isa() == KernelIsa::kAvx512) {\n") != std::string::npos) == copies);
    CHECK((cpp.find(" = &aotic_kernels::avx512::k4_add_gelu;\n") != std::string::npos) == copies);
    CHECK((cpp.find(" = &aotic_kernels::avx2::k4_add_gelu;\n") != std::string::npos) == copies);
    CHECK((cpp.find("aotic_kernels::k4_add_gelu(") != std::string::npos) == !copies);
    // Each copy matches PyTorch: AOTIC_KERNEL_ISA caps the copy a run takes (a CPU without AVX-512
    // runs the AVX2 copy for "avx512", and so on).
    const std::vector<std::string> caps =
        copies ? std::vector<std::string>{"", "avx512", "avx2", "base"} : std::vector<std::string>{""};
    for (const std::string& cap : caps) {
      CAPTURE(cap);
      const Run checked =
          testing::run_command("AOTIC_KERNEL_ISA=" + cap + " " + testing::repo_path("tools/aotic") + " run " +
                               dir + "/m" + isa + ".so --inputs " + io + " --check " + io);
      INFO(checked.out);
      CHECK(checked.code == 0);
    }
  }
}

TEST_CASE("a large fold() is a file of its own, compiled beside model.cpp") {
  const std::string dir = testing::scratch_dir("fold_file");
  // res_cnn folds batch norms into 7 convolutions and packs them: a fold() of about 25 KB.
  const std::string io = testing::repo_path("tests/data/extra/res_cnn.io.safetensors");
  Run compiled = aotic("compile " + testing::repo_path("tests/data/extra/res_cnn.pt2") + " -o " + dir +
                       "/res.so " + shim_option() + " --emit-source " + dir + "/res");
  INFO(compiled.out);
  REQUIRE(compiled.code == 0);
  const std::string fold = testing::read_file(dir + "/res/fold.cpp");
  CHECK(fold.find(
            "AOTIC_UNOPTIMISED void fold(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {") !=
        std::string::npos);
  CHECK(
      fold.find("\nvoid aotic_fold_constants(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {\n"
                "  fold(state, outputs);\n}\n") != std::string::npos);
  const std::string model = testing::read_file(dir + "/res/model.cpp");
  CHECK(model.find("AOTIC_UNOPTIMISED void fold(") == std::string::npos);
  CHECK(model.find("void fold(aotic::runtime::RunState& state, AtenTensorHandle* outputs) {\n"
                   "  aotic_fold_constants(state, outputs);\n}\n") != std::string::npos);
  Run checked = aotic("run " + dir + "/res.so --inputs " + io + " --check " + io);
  INFO(checked.out);
  CHECK(checked.code == 0);
  // tiny_gpt's fold() (its linears' transposed weights) is small: it stays in model.cpp.
  compiled = aotic("compile " + testing::fixture("tiny_gpt.pt2") + " -o " + dir + "/gpt.so " + shim_option() +
                   " --emit-source " + dir + "/gpt");
  REQUIRE(compiled.code == 0);
  CHECK(!std::filesystem::exists(dir + "/gpt/fold.cpp"));
  CHECK(testing::read_file(dir + "/gpt/model.cpp").find("AOTIC_UNOPTIMISED void fold(") != std::string::npos);
}

TEST_CASE("the same input gives a byte-identical model.so") {
  const std::string dir = testing::scratch_dir("determinism");
  for (const char* out : {"/a.so", "/b.so"}) {
    REQUIRE(
        aotic("compile " + testing::fixture("small_cnn.core.pt2") + " -o " + dir + out + " " + shim_option())
            .code == 0);
  }
  CHECK(testing::read_file(dir + "/a.so") == testing::read_file(dir + "/b.so"));
}

TEST_CASE("model.so's build ID is a hash of what it is made of") {
  // aotic hands the linker the ID (codegen/build_id.h) instead of letting it hash the output:
  // the same for the same input, another for another model or another --isa.
  const std::string dir = testing::scratch_dir("build-id");
  const auto id_of = [&](const std::string& model, const std::string& flags, const std::string& out) {
    REQUIRE(aotic("compile " + model + " -o " + dir + out + " " + shim_option() + flags).code == 0);
    const Run notes = testing::run_command("readelf -n " + dir + out);
    REQUIRE(notes.code == 0);
    const std::string key = "Build ID: ";
    const size_t at = notes.out.find(key);
    REQUIRE(at != std::string::npos);
    const size_t begin = at + key.size();
    return notes.out.substr(begin, notes.out.find('\n', begin) - begin);
  };
  const std::string small_cnn = id_of(testing::fixture("small_cnn.pt2"), "", "/a.so");
  CHECK(small_cnn.size() == 32);
  CHECK(small_cnn.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id_of(testing::fixture("small_cnn.pt2"), "", "/b.so") == small_cnn);
  CHECK(id_of(testing::fixture("mlp.pt2"), "", "/c.so") != small_cnn);
  CHECK(id_of(testing::fixture("small_cnn.pt2"), " --isa x86-64-v3", "/d.so") != small_cnn);
  // Where the runtime library is installed is no part of it (a Bazel build elsewhere): the
  // same bytes.
  std::filesystem::create_directories(dir + "/elsewhere");
  std::filesystem::copy_file(testing::repo_path("runtime/libaotic_runtime.a"),
                             dir + "/elsewhere/libaotic_runtime.a",
                             std::filesystem::copy_options::overwrite_existing);
  const Run moved = aotic("compile " + testing::fixture("small_cnn.pt2") + " -o " + dir + "/e.so " +
                          shim_option() + " --runtime-lib " + dir + "/elsewhere/libaotic_runtime.a");
  INFO(moved.out);
  REQUIRE(moved.code == 0);
  CHECK(testing::read_file(dir + "/e.so") == testing::read_file(dir + "/a.so"));
}

TEST_CASE("a bare model.json with safetensors weights gives the same model.so as its archive") {
  const std::string dir = testing::scratch_dir("bare");
  testing::unpack(testing::fixture("mlp.pt2"), dir + "/unpacked");
  // The weights, keyed by FQN, as a safetensors file.
  std::string graph = dir + "/graph.json";
  testing::write_file(graph, testing::read_file(dir + "/unpacked/models/model.json"));
  std::vector<std::string> blobs;
  std::vector<ir::SafetensorsTensor> tensors;
  const std::vector<std::pair<std::string, std::vector<int64_t>>> weights = {
      {"l1.weight", {128, 64}}, {"l1.bias", {128}}, {"l2.weight", {10, 128}}, {"l2.bias", {10}}};
  for (size_t i = 0; i < weights.size(); ++i) {
    blobs.push_back(testing::read_file(dir + "/unpacked/data/weights/weight_" + std::to_string(i)));
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    tensors.push_back({weights[i].first, ir::DType::kFloat32, weights[i].second,
                       reinterpret_cast<const uint8_t*>(blobs[i].data()), blobs[i].size()});
  }
  ir::write_safetensors(dir + "/w.safetensors", tensors);
  REQUIRE(aotic("compile " + testing::fixture("mlp.pt2") + " -o " + dir + "/from_archive.so " + shim_option())
              .code == 0);
  Run r = aotic("compile " + graph + " --weights " + dir + "/w.safetensors -o " + dir + "/from_json.so " +
                shim_option());
  INFO(r.out);
  REQUIRE(r.code == 0);
  // The banner names the source file; everything else is the same.
  CHECK(std::filesystem::file_size(dir + "/from_archive.so") ==
        std::filesystem::file_size(dir + "/from_json.so"));
  Run checked = aotic("run " + dir + "/from_json.so --inputs " + testing::fixture("mlp.io.safetensors") +
                      " --check " + testing::fixture("mlp.io.safetensors"));
  CHECK(checked.code == 0);
}

TEST_CASE("--weights external ships the weights beside model.so") {
  const std::string dir = testing::scratch_dir("external");
  const std::string so = dir + "/mlp.so";
  Run r = aotic("compile " + testing::fixture("mlp.core.pt2") + " -o " + so + " --weights external " +
                shim_option());
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::file_size(so + ".weights") == 38440);
  const std::string io = testing::fixture("mlp.io.safetensors");
  CHECK(aotic("run " + so + " --inputs " + io + " --check " + io).code == 0);
  std::filesystem::remove(so + ".weights");
  r = aotic("run " + so + " --inputs " + io);
  CHECK(r.code == 1);
  CHECK(r.out == "aotic: error: " + so + ": cannot create the model container: cannot open weights file '" +
                     so + ".weights'\n");
}

TEST_CASE("failures leave nothing at -o") {
  const std::string dir = testing::scratch_dir("fail");
  Run r = aotic("compile " + testing::fixture("mlp.pt2") + " -o " + dir + "/m.so --cxx /nonexistent/c++ " +
                shim_option());
  CHECK(r.code == 1);
  CHECK(r.out.find("the C++ compiler (/nonexistent/c++) failed; sources kept in ") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/m.so"));
  r = aotic("compile " + testing::fixture("mlp.pt2") + " -o " + dir + "/m.so --opt 7");
  CHECK(r.code == 2);
  CHECK_FALSE(std::filesystem::exists(dir + "/m.so"));
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

/// mlp.pt2 unpacked into a fresh directory with the export's recorded dtype of `value` changed
/// from float32 to float64 in models/model.json: a doctored export whose tensor_meta disagrees
/// with what the op computes.
std::string doctored_mlp(const std::string& value) {
  std::string dir = testing::scratch_dir("doctored");
  testing::unpack(testing::fixture("mlp.pt2"), dir);
  std::string json = testing::read_file(dir + "/models/model.json");
  const std::string from = "\"" + value + "\": {\"dtype\": 7,";  // 7: float32 in the export's numbering
  const size_t at = json.find(from);
  REQUIRE(at != std::string::npos);
  json.replace(at, from.size(), "\"" + value + "\": {\"dtype\": 8,");  // 8: float64
  testing::write_file(dir + "/models/model.json", json);
  return dir;
}

TEST_CASE(
    "--debug-checks: a result that differs from the export's tensor_meta fails the run naming the node") {
  const std::string dir = testing::scratch_dir("debug");
  const std::string io = testing::fixture("mlp.io.safetensors");
  // The untouched export passes every check.
  Run compiled = aotic("compile " + testing::fixture("mlp.pt2") + " -o " + dir + "/mlp.so --debug-checks " +
                       shim_option());
  INFO(compiled.out);
  REQUIRE(compiled.code == 0);
  Run checked = aotic("run " + dir + "/mlp.so --inputs " + io + " --check " + io);
  INFO(checked.out);
  CHECK(checked.code == 0);

  // aten.linear's result dtype is not something aotic infers: the run-time check finds it.
  const std::string doctored = doctored_mlp("linear_1");
  compiled = aotic("compile " + doctored + " -o " + dir + "/doctored.so --debug-checks " + shim_option());
  INFO(compiled.out);
  REQUIRE(compiled.code == 0);
  Run failed = aotic("run " + dir + "/doctored.so --inputs " + io);
  CHECK(failed.code == 1);
  CHECK(failed.out.find("run failed: node 'linear_1' (aten.linear.default): result dtype float32, export "
                        "recorded float64\n") != std::string::npos);
  // Without the flag nothing is checked.
  compiled = aotic("compile " + doctored + " -o " + dir + "/unchecked.so " + shim_option());
  REQUIRE(compiled.code == 0);
  CHECK(aotic("run " + dir + "/unchecked.so --inputs " + io).code == 0);

  // relu of float32 is float32: aotic knows that, so the compile itself fails (an internal error).
  failed = aotic("compile " + doctored_mlp("relu") + " -o " + dir + "/relu.so " + shim_option());
  CHECK(failed.code == 3);
  CHECK(failed.out.find(": node 'relu' (aten.relu.default): aotic infers result dtype float32, export "
                        "recorded float64") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/relu.so"));
}

// argwhere's export form (aten.argwhere) and nonzero(as_tuple=True) (aten.nonzero_numpy) have no
// shim function yet, so the core form of argwhere (aten.nonzero) is what runs here.
// renorm's decomposition in float16 leaves prims.convert_element_type: a cast in a fused kernel, and
// aten._to_copy through the shim without fusion.
TEST_CASE("prims.convert_element_type runs fused and as aten._to_copy") {
  const std::string dir = testing::scratch_dir("prims_cast");
  const std::string archive = testing::extra("renorm_f16.core.pt2");
  const std::string io = testing::extra("renorm_f16.io.safetensors");
  for (const char* flags : {"", " --no-fuse"}) {
    CAPTURE(flags);
    Run compiled = aotic("compile " + archive + " -o " + dir + "/m.so " + shim_option() + flags);
    INFO(compiled.out);
    REQUIRE(compiled.code == 0);
    Run checked =
        aotic("run " + dir + "/m.so --inputs " + io + " --check " + io + " --rtol 1e-3 --atol 1e-3");
    INFO(checked.out);
    CHECK(checked.out.find("check: ok") != std::string::npos);
  }
}

// tensor_split by an index tensor (core form): slices whose bounds are .item() of the indices, and
// whose sizes and storage offsets are then read from the slices.
TEST_CASE("data-dependent sizes: masked_select, nonzero (argwhere) and slices bounded by .item() run") {
  const std::string dir = testing::scratch_dir("unbacked");
  for (const char* name : {"masked_select.pt2", "argwhere.core.pt2", "tensor_split.core.pt2"}) {
    for (const char* flags : {"", " --debug-checks"}) {
      CAPTURE(name);
      CAPTURE(flags);
      const std::string archive = testing::extra(name);
      const std::string stem = std::string(name).substr(0, std::string(name).find('.'));
      const std::string io = testing::extra(stem + ".io.safetensors");
      Run compiled = aotic("compile " + archive + " -o " + dir + "/m.so " + shim_option() + flags);
      INFO(compiled.out);
      REQUIRE(compiled.code == 0);
      Run checked = aotic("run " + dir + "/m.so --inputs " + io + " --check " + io);
      INFO(checked.out);
      CHECK(checked.code == 0);
      CHECK(checked.out.find("check: ok") != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace aotic

namespace aotic {
namespace {

/// What `command` prints (stdout), trailing newline removed.
std::string capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST_CASE("generated kernels run clean under AddressSanitizer and UndefinedBehaviorSanitizer") {
  // model.cpp, kernels included, compiled by g++ with both sanitizers (any finding aborts the run);
  // the run preloads g++'s ASan runtime.
  const std::string asan = capture("g++ -print-file-name=libasan.so");
  INFO("g++ -print-file-name=libasan.so says: " << asan);
  REQUIRE(asan.find('/') != std::string::npos);
  const std::string dir = testing::scratch_dir("sanitized");
  const std::string cxx = dir + "/cxx.sh";
  testing::write_file(cxx,
                      "#!/bin/sh\nexec g++ -fsanitize=address,undefined -fno-sanitize-recover=undefined "
                      "-fno-omit-frame-pointer \"$@\"\n");
  REQUIRE(std::system(("chmod +x " + cxx).c_str()) == 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fixtures", "small_cnn"}, {"fixtures", "tiny_gpt"}, {"extra", "cnn_dim"}, {"extra", "int_ops"},
      {"extra", "common_ops"},   {"extra", "tiny_vit"},    {"extra", "res_cnn"}, {"extra", "small_cnn_pad"},
  };
  for (const auto& [folder, name] : cases) {
    const std::string archive = testing::repo_path("tests/data/" + folder + "/" + name + ".pt2");
    const std::string io = testing::repo_path("tests/data/" + folder + "/" + name + ".io.safetensors");
    const std::string so = dir + "/" + name + ".so";
    CAPTURE(archive);
    Run compiled = aotic("compile " + archive + " -o " + so + " --opt 1 --cxx " + cxx + " " + shim_option());
    INFO(compiled.out);
    REQUIRE(compiled.code == 0);
    CHECK(capture("ldd " + so + " | grep -c libasan") == "1");  // instrumented
    // Every copy of the kernels this CPU runs (AVX-512, AVX2/FMA, baseline).
    for (const char* isa : {"avx512", "avx2", "base"}) {
      CAPTURE(isa);
      const std::string command =
          std::string("AOTIC_KERNEL_ISA=") + isa +
          " ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1 LD_PRELOAD=" + asan +
          " " + testing::repo_path("tools/aotic") + " run " + so + " --inputs " + io + " --check " + io +
          " 2>&1";
      const std::string out = capture(command + "; echo rc=$?");
      INFO(out);
      CHECK(out.find("check: ok") != std::string::npos);
      CHECK(out.find("rc=0") != std::string::npos);
      CHECK(out.find("runtime error") == std::string::npos);
      CHECK(out.find("AddressSanitizer") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace aotic
