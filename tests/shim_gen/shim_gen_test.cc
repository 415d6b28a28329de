// The shim generator: its signatures against PyTorch 2.11's c_shim lines, the checked-in
// shim/generated files against a fresh run, and the type mapping case by case.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ir/error.h"
#include "ir/op_schema.h"
#include "shim/gen/shim_gen.h"

namespace aotic::shim_gen {
namespace {

constexpr const char* kSchemas = "ir/data/aten_schemas_torch2.11.txt";
constexpr const char* kOps = "shim/fallback_ops.txt";
constexpr const char* kGeneratedDir = "shim/generated";

/// A path under the repository: relative to the working directory (the workspace root under
/// Bazel), else in the runfiles tree.
std::string repo_path(const std::string& relative) {
  if (std::filesystem::exists(relative)) return relative;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr)
    return std::string(srcdir) + "/" + workspace + "/" + relative;
  return relative;
}

std::string read_file(const std::string& relative) {
  const std::string path = repo_path(relative);
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// Whitespace dropped except one space between two identifier characters.
std::string normalize(const std::string& s) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = true;
      continue;
    }
    if (space && !out.empty() && ident(out.back()) && ident(c)) out += ' ';
    out += c;
    space = false;
  }
  return out;
}

Inputs repo_inputs() {
  Inputs in;
  in.schemas_text = read_file(kSchemas);
  in.schemas_name = kSchemas;
  in.ops_text = read_file(kOps);
  in.ops_name = kOps;
  return in;
}

const ir::SchemaRegistry& registry() {
  static const ir::SchemaRegistry r = ir::SchemaRegistry::parse(read_file(kSchemas), kSchemas);
  return r;
}

std::string sig(const std::string& schema_text, const char* device = "cpu") {
  return c_function(ir::parse_schema(schema_text), device).signature();
}

/// PyTorch's lines by function name.
std::map<std::string, std::string> abi_lines(const std::string& file) {
  std::map<std::string, std::string> by_name;
  for (const std::string& line : lines_of(read_file(file))) {
    const size_t open = line.find('(');
    if (line.empty() || open == std::string::npos) continue;
    const size_t start = line.rfind(' ', open) + 1;
    by_name[line.substr(start, open - start)] = line;
  }
  return by_name;
}

TEST_CASE("every listed op that PyTorch 2.11's c_shim has gets PyTorch's signature") {
  const std::vector<std::string> targets = parse_op_list(read_file(kOps), kOps);
  for (const char* device : {"cpu", "cuda"}) {
    const auto abi = abi_lines(std::string("shim/abi/pytorch-2.11/c_shim_") + device + ".txt");
    REQUIRE(abi.size() > 100);
    size_t compared = 0;
    size_t matched = 0;
    for (const std::string& target : targets) {
      const ir::OpSchema* schema = registry().find(target);
      REQUIRE_MESSAGE(schema != nullptr, target);
      const CFunction f = c_function(*schema, device);
      auto it = abi.find(f.name);
      if (it == abi.end()) continue;
      ++compared;
      CHECK_MESSAGE(normalize(f.signature()) == normalize(it->second),
                    target << "\n  ours:    " << f.signature() << "\n  PyTorch: " << it->second);
      if (normalize(f.signature()) == normalize(it->second)) ++matched;
    }
    MESSAGE(std::string(device) << ": " << matched << " of " << compared
                                << " signatures found in PyTorch 2.11's c_shim_" << device << ".txt match ("
                                << targets.size() << " ops listed)");
    CHECK(compared >= 30);
    CHECK(matched == compared);
  }
}

TEST_CASE("the whole PyTorch 2.11 c_shim list maps to the same signatures") {
  // Beyond the listed ops: every op PyTorch generates, so the mapping rules are checked on all of them.
  for (const char* device : {"cpu", "cuda"}) {
    const std::string prefix = std::string("aoti_torch_") + device + "_";
    std::map<std::string, const ir::OpSchema*> by_name;
    for (const ir::OpSchema& s : registry().all()) {
      if (s.ns != "aten") continue;
      try {
        by_name[c_function(s, device).name] = &s;
      } catch (const UserError&) {
        // Unmappable ops are not in PyTorch's list either; a wrong guess shows up below as missing.
      }
    }
    size_t matched = 0;
    const auto abi = abi_lines(std::string("shim/abi/pytorch-2.11/c_shim_") + device + ".txt");
    for (const auto& entry : abi) {
      // Plain references: doctest's message macros capture them in lambdas.
      const auto& name = entry.first;
      const auto& line = entry.second;
      auto it = by_name.find(name);
      REQUIRE_MESSAGE(it != by_name.end(), "no schema gives " << name);
      const std::string ours = c_function(*it->second, device).signature();
      CHECK_MESSAGE(normalize(ours) == normalize(line), "ours:    " << ours << "\nPyTorch: " << line);
      if (normalize(ours) == normalize(line)) ++matched;
    }
    MESSAGE(std::string(device) << ": " << matched << " of " << abi.size()
                                << " PyTorch c_shim signatures reproduced");
  }
}

TEST_CASE("the checked-in shim/generated files are what the generator writes") {
  const std::map<std::string, std::string> files = generate(repo_inputs());
  CHECK(files.size() == 4);
  // Write into a scratch directory, then compare those bytes with the checked-in files.
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir =
      std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "shim_gen_test_out";
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] : files) {
    {
      std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
      out << text;
    }
    std::ifstream in(dir / name, std::ios::binary);
    std::ostringstream fresh;
    fresh << in.rdbuf();
    const std::string checked_in = read_file(std::string(kGeneratedDir) + "/" + name);
    if (fresh.str() == checked_in) continue;
    const auto a = lines_of(checked_in);
    const auto b = lines_of(fresh.str());
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    FAIL_CHECK(kGeneratedDir << "/" << name << " is out of date; first difference at line " << (i + 1)
                             << ":\n  checked in: " << (i < a.size() ? a[i] : "<end of file>")
                             << "\n  generated:  " << (i < b.size() ? b[i] : "<end of file>")
                             << "\nregenerate with: " << kRegenerateCommand);
  }
}

TEST_CASE("generated files carry the banner and are sorted by function name") {
  const auto files = generate(repo_inputs());
  for (const auto& file : files) {
    const std::string& name = file.first;
    const std::string& text = file.second;
    CHECK_MESSAGE(text.find("generated by tools/shim_gen, do not edit") != std::string::npos, name);
    CHECK_MESSAGE(text.find("version 1") != std::string::npos, name);
    CHECK_MESSAGE(text.find(kSchemas) != std::string::npos, name);
    CHECK_MESSAGE(text.find(kOps) != std::string::npos, name);
    std::vector<std::string> names;
    for (const std::string& line : lines_of(text)) {
      const std::string marker = name == "c_shim_cpu.cc" || name == "c_shim_cuda.cc"
                                     ? "AOTITorchError "
                                     : "AOTI_TORCH_EXPORT AOTITorchError ";
      if (line.rfind(marker, 0) != 0) continue;
      names.push_back(line.substr(marker.size(), line.find('(') - marker.size()));
    }
    CHECK(names.size() == parse_op_list(read_file(kOps), kOps).size());
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  }
  CHECK(generate(repo_inputs()) == files);  // deterministic
}

TEST_CASE("the fallback list covers the fixtures' ops") {
  const auto targets = parse_op_list(read_file(kOps), kOps);
  const std::set<std::string> listed(targets.begin(), targets.end());
  for (const char* t : {"aten.addmm.default",
                        "aten.permute.default",
                        "aten.relu.default",
                        "aten.linear.default",
                        "aten.adaptive_avg_pool2d.default",
                        "aten.batch_norm.default",
                        "aten.conv2d.default",
                        "aten.flatten.using_ints",
                        "aten.log_softmax.int",
                        "aten.max_pool2d.default",
                        "aten.silu.default",
                        "aten._log_softmax.default",
                        "aten._native_batch_norm_legit_no_training.default",
                        "aten.convolution.default",
                        "aten.max_pool2d_with_indices.default",
                        "aten.mean.dim",
                        "aten.mul.Tensor",
                        "aten.sigmoid.default",
                        "aten.view.default",
                        "aten.add.Tensor",
                        "aten.arange.default",
                        "aten.arange.start_step",
                        "aten.embedding.default",
                        "aten.gelu.default",
                        "aten.layer_norm.default",
                        "aten.native_layer_norm.default",
                        "aten.scaled_dot_product_attention.default",
                        "aten.split.Tensor",
                        "aten.split_with_sizes.default",
                        "aten.transpose.int",
                        "aten._softmax.default",
                        "aten.any.dim",
                        "aten.bmm.default",
                        "aten.clone.default",
                        "aten.eq.Scalar",
                        "aten.expand.default",
                        "aten.full.default",
                        "aten.full_like.default",
                        "aten.le.Scalar",
                        "aten.logical_and.default",
                        "aten.logical_not.default",
                        "aten.mm.default",
                        "aten.mul.Scalar",
                        "aten.scalar_tensor.default",
                        "aten.sub.Tensor",
                        "aten.unsqueeze.default",
                        "aten.where.self",
                        "aten.gt.Scalar",
                        "aten.index.Tensor",
                        "aten.topk.default",
                        "aten.argmax.default",
                        "aten.cat.default",
                        "aten.slice.Tensor",
                        "aten.pad.default",
                        "aten.constant_pad_nd.default",
                        "aten.new_zeros.default",
                        "aten.sum.dim_IntList",
                        "aten.sum.default",
                        "aten.reshape.default",
                        "aten.hardswish.default",
                        "aten.hardswish_.default",
                        "aten.hardsigmoid.default",
                        "aten.clamp.default",
                        "aten.div.Tensor",
                        "aten.dropout.default"}) {
    CHECK_MESSAGE(listed.count(t) == 1, t);
  }
}

TEST_CASE("type mapping") {
  SUBCASE("Tensor? is a pointer to a handle, int[] a pointer and a length, Scalar a double") {
    CHECK(
        sig("aten::convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, "
            "SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups) -> Tensor") ==
        "AOTITorchError aoti_torch_cpu_convolution(AtenTensorHandle input, AtenTensorHandle weight, "
        "AtenTensorHandle* bias, const int64_t* stride, int64_t stride_len_, const int64_t* padding, "
        "int64_t padding_len_, const int64_t* dilation, int64_t dilation_len_, int32_t transposed, "
        "const int64_t* output_padding, int64_t output_padding_len_, int64_t groups, AtenTensorHandle* "
        "ret0)");
    CHECK(sig("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_add_Tensor(AtenTensorHandle self, AtenTensorHandle other, double "
          "alpha, "
          "AtenTensorHandle* ret0)");
  }
  SUBCASE("optionals are pointers: int?, float?, Scalar?, str?, bool?, ScalarType?, int[]?") {
    CHECK(sig("aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt "
              "step=1) "
              "-> Tensor(a)") ==
          "AOTITorchError aoti_torch_cpu_slice_Tensor(AtenTensorHandle self, int64_t dim, int64_t* start, "
          "int64_t* end, int64_t step, AtenTensorHandle* ret0)");
    CHECK(sig("aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_clamp(AtenTensorHandle self, double* min, double* max, "
          "AtenTensorHandle* ret0)");
    CHECK(sig("aten::searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool out_int32=False, bool "
              "right=False, str? side=None, Tensor? sorter=None) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_searchsorted_Tensor(AtenTensorHandle sorted_sequence, "
          "AtenTensorHandle "
          "self, int32_t out_int32, int32_t right, const char** side, AtenTensorHandle* sorter, "
          "AtenTensorHandle* "
          "ret0)");
    CHECK(sig("aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? "
              "dtype=None) -> "
              "Tensor") ==
          "AOTITorchError aoti_torch_cpu_sum_dim_IntList(AtenTensorHandle self, const int64_t** dim, int64_t "
          "dim_len_, int32_t keepdim, int32_t* dtype, AtenTensorHandle* ret0)");
    CHECK(sig("aten::native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)") ==
          "AOTITorchError aoti_torch_cpu_native_dropout(AtenTensorHandle input, double p, int32_t* train, "
          "AtenTensorHandle* ret0, AtenTensorHandle* ret1)");
  }
  SUBCASE("Device is a type and an index; Generator? a pointer to a handle") {
    CHECK(sig("aten::randn.generator(SymInt[] size, *, Generator? generator, ScalarType? dtype=None, Layout? "
              "layout=None, Device? device=None, bool? pin_memory=None) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_randn_generator(const int64_t* size, int64_t size_len_, "
          "AtenGeneratorHandle* generator, int32_t* dtype, int32_t* layout, int32_t* device, int32_t "
          "device_index_, int32_t* pin_memory, AtenTensorHandle* ret0)");
    CHECK(sig("aten::foo(Device d) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_foo(int32_t d, int32_t d_index_, AtenTensorHandle* ret0)");
  }
  SUBCASE("Tensor[] and Tensor?[] arguments, bool[N]") {
    CHECK(sig("aten::cat(Tensor[] tensors, int dim=0) -> Tensor", "cuda") ==
          "AOTITorchError aoti_torch_cuda_cat(const AtenTensorHandle* tensors, int64_t tensors_len_, int64_t "
          "dim, "
          "AtenTensorHandle* ret0)");
    CHECK(
        sig("aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor") ==
        "AOTITorchError aoti_torch_cpu_index_Tensor(AtenTensorHandle self, const AtenTensorHandle** indices, "
        "int64_t indices_len_, AtenTensorHandle* ret0)");
    CHECK(sig("aten::foo(Tensor self, bool[3] output_mask) -> Tensor") ==
          "AOTITorchError aoti_torch_cpu_foo(AtenTensorHandle self, const int32_t* output_mask, int64_t "
          "output_mask_len_, AtenTensorHandle* ret0)");
  }
  SUBCASE("out variants: out tensors first, no returns") {
    CHECK(sig("aten::addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, "
              "Tensor(a!) out) -> Tensor(a!)") ==
          "AOTITorchError aoti_torch_cpu_addmm_out(AtenTensorHandle out, AtenTensorHandle self, "
          "AtenTensorHandle "
          "mat1, AtenTensorHandle mat2, double beta, double alpha)");
    CHECK(sig("aten::max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, Tensor(b!) "
              "max_values) -> (Tensor(a!) values, Tensor(b!) indices)") ==
          "AOTITorchError aoti_torch_cpu_max_dim_max(AtenTensorHandle max, AtenTensorHandle max_values, "
          "AtenTensorHandle self, int64_t dim, int32_t keepdim)");
  }
  SUBCASE("in-place ops return nothing") {
    CHECK(sig("aten::fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)") ==
          "AOTITorchError aoti_torch_cpu_fill__Scalar(AtenTensorHandle self, double value)");
  }
  SUBCASE("multiple returns, int returns, Tensor[] returns") {
    CHECK(
        sig("aten::topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor "
            "values, Tensor indices)") ==
        "AOTITorchError aoti_torch_cpu_topk(AtenTensorHandle self, int64_t k, int64_t dim, int32_t largest, "
        "int32_t sorted, AtenTensorHandle* ret0, AtenTensorHandle* ret1)");
    CHECK(sig("aten::foo(Tensor self) -> (Tensor, SymInt, bool, float)") ==
          "AOTITorchError aoti_torch_cpu_foo(AtenTensorHandle self, AtenTensorHandle* ret0, int64_t* ret1, "
          "int32_t* ret2, double* ret3)");
    // aotic's extension: the caller passes room for exactly as many handles as the op returns.
    CHECK(
        sig("aten::split.Tensor(Tensor(a -> *) self, SymInt split_size, int dim=0) -> Tensor(a)[]") ==
        "AOTITorchError aoti_torch_cpu_split_Tensor(AtenTensorHandle self, int64_t split_size, int64_t dim, "
        "AtenTensorHandle* ret0, int64_t ret0_len_)");
  }
  SUBCASE("definitions call ATen, methods, _out functions or compat") {
    const auto def = [](const std::string& target) { return cpu_definition(*registry().find(target)); };
    CHECK(def("aten.addmm.out").find("at::addmm_out(aotic::shim::tensor(out, \"out\"), ") !=
          std::string::npos);
    CHECK(def("aten.view.default").find("aotic::shim::tensor(self, \"self\").view(") != std::string::npos);
    CHECK(def("aten.scaled_dot_product_attention.default")
              .find("aotic::shim::compat::scaled_dot_product_attention(") != std::string::npos);
    CHECK(def("aten.var_mean.correction").find("aotic::shim::compat::var_mean_correction(") !=
          std::string::npos);
    const std::string topk = def("aten.topk.default");
    CHECK(topk.find("return aotic::shim::guard(\"aoti_torch_cpu_topk\", [&] {") != std::string::npos);
    CHECK(topk.find("aotic::shim::set_output(ret1, std::get<1>(std::move(result)), \"ret1\");") !=
          std::string::npos);
    CHECK(def("aten.hardswish_.default").find("at::hardswish_(aotic::shim::tensor(self, \"self\"));") !=
          std::string::npos);
  }
}

TEST_CASE("unmappable types make the generator fail, naming the op and the argument") {
  CHECK_THROWS_WITH_AS(
      sig("aten::foo(Tensor self, Dimname dim) -> Tensor"),
      "shim_gen: aten.foo.default: cannot map argument 'dim' of type 'Dimname' to the C shim", UserError);
  CHECK_THROWS_WITH_AS(sig("aten::foo.bar(Tensor self, str[] names) -> Tensor"),
                       "shim_gen: aten.foo.bar: cannot map argument 'names' of type 'str[]' to the C shim",
                       UserError);
  CHECK_THROWS_WITH_AS(sig("aten::foo(Tensor self) -> Tensor?"),
                       "shim_gen: aten.foo.default: cannot map return 0 of type 'Tensor?' to the C shim",
                       UserError);
  CHECK_THROWS_WITH_AS(sig("aten::foo(Tensor self, int?[] x) -> Tensor"),
                       "shim_gen: aten.foo.default: cannot map argument 'x' of type 'int?[]' to the C shim",
                       UserError);

  // Through generate(): a listed op with an unmappable argument stops the whole run.
  Inputs in;
  in.schemas_text =
      "aten::relu(Tensor self) -> Tensor\naten::align_to(Tensor(a) self, str[] names) -> Tensor(a)\n";
  in.schemas_name = "schemas.txt";
  in.ops_text = "aten.relu.default\naten.align_to.default\n";
  in.ops_name = "ops.txt";
  CHECK_THROWS_WITH_AS(
      generate(in),
      "shim_gen: aten.align_to.default: cannot map argument 'names' of type 'str[]' to the C shim",
      UserError);
}

TEST_CASE("fallback list parsing") {
  CHECK(parse_op_list("# comment\n\n aten.relu.default  # trailing\naten.add.Tensor\n", "ops.txt") ==
        std::vector<std::string>{"aten.relu.default", "aten.add.Tensor"});
  CHECK_THROWS_WITH_AS(parse_op_list("aten.relu.default\naten.relu\n", "ops.txt"),
                       "ops.txt:2: expected one export target like 'aten.addmm.default', got 'aten.relu'",
                       UserError);
  CHECK_THROWS_WITH_AS(parse_op_list("aten.relu.default\n\naten.relu.default\n", "ops.txt"),
                       "ops.txt:3: 'aten.relu.default' is listed twice", UserError);
  Inputs in;
  in.schemas_text = "aten::relu(Tensor self) -> Tensor\n";
  in.schemas_name = "schemas.txt";
  in.ops_text = "aten.relu.default\naten.nope.default\n";
  in.ops_name = "ops.txt";
  CHECK_THROWS_WITH_AS(generate(in), "ops.txt: unknown target 'aten.nope.default' (not in schemas.txt)",
                       UserError);
}

}  // namespace
}  // namespace aotic::shim_gen
