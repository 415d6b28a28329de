// Calls a runtime helper: allowed only when data/runtime is passed with --allow-dir.
#include "aotic/shim.h"
#include "aotic_runtime.h"

extern "C" int32_t model_run(AtenTensorHandle input) {
  AtenTensorHandle copy = nullptr;
  if (aoti_torch_clone(input, &copy) != AOTI_TORCH_SUCCESS) return 1;
  AOTITorchError err = aotic_runtime_fill(copy, 1.0f);
  aoti_torch_delete_tensor_object(copy);
  return err;
}
