// `aotic run` and `aotic bench`: load a compiled model.so and run it on tensors from a
// safetensors file.
//
// The runner is a pure C-ABI client of model.so: it links neither libtorch nor aotic's shim. It
// dlopen()s model.so (RTLD_NOW | RTLD_LOCAL) and resolves every AOTInductor interface function
// and every aoti_torch_* shim function it uses with dlsym() on that handle (which searches
// model.so and its dependencies, e.g. libaotic_shim.so), falling back to the process's global
// scope for a model.so built to take the shim from its host.
//
// Errors:
//  - aotic::UserError: bad input (missing or corrupt file, missing tensor, a model.so that is not
//    one, a run the model rejects). One line naming the file, e.g.
//    "m.so: run failed: input 0 'x': size 0 is 17, allowed 1..16".
//  - aotic::runner::UsageError: bad command line (unknown option, missing value, bad number).
//    The CLI prints "aotic: <message>" and the usage text and exits 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aotic/shim.h"
#include "ir/dtype.h"
#include "ir/safetensors.h"

namespace aotic::runner {

/// A bad command line: what() is the one-line message (without usage text).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The usage text of `run` and `bench`, for the CLI's help.
extern const char* const kRunUsage;
extern const char* const kBenchUsage;

/// A tensor in host memory: contiguous (row-major) bytes of `shape` and `dtype`.
struct HostTensor {
  std::string name;
  ir::DType dtype = ir::DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numel() const;
};

struct ModelApi;  // the dlsym table (runner.cc)

/// Tensor handles owned by the caller, released through the model's shim. Must not outlive the
/// LoadedModel that made them.
class TensorHandles {
 public:
  TensorHandles() = default;
  TensorHandles(const ModelApi* api, std::vector<AtenTensorHandle> handles)
      : api_(api), handles_(std::move(handles)) {}
  TensorHandles(TensorHandles&& other) noexcept;
  TensorHandles& operator=(TensorHandles&& other) noexcept;
  TensorHandles(const TensorHandles&) = delete;
  TensorHandles& operator=(const TensorHandles&) = delete;
  ~TensorHandles();

  size_t size() const { return handles_.size(); }
  AtenTensorHandle operator[](size_t i) const { return handles_[i]; }
  /// Takes ownership of `handle`.
  void push_back(AtenTensorHandle handle) { handles_.push_back(handle); }
  /// Takes ownership of `handle` in place of the last one, which is released.
  void replace_last(AtenTensorHandle handle);

 private:
  void reset();
  const ModelApi* api_ = nullptr;
  std::vector<AtenTensorHandle> handles_;
};

/// A model.so loaded with a container of `num_instances` model instances (runs on up to that
/// many threads at once). The destructor deletes the container and dlclose()s the library.
class LoadedModel {
 public:
  /// Throws UserError "<path>: ..." when the file is missing, is not a shared library, lacks an
  /// interface or shim symbol (named), or the container cannot be created.
  /// The container runs where the model was compiled for: the CPU, or (a model compiled with
  /// --device cuda) GPU `device_index`; inputs are copied there and outputs back.
  explicit LoadedModel(const std::string& path, size_t num_instances = 1, int32_t device_index = 0);
  ~LoadedModel();
  LoadedModel(const LoadedModel&) = delete;
  LoadedModel& operator=(const LoadedModel&) = delete;

  const std::string& path() const { return path_; }
  size_t num_instances() const { return num_instances_; }
  size_t num_inputs() const { return input_names_.size(); }
  size_t num_outputs() const { return output_names_.size(); }
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }

  /// Runs once on copies of `inputs` (one per model input, in order) and returns the outputs.
  /// Safe to call from several threads. Throws UserError "<path>: run failed: <message>" where
  /// the message is the model's own (aotic_model_last_error) when it provides one.
  std::vector<HostTensor> run(const std::vector<HostTensor>& inputs) const;

  /// "cpu" or "cuda".
  const std::string& device() const { return device_; }

  /// The pieces of run(), for benchmarking without copies: tensors on the model's device holding
  /// `inputs`...
  TensorHandles make_inputs(const std::vector<HostTensor>& inputs) const;
  /// ...a run on new references to them (they stay valid for the next run)...
  TensorHandles run_handles(const TensorHandles& inputs) const;
  /// ...and the outputs copied to host memory (named output_0, output_1, ...).
  std::vector<HostTensor> to_host(const TensorHandles& outputs) const;
  /// Returns when the GPU work of a CUDA model's run that made `outputs` is done (the CUDA
  /// runtime's cudaDeviceSynchronize when the process has one, else by copying the outputs to
  /// the host); nothing on the CPU.
  void wait(const TensorHandles& outputs) const;

 private:
  [[noreturn]] void fail(const std::string& what, int32_t code) const;

  std::string path_;
  size_t num_instances_ = 0;
  std::string device_ = "cpu";
  int32_t device_index_ = 0;
  void* library_ = nullptr;
  std::unique_ptr<ModelApi> api_;
  void* container_ = nullptr;  // AOTInductorModelContainerHandle
  std::vector<std::string> input_names_;
  std::vector<std::string> output_names_;
};

/// How one output compares with its reference.
struct Comparison {
  enum class Verdict { kClose, kShapeOrDtype, kValues };
  Verdict verdict = Verdict::kClose;
  /// "output_0: shape [8, 10] max_abs_err 1.2e-07 ok", or with "MISMATCH ..." naming the shapes
  /// and dtypes, or the worst element and how many differ.
  std::string line;
};

/// Compares `got` with `want`: same dtype and shape, and every element within atol + rtol*|want|
/// (floating point; NaN equals NaN), or equal (integers, bool).
Comparison compare(const std::string& label, const HostTensor& got, const HostTensor& want, double rtol,
                   double atol);

/// One tensor of a safetensors file, in host memory.
HostTensor read_tensor(const ir::SafetensorsFile& file, const ir::SafetensorsEntry& entry);

/// The model's inputs from a safetensors file: for input i the tensor "input_<i>", else the
/// tensor named as the model names input i. Throws UserError naming `path` when one is missing.
std::vector<HostTensor> read_inputs(const std::string& path, const LoadedModel& model);

/// `aotic run MODEL.so --inputs X.safetensors [--out Y.safetensors] [--check REF.safetensors]
/// [--rtol 1e-4] [--atol 1e-5]`. Prints each output (name, shape, dtype, summary) to `out`; with
/// --check one line per output ("output_0: shape [8, 10] max_abs_err 1.2e-07 ok" or "... MISMATCH
/// at [i, j]: got A, expected B"). Returns 0, or 1 when --check found a mismatch. Throws
/// UserError for bad input and UsageError for a bad command line.
int run_command(const std::vector<std::string>& args, std::ostream& out);
int run_command(const std::vector<std::string>& args);  // prints to std::cout

/// `aotic bench MODEL.so --inputs X.safetensors [--iters 100] [--warmup 10] [--threads 1]
/// [--instances 1]`. Prints one line per figure: latency p50/p90/p99 (ms) of single runs,
/// throughput (runs/s; with --threads N > 1 from N client threads each doing --iters runs on a
/// container of --instances instances) and peak resident memory (MB). Returns 0.
int bench_command(const std::vector<std::string>& args, std::ostream& out);
int bench_command(const std::vector<std::string>& args);  // prints to std::cout

}  // namespace aotic::runner
