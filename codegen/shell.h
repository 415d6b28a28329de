// What the compiler driver and the in-process CUDA compiler share to write their files and run
// the toolchain's programs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace aotic::codegen {

/// Writes `data` to `path`, making its directory; UserError "<path>: cannot write file" if it fails.
void write_file(const std::filesystem::path& path, std::string_view data);

/// `s` quoted for sh.
std::string shell_quote(const std::string& s);

/// Runs `command` with sh in `dir`; returns its exit status, its output (stdout and stderr)
/// appended to `output`. UserError when no shell can be started.
int run(const std::filesystem::path& dir, const std::string& command, std::string* output);

}  // namespace aotic::codegen
