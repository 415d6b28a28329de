// The runtime's throwing side of handle.h's checks, out of line so that generated code need not
// include <string> or <stdexcept>.
#include "aotic/runtime/error.h"

#include <string>

#include "aotic/runtime/handle.h"

// Only aotic's shim records messages; PyTorch's libtorch has no such function. A weak reference
// binds to it when the model.so's own dependencies (libaotic_shim.so) provide it, and stays null
// otherwise, whatever RTLD_LOCAL/RTLD_GLOBAL the loader used.
#pragma weak aotic_shim_last_error

namespace aotic::runtime {

std::string shim_error_message() {
  if (&aotic_shim_last_error == nullptr) return std::string();
  return std::string(aotic_shim_last_error());
}

void throw_shim_failure(const char* what) {
  const std::string detail = shim_error_message();
  throw RuntimeError(std::string(what) + " failed" + (detail.empty() ? "" : ": " + detail));
}

void throw_runtime_error(const char* message) { throw RuntimeError(message); }

void throw_runtime_error(const char* what, const char* detail) {
  throw RuntimeError(std::string(what) + ": " + detail);
}

}  // namespace aotic::runtime
