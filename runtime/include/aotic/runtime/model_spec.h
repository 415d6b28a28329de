// What a generated model.cpp provides to the runtime: the model's spec, plain data, and the
// RunState its `run` function reads. Light on purpose (no <mutex>, <unordered_map>, <memory>):
// every model.cpp includes it, and its includes are most of a model's compile time. The
// container that serves a spec is in aotic/runtime/model.h.
//
// A model.so = the precompiled runtime + one generated model.cpp that defines
//   const aotic::runtime::ModelSpec& aotic_model_spec();
// The spec is plain data (names, dtypes, shapes with symbols and their ranges, constants and
// where their bytes are) plus the `run` function with the model's computation. The runtime does
// everything else: input checks, constants, instances, concurrency and the C interface.
// No standard library containers here: <vector> alone was a third of a small model.cpp's compile.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aotic/runtime/handle.h"

namespace aotic::runtime {

/// One dimension of an input or output: a static size `size` when symbol < 0; otherwise
/// multiplier * symbols[symbol] + offset (multiplier >= 1), which an input dimension checks or, the
/// first time the symbol appears, binds the symbol from. `expr` spells it for messages ("8*s0",
/// "s0 + 1"); nullptr for a plain symbol. size < 0 with symbol < 0: not checked (an output size
/// derived otherwise).
struct DimSpec {
  int64_t size;
  int32_t symbol;
  int64_t multiplier;
  int64_t offset;
  const char* expr;
};

struct TensorSpec {
  const char* name;
  int32_t dtype;        // shim dtype code (PyTorch's c10::ScalarType numbers)
  int32_t device_type;  // shim device type code
  int32_t rank;
  const DimSpec* dims;
  bool needs_contiguous;  // the generated code assumes the export's contiguous layout: other layouts
                          // run on a contiguous copy
};

/// A size symbol and its range, inclusive.
struct SymbolSpec {
  const char* name;
  int64_t min;
  int64_t max;
};

/// PyTorch's ConstantType numbering (GetConstantType).
enum class ConstantKind : int32_t {
  kUnknown = 0,
  kParameter = 1,
  kBuffer = 2,
  kTensorConstant = 3,
  kFoldedConstant = 4
};

struct ConstantSpec {
  const char* name;  // the model's internal name (a C identifier)
  const char* fqn;   // the export's fully qualified name
  int32_t dtype;
  int32_t rank;
  const int64_t* sizes;
  const int64_t* strides;
  int64_t storage_offset;
  uint64_t blob_offset;  // where its storage starts in the constants blob
  uint64_t nbytes;       // storage bytes
  ConstantKind kind;
};

class RunState;

struct ModelSpec {
  const TensorSpec* inputs;
  int32_t num_inputs;
  const TensorSpec* outputs;
  int32_t num_outputs;
  const SymbolSpec* symbols;
  int32_t num_symbols;
  const ConstantSpec* constants;
  int32_t num_constants;
  /// The weights' bytes, embedded in model.so (nullptr when the model has none or they are
  /// external). Each constant's storage is 64-byte aligned inside it.
  const uint8_t* blob;
  uint64_t blob_size;
  /// When the weights ship beside model.so instead (`aotic compile --weights external`): the
  /// file's name, relative to model.so's folder; blob is then nullptr. nullptr otherwise.
  const char* weights_file;
  const char* in_spec;
  const char* out_spec;
  /// The computation: reads `inputs` (borrowed, already checked) and the constants and symbol
  /// values from `state`, writes new references to `outputs`.
  void (*run)(RunState& state, AtenTensorHandle* inputs, AtenTensorHandle* outputs);
  /// Where the model runs (shim device type code): the CPU, or a CUDA GPU (its constants are
  /// copied there when the container is made; its inputs must be there).
  int32_t device_type;
  /// What one model instance keeps between its runs (a CUDA model's captured graphs), made and
  /// freed by the model; the container gives each concurrent run its own. nullptr: nothing.
  void* (*new_instance_state)();
  void (*delete_instance_state)(void* state);
  /// Computes the constants of kind kFoldedConstant (in their order in `constants`, after all
  /// others) from the others, into `outputs` (new references); the runtime calls it whenever a
  /// constant set is made or updated. nullptr: the model folds nothing.
  void (*fold)(RunState& state, AtenTensorHandle* outputs);
};

/// `aotic compile --debug-checks`: throws RuntimeError unless `t` has the dtype, rank and sizes
/// the export recorded for the value `place` defines, e.g. "node 'add_1' (aten.add.Tensor): result
/// dtype float64, export recorded float32". sizes[d] < 0: not checked (a size no symbol bound here
/// decides); `exprs` (nullptr, or nullptr entries for static sizes) spells symbolic sizes.
void check_result(AtenTensorHandle t, const char* place, int32_t dtype, int32_t rank, const int64_t* sizes,
                  const char* const* exprs);

/// What one run sees: the symbol values bound from the inputs and the active constants. Both
/// are the runtime's (aotic/runtime/model.h), which outlive the run.
class RunState {
 public:
  /// `constants`: one per ModelSpec::constants; `symbols`: room for ModelSpec::num_symbols values,
  /// which check_inputs binds.
  RunState(const ModelSpec& spec, const TensorHandle* constants, int64_t* symbols, int32_t device_index = 0,
           void* stream = nullptr, void* instance_state = nullptr, uint64_t constants_generation = 0)
      : spec_(spec),
        constants_(constants),
        symbols_(symbols),
        device_index_(device_index),
        stream_(stream),
        instance_state_(instance_state),
        constants_generation_(constants_generation) {}
  /// This run's instance state (ModelSpec::new_instance_state), or nullptr.
  void* instance_state() const { return instance_state_; }
  /// Changes whenever the active constants change: state made from older constants is stale.
  uint64_t constants_generation() const { return constants_generation_; }
  int64_t symbol(int32_t index) const { return symbols_[index]; }
  /// The GPU the run is on (0 for the CPU).
  int32_t device_index() const { return device_index_; }
  /// The caller's CUDA stream (a cudaStream_t), or nullptr for the GPU's current stream.
  void* stream() const { return stream_; }
  AtenTensorHandle constant(int32_t index) const { return constants_[index].get(); }
  const ModelSpec& spec() const { return spec_; }

  /// Checks inputs against the spec and binds symbol values. Throws RuntimeError such as
  /// "input 0 'x': size 0 is 2000, allowed 1..1024".
  void check_inputs(AtenTensorHandle* inputs, size_t num_inputs);

 private:
  const ModelSpec& spec_;
  const TensorHandle* constants_;
  int64_t* symbols_;
  int32_t device_index_;
  void* stream_;
  void* instance_state_;
  uint64_t constants_generation_;
};

}  // namespace aotic::runtime

/// Defined by the generated model.cpp.
const aotic::runtime::ModelSpec& aotic_model_spec();
