#include "codegen/shell.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "ir/error.h"

namespace aotic::codegen {

namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view data) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) user_error("{}: cannot write file", path.string());
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int run(const fs::path& dir, const std::string& command, std::string* output) {
  std::string full = "cd " + shell_quote(dir.string()) + " && { " + command + "; } 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) user_error("cannot run the compiler: {}", command);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output->append(buffer, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace aotic::codegen
