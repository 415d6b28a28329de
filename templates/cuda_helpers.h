// What generated CUDA code needs around its kernels: launch sizes (both files), block reductions
// (kernels.cu: kernel/cuda_printer.h prints calls to them), and in model.cpp the kernel loader
// and launch, the launch check, the stream scope of a run and CUDA graphs. nvcc and the host compiler compile
// them for every fixture (tests/tools/cuda_test.cc).
#pragma once

// aotic-template: cuda_includes
// The CUDA runtime's C interface only, and no <string> or <vector> (with <cuda_runtime.h>, those
// made a CUDA model.cpp parse 55,000 lines instead of 8,000: most of its compile time).
#include <cuda_runtime_api.h>

#include "aotic/c_shim_cuda.h"
// aotic-template-end

// aotic-template: cuda_kernel_includes
#ifdef __CUDACC_RTC__
// NVRTC (the default CUDA compiler) reads no host headers: what the kernels use of <cstdint>,
// <type_traits>, <limits> and <cmath> is here, the math from NVRTC's own device functions.
using int8_t = signed char;
using uint8_t = unsigned char;
using int16_t = short;
using uint16_t = unsigned short;
using int32_t = int;
using uint32_t = unsigned int;
using int64_t = long;
using uint64_t = unsigned long;
namespace std {
template <typename A, typename B>
inline constexpr bool is_same_v = false;
template <typename A>
inline constexpr bool is_same_v<A, A> = true;
template <typename T>
inline constexpr bool is_floating_point_v = is_same_v<T, float> || is_same_v<T, double>;
template <typename T>
inline constexpr bool is_integral_v =
    is_same_v<T, bool> || is_same_v<T, char> || is_same_v<T, signed char> || is_same_v<T, unsigned char> ||
    is_same_v<T, short> || is_same_v<T, unsigned short> || is_same_v<T, int> || is_same_v<T, unsigned int> ||
    is_same_v<T, long> || is_same_v<T, unsigned long> || is_same_v<T, long long> ||
    is_same_v<T, unsigned long long>;
/// Integers and bool; float and double below.
template <typename T>
struct numeric_limits {
  static constexpr T max() {
    return is_same_v<T, bool> ? T(1) : T(-1) < T(0) ? T(~(T(1) << (sizeof(T) * 8 - 1))) : T(~T(0));
  }
  static constexpr T lowest() { return T(-1) < T(0) ? T(-max() - 1) : T(0); }
};
template <>
struct numeric_limits<float> {
  static constexpr float infinity() { return __builtin_bit_cast(float, 0x7f800000u); }
  static constexpr float max() { return 3.40282347e+38f; }
  static constexpr float lowest() { return -3.40282347e+38f; }
};
template <>
struct numeric_limits<double> {
  static constexpr double infinity() { return __builtin_bit_cast(double, 0x7ff0000000000000ul); }
  static constexpr double max() { return 1.7976931348623157e+308; }
  static constexpr double lowest() { return -1.7976931348623157e+308; }
};
template <bool B, typename T = void>
struct enable_if {};
template <typename T>
struct enable_if<true, T> {
  using type = T;
};
// NVRTC's float and double overloads, plus integers as double (as <cmath> has them).
#define AOTIC_NVRTC_MATH(name)                                                 \
  using ::name;                                                                \
  template <typename T, typename = typename enable_if<is_integral_v<T>>::type> \
  double name(T x) {                                                           \
    return ::name(static_cast<double>(x));                                     \
  }
#define AOTIC_NVRTC_MATH2(name)                                                \
  using ::name;                                                                \
  template <typename T, typename = typename enable_if<is_integral_v<T>>::type> \
  double name(T a, T b) {                                                      \
    return ::name(static_cast<double>(a), static_cast<double>(b));             \
  }
AOTIC_NVRTC_MATH(exp)
AOTIC_NVRTC_MATH(exp2)
AOTIC_NVRTC_MATH(expm1)
AOTIC_NVRTC_MATH(log)
AOTIC_NVRTC_MATH(log2)
AOTIC_NVRTC_MATH(log10)
AOTIC_NVRTC_MATH(log1p)
AOTIC_NVRTC_MATH(sqrt)
AOTIC_NVRTC_MATH(sin)
AOTIC_NVRTC_MATH(cos)
AOTIC_NVRTC_MATH(tan)
AOTIC_NVRTC_MATH(asin)
AOTIC_NVRTC_MATH(acos)
AOTIC_NVRTC_MATH(atan)
AOTIC_NVRTC_MATH(sinh)
AOTIC_NVRTC_MATH(cosh)
AOTIC_NVRTC_MATH(tanh)
AOTIC_NVRTC_MATH(asinh)
AOTIC_NVRTC_MATH(acosh)
AOTIC_NVRTC_MATH(atanh)
AOTIC_NVRTC_MATH(erf)
AOTIC_NVRTC_MATH(erfc)
AOTIC_NVRTC_MATH(floor)
AOTIC_NVRTC_MATH(ceil)
AOTIC_NVRTC_MATH(trunc)
AOTIC_NVRTC_MATH(nearbyint)
AOTIC_NVRTC_MATH(fabs)
AOTIC_NVRTC_MATH2(pow)
AOTIC_NVRTC_MATH2(atan2)
AOTIC_NVRTC_MATH2(fmod)
#undef AOTIC_NVRTC_MATH
#undef AOTIC_NVRTC_MATH2
}  // namespace std
#else
// nvcc (--cuda-compiler nvcc). Light on purpose: nvcc reads every header twice (host and device),
// and they are most of its time.
#include <cuda_runtime.h>
#include <cmath>
#include <cstdint>
#include <type_traits>
#endif
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
// kernels.cu compiled to a fatbin (NVRTC or nvcc) and linked in by `ld -r -b binary`.
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
    // Kept for the life of the process, as the library is.
    uint64_t* image = new uint64_t[(size + sizeof(uint64_t) - 1) / sizeof(uint64_t)];
    __builtin_memcpy(image, _binary_kernels_fatbin_start, size);
    cudaLibrary_t loaded = nullptr;
    if (cudaLibraryLoadData(&loaded, image, nullptr, nullptr, 0, nullptr, nullptr, 0) != cudaSuccess) {
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
/// Throws a kernel launcher's error (the first of its launches that failed), naming it
/// ("CUDA kernel k0_relu: <the CUDA runtime's message>").
inline void check_launch(cudaError_t error, const char* kernel) {
  if (error != cudaSuccess) aotic::runtime::throw_runtime_error(kernel, cudaGetErrorString(error));
}
// aotic-template-end

// aotic-template: cuda_stream_scope
/// Throws a CUDA runtime call's error, naming the call.
inline void check_cuda_call(cudaError_t error, const char* what) {
  if (error != cudaSuccess) aotic::runtime::throw_runtime_error(what, cudaGetErrorString(error));
}

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

/// A fixed number of T, owned (what std::vector would be, without its header).
template <typename T>
class Array {
 public:
  Array() = default;
  explicit Array(size_t size) : data_(size > 0 ? new T[size]() : nullptr), size_(size) {}
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;
  Array& operator=(Array&& other) noexcept {
    delete[] data_;
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
    return *this;
  }
  ~Array() { delete[] data_; }
  T* data() { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

struct GraphState {
  uint64_t generation = 0;
  int eager_runs = 0;
  bool failed = false;
  AoticCudaGraphHandle graph = nullptr;
  Array<TensorHandle> inputs;   // what the graph reads
  Array<TensorHandle> outputs;  // what it writes
  cudaEvent_t done = nullptr;   // recorded after a replay's outputs were copied
  void reset() {
    // The buffers go back to the allocator: the last replay must be over.
    if (done != nullptr) (void)cudaEventSynchronize(done);
    if (graph != nullptr) (void)aotic_cuda_graph_delete(graph);
    graph = nullptr;
    inputs = Array<TensorHandle>();
    outputs = Array<TensorHandle>();
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
  const size_t num_inputs = static_cast<size_t>(state.spec().num_inputs);
  const size_t num_outputs = static_cast<size_t>(state.spec().num_outputs);
  g.inputs = Array<TensorHandle>(num_inputs);
  Array<AtenTensorHandle> in(num_inputs), out(num_outputs);
  for (size_t i = 0; i < num_inputs; ++i) {
    check(aoti_torch_clone(inputs[i], g.inputs[i].out()), "aoti_torch_clone");
    in[i] = g.inputs[i].get();
  }
  void* stream = nullptr;
  AoticCudaGraphHandle graph = nullptr;
  check(aotic_cuda_graph_capture_begin(state.device_index(), &stream, &graph),
        "aotic_cuda_graph_capture_begin");
  bool ran = true;
  try {
    run_ops(state, in.data(), out.data(), static_cast<cudaStream_t>(stream));
  } catch (...) {
    ran = false;
  }
  const bool ended = aotic_cuda_graph_capture_end(graph) == AOTI_TORCH_SUCCESS;
  g.outputs = Array<TensorHandle>(num_outputs);
  for (size_t i = 0; i < num_outputs; ++i) g.outputs[i] = TensorHandle(out[i]);
  if (!ran || !ended) {
    (void)aotic_cuda_graph_delete(graph);
    g.inputs = Array<TensorHandle>();
    g.outputs = Array<TensorHandle>();
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
