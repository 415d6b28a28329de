// Declares an extern "C" libtorch entry point itself instead of using the shim: abi_check must
// reject the call on line 11.
#include "aotic/shim.h"

extern "C" AOTITorchError aoti_torch_cpu_relu(AtenTensorHandle self, AtenTensorHandle* ret0);

extern "C" int32_t model_run(AtenTensorHandle input) {
  AtenTensorHandle out = nullptr;
  AOTITorchError err = aoti_torch_delete_tensor_object(nullptr);
  if (err != AOTI_TORCH_SUCCESS) return err;
  err = aoti_torch_cpu_relu(input, &out);
  return err;
}
