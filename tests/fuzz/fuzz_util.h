// Shared by the libFuzzer harnesses (tests/fuzz/README.md): a scratch file for readers that take
// a path, and the verdict on an exception.
//
// Bad bytes must end in aotic::UserError (a one-line message naming the place). Anything else (an
// InternalError, another exception, a sanitizer report, a crash) is a finding: the harness aborts
// so that libFuzzer saves the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "ir/error.h"

namespace aotic::fuzz {

/// A file of this process's own under $TMPDIR, rewritten with each input.
inline const std::string& scratch_path(const char* suffix) {
  static const std::string path = [&] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp != nullptr ? tmp : "/tmp") + "/aotic-fuzz-" + std::to_string(getpid()) + suffix;
  }();
  return path;
}

inline const std::string& write_scratch(const uint8_t* data, size_t size, const char* suffix) {
  const std::string& path = scratch_path(suffix);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

/// Runs `body`; a UserError is the expected outcome for bad bytes, anything else aborts.
template <typename Body>
void expect_user_errors_only(Body&& body) {
  try {
    body();
  } catch (const UserError& e) {
    const std::string message = e.what();
    if (message.empty() || message.find('\n') != std::string::npos) {
      std::fprintf(stderr, "fuzz: a user error that is not one line: '%s'\n", message.c_str());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: not a user error: %s\n", e.what());
    std::abort();
  }
}

}  // namespace aotic::fuzz
