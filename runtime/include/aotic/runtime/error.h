// The runtime's exception: what a failure inside a model run throws (shim failures included, see
// check() in handle.h); the C interface turns it into AOTI_RUNTIME_FAILURE and its message.
#pragma once

#include <stdexcept>
#include <string>

namespace aotic::runtime {

/// A failure inside a model run; the interface returns AOTI_RUNTIME_FAILURE with this message.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The shim's message for the last failure, when the shim in use records one (aotic's does;
/// PyTorch's libtorch prints its own).
std::string shim_error_message();

}  // namespace aotic::runtime
