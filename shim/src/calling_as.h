// The name a shim function's errors carry when another entry point runs it: each
// aoti_torch_cuda_<op> runs its CPU twin (ATen dispatches on the tensors' device), and its errors
// must name the function the model called. Light on purpose: the generated c_shim_cuda.cc
// includes it.
#pragma once

namespace aotic::shim {

/// For the length of a call on this thread: errors recorded meanwhile name `function`.
class CallingAs {
 public:
  explicit CallingAs(const char* function);
  ~CallingAs();
  CallingAs(const CallingAs&) = delete;
  CallingAs& operator=(const CallingAs&) = delete;

 private:
  const char* previous_;
};

/// The name set by the innermost CallingAs of this thread, or nullptr.
const char* calling_as();

}  // namespace aotic::shim
