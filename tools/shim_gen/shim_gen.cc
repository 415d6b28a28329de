// shim_gen: writes shim/generated/{c_shim_cpu.h, c_shim_cuda.h, c_shim_cpu.cc, c_shim_cuda.cc} from the ATen
// schema list and shim/fallback_ops.txt. See tools/shim_gen/README.md.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "ir/error.h"
#include "ir/op_schema.h"
#include "shim/gen/shim_gen.h"

namespace {

constexpr const char* kUsage = R"(usage: shim_gen [options]
  --update               regenerate the checked-in files of the workspace
                         ($BUILD_WORKSPACE_DIRECTORY under `bazel run`, else the current directory)
  --schemas FILE         ATen schema list   (default ir/data/aten_schemas_torch2.11.txt)
  --ops FILE             fallback-op list   (default shim/fallback_ops.txt)
  --out-dir DIR          where the files go (default shim/generated)
  --check                compare with the files in --out-dir instead of writing; exit 1 on a difference
  --signature TARGET     print the C signature of one op (e.g. aten.addmm.out) on --device
  --device cpu|cuda      for --signature (default cpu)
  --compare-schemas FILE list the non-compat ops whose schema differs in FILE (e.g. libtorch 1.13's)
)";

constexpr const char* kSchemasPath = "ir/data/aten_schemas_torch2.11.txt";
constexpr const char* kOpsPath = "shim/fallback_ops.txt";
constexpr const char* kOutDir = "shim/generated";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) aotic::user_error("cannot read '{}'", path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The name the banner shows: the workspace-relative path when `path` ends with it.
std::string display_name(const std::string& path, const std::string& canonical) {
  if (path.size() >= canonical.size() &&
      path.compare(path.size() - canonical.size(), canonical.size(), canonical) == 0) {
    return canonical;
  }
  return path;
}

int run(int argc, char** argv) {
  std::string root;
  std::string schemas = kSchemasPath, ops = kOpsPath, out_dir = kOutDir, signature, device = "cpu", compare;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) aotic::user_error("{} needs a value", a);
      return argv[++i];
    };
    if (a == "--update") {
      const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      root = ws != nullptr ? std::string(ws) + "/" : "";
    } else if (a == "--schemas") {
      schemas = value();
    } else if (a == "--ops") {
      ops = value();
    } else if (a == "--out-dir") {
      out_dir = value();
    } else if (a == "--check") {
      check = true;
    } else if (a == "--signature") {
      signature = value();
    } else if (a == "--device") {
      device = value();
    } else if (a == "--compare-schemas") {
      compare = value();
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "shim_gen: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  auto at_root = [&](const std::string& p) { return p.empty() || p[0] == '/' ? p : root + p; };
  aotic::shim_gen::Inputs inputs;
  inputs.schemas_text = read_file(at_root(schemas));
  inputs.schemas_name = display_name(schemas, kSchemasPath);

  if (!signature.empty()) {
    const auto registry = aotic::ir::SchemaRegistry::parse(inputs.schemas_text, inputs.schemas_name);
    const aotic::ir::OpSchema* s = registry.find(signature);
    if (s == nullptr) aotic::user_error("unknown target '{}'", signature);
    std::cout << aotic::shim_gen::c_function(*s, device).signature() << "\n";
    return 0;
  }

  inputs.ops_text = read_file(at_root(ops));
  inputs.ops_name = display_name(ops, kOpsPath);
  if (!compare.empty()) {
    const auto diffs = aotic::shim_gen::schema_differences(inputs, read_file(compare));
    for (const std::string& d : diffs) std::cout << d << "\n";
    std::cout << diffs.size() << " ops differ\n";
    return diffs.empty() ? 0 : 1;
  }

  const auto files = aotic::shim_gen::generate(inputs);
  int status = 0;
  for (const auto& [name, text] : files) {
    const std::string path = at_root(out_dir) + "/" + name;
    if (check) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      if (!in || s.str() != text) {
        std::cerr << "shim_gen: " << path << " is out of date; run: " << aotic::shim_gen::kRegenerateCommand
                  << "\n";
        status = 1;
      }
      continue;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) aotic::user_error("cannot write '{}'", path);
    std::cout << "wrote " << path << "\n";
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const aotic::UserError& e) {
    std::cerr << "shim_gen: error: " << e.what() << "\n";
    return 1;
  }
}
