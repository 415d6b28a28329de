// The C interface every model.so exports: the AOTInductorModelContainer* entry points with
// PyTorch 2.11's exact signatures (shim/abi/pytorch-2.11/interface.txt), so PyTorch's own runner
// (torch._C._aoti.AOTIModelContainerRunnerCpu) loads an aotic model.so as it loads its own.
//
// Ownership: input handles passed to ...Run are stolen (the model releases them); output handles
// are new references the caller releases with aoti_torch_delete_tensor_object. Strings returned
// by getters live as long as the container.
//
// A constant map (AOTInductorConstantMapHandle) is, as in PyTorch, a
// std::unordered_map<std::string, AtenTensorHandle>* passed through the C boundary.
#ifndef AOTIC_RUNTIME_INTERFACE_H_
#define AOTIC_RUNTIME_INTERFACE_H_

#include "aotic/shim.h"

#define AOTI_RUNTIME_EXPORT __attribute__((__visibility__("default")))

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t AOTIRuntimeError;
#define AOTI_RUNTIME_SUCCESS 0
#define AOTI_RUNTIME_FAILURE 1

typedef struct AOTInductorModelOpaque* AOTInductorModelHandle;
typedef struct AOTInductorModelContainerOpaque* AOTInductorModelContainerHandle;
typedef struct AOTInductorStreamOpaque* AOTInductorStreamHandle;
typedef struct AOTInductorConstantMap* AOTInductorConstantMapHandle;
typedef struct AOTIProxyExecutorOpaque* AOTIProxyExecutorHandle;

/// One (name, tensor) pair for ...UpdateUserManagedConstantBufferPairs.
typedef struct {
  const char* name;
  AtenTensorHandle handle;
} AOTInductorConstantMapEntry;

AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerCreate(
    AOTInductorModelContainerHandle* container_handle, size_t num_models, bool is_cpu, const char* cubin_dir);
AOTI_RUNTIME_EXPORT AOTIRuntimeError
AOTInductorModelContainerCreateWithDevice(AOTInductorModelContainerHandle* container_handle,
                                          size_t num_models, const char* device_str, const char* cubin_dir);
AOTI_RUNTIME_EXPORT AOTIRuntimeError
AOTInductorModelContainerDelete(AOTInductorModelContainerHandle container_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerRun(
    AOTInductorModelContainerHandle container_handle, AtenTensorHandle* input_handles, size_t num_inputs,
    AtenTensorHandle* output_handles, size_t num_outputs, AOTInductorStreamHandle stream_handle,
    AOTIProxyExecutorHandle proxy_executor_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerRunSingleThreaded(
    AOTInductorModelContainerHandle container_handle, AtenTensorHandle* input_handles, size_t num_inputs,
    AtenTensorHandle* output_handles, size_t num_outputs, AOTInductorStreamHandle stream_handle,
    AOTIProxyExecutorHandle proxy_executor_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetNumConstants(
    AOTInductorModelContainerHandle container_handle, size_t* num_constants);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantName(
    AOTInductorModelContainerHandle container_handle, size_t idx, const char** name);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantOriginalFQN(
    AOTInductorModelContainerHandle container_handle, size_t idx, const char** original_fqn);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantFromFolded(
    AOTInductorModelContainerHandle container_handle, size_t idx, bool* from_folded);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantType(
    AOTInductorModelContainerHandle container_handle, size_t idx, int32_t* type);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantDtype(
    AOTInductorModelContainerHandle container_handle, size_t idx, int32_t* dtype);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantDataSize(
    AOTInductorModelContainerHandle container_handle, size_t idx, size_t* data_size);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerExtractConstantsMap(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerUpdateUserManagedConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive, bool validate_full_update);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerUpdateUserManagedConstantBufferPairs(
    AOTInductorModelContainerHandle container_handle, const AOTInductorConstantMapEntry* pairs,
    size_t num_pairs, bool use_inactive, bool validate_full_update);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerUpdateConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle,
    bool use_inactive, bool validate_full_update);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerUpdateInactiveConstantBuffer(
    AOTInductorModelContainerHandle container_handle, AOTInductorConstantMapHandle constant_map_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError
AOTInductorModelContainerFreeInactiveConstantBuffer(AOTInductorModelContainerHandle container_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerRunConstantFolding(
    AOTInductorModelContainerHandle container_handle, bool use_inactive,
    AOTInductorStreamHandle stream_handle, AOTIProxyExecutorHandle proxy_executor_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError
AOTInductorModelContainerSwapConstantBuffer(AOTInductorModelContainerHandle container_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetNumInputs(
    AOTInductorModelContainerHandle container_handle, size_t* ret_num_inputs);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetInputName(
    AOTInductorModelContainerHandle container_handle, size_t input_idx, const char** ret_input_names);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetNumOutputs(
    AOTInductorModelContainerHandle container_handle, size_t* ret_num_outputs);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetOutputName(
    AOTInductorModelContainerHandle container_handle, size_t output_idx, const char** ret_output_names);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelCreate(AOTInductorModelHandle* model_handle,
                                                            AOTInductorConstantMapHandle constant_map_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelRun(AOTInductorModelHandle model_handle,
                                                         AtenTensorHandle* input_handles,
                                                         AtenTensorHandle* output_handles);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelUpdateConstantsMap(
    AOTInductorModelHandle model_handle, AOTInductorConstantMapHandle constant_map_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetConstantsBlobSize(
    AOTInductorModelContainerHandle container_handle, uint64_t* ret_size);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelUpdateConstantsFromBlob(
    AOTInductorModelContainerHandle container_handle, const uint8_t* weight_blob_ptr);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelDelete(AOTInductorModelHandle model_handle);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelGetNumOutputs(AOTInductorModelHandle model_handle,
                                                                   size_t* ret_num_outputs);
AOTI_RUNTIME_EXPORT AOTIRuntimeError AOTInductorModelContainerGetCallSpec(
    AOTInductorModelContainerHandle container_handle, const char** in_spec, const char** out_spec);

/// aotic extension: the message of the calling thread's last failure in this model.so, or "".
AOTI_RUNTIME_EXPORT const char* aotic_model_last_error(void);

/// aotic extension: what the model was compiled for, "cpu" or "cuda" (its container takes
/// "cuda:N" then, and its inputs on that GPU).
AOTI_RUNTIME_EXPORT const char* aotic_model_device(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // AOTIC_RUNTIME_INTERFACE_H_
