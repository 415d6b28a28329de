// The shim's CUDA stream functions. Built against a CUDA libtorch with AOTIC_SHIM_CUDA defined
// (tools/build_shim.sh --cuda) they use c10's stream guard; a shim built against a CPU-only
// libtorch (Debian's) still defines them, failing with a message that says why, so a CUDA
// model.so loads everywhere and reports the problem when it is created instead of at dlopen.
#include "aotic/shim.h"
#include "shim/src/shim_internal.h"

#ifdef AOTIC_SHIM_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace {

#ifndef AOTIC_SHIM_CUDA
[[noreturn]] void no_cuda() {
  throw aotic::shim::ShimError(
      "this libaotic_shim.so was built without CUDA; build it against a CUDA libtorch "
      "(tools/build_shim.sh --torch DIR --cuda)");
}
#endif

}  // namespace

extern "C" {

AOTITorchError aoti_torch_create_cuda_stream_guard(void* stream, int32_t device_index,
                                                   CUDAStreamGuardHandle* ret_guard) {
  return aotic::shim::guard(__func__, [&] {
    if (ret_guard == nullptr) throw aotic::shim::ShimError("null ret_guard");
#ifdef AOTIC_SHIM_CUDA
    const c10::cuda::CUDAStream s = c10::cuda::getStreamFromExternal(static_cast<cudaStream_t>(stream),
                                                                     static_cast<c10::DeviceIndex>(device_index));
    *ret_guard = reinterpret_cast<CUDAStreamGuardHandle>(new c10::cuda::CUDAStreamGuard(s));
#else
    (void)stream;
    (void)device_index;
    no_cuda();
#endif
  });
}

AOTITorchError aoti_torch_delete_cuda_stream_guard(CUDAStreamGuardHandle guard) {
  return aotic::shim::guard(__func__, [&] {
#ifdef AOTIC_SHIM_CUDA
    delete reinterpret_cast<c10::cuda::CUDAStreamGuard*>(guard);
#else
    if (guard != nullptr) no_cuda();
#endif
  });
}

AOTITorchError aoti_torch_get_current_cuda_stream(int32_t device_index, void** ret_stream) {
  return aotic::shim::guard(__func__, [&] {
    if (ret_stream == nullptr) throw aotic::shim::ShimError("null ret_stream");
#ifdef AOTIC_SHIM_CUDA
    *ret_stream = c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_index)).stream();
#else
    (void)device_index;
    no_cuda();
#endif
  });
}

}  // extern "C"
