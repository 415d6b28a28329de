// `aotic run` / `aotic bench` over a real model.so (tests/runtime/test_model.cc):
//   out = x @ ones(4, 3) + z @ (2 * ones(2, 3))    x: float32[s0, 4], z: float32[s0, 2], s0 in 1..16
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ir/error.h"
#include "ir/safetensors.h"
#include "tools/runner/runner.h"

namespace {

using aotic::UserError;
using aotic::ir::DType;
using aotic::runner::HostTensor;
using aotic::runner::LoadedModel;
using aotic::runner::UsageError;

std::string repo_path(const std::string& relative) {
  if (std::filesystem::exists(relative)) return relative;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir && workspace) return std::string(srcdir) + "/" + workspace + "/" + relative;
  return relative;
}

std::string model_path() { return repo_path("tests/runner/test_model.so"); }

std::string scratch(const std::string& name) {
  static const std::string dir = [] {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/runner-XXXXXX";
    char* made = mkdtemp(templ.data());
    return made ? std::string(made) : templ;
  }();
  return dir + "/" + name;
}

HostTensor floats(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values) {
  HostTensor t;
  t.name = name;
  t.dtype = DType::kFloat32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

void write(const std::string& path, const std::vector<HostTensor>& tensors) {
  std::vector<aotic::ir::SafetensorsTensor> out;
  out.reserve(tensors.size());
  for (const HostTensor& t : tensors) out.push_back({t.name, t.dtype, t.shape, t.data.data(), t.data.size()});
  aotic::ir::write_safetensors(path, std::move(out));
}

std::vector<float> read_floats(const std::string& path, const std::string& name,
                               std::vector<int64_t>* shape) {
  const auto file = aotic::ir::SafetensorsFile::open(path);
  const aotic::ir::SafetensorsEntry* e = file.find(name);
  REQUIRE(e != nullptr);
  REQUIRE(e->dtype == DType::kFloat32);
  *shape = e->shape;
  std::vector<float> values(e->nbytes / sizeof(float));
  file.read(*e, reinterpret_cast<uint8_t*>(values.data()));
  return values;
}

// s0 rows of x (4 wide) and z (2 wide) with distinct values, and the expected output.
struct Case {
  std::vector<float> x, z, out;
  int64_t rows;
};

Case make_case(int64_t rows) {
  Case c;
  c.rows = rows;
  for (int64_t i = 0; i < rows; ++i) {
    float sx = 0, sz = 0;
    for (int j = 0; j < 4; ++j) {
      c.x.push_back(0.5f * static_cast<float>(i) + 0.25f * static_cast<float>(j) - 1.0f);
      sx += c.x.back();
    }
    for (int j = 0; j < 2; ++j) {
      c.z.push_back(static_cast<float>(i) - 0.5f * static_cast<float>(j));
      sz += c.z.back();
    }
    for (int j = 0; j < 3; ++j) c.out.push_back(sx + 2 * sz);
  }
  return c;
}

// Writes input_0/input_1 for `c` and returns the file.
std::string inputs_file(const std::string& name, const Case& c) {
  std::string path = scratch(name);
  write(path, {floats("input_0", {c.rows, 4}, c.x), floats("input_1", {c.rows, 2}, c.z)});
  return path;
}

struct Result {
  int code = -1;
  std::string out;
};

Result run(const std::vector<std::string>& args) {
  std::ostringstream out;
  Result r;
  r.code = aotic::runner::run_command(args, out);
  r.out = out.str();
  return r;
}

Result bench(const std::vector<std::string>& args) {
  std::ostringstream out;
  Result r;
  r.code = aotic::runner::bench_command(args, out);
  r.out = out.str();
  return r;
}

// The UserError message of `f`, or "" when it does not throw one.
template <typename F>
std::string user_error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  MESSAGE("'" << part << "' not in:\n" << text);
  return false;
}

}  // namespace

TEST_CASE("LoadedModel: names, counts and a run") {
  LoadedModel model(model_path(), 2);
  CHECK(model.num_inputs() == 2);
  CHECK(model.num_outputs() == 1);
  CHECK(model.input_names() == std::vector<std::string>{"x", "z"});
  CHECK(model.output_names() == std::vector<std::string>{"out"});
  const Case c = make_case(3);
  const std::vector<HostTensor> outputs = model.run({floats("a", {3, 4}, c.x), floats("b", {3, 2}, c.z)});
  REQUIRE(outputs.size() == 1);
  CHECK(outputs[0].name == "output_0");
  CHECK(outputs[0].dtype == DType::kFloat32);
  CHECK(outputs[0].shape == std::vector<int64_t>{3, 3});
  std::vector<float> got(9);
  std::memcpy(got.data(), outputs[0].data.data(), sizeof(float) * 9);
  CHECK(got == c.out);

  // Several threads on one container of two instances.
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Case ct = make_case(t + 1);
      for (int i = 0; i < 20; ++i) {
        auto o = model.run({floats("a", {ct.rows, 4}, ct.x), floats("b", {ct.rows, 2}, ct.z)});
        std::vector<float> v(ct.out.size());
        std::memcpy(v.data(), o[0].data.data(), v.size() * sizeof(float));
        ok[static_cast<size_t>(t)] += v == ct.out;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == std::vector<int>{20, 20, 20, 20});

  CHECK(contains(user_error_of([&] { model.run({floats("a", {3, 4}, c.x)}); }), "takes 2 inputs, got 1"));
}

TEST_CASE("LoadedModel: shim functions resolved in the model's dependencies") {
  // This model.so takes aoti_torch_* from libaotic_shim.so (DT_NEEDED), not from itself.
  LoadedModel model(repo_path("tests/runner/test_model_shared_shim.so"));
  const Case c = make_case(2);
  const std::vector<HostTensor> outputs = model.run({floats("a", {2, 4}, c.x), floats("b", {2, 2}, c.z)});
  REQUIRE(outputs.size() == 1);
  std::vector<float> got(6);
  std::memcpy(got.data(), outputs[0].data.data(), sizeof(float) * 6);
  CHECK(got == c.out);
  CHECK(contains(user_error_of([&] {
                   model.run({floats("a", {2, 4}, c.x), floats("b", {2, 3}, std::vector<float>(6, 1.0f))});
                 }),
                 "run failed: input 1 'z': size 1 is 3, expected 2"));
}

TEST_CASE("run: prints outputs and writes --out") {
  const Case c = make_case(5);
  const std::string in = inputs_file("in5.safetensors", c);
  const std::string out = scratch("out5.safetensors");
  const Result r = run({model_path(), "--inputs", in, "--out", out});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "output_0 'out': shape [5, 3] float32"));
  CHECK(contains(r.out, "min -3.5 max 20.5 mean 8.5  [-3.5, -3.5, -3.5, 2.5, 2.5, 2.5, ...]"));
  CHECK(contains(r.out, "wrote 1 outputs to " + out));
  std::vector<int64_t> shape;
  CHECK(read_floats(out, "output_0", &shape) == c.out);
  CHECK(shape == std::vector<int64_t>{5, 3});
}

TEST_CASE("run: inputs keyed by the model's input names") {
  const Case c = make_case(2);
  const std::string in = scratch("named.safetensors");
  write(in, {floats("x", {2, 4}, c.x), floats("z", {2, 2}, c.z)});
  const std::string out = scratch("named_out.safetensors");
  CHECK(run({model_path(), "--inputs=" + in, "--out=" + out}).code == 0);
  std::vector<int64_t> shape;
  CHECK(read_floats(out, "output_0", &shape) == c.out);
}

TEST_CASE("run --check: pass, mismatch, tolerances") {
  const Case c = make_case(4);
  const std::string in = inputs_file("in4.safetensors", c);
  const std::string ref = scratch("ref.safetensors");
  write(ref, {floats("output_0", {4, 3}, c.out)});

  SUBCASE("pass") {
    const Result r = run({model_path(), "--inputs", in, "--check", ref});
    CHECK(r.code == 0);
    CHECK(contains(r.out, "output_0: shape [4, 3] max_abs_err 0 ok"));
    CHECK(contains(r.out, "check: ok"));
  }
  SUBCASE("mismatch names the worst element") {
    std::vector<float> bad = c.out;
    bad[1 * 3 + 2] += 0.5f;  // [1, 2]
    bad[3 * 3 + 0] += 0.25f;
    const std::string ref_bad = scratch("ref_bad.safetensors");
    write(ref_bad, {floats("output_0", {4, 3}, bad)});
    const Result r = run({model_path(), "--inputs", in, "--check", ref_bad});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "output_0: shape [4, 3] max_abs_err 0.5 MISMATCH at [1, 2]: got 2.5, expected 3"));
    CHECK(contains(r.out, "2 of 12 elements differ"));
    CHECK(contains(r.out, "check: MISMATCH"));
  }
  SUBCASE("rtol and atol") {
    std::vector<float> near = c.out;
    for (float& v : near) v += 1e-3f;
    const std::string ref_near = scratch("ref_near.safetensors");
    write(ref_near, {floats("output_0", {4, 3}, near)});
    CHECK(run({model_path(), "--inputs", in, "--check", ref_near}).code == 1);
    CHECK(run({model_path(), "--inputs", in, "--check", ref_near, "--atol", "2e-3"}).code == 0);
    CHECK(run({model_path(), "--inputs", in, "--check", ref_near, "--atol=1e-4"}).code == 1);
    // Outputs are -3.5, 2.5, 8.5, 14.5: rtol 2e-3 allows at least 5e-3.
    CHECK(run({model_path(), "--inputs", in, "--check", ref_near, "--rtol", "2e-3"}).code == 0);
    CHECK(run({model_path(), "--inputs", in, "--check", ref_near, "--rtol", "1e-4", "--atol", "0"}).code ==
          1);
  }
  SUBCASE("dtype and shape must match") {
    const std::string ref_shape = scratch("ref_shape.safetensors");
    write(ref_shape, {floats("output_0", {3, 4}, c.out)});
    const Result r = run({model_path(), "--inputs", in, "--check", ref_shape});
    CHECK(r.code == 1);
    CHECK(contains(r.out, "output_0: shape [4, 3] float32 MISMATCH: expected shape [3, 4] float32"));

    HostTensor wide;
    wide.name = "output_0";
    wide.dtype = DType::kFloat64;
    wide.shape = {4, 3};
    std::vector<double> d(c.out.begin(), c.out.end());
    wide.data.resize(d.size() * sizeof(double));
    std::memcpy(wide.data.data(), d.data(), wide.data.size());
    const std::string ref_dtype = scratch("ref_dtype.safetensors");
    write(ref_dtype, {wide});
    const Result r2 = run({model_path(), "--inputs", in, "--check", ref_dtype});
    CHECK(r2.code == 1);
    CHECK(contains(r2.out, "expected shape [4, 3] float64"));
  }
  SUBCASE("reference without the output") {
    const std::string ref_empty = scratch("ref_other.safetensors");
    write(ref_empty, {floats("something", {1}, {1.0f})});
    CHECK(contains(user_error_of([&] {
                     run({model_path(), "--inputs", in, "--check", ref_empty});
                   }),
                   ref_empty + ": no tensor 'output_0' (or 'out')"));
    // The reference is looked up before --out is written: the error leaves no file behind.
    const std::string out = scratch("out_unchecked.safetensors");
    CHECK(contains(user_error_of([&] {
                     run({model_path(), "--inputs", in, "--out", out, "--check", ref_empty});
                   }),
                   ref_empty + ": no tensor 'output_0' (or 'out')"));
    CHECK_FALSE(std::filesystem::exists(out));
  }
}

TEST_CASE("run: the model's input checks are surfaced") {
  SUBCASE("size out of range") {
    const std::string in = inputs_file("in17.safetensors", make_case(17));
    CHECK(contains(user_error_of([&] {
                     run({model_path(), "--inputs", in});
                   }),
                   model_path() + ": run failed: input 0 'x': size 0 is 17, allowed 1..16"));
  }
  SUBCASE("wrong dtype") {
    const Case c = make_case(2);
    HostTensor x = floats("input_0", {2, 4}, c.x);
    x.dtype = DType::kInt32;  // same bytes, wrong dtype
    const std::string in = scratch("int_in.safetensors");
    write(in, {x, floats("input_1", {2, 2}, c.z)});
    CHECK(contains(user_error_of([&] {
                     run({model_path(), "--inputs", in});
                   }),
                   "run failed: input 0 'x': dtype is int32, expected float32"));
  }
  SUBCASE("symbols must agree") {
    const Case c = make_case(3);
    const std::string in = scratch("mixed.safetensors");
    write(in, {floats("input_0", {3, 4}, c.x), floats("input_1", {1, 2}, {1.0f, 2.0f})});
    CHECK(contains(user_error_of([&] { run({model_path(), "--inputs", in}); }), "input 1 'z': size 0 is 1"));
  }
}

TEST_CASE("run: bad files") {
  const Case c = make_case(2);
  SUBCASE("missing input key") {
    const std::string in = scratch("only_x.safetensors");
    write(in, {floats("input_0", {2, 4}, c.x)});
    CHECK(contains(user_error_of([&] {
                     run({model_path(), "--inputs", in});
                   }),
                   in + ": no tensor 'input_1' (or 'z') for model input 1; the file has 'input_0'"));
  }
  SUBCASE("missing inputs file") {
    const std::string in = scratch("does_not_exist.safetensors");
    CHECK(contains(user_error_of([&] { run({model_path(), "--inputs", in}); }), in));
  }
  SUBCASE("truncated safetensors") {
    const std::string good = inputs_file("good.safetensors", c);
    std::ifstream src(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    const std::string in = scratch("truncated.safetensors");
    std::ofstream(in, std::ios::binary) << bytes.substr(0, bytes.size() - 8);
    const std::string message = user_error_of([&] { run({model_path(), "--inputs", in}); });
    CHECK(message.rfind(in + ": ", 0) == 0);
    const std::string garbage = scratch("garbage.safetensors");
    std::ofstream(garbage, std::ios::binary) << "hello";
    CHECK(user_error_of([&] { run({model_path(), "--inputs", garbage}); }).rfind(garbage + ": ", 0) == 0);
  }
  SUBCASE("a model that is not a shared library") {
    const std::string bogus = scratch("bogus.so");
    std::ofstream(bogus) << "not an ELF file\n";
    const std::string in = inputs_file("in_bogus.safetensors", c);
    const std::string message = user_error_of([&] { run({bogus, "--inputs", in}); });
    CHECK(contains(message, bogus + ": cannot load model: "));
    CHECK(message.find('\n') == std::string::npos);
    CHECK(contains(user_error_of([&] { LoadedModel m(scratch("nothing.so")); }), "nothing.so: no such file"));
  }
  SUBCASE("a shared library without the interface") {
    CHECK(contains(user_error_of([&] { LoadedModel m(repo_path("tests/runner/not_a_model.so")); }),
                   "not_a_model.so: not an aotic/AOTInductor model.so: missing symbol "
                   "'AOTInductorModelContainerCreateWithDevice'"));
  }
}

TEST_CASE("run/bench: usage errors") {
  const std::string m = model_path();
  CHECK_THROWS_AS(run({m}), UsageError);                            // no --inputs
  CHECK_THROWS_AS(run({"--inputs", "x.safetensors"}), UsageError);  // no MODEL
  CHECK_THROWS_AS(run({m, "--inputs", "a", "--frobnicate", "1"}), UsageError);
  CHECK_THROWS_AS(run({m, "--inputs"}), UsageError);  // missing value
  CHECK_THROWS_AS(run({m, "--inputs", "a", "--rtol", "abc"}), UsageError);
  CHECK_THROWS_AS(run({m, "--inputs", "a", "--atol", "-1"}), UsageError);
  CHECK_THROWS_AS(run({m, "m2.so", "--inputs", "a"}), UsageError);
  CHECK_THROWS_AS(bench({m, "--inputs", "a", "--iters", "0"}), UsageError);
  CHECK_THROWS_AS(bench({m, "--inputs", "a", "--threads", "2x"}), UsageError);
  CHECK_THROWS_AS(bench({m, "--inputs", "a", "--out", "y"}), UsageError);  // run's option
}

TEST_CASE("bench: one and several threads") {
  const std::string in = inputs_file("bench.safetensors", make_case(8));
  SUBCASE("--threads 1") {
    const Result r = bench({model_path(), "--inputs", in, "--iters", "20", "--warmup", "2"});
    CHECK(r.code == 0);
    CHECK(contains(r.out, "1 instance(s), 20 iterations after 2 warmup"));
    CHECK(contains(r.out, "\nlatency p50: "));
    CHECK(contains(r.out, "\nlatency p90: "));
    CHECK(contains(r.out, "\nlatency p99: "));
    CHECK(contains(r.out, " ms\n"));
    CHECK(contains(r.out, "\nthroughput: "));
    CHECK(contains(r.out, " runs/s (1 thread)\n"));
    CHECK(contains(r.out, "\npeak memory: "));
    CHECK(contains(r.out, " MB\n"));
  }
  SUBCASE("--threads 4 --instances 2") {
    const Result r = bench({model_path(), "--inputs", in, "--iters", "25", "--warmup", "1", "--threads", "4",
                            "--instances", "2"});
    CHECK(r.code == 0);
    CHECK(contains(r.out, "2 instance(s)"));
    CHECK(contains(r.out, "\nlatency p99: "));
    CHECK(contains(r.out, " runs/s (4 threads x 25 runs, 2 instance(s))\n"));
    CHECK(contains(r.out, "\npeak memory: "));
  }
  SUBCASE("a rejected input fails the bench") {
    const std::string bad = inputs_file("bench_bad.safetensors", make_case(17));
    CHECK(contains(user_error_of([&] {
                     bench({model_path(), "--inputs", bad, "--threads", "2"});
                   }),
                   "size 0 is 17, allowed 1..16"));
  }
}
