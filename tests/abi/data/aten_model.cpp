// Includes an ATen header: abi_check must reject it and name line 4.
#include "aotic/shim.h"

#include <ATen/ATen.h>

extern "C" int32_t model_run() {
  AtenTensorHandle t = nullptr;
  return aoti_torch_delete_tensor_object(t);
}
