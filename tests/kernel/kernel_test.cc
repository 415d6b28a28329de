// The kernel IR, its scheduling and its C++ printer: hand-built kernels, their text, and the C++
// printed for them compiled with the system compiler and run (with templates/kernel_math.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "codegen/templates.h"
#include "kernel/cpu_printer.h"
#include "kernel/expr_printer.h"
#include "kernel/kernel_ir.h"
#include "kernel/schedule.h"
#include "kernel/writer.h"
#include "tests/test_util.h"

namespace aotic {
namespace {

using ir::DType;
using ir::SymExpr;
using kernel::Index;

SymExpr c(int64_t v) { return SymExpr::constant(v); }

/// out0[i0, i1] = relu(in0[i0, i1] + in1[i1]) over [rows, 8], both row-major.
kernel::Kernel add_relu(const SymExpr& rows) {
  kernel::Kernel k;
  k.name = "add_relu";
  k.comment = "add, relu";
  k.buffers = {
      {"in0", DType::kFloat32, false}, {"in1", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  Index at = Index::of("i0") * c(8) + Index::of("i1");
  auto x = kernel::load("in0", at, DType::kFloat32);
  auto b = kernel::load("in1", Index::of("i1"), DType::kFloat32);
  auto y = kernel::call("relu", {kernel::binary("add", x, b)}, DType::kFloat32);
  k.body = {kernel::loop("i0", rows, {kernel::loop("i1", c(8), {kernel::store("out0", at, y)})})};
  return k;
}

std::string print(const kernel::Kernel& k) {
  kernel::CodeWriter w;
  kernel::print_cpu_kernel(k, w);
  return w.text();
}

TEST_CASE("kernel IR: text form of loops, stores and expressions") {
  kernel::Kernel k = add_relu(c(4));
  CHECK(kernel::to_text(k) ==
        "kernel add_relu(in0: float32, in1: float32, out0: float32 (written))  # add, relu\n"
        "  loop i0 < 4\n"
        "    loop i1 < 8\n"
        "      store out0[8*i0 + i1] = relu(add(in0[8*i0 + i1], in1[i1]))\n");
}

TEST_CASE("integer literals need no macro (NVRTC has no <cstdint>), INT64_MIN included") {
  using kernel::ExprPrinter;
  CHECK(ExprPrinter::literal(*kernel::constant_int(-5, DType::kInt64)) == "int64_t{-5}");
  CHECK(ExprPrinter::literal(*kernel::constant_int(INT64_MIN, DType::kInt64)) ==
        "int64_t{-9223372036854775807 - 1}");
  CHECK(ExprPrinter::literal(*kernel::constant_int(INT64_MAX, DType::kInt64)) ==
        "int64_t{9223372036854775807}");
}

TEST_CASE("schedule: contiguous loops merge, a broadcast keeps its loop; outer loop parallel, inner vector") {
  kernel::Kernel k = add_relu(c(4));
  kernel::schedule(k, c(32));
  // in1[i1] is the same for every i0: i0 and i1 cannot become one loop.
  CHECK(kernel::to_text(k) ==
        "kernel add_relu(in0: float32, in1: float32, out0: float32 (written))  # add, relu\n"
        "  parallel loop i0 < 4\n"
        "    vector loop i1 < 8\n"
        "      store out0[8*i0 + i1] = relu(add(in0[8*i0 + i1], in1[i1]))\n");

  // Without the broadcast operand the two loops are one of 32 elements.
  kernel::Kernel copy;
  copy.name = "copy";
  copy.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  Index at = Index::of("i0") * c(8) + Index::of("i1");
  copy.body = {kernel::loop(
      "i0", c(4),
      {kernel::loop("i1", c(8), {kernel::store("out0", at, kernel::load("in0", at, DType::kFloat32))})})};
  kernel::schedule(copy, c(32));
  CHECK(kernel::to_text(copy) ==
        "kernel copy(in0: float32, out0: float32 (written))  # \n"
        "  parallel vector loop i0 < 32\n"
        "    store out0[i0] = in0[i0]\n");

  // A transposed read does not merge either.
  kernel::Kernel transpose = copy;
  transpose.body = {kernel::loop(
      "i0", c(4),
      {kernel::loop(
          "i1", c(8),
          {kernel::store("out0", at,
                         kernel::load("in0", Index::of("i1") * c(4) + Index::of("i0"), DType::kFloat32))})})};
  kernel::schedule(transpose, c(32));
  CHECK(kernel::to_text(transpose).find("parallel loop i0 < 4\n    vector loop i1 < 8\n") !=
        std::string::npos);
}

/// out0[n, h, w] = in0[n, w, h] + in1[w] over [n, 4, 8]: three loops that do not merge.
kernel::Kernel transpose_add(int64_t n) {
  kernel::Kernel k;
  k.name = "transpose_add";
  k.buffers = {
      {"in0", DType::kFloat32, false}, {"in1", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  Index out = Index::of("i0") * c(32) + Index::of("i1") * c(8) + Index::of("i2");
  Index in = Index::of("i0") * c(32) + Index::of("i2") * c(4) + Index::of("i1");
  auto y = kernel::binary("add", kernel::load("in0", in, DType::kFloat32),
                          kernel::load("in1", Index::of("i2"), DType::kFloat32));
  k.body = {kernel::loop(
      "i0", c(n), {kernel::loop("i1", c(4), {kernel::loop("i2", c(8), {kernel::store("out0", out, y)})})})};
  return k;
}

TEST_CASE("schedule: threads share the outer loop with the one inside; a batch of 1 is skipped") {
  // Two outer loops (the batch and a row) before the vector loop: threads take both as one range.
  kernel::Kernel two = transpose_add(2);
  kernel::schedule(two, c(64));
  CHECK(kernel::to_text(two).find(
            "  parallel (with the next) loop i0 < 2\n    loop i1 < 4\n      vector loop i2 < 8\n") !=
        std::string::npos);
  const std::string text = print(two);
  INFO(text);
  CHECK(text.find("aotic::runtime::parallel_for(8, 64, [&](int64_t i0_i1_begin, int64_t i0_i1_end) {\n"
                  "    for (int64_t i0_i1 = i0_i1_begin; i0_i1 < i0_i1_end; ++i0_i1) {\n"
                  "      const int64_t i0 = i0_i1 / 4;\n"
                  "      const int64_t i1 = i0_i1 % 4;\n") != std::string::npos);
  // A batch of 1: the loop of one iteration stays serial, the next one (with its inner loop) runs
  // on threads.
  kernel::Kernel one = transpose_add(1);
  kernel::schedule(one, c(32));
  CHECK(kernel::to_text(one).find("  loop i0 < 1\n    parallel loop i1 < 4\n      vector loop i2 < 8\n") !=
        std::string::npos);
}

TEST_CASE("schedule: symbolic sizes become kernel parameters") {
  kernel::Kernel k = add_relu(SymExpr::parse("s0"));
  kernel::schedule(k, SymExpr::parse("8*s0"));
  CHECK(k.symbols == std::vector<std::string>{"s0"});
  const std::string text = print(k);
  INFO(text);
  CHECK(text.find("void add_relu(const float* __restrict in0, const float* __restrict in1, "
                  "float* __restrict out0, int64_t s0) {") != std::string::npos);
  CHECK(text.find("aotic::runtime::parallel_for((s0), (8 * s0), [&](int64_t i0_begin, int64_t i0_end) {") !=
        std::string::npos);
}

TEST_CASE("the printer computes a shared value once and keeps guarded branches lazy") {
  kernel::Kernel k;
  k.name = "guarded";
  k.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  auto i = Index::of("i0");
  auto x = kernel::load("in0", i, DType::kFloat32);
  auto square = kernel::binary("mul", x, x);  // x loaded once
  auto inside = kernel::binary("lt", kernel::index_value(i), kernel::constant_int(3, DType::kInt64));
  auto shifted = kernel::load("in0", i + Index::at(c(1)), DType::kFloat32);
  auto y = kernel::where(inside, shifted, kernel::constant(0, DType::kFloat32), /*guarded=*/true);
  k.body = {kernel::loop("i0", c(4), {kernel::store("out0", i, kernel::binary("add", square, y))})};
  const std::string text = print(k);
  INFO(text);
  CHECK(text.find("const float t0 = in0[i0];\n") != std::string::npos);
  CHECK(text.find("in0[i0]") == text.rfind("in0[i0]"));  // one load of x
  // The shifted load stays inside the conditional: never read past the end.
  CHECK(text.find("const bool t2 = ((i0) < int64_t{3});\n") != std::string::npos);
  CHECK(text.find("const float t3 = (t2 ? in0[i0 + 1] : 0.0f);\n") != std::string::npos);
}

/// out0[i0, i1] = max over d in {-1, 0, 1} of in0[i0 + d, i1] (-inf outside the rows), over
/// [rows, 8] row-major, the inner loop a vector loop: a pool window along rows, as NHWC pooling
/// reads it.
kernel::Kernel row_pool(int64_t rows) {
  kernel::Kernel k;
  k.name = "row_pool";
  k.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  const Index at = Index::of("i0") * c(8) + Index::of("i1");
  kernel::ExprPtr top;
  for (int64_t d = -1; d <= 1; ++d) {
    const Index row = Index::of("i0") + Index::at(c(d));
    auto inside = kernel::binary(
        "and", kernel::binary("ge", kernel::index_value(row), kernel::constant_int(0, DType::kInt64)),
        kernel::binary("lt", kernel::index_value(row), kernel::constant_int(rows, DType::kInt64)));
    auto x = kernel::load("in0", at + Index::at(c(8 * d)), DType::kFloat32);
    auto v = kernel::where(inside, x, kernel::constant(-INFINITY, DType::kFloat32), /*guarded=*/true);
    top = top ? kernel::binary("max", top, v) : v;
  }
  kernel::Stmt inner = kernel::loop("i1", c(8), {kernel::store("out0", at, top)});
  inner.vector = true;
  k.body = {kernel::loop("i0", c(rows), {inner})};
  return k;
}

TEST_CASE("a vector loop whose guards hold for all of it or none runs unguarded where they hold") {
  const std::string text = print(row_pool(4));
  INFO(text);
  // The row conditions are computed once per row, outside the vector loop ...
  const size_t branch = text.find("if (t");
  REQUIRE(branch != std::string::npos);
  CHECK(branch < text.find("#pragma omp simd"));
  // ... the loop where they hold loads with no conditional, the other keeps them.
  const size_t otherwise = text.find("} else {");
  REQUIRE(otherwise != std::string::npos);
  const std::string fast = text.substr(branch, otherwise - branch);
  CHECK(fast.find(" ? ") == std::string::npos);
  CHECK(fast.find("in0[8 * i0 + i1 + (-8)]") != std::string::npos);
  CHECK(text.substr(otherwise).find(" ? in0[8 * i0 + i1 + (-8)] : ") != std::string::npos);
  // A guard that varies along the vector loop is left alone.
  kernel::Kernel k;
  k.name = "shift";
  k.buffers = {{"in0", DType::kFloat32, false}, {"out0", DType::kFloat32, true}};
  const Index i = Index::of("i1");
  auto inside = kernel::binary("lt", kernel::index_value(i), kernel::constant_int(7, DType::kInt64));
  auto y = kernel::where(inside, kernel::load("in0", i + Index::at(c(1)), DType::kFloat32),
                         kernel::constant(0, DType::kFloat32), /*guarded=*/true);
  kernel::Stmt loop = kernel::loop("i1", c(8), {kernel::store("out0", i, y)});
  loop.vector = true;
  k.body = {loop};
  CHECK(print(k).find("} else {") == std::string::npos);
}

/// Prints `k`, wraps it with the kernel_math helpers and `main_body`, compiles it with the
/// system compiler and returns what the program prints.
std::string compile_and_run(const kernel::Kernel& k, const std::string& main_body) {
  const std::string dir = testing::scratch_dir("kernel_run");
  std::string source =
      "#include <cmath>\n#include <cstdint>\n#include <cstdio>\n#include <cstring>\n#include <limits>\n"
      "#include <type_traits>\n\n#include \"aotic/runtime/threads.h\"\n\n#define AOTIC_HOST_DEVICE\n";
  source += codegen::template_section("kernel_math.h", "kernel_math");
  source += print(k);
  source += "int main() {\n" + main_body + "\n}\n";
  testing::write_file(dir + "/k.cc", source);
  const std::string cxx = std::system("command -v clang++ >/dev/null 2>&1") == 0 ? "clang++" : "g++";
  const std::string cmd = cxx + " -std=c++17 -O1 -fopenmp-simd -fno-trapping-math -fno-math-errno -I" +
                          testing::repo_path("runtime/include") + " -o " + dir + "/k " + dir + "/k.cc " +
                          testing::repo_path("runtime/src/threads.cc") + " -ldl 2>" + dir + "/err.txt && " +
                          dir + "/k > " + dir + "/out.txt";
  INFO(source);
  const int rc = std::system(cmd.c_str());
  INFO(testing::read_file(dir + "/err.txt"));
  REQUIRE(rc == 0);
  return testing::read_file(dir + "/out.txt");
}

TEST_CASE("printed kernels compile and compute: float pointwise with broadcast") {
  kernel::Kernel k = add_relu(c(2));
  kernel::schedule(k, c(16));
  const std::string out = compile_and_run(k,
                                          "float a[16], b[8], o[16];\n"
                                          "for (int i = 0; i < 16; ++i) a[i] = i - 8;\n"
                                          "for (int i = 0; i < 8; ++i) b[i] = 0.5f;\n"
                                          "add_relu(a, b, o);\n"
                                          "for (float v : o) std::printf(\"%g \", v);");
  CHECK(out == "0 0 0 0 0 0 0 0 0.5 1.5 2.5 3.5 4.5 5.5 6.5 7.5 ");
}

TEST_CASE("printed kernels compile and compute: int8 arithmetic wraps, a row sum and a row max") {
  kernel::Kernel k;
  k.name = "rows";
  k.buffers = {{"in0", DType::kInt8, false}, {"out0", DType::kInt8, true}, {"out1", DType::kInt8, true}};
  const Index at = Index::of("i0") * c(3) + Index::of("r0");
  auto x = kernel::load("in0", at, DType::kInt8);
  k.body = {kernel::loop(
      "i0", c(2),
      {kernel::define("acc", kernel::constant_int(0, DType::kInt8)),
       kernel::define("top", kernel::constant_int(-128, DType::kInt8)),
       kernel::loop("r0", c(3), {kernel::accumulate("acc", "sum", x), kernel::accumulate("top", "max", x)}),
       kernel::store("out0", Index::of("i0"), kernel::variable("acc", DType::kInt8)),
       kernel::store("out1", Index::of("i0"), kernel::variable("top", DType::kInt8))})};
  kernel::schedule(k, c(6));
  const std::string out = compile_and_run(k,
                                          "int8_t a[6] = {100, 100, 100, -1, -2, -3};\n"
                                          "int8_t s[2], m[2];\n"
                                          "rows(a, s, m);\n"
                                          "std::printf(\"%d %d %d %d\", s[0], s[1], m[0], m[1]);");
  // 300 wraps to 44 in int8, as torch.sum(dtype=torch.int8) does.
  CHECK(out == "44 -6 100 -1");
}

TEST_CASE("printed kernels compile and compute: a collapsed parallel range") {
  kernel::Kernel k = transpose_add(2);
  kernel::schedule(k, c(64));
  const std::string out = compile_and_run(k,
                                          "float a[64], b[8], o[64];\n"
                                          "for (int i = 0; i < 64; ++i) a[i] = i;\n"
                                          "for (int i = 0; i < 8; ++i) b[i] = 100 * i;\n"
                                          "transpose_add(a, b, o);\n"
                                          "std::printf(\"%g %g %g\", o[1], o[9], o[63]);");
  // o[0,0,1] = a[0,1,0] + b[1] = 4 + 100; o[0,1,1] = a[0,1,1] + b[1] = 5 + 100;
  // o[1,3,7] = a[1,7,3] + b[7] = 32 + 28 + 3 + 700.
  CHECK(out == "104 105 763");
}

TEST_CASE("printed kernels compile and compute: a pool window over rows, both loop copies") {
  const std::string out = compile_and_run(row_pool(4),
                                          "float a[32], o[32];\n"
                                          "for (int i = 0; i < 32; ++i) a[i] = (i * 37) % 11;\n"
                                          "row_pool(a, o);\n"
                                          "for (float v : o) std::printf(\"%g \", v);");
  // Each output the largest of its column in the rows above, at and below (a[i] = 37 i mod 11).
  CHECK(out == "10 4 8 1 5 9 2 6 10 4 8 10 5 9 2 6 10 3 7 10 4 8 10 5 9 2 6 10 3 7 10 4 ");
}

/// The names /proc/cpuinfo gives this CPU's features ("flags" line), or an empty set.
std::set<std::string> cpu_flags() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::set<std::string> flags;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

TEST_CASE(
    "runtime::kernel_isa picks the copy /proc/cpuinfo says this CPU runs, and AOTIC_KERNEL_ISA caps it") {
  const std::set<std::string> flags = cpu_flags();
  REQUIRE(!flags.empty());
  auto has = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (flags.count(n) == 0) return false;
    return true;
  };
  const bool avx2 = has({"avx2", "fma", "bmi1", "bmi2"});
  const bool avx512 = avx2 && has({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"});
  const int best = avx512 ? 2 : avx2 ? 1 : 0;

  const std::string dir = testing::scratch_dir("kernel_isa");
  testing::write_file(
      dir + "/isa.cc",
      "#include <cstdio>\n#include \"aotic/runtime/threads.h\"\n"
      "int main() { std::printf(\"%d\", static_cast<int>(aotic::runtime::kernel_isa())); }\n");
  const std::string cxx = std::system("command -v clang++ >/dev/null 2>&1") == 0 ? "clang++" : "g++";
  const testing::AoticRun built = testing::run_command(
      cxx + " -std=c++17 -I" + testing::repo_path("runtime/include") + " -o " + dir + "/isa " + dir +
      "/isa.cc " + testing::repo_path("runtime/src/threads.cc") + " -ldl");
  INFO(built.out);
  REQUIRE(built.code == 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unset", std::to_string(best)},
      {"avx512", std::to_string(best)},
      {"avx2", std::to_string(std::min(best, 1))},
      {"AVX2", std::to_string(std::min(best, 1))},
      {"base", "0"},
      {"", std::to_string(best)},
      {"sse9",
       "aotic: AOTIC_KERNEL_ISA='sse9' is not base, avx2 or avx512; ignored\n" + std::to_string(best)},
  };
  for (const auto& [cap, expected] : cases) {
    CAPTURE(cap);
    const std::string env = cap == "unset" ? "env -u AOTIC_KERNEL_ISA " : "AOTIC_KERNEL_ISA=" + cap + " ";
    const testing::AoticRun ran = testing::run_command(env + dir + "/isa");
    CHECK(ran.code == 0);
    CHECK(ran.out == expected);
  }
}

}  // namespace
}  // namespace aotic
