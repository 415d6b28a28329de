// Helpers shared by the tests: locating test data and making scratch directories.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <map>
#include <stdexcept>

#include "ir/archive.h"

namespace aotic::testing {

/// A path under the repository (tests run from the workspace root of their runfiles).
inline std::string repo_path(const std::string& relative) {
  if (std::filesystem::exists(relative)) return relative;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir && workspace) return std::string(srcdir) + "/" + workspace + "/" + relative;
  return relative;
}

inline std::string fixture(const std::string& name) { return repo_path("tests/data/fixtures/" + name); }
inline std::string extra(const std::string& name) { return repo_path("tests/data/extra/" + name); }

/// A fresh, empty directory under the test's scratch space.
inline std::string scratch_dir(const std::string& label) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/" + label + "-XXXXXX";
  char* made = mkdtemp(templ.data());
  return made ? std::string(made) : templ;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Unpacks an archive's entries (relative to its export root) into `dir`.
inline void unpack(const std::string& archive_path, const std::string& dir) {
  auto archive = ir::Archive::open(archive_path);
  for (const std::string& entry : archive->entries()) {
    write_file(dir + "/" + entry, archive->read_text(entry));
  }
}

/// Writes a zip of `files` (name -> bytes) under the folder `top` ("" for none), deflated or stored.
inline void write_zip(const std::string& path, const std::map<std::string, std::string>& files,
                      const std::string& top, bool deflate) {
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) throw std::runtime_error("cannot create " + path);
  for (const auto& [name, bytes] : files) {
    zip_source_t* source = zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
    std::string full = top.empty() ? name : top + "/" + name;
    zip_int64_t index = zip_file_add(zip, full.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) throw std::runtime_error("cannot add " + full);
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                             0);
  }
  if (zip_close(zip) != 0) throw std::runtime_error("cannot write " + path);
}

/// All entries of an archive, relative to its export root.
inline std::map<std::string, std::string> entries_of(const std::string& archive_path) {
  auto archive = ir::Archive::open(archive_path);
  std::map<std::string, std::string> files;
  for (const std::string& entry : archive->entries()) files[entry] = archive->read_text(entry);
  return files;
}

/// The bundled archives (tests/data/fixtures, tests/data/extra) as repository-relative paths,
/// sorted.
inline std::vector<std::string> bundled_archives() {
  std::vector<std::string> out;
  for (const char* folder : {"tests/data/fixtures", "tests/data/extra"}) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(repo_path(folder))) {
      if (entry.path().extension() == ".pt2") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) out.push_back(std::string(folder) + "/" + name);
  }
  return out;
}

/// The first line where a golden text and the actual one differ, for a readable failure.
inline std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "identical";
    if (!ha || !hb || la != lb) {
      return "line " + std::to_string(line) + ":\n  golden: " + (ha ? la : "<end>") +
             "\n  actual: " + (hb ? lb : "<end>");
    }
  }
}

/// Exit code and combined stdout/stderr of the aotic binary run with `args`.
struct AoticRun {
  int code = -1;
  std::string out;
};

/// Runs a shell command; its exit code and combined stdout and stderr.
inline AoticRun run_command(const std::string& shell_command) {
  const std::string command = shell_command + " 2>&1";
  AoticRun result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline AoticRun run_aotic(const std::string& args) {
  return run_command(repo_path("tools/aotic") + " " + args);
}

}  // namespace aotic::testing
