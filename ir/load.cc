#include "ir/load.h"

#include <filesystem>
#include <fstream>

#include "ir/archive.h"
#include "ir/builtin_schemas.h"
#include "ir/error.h"
#include "ir/model_json.h"
#include "ir/verify.h"
#include "ir/weights.h"

namespace aotic::ir {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelJson = "models/model.json";

/// A file whose first non-blank byte is '{' is a bare graph; anything else is taken for a zip.
bool looks_like_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c;
  while (in.get(c)) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{';
  }
  return false;
}

void parse_and_verify(const std::string& text, const std::string& where, Program& program) {
  try {
    parse_model_json(text, program);
    verify_program(program, builtin_schemas());
  } catch (const UserError& e) {
    rethrow_in(e, where);
  }
}

bool has_weights(const Program& program) {
  for (const InputSpec& spec : program.signature.inputs) {
    if (spec.kind == InputKind::kParameter || spec.kind == InputKind::kBuffer ||
        spec.kind == InputKind::kTensorConstant) {
      return true;
    }
  }
  return false;
}

/// The export root holding data/ for a bare model.json: its folder, or the folder above a models/.
std::optional<fs::path> find_data_root(const fs::path& json_path) {
  std::error_code ec;
  fs::path dir = json_path.parent_path();
  if (dir.empty()) dir = ".";
  if (fs::is_directory(dir / "data", ec)) return dir;
  if (dir.filename() == "models" && fs::is_directory(dir.parent_path() / "data", ec))
    return dir.parent_path();
  return std::nullopt;
}

}  // namespace

Program load_program(const std::string& path, const LoadOptions& options) {
  Program program;
  program.source = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) user_error("{}: no such file or directory", path);

  if (fs::is_regular_file(path, ec) && looks_like_json(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) user_error("{}: cannot read file", path);
    parse_and_verify(text, path, program);
    if (!options.weights_path.empty()) {
      load_safetensors_weights(options.weights_path, program);
    } else if (has_weights(program)) {
      std::optional<fs::path> root = find_data_root(path);
      if (!root) {
        user_error(
            "{}: the graph has weights: pass --weights FILE.safetensors or put a data/ folder beside it",
            path);
      }
      std::unique_ptr<Archive> data = Archive::open_directory(root->string());
      if (options.read_weights) load_archive_weights(*data, program);
    }
    return program;
  }

  std::unique_ptr<Archive> archive = Archive::open(path);
  parse_and_verify(archive->read_text(kModelJson), path + ": " + kModelJson, program);
  if (!options.weights_path.empty()) {
    load_safetensors_weights(options.weights_path, program);
  } else if (options.read_weights) {
    load_archive_weights(*archive, program);
  }
  return program;
}

}  // namespace aotic::ir
