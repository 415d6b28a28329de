// The shim's CUDA stream functions. Built against a CUDA libtorch with AOTIC_SHIM_CUDA defined
// (tools/build_shim.sh --cuda) they use c10's stream guard; a shim built against a CPU-only
// libtorch (Debian's) still defines them, failing with a message that says why, so a CUDA
// model.so loads everywhere and reports the problem when it is created instead of at dlopen.
#include "aotic/shim.h"
#include "shim/src/shim_internal.h"

#ifdef AOTIC_SHIM_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <memory>
#include <optional>
#endif

namespace {

#ifndef AOTIC_SHIM_CUDA
[[noreturn]] void no_cuda() {
  throw aotic::shim::ShimError(
      "this libaotic_shim.so was built without CUDA; build it against a CUDA libtorch "
      "(tools/build_shim.sh --torch DIR --cuda)");
}
#endif

#ifdef AOTIC_SHIM_CUDA
/// A graph and, while it is being captured, the side stream made current for the capture.
struct Graph {
  at::cuda::CUDAGraph graph;
  c10::cuda::CUDAStream caller;
  c10::cuda::CUDAStream side;
  std::optional<c10::cuda::CUDAStreamGuard> capturing;
  Graph(c10::cuda::CUDAStream caller_stream, c10::cuda::CUDAStream side_stream)
      : caller(caller_stream), side(side_stream) {}
};

Graph& graph_of(AoticCudaGraphHandle handle) {
  if (handle == nullptr) throw aotic::shim::ShimError("null graph handle");
  return *reinterpret_cast<Graph*>(handle);
}

/// `later` runs after what is queued on `earlier` so far.
void order(c10::cuda::CUDAStream earlier, c10::cuda::CUDAStream later) {
  at::cuda::CUDAEvent event;
  event.record(earlier);
  event.block(later);
}
#endif

}  // namespace

extern "C" {

AOTITorchError aotic_cuda_graph_capture_begin(int32_t device_index, void** ret_stream,
                                              AoticCudaGraphHandle* ret_graph) {
  return aotic::shim::guard(__func__, [&] {
    if (ret_stream == nullptr || ret_graph == nullptr) throw aotic::shim::ShimError("null result pointer");
#ifdef AOTIC_SHIM_CUDA
    const auto device = static_cast<c10::DeviceIndex>(device_index);
    auto g = std::make_unique<Graph>(c10::cuda::getCurrentCUDAStream(device),
                                     c10::cuda::getStreamFromPool(false, device));
    order(g->caller, g->side);
    g->capturing.emplace(g->side);
    // Thread-local: other threads may go on running (other instances) while this one captures.
    g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    *ret_stream = g->side.stream();
    *ret_graph = reinterpret_cast<AoticCudaGraphHandle>(g.release());
#else
    (void)device_index;
    no_cuda();
#endif
  });
}

AOTITorchError aotic_cuda_graph_capture_end(AoticCudaGraphHandle handle) {
  return aotic::shim::guard(__func__, [&] {
#ifdef AOTIC_SHIM_CUDA
    Graph& g = graph_of(handle);
    if (!g.capturing) throw aotic::shim::ShimError("the graph is not being captured");
    struct Restore {
      Graph& g;
      ~Restore() {
        g.capturing.reset();
        order(g.side, g.caller);
      }
    } restore{g};
    g.graph.capture_end();
#else
    (void)handle;
    no_cuda();
#endif
  });
}

AOTITorchError aotic_cuda_graph_replay(AoticCudaGraphHandle handle) {
  return aotic::shim::guard(__func__, [&] {
#ifdef AOTIC_SHIM_CUDA
    graph_of(handle).graph.replay();
#else
    (void)handle;
    no_cuda();
#endif
  });
}

AOTITorchError aotic_cuda_graph_delete(AoticCudaGraphHandle handle) {
  return aotic::shim::guard(__func__, [&] {
#ifdef AOTIC_SHIM_CUDA
    delete reinterpret_cast<Graph*>(handle);
#else
    if (handle != nullptr) no_cuda();
#endif
  });
}

AOTITorchError aoti_torch_create_cuda_stream_guard(void* stream, int32_t device_index,
                                                   CUDAStreamGuardHandle* ret_guard) {
  return aotic::shim::guard(__func__, [&] {
    if (ret_guard == nullptr) throw aotic::shim::ShimError("null ret_guard");
#ifdef AOTIC_SHIM_CUDA
    const c10::cuda::CUDAStream s = c10::cuda::getStreamFromExternal(
        static_cast<cudaStream_t>(stream), static_cast<c10::DeviceIndex>(device_index));
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
