// The runtime's model container: it serves a ModelSpec (aotic/runtime/model_spec.h, what a
// generated model.cpp provides) to the C interface (aotic/runtime/interface.h): input checks,
// constants, instances and concurrency.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "aotic/runtime/error.h"
#include "aotic/runtime/handle.h"
#include "aotic/runtime/model_spec.h"

namespace aotic::runtime {

/// One set of constant tensors, by index of ModelSpec::constants.
using ConstantSet = std::vector<TensorHandle>;

/// For each input of `spec` that needs a contiguous layout and has another, a contiguous copy
/// (empty handles elsewhere).
std::vector<TensorHandle> contiguous_copies(const ModelSpec& spec, AtenTensorHandle* inputs);

/// Makes the constants of `spec` from its embedded blob (no copy: tensors over the blob).
ConstantSet constants_from_blob(const ModelSpec& spec, const uint8_t* blob);

/// The constants of a set on the model's device: the set itself for a CPU model, copies on GPU
/// `device_index` for a CUDA one.
ConstantSet on_model_device(const ModelSpec& spec, ConstantSet set, int32_t device_index);

/// The container behind AOTInductorModelContainerHandle: `num_models` instances that may run
/// concurrently (a caller waits only when all are busy), and two constant sets (active and
/// inactive) that can be updated and swapped while runs go on.
class Container {
 public:
  Container(const ModelSpec& spec, size_t num_models, std::string device);
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  /// Runs one inference. Steals `inputs`; writes new references to `outputs`. `stream`: the
  /// cudaStream_t a CUDA model runs on (nullptr: the GPU's current stream); ignored on the CPU.
  void run(AtenTensorHandle* inputs, size_t num_inputs, AtenTensorHandle* outputs, size_t num_outputs,
           void* stream = nullptr);

  const ModelSpec& spec() const { return spec_; }
  const std::string& device() const { return device_; }
  /// The GPU a CUDA model runs on ("cuda:1" -> 1; "cuda" -> 0); 0 on the CPU.
  int32_t device_index() const { return device_index_; }

  /// Replaces constants by name (internal name or FQN) in the active or inactive set.
  /// With `validate_full_update`, every constant must be given.
  void update_constants(const std::unordered_map<std::string, AtenTensorHandle>& map, bool use_inactive,
                        bool validate_full_update);
  /// New references to the constants of one set, keyed by internal name.
  void extract_constants(std::unordered_map<std::string, AtenTensorHandle>& out, bool use_inactive) const;
  void swap_constants();
  void free_inactive_constants();
  /// Replaces every active constant with a copy of the bytes at `blob` (laid out as the embedded
  /// blob, ModelSpec::blob_size bytes).
  void update_constants_from_blob(const uint8_t* blob);
  /// Recomputes the folded constants (ConstantKind::kFoldedConstant) of the active or inactive set
  /// from its other constants. Updates do this themselves; this is for the C interface's
  /// RunConstantFolding.
  void fold_constants(bool use_inactive);
  /// Index of a constant by internal name or FQN; -1 when unknown.
  int32_t find_constant(const std::string& name) const;

 private:
  const ModelSpec& spec_;
  std::string device_;
  int32_t device_index_ = 0;
  size_t num_models_;

  // Instances: a run takes a free slot; the count bounds concurrent runs.
  std::mutex slots_mutex_;
  std::condition_variable slot_free_;
  size_t busy_ = 0;
  std::vector<void*> idle_states_;     // instance states of finished runs (ModelSpec::new_instance_state)
  uint64_t constants_generation_ = 0;  // under constants_mutex_: bumped when the active set changes

  // Runs hold `constants_mutex_` shared; updates and swaps hold it exclusively.
  mutable std::shared_mutex constants_mutex_;
  std::unique_ptr<ConstantSet> active_;
  std::unique_ptr<ConstantSet> inactive_;
  /// Fills the folded constants of `set` (ModelSpec::fold).
  void fold_into(ConstantSet& set) const;

  std::vector<uint64_t> external_blob_;  // weights read from ModelSpec::weights_file (8-byte aligned)
};

}  // namespace aotic::runtime
