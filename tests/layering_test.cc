// The layering rule of DESIGN.md: no library folder includes anything from tools/ (tools/ holds
// only mains, scripts and Bazel rules). Scans every source file of the library folders for
// `#include "tools/...` and names each offending file and line.
//
// The files come from two places: the test's runfiles (the `:sources` filegroup of each library
// package, listed in tests/BUILD.bazel: hermetic), and, when the runfiles are symlinks into a
// source tree (local runs), that tree itself, so a folder or subpackage not listed yet is still
// scanned (and named, so that it gets listed). The test is tagged "external": never cached.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

/// The library folders. Those that do not exist (yet) are skipped.
const char* const kLibraryFolders[] = {"ir", "codegen", "shim", "runtime", "templates", "eager", "kernel"};
/// Folders that must have files, so that a broken runfiles tree cannot pass by seeing nothing.
const char* const kRequiredFolders[] = {"ir", "codegen", "shim", "runtime"};

bool is_source(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".h",   ".hh", ".hpp", ".c",   ".cc",  ".cpp",
                                                    ".cxx", ".cu", ".cuh", ".inc", ".ipp", ".tpp"};
  return kExtensions.count(path.extension().string()) != 0;
}

/// "file:line: text" for each line of `text` that includes a header from tools/.
std::vector<std::string> tools_includes(const std::string& name, const std::string& text) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*["<]tools/)");
  std::vector<std::string> found;
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string content = text.substr(start, end - start);
    if (std::regex_search(content, kInclude))
      found.push_back(name + ":" + std::to_string(line) + ": " + content);
    start = end + 1;
  }
  return found;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Source files under `root`/`folder`, by path relative to `root`, sorted.
std::set<std::string> sources_under(const fs::path& root, const std::string& folder) {
  std::set<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root / folder, ec)) return out;
  for (fs::recursive_directory_iterator
           it(root / folder, fs::directory_options::follow_directory_symlink, ec),
       end;
       it != end; it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && is_source(it->path()))
      out.insert(it->path().lexically_relative(root).string());
  }
  return out;
}

fs::path runfiles_root() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) return fs::path(srcdir) / workspace;
  return fs::current_path();
}

/// The source tree the runfile `relative` links to (canonical path minus `relative`), or "" when
/// it is no link into a tree holding that path.
fs::path source_tree_of(const fs::path& root, const std::string& relative) {
  std::error_code ec;
  const fs::path real = fs::canonical(root / relative, ec);
  if (ec || real == fs::absolute(root / relative)) return {};
  fs::path tree = real;
  const fs::path rel(relative);
  for (auto it = rel.begin(); it != rel.end(); ++it) tree = tree.parent_path();
  if (tree / relative != real || tree == fs::canonical(root, ec)) return {};
  return tree;
}

struct Scan {
  std::map<std::string, fs::path> files;  // relative path -> where it was read
  std::vector<std::string> not_listed;    // seen in the source tree only
  std::map<std::string, int> per_folder;  // files seen in the runfiles, by folder
  fs::path source_tree;
};

Scan scan() {
  Scan s;
  const fs::path root = runfiles_root();
  for (const char* folder : kLibraryFolders) {
    for (const std::string& f : sources_under(root, folder)) {
      s.files[f] = root / f;
      ++s.per_folder[folder];
      if (s.source_tree.empty()) s.source_tree = source_tree_of(root, f);
    }
  }
  if (s.source_tree.empty()) return s;
  for (const char* folder : kLibraryFolders) {
    for (const std::string& f : sources_under(s.source_tree, folder)) {
      if (s.files.count(f) != 0) continue;
      s.files[f] = s.source_tree / f;
      s.not_listed.push_back(f);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("the include matcher finds quoted and angled includes of tools/, not comments") {
  const std::vector<std::string> found = tools_includes("x.cc",
                                                        "#include \"ir/graph.h\"\n"
                                                        "#include \"tools/inspect.h\"\n"
                                                        "  #  include <tools/version.h>\n"
                                                        "// #include \"tools/commented.h\"\n"
                                                        "#include \"codegen/tools/ok.h\"\n");
  REQUIRE(found.size() == 2);
  CHECK(found[0] == "x.cc:2: #include \"tools/inspect.h\"");
  CHECK(found[1] == "x.cc:3:   #  include <tools/version.h>");
}

TEST_CASE("no library folder includes a header from tools/") {
  const Scan s = scan();
  for (const char* folder : kRequiredFolders) {
    CAPTURE(folder);
    CHECK_MESSAGE(s.per_folder.count(folder) != 0,
                  "no source file of this folder in the test's runfiles: is its :sources filegroup listed in "
                  "LIBRARY_SOURCES (tests/BUILD.bazel)?");
  }
  if (!s.not_listed.empty()) {
    std::string warning =
        "scanned from the source tree only (add their package's :sources filegroup to "
        "LIBRARY_SOURCES in tests/BUILD.bazel):";
    for (const std::string& f : s.not_listed) warning += " " + f;
    WARN_MESSAGE(s.not_listed.empty(), warning);
  }
  std::vector<std::string> violations;
  for (const auto& [name, path] : s.files) {
    for (const std::string& v : tools_includes(name, read_file(path))) violations.push_back(v);
  }
  for (const std::string& v : violations) {
    const std::string message = v + "  (library folders may not include from tools/)";
    FAIL_CHECK(message);
  }
  const std::string where =
      s.source_tree.empty() ? "the runfiles" : "the runfiles and " + s.source_tree.string();
  MESSAGE(s.files.size() << " files scanned, from " << where);
  CHECK(violations.empty());
}
