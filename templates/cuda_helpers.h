// What generated CUDA code needs around its kernels: launch sizes (both files), block reductions
// (kernels.cu: kernel/cuda_printer.h prints calls to them), and in model.cpp the kernel loader
// and launch, the launch check, the stream scope of a run and CUDA graphs. nvcc and the host compiler compile
// them for every fixture (tests/tools/cuda_test.cc).
#pragma once

// aotic-template: cuda_includes
#include <cuda_runtime.h>

#include <exception>
#include <string>
#include <vector>

#include "aotic/c_shim_cuda.h"
#include "aotic/runtime/error.h"
// aotic-template-end

// aotic-template: cuda_kernel_includes
// Light on purpose: nvcc reads every header twice (host and device), and they are most of its time.
#include <cuda_runtime.h>
// aotic-template-end

#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <type_traits>
#include <vector>

#include "aotic/runtime/model_spec.h"
#include "aotic/shim.h"
#include "templates/kernel_math.h"
#include "templates/prologue.h"

// aotic-template: cuda_fatbin_symbols
// kernels.cu compiled by nvcc (--fatbin) and linked in by `ld -r -b binary`.
extern "C" const unsigned char _binary_kernels_fatbin_start[];
extern "C" const unsigned char _binary_kernels_fatbin_end[];
// aotic-template-end

namespace aotic_template {

// aotic-template: cuda_launch_sizes
namespace km {

/// Threads per block of every generated kernel.
constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over `n` elements (at most 2^16: each thread takes several).
inline unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

/// Blocks for `n` rows, one block per row (at most 2^18: each block takes several).
inline unsigned rows_for(int64_t n) { return static_cast<unsigned>(n < 262144 ? n : 262144); }

}  // namespace km
// aotic-template-end

// aotic-template: cuda_kernel_loader
namespace km {

/// A kernel of the model's fatbin, by name; null when the CUDA runtime cannot load it. The fatbin
/// is loaded once per process (context-independent: every GPU gets it on first launch). Every
/// kernel is first launched in a run before any CUDA graph is captured.
inline const void* kernel(const char* name) {
  static const cudaLibrary_t library = [] {
    // An aligned copy: the linked-in bytes have no alignment of their own.
    const size_t size = static_cast<size_t>(_binary_kernels_fatbin_end - _binary_kernels_fatbin_start);
    static std::vector<uint64_t> image((size + sizeof(uint64_t) - 1) / sizeof(uint64_t));
    std::memcpy(image.data(), _binary_kernels_fatbin_start, size);
    cudaLibrary_t loaded = nullptr;
    if (cudaLibraryLoadData(&loaded, image.data(), nullptr, nullptr, 0, nullptr, nullptr, 0) != cudaSuccess) {
      loaded = nullptr;
    }
    return loaded;
  }();
  cudaKernel_t found = nullptr;
  if (library == nullptr || cudaLibraryGetKernel(&found, library, name) != cudaSuccess) return nullptr;
  return reinterpret_cast<const void*>(found);
}

/// Launches a kernel found by kernel() with its arguments' addresses.
inline cudaError_t launch(const void* kernel, unsigned grid, unsigned threads, void** args,
                          cudaStream_t stream) {
  if (kernel == nullptr) return cudaErrorSharedObjectInitFailed;
  return cudaLaunchKernel(kernel, dim3(grid), dim3(threads), args, 0, stream);
}

}  // namespace km
// aotic-template-end

// aotic-template: cuda_kernel_helpers
namespace km {

template <typename T>
struct SumOp {
  __device__ static T identity() { return T(0); }
  __device__ static T apply(T a, T b) { return add(a, b); }
};
template <typename T>
struct MaxOp {
  __device__ static T identity() {
    if constexpr (std::is_floating_point_v<T>) {
      return -std::numeric_limits<T>::infinity();
    } else {
      return std::numeric_limits<T>::lowest();
    }
  }
  __device__ static T apply(T a, T b) { return maximum(a, b); }
};
template <typename T>
struct MinOp {
  __device__ static T identity() {
    if constexpr (std::is_floating_point_v<T>) {
      return std::numeric_limits<T>::infinity();
    } else {
      return std::numeric_limits<T>::max();
    }
  }
  __device__ static T apply(T a, T b) { return minimum(a, b); }
};

template <typename T>
__device__ T shuffle_down(T v, int offset) {
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_down_sync(0xffffffffu, static_cast<int>(v), offset));
  } else {
    return __shfl_down_sync(0xffffffffu, v, offset);
  }
}

/// The block's threads' values combined with Op; every thread gets the result. Every thread of
/// the block must call it (it synchronises the block).
template <typename T, typename Op>
__device__ T block_reduce(T v) {
  __shared__ T warps[32];
  for (int offset = 16; offset > 0; offset /= 2) v = Op::apply(v, shuffle_down(v, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // the last call's readers are done with `warps`
  if (lane == 0) warps[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>((blockDim.x + 31) / 32) ? warps[lane] : Op::identity();
    for (int offset = 16; offset > 0; offset /= 2) v = Op::apply(v, shuffle_down(v, offset));
    if (lane == 0) warps[0] = v;
  }
  __syncthreads();
  return warps[0];
}

}  // namespace km
// aotic-template-end

// aotic-template: cuda_launch_check
/// Throws a kernel launcher's error (the first of its launches that failed), naming it.
inline void check_launch(cudaError_t error, const char* kernel) {
  if (error != cudaSuccess) {
    throw aotic::runtime::RuntimeError(std::string("CUDA kernel ") + kernel + ": " +
                                       cudaGetErrorString(error));
  }
}
// aotic-template-end

// aotic-template: cuda_stream_scope
/// For the length of a run: the caller's stream (or the GPU's current one when the caller passes
/// none) is the current stream of the model's GPU, so libtorch's ops and the generated kernels
/// run on it, in order.
class CudaStreamScope {
 public:
  explicit CudaStreamScope(const aotic::runtime::RunState& state) {
    void* stream = state.stream();
    if (stream == nullptr) {
      check(aoti_torch_get_current_cuda_stream(state.device_index(), &stream),
            "aoti_torch_get_current_cuda_stream");
    }
    stream_ = static_cast<cudaStream_t>(stream);
    check(aoti_torch_create_cuda_stream_guard(stream, state.device_index(), &guard_),
          "aoti_torch_create_cuda_stream_guard");
  }
  ~CudaStreamScope() { aoti_torch_delete_cuda_stream_guard(guard_); }
  CudaStreamScope(const CudaStreamScope&) = delete;
  CudaStreamScope& operator=(const CudaStreamScope&) = delete;
  cudaStream_t stream() const { return stream_; }

 private:
  CUDAStreamGuardHandle guard_ = nullptr;
  cudaStream_t stream_ = nullptr;
};
// aotic-template-end

// aotic-template: cuda_graphs
// CUDA graphs (plan_cuda_graphs): an instance's first run after its constants change runs op by
// op and warms up (libraries' handles, workspaces); its second is captured into a graph, on a side
// stream, reading and writing buffers the graph keeps; that run and every later one copy their
// inputs into those buffers, replay the graph on the caller's stream and return copies of its
// outputs. A capture that fails (an op that cannot be captured) leaves the instance running op by
// op. The next run of the instance may come on another stream: it waits (on the GPU) for the
// previous run's last use of the graph's buffers before writing them.
void run_ops(aotic::runtime::RunState& state, AtenTensorHandle* inputs, AtenTensorHandle* outputs,
             cudaStream_t stream);

inline void check_cuda_call(cudaError_t error, const char* what) {
  if (error != cudaSuccess)
    throw aotic::runtime::RuntimeError(std::string(what) + ": " + cudaGetErrorString(error));
}

struct GraphState {
  uint64_t generation = 0;
  int eager_runs = 0;
  bool failed = false;
  AoticCudaGraphHandle graph = nullptr;
  std::vector<TensorHandle> inputs;   // what the graph reads
  std::vector<TensorHandle> outputs;  // what it writes
  cudaEvent_t done = nullptr;         // recorded after a replay's outputs were copied
  void reset() {
    // The buffers go back to the allocator: the last replay must be over.
    if (done != nullptr) (void)cudaEventSynchronize(done);
    if (graph != nullptr) (void)aotic_cuda_graph_delete(graph);
    graph = nullptr;
    inputs.clear();
    outputs.clear();
    eager_runs = 0;
    failed = false;
  }
  ~GraphState() {
    reset();
    if (done != nullptr) (void)cudaEventDestroy(done);
  }
};

void* new_graph_state() { return new GraphState(); }
void delete_graph_state(void* state) { delete static_cast<GraphState*>(state); }

/// Captures one run of `g`'s inputs into g.graph; false (and nothing kept) when it cannot be.
bool capture(aotic::runtime::RunState& state, GraphState& g, AtenTensorHandle* inputs) {
  const int32_t num_inputs = state.spec().num_inputs, num_outputs = state.spec().num_outputs;
  for (int32_t i = 0; i < num_inputs; ++i) {
    TensorHandle copy;
    check(aoti_torch_clone(inputs[i], copy.out()), "aoti_torch_clone");
    g.inputs.push_back(std::move(copy));
  }
  std::vector<AtenTensorHandle> in, out(static_cast<size_t>(num_outputs), nullptr);
  for (const TensorHandle& t : g.inputs) in.push_back(t.get());
  void* stream = nullptr;
  AoticCudaGraphHandle graph = nullptr;
  check(aotic_cuda_graph_capture_begin(state.device_index(), &stream, &graph),
        "aotic_cuda_graph_capture_begin");
  bool ran = true;
  try {
    run_ops(state, in.data(), out.data(), static_cast<cudaStream_t>(stream));
  } catch (const std::exception&) {
    ran = false;
  }
  const bool ended = aotic_cuda_graph_capture_end(graph) == AOTI_TORCH_SUCCESS;
  for (AtenTensorHandle t : out) g.outputs.emplace_back(t);
  if (!ran || !ended) {
    (void)aotic_cuda_graph_delete(graph);
    g.inputs.clear();
    g.outputs.clear();
    return false;
  }
  g.graph = graph;
  return true;
}

void run(aotic::runtime::RunState& state, AtenTensorHandle* inputs, AtenTensorHandle* outputs) {
  const CudaStreamScope cuda(state);
  GraphState& g = *static_cast<GraphState*>(state.instance_state());
  if (g.generation != state.constants_generation()) {
    g.reset();
    g.generation = state.constants_generation();
  }
  if (g.graph == nullptr && (g.failed || g.eager_runs++ == 0 || !capture(state, g, inputs))) {
    if (g.graph == nullptr && g.eager_runs > 1) g.failed = true;
    run_ops(state, inputs, outputs, cuda.stream());
    return;
  }
  if (g.done == nullptr) {
    check_cuda_call(cudaEventCreateWithFlags(&g.done, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  } else {
    check_cuda_call(cudaStreamWaitEvent(cuda.stream(), g.done, 0), "cudaStreamWaitEvent");
  }
  // Recorded however the run ends: whatever it queued on this stream is waited for next time.
  struct RecordDone {
    GraphState& g;
    cudaStream_t stream;
    ~RecordDone() { (void)cudaEventRecord(g.done, stream); }
  } record{g, cuda.stream()};
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    check(aoti_torch_copy_(g.inputs[i].get(), inputs[i], 1), "aoti_torch_copy_ (graph input)");
  }
  check(aotic_cuda_graph_replay(g.graph), "aotic_cuda_graph_replay");
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    check(aoti_torch_clone(g.outputs[i].get(), &outputs[i]), "aoti_torch_clone (graph output)");
  }
}
// aotic-template-end

}  // namespace aotic_template
