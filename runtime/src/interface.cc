// The extern "C" entry points of model.so (aotic/runtime/interface.h). Each converts exceptions
// into AOTI_RUNTIME_FAILURE, printing the message once and keeping it for
// aotic_model_last_error().
#include "aotic/runtime/interface.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "aotic/runtime/model.h"

namespace {

using aotic::runtime::Container;
using aotic::runtime::RuntimeError;
using ConstantMap = std::unordered_map<std::string, AtenTensorHandle>;

thread_local std::string last_error;

template <typename F>
AOTIRuntimeError guard(const char* function, F&& body) noexcept {
  try {
    last_error.clear();
    body();
    return AOTI_RUNTIME_SUCCESS;
  } catch (const std::exception& e) {
    last_error = std::string(function) + ": " + e.what();
  } catch (...) {
    last_error = std::string(function) + ": unknown exception";
  }
  if (std::getenv("AOTIC_QUIET") == nullptr) std::fprintf(stderr, "Error: %s\n", last_error.c_str());
  return AOTI_RUNTIME_FAILURE;
}

Container& container(AOTInductorModelContainerHandle handle) {
  if (handle == nullptr) throw RuntimeError("null container handle");
  return *reinterpret_cast<Container*>(handle);
}

Container& model(AOTInductorModelHandle handle) {
  if (handle == nullptr) throw RuntimeError("null model handle");
  return *reinterpret_cast<Container*>(handle);
}

const aotic::runtime::ConstantSpec& constant(AOTInductorModelContainerHandle handle, size_t idx) {
  const aotic::runtime::ModelSpec& spec = container(handle).spec();
  if (idx >= static_cast<size_t>(spec.num_constants)) {
    throw RuntimeError("constant index " + std::to_string(idx) + " out of range (" +
                       std::to_string(spec.num_constants) + " constants)");
  }
  return spec.constants[idx];
}

template <typename T>
void store(T* out, T value) {
  if (out == nullptr) throw RuntimeError("null output pointer");
  *out = value;
}

ConstantMap& constant_map(AOTInductorConstantMapHandle handle) {
  if (handle == nullptr) throw RuntimeError("null constant map");
  return *reinterpret_cast<ConstantMap*>(handle);
}

}  // namespace

extern "C" {

AOTIRuntimeError AOTInductorModelContainerCreate(AOTInductorModelContainerHandle* container_handle,
                                                 size_t num_models, bool is_cpu, const char* cubin_dir) {
  (void)cubin_dir;
  return AOTInductorModelContainerCreateWithDevice(container_handle, num_models, is_cpu ? "cpu" : "cuda",
                                                   nullptr);
}

AOTIRuntimeError AOTInductorModelContainerCreateWithDevice(AOTInductorModelContainerHandle* container_handle,
                                                           size_t num_models, const char* device_str,
                                                           const char* cubin_dir) {
  (void)cubin_dir;  // a CUDA model's kernels are inside model.so: no cubin files to load
  return guard(__func__, [&] {
    if (container_handle == nullptr) throw RuntimeError("null container handle pointer");
    if (device_str == nullptr) throw RuntimeError("null device string");
    auto* c = new Container(aotic_model_spec(), num_models, device_str);
    *container_handle = reinterpret_cast<AOTInductorModelContainerHandle>(c);
  });
}

AOTIRuntimeError AOTInductorModelContainerDelete(AOTInductorModelContainerHandle container_handle) {
  return guard(__func__, [&] { delete &container(container_handle); });
}

AOTIRuntimeError AOTInductorModelContainerRun(AOTInductorModelContainerHandle container_handle,
                                              AtenTensorHandle* input_handles, size_t num_inputs,
                                              AtenTensorHandle* output_handles, size_t num_outputs,
                                              AOTInductorStreamHandle stream_handle,
                                              AOTIProxyExecutorHandle proxy_executor_handle) {
  (void)proxy_executor_handle;
  return guard(__func__, [&] {
    container(container_handle)
        .run(input_handles, num_inputs, output_handles, num_outputs, reinterpret_cast<void*>(stream_handle));
  });
}

AOTIRuntimeError AOTInductorModelContainerRunSingleThreaded(
    AOTInductorModelContainerHandle container_handle, AtenTensorHandle* input_handles, size_t num_inputs,
    AtenTensorHandle* output_handles, size_t num_outputs, AOTInductorStreamHandle stream_handle,
    AOTIProxyExecutorHandle proxy_executor_handle) {
  return AOTInductorModelContainerRun(container_handle, input_handles, num_inputs, output_handles,
                                      num_outputs, stream_handle, proxy_executor_handle);
}

AOTIRuntimeError AOTInductorModelContainerGetNumConstants(AOTInductorModelContainerHandle container_handle,
                                                          size_t* num_constants) {
  return guard(__func__, [&] {
    store(num_constants, static_cast<size_t>(container(container_handle).spec().num_constants));
  });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantName(AOTInductorModelContainerHandle container_handle,
                                                          size_t idx, const char** name) {
  return guard(__func__, [&] { store(name, constant(container_handle, idx).name); });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantOriginalFQN(
    AOTInductorModelContainerHandle container_handle, size_t idx, const char** original_fqn) {
  return guard(__func__, [&] { store(original_fqn, constant(container_handle, idx).fqn); });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantFromFolded(
    AOTInductorModelContainerHandle container_handle, size_t idx, bool* from_folded) {
  return guard(__func__, [&] {
    store(from_folded, constant(container_handle, idx).kind == aotic::runtime::ConstantKind::kFoldedConstant);
  });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantType(AOTInductorModelContainerHandle container_handle,
                                                          size_t idx, int32_t* type) {
  return guard(__func__, [&] { store(type, static_cast<int32_t>(constant(container_handle, idx).kind)); });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantDtype(AOTInductorModelContainerHandle container_handle,
                                                           size_t idx, int32_t* dtype) {
  return guard(__func__, [&] { store(dtype, constant(container_handle, idx).dtype); });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantDataSize(
    AOTInductorModelContainerHandle container_handle, size_t idx, size_t* data_size) {
  return guard(__func__,
               [&] { store(data_size, static_cast<size_t>(constant(container_handle, idx).nbytes)); });
}

AOTIRuntimeError AOTInductorModelContainerExtractConstantsMap(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive) {
  return guard(__func__, [&] {
    container(container_handle).extract_constants(constant_map(constant_map_handle), use_inactive);
  });
}

AOTIRuntimeError AOTInductorModelContainerUpdateUserManagedConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive, bool validate_full_update) {
  return guard(__func__, [&] {
    container(container_handle)
        .update_constants(constant_map(constant_map_handle), use_inactive, validate_full_update);
  });
}

AOTIRuntimeError AOTInductorModelContainerUpdateUserManagedConstantBufferPairs(
    AOTInductorModelContainerHandle container_handle, const AOTInductorConstantMapEntry* pairs,
    size_t num_pairs, bool use_inactive, bool validate_full_update) {
  return guard(__func__, [&] {
    if (pairs == nullptr && num_pairs > 0) throw RuntimeError("null pairs");
    ConstantMap map;
    for (size_t i = 0; i < num_pairs; ++i) {
      if (pairs[i].name == nullptr) throw RuntimeError("null constant name in pair " + std::to_string(i));
      map[pairs[i].name] = pairs[i].handle;
    }
    container(container_handle).update_constants(map, use_inactive, validate_full_update);
  });
}

AOTIRuntimeError AOTInductorModelContainerUpdateConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive, bool validate_full_update) {
  return guard(__func__, [&] {
    container(container_handle)
        .update_constants(constant_map(constant_map_handle), use_inactive, validate_full_update);
  });
}

AOTIRuntimeError AOTInductorModelContainerUpdateInactiveConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle) {
  return guard(__func__, [&] {
    container(container_handle).update_constants(constant_map(constant_map_handle), true, true);
  });
}

AOTIRuntimeError AOTInductorModelContainerFreeInactiveConstantBuffer(
    AOTInductorModelContainerHandle container_handle) {
  return guard(__func__, [&] { container(container_handle).free_inactive_constants(); });
}

AOTIRuntimeError AOTInductorModelContainerRunConstantFolding(AOTInductorModelContainerHandle container_handle,
                                                             bool use_inactive,
                                                             AOTInductorStreamHandle stream_handle,
                                                             AOTIProxyExecutorHandle proxy_executor_handle) {
  (void)stream_handle;
  (void)proxy_executor_handle;
  // Updates refold by themselves; this recomputes the folded constants of the chosen set.
  return guard(__func__, [&] { container(container_handle).fold_constants(use_inactive); });
}

AOTIRuntimeError AOTInductorModelContainerSwapConstantBuffer(
    AOTInductorModelContainerHandle container_handle) {
  return guard(__func__, [&] { container(container_handle).swap_constants(); });
}

AOTIRuntimeError AOTInductorModelContainerGetNumInputs(AOTInductorModelContainerHandle container_handle,
                                                       size_t* ret_num_inputs) {
  return guard(__func__, [&] {
    store(ret_num_inputs, static_cast<size_t>(container(container_handle).spec().num_inputs));
  });
}

AOTIRuntimeError AOTInductorModelContainerGetInputName(AOTInductorModelContainerHandle container_handle,
                                                       size_t input_idx, const char** ret_input_names) {
  return guard(__func__, [&] {
    const auto& spec = container(container_handle).spec();
    if (input_idx >= static_cast<size_t>(spec.num_inputs)) {
      throw RuntimeError("input index " + std::to_string(input_idx) + " out of range");
    }
    store(ret_input_names, spec.inputs[input_idx].name);
  });
}

AOTIRuntimeError AOTInductorModelContainerGetNumOutputs(AOTInductorModelContainerHandle container_handle,
                                                        size_t* ret_num_outputs) {
  return guard(__func__, [&] {
    store(ret_num_outputs, static_cast<size_t>(container(container_handle).spec().num_outputs));
  });
}

AOTIRuntimeError AOTInductorModelContainerGetOutputName(AOTInductorModelContainerHandle container_handle,
                                                        size_t output_idx, const char** ret_output_names) {
  return guard(__func__, [&] {
    const auto& spec = container(container_handle).spec();
    if (output_idx >= static_cast<size_t>(spec.num_outputs)) {
      throw RuntimeError("output index " + std::to_string(output_idx) + " out of range");
    }
    store(ret_output_names, spec.outputs[output_idx].name);
  });
}

AOTIRuntimeError AOTInductorModelContainerGetCallSpec(AOTInductorModelContainerHandle container_handle,
                                                      const char** in_spec, const char** out_spec) {
  return guard(__func__, [&] {
    const auto& spec = container(container_handle).spec();
    store(in_spec, spec.in_spec);
    store(out_spec, spec.out_spec);
  });
}

AOTIRuntimeError AOTInductorModelContainerGetConstantsBlobSize(
    AOTInductorModelContainerHandle container_handle, uint64_t* ret_size) {
  return guard(__func__, [&] { store(ret_size, container(container_handle).spec().blob_size); });
}

AOTIRuntimeError AOTInductorModelUpdateConstantsFromBlob(AOTInductorModelContainerHandle container_handle,
                                                         const uint8_t* weight_blob_ptr) {
  return guard(__func__, [&] { container(container_handle).update_constants_from_blob(weight_blob_ptr); });
}

AOTIRuntimeError AOTInductorModelCreate(AOTInductorModelHandle* model_handle,
                                        AOTInductorConstantMapHandle constant_map_handle) {
  return guard(__func__, [&] {
    if (model_handle == nullptr) throw RuntimeError("null model handle pointer");
    const bool cuda = aotic_model_spec().device_type == aoti_torch_device_type_cuda();
    auto c = std::make_unique<Container>(aotic_model_spec(), 1, cuda ? "cuda" : "cpu");
    if (constant_map_handle != nullptr) c->update_constants(constant_map(constant_map_handle), false, false);
    *model_handle = reinterpret_cast<AOTInductorModelHandle>(c.release());
  });
}

AOTIRuntimeError AOTInductorModelRun(AOTInductorModelHandle model_handle, AtenTensorHandle* input_handles,
                                     AtenTensorHandle* output_handles) {
  return guard(__func__, [&] {
    Container& m = model(model_handle);
    m.run(input_handles, static_cast<size_t>(m.spec().num_inputs), output_handles,
          static_cast<size_t>(m.spec().num_outputs));
  });
}

AOTIRuntimeError AOTInductorModelUpdateConstantsMap(AOTInductorModelHandle model_handle,
                                                    AOTInductorConstantMapHandle constant_map_handle) {
  return guard(__func__, [&] {
    model(model_handle).update_constants(constant_map(constant_map_handle), false, false);
  });
}

AOTIRuntimeError AOTInductorModelDelete(AOTInductorModelHandle model_handle) {
  return guard(__func__, [&] { delete &model(model_handle); });
}

AOTIRuntimeError AOTInductorModelGetNumOutputs(AOTInductorModelHandle model_handle, size_t* ret_num_outputs) {
  return guard(__func__,
               [&] { store(ret_num_outputs, static_cast<size_t>(model(model_handle).spec().num_outputs)); });
}

const char* aotic_model_last_error(void) { return last_error.c_str(); }

const char* aotic_model_device(void) {
  return aotic_model_spec().device_type == aoti_torch_device_type_cuda() ? "cuda" : "cpu";
}

}  // extern "C"
