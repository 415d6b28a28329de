// A hand-written model in the shape the code generator emits, for testing the runtime:
//   out = x @ w1 + z @ w2      x: float32[s0, 4], z: float32[s0, 2], s0 in 1..16
// w1 = ones(4, 3) and w2 = 2 * ones(2, 3) are the constants; run() reads w2 through a folded
// constant (a copy of w2 that fold() makes), as a model compiled with fold_constants does; fold()
// rejects a w2 whose first value is negative.
#include "aotic/runtime/model.h"

namespace {

using aotic::runtime::check;
using aotic::runtime::ConstantKind;
using aotic::runtime::ConstantSpec;
using aotic::runtime::DimSpec;
using aotic::runtime::RunState;
using aotic::runtime::SymbolSpec;
using aotic::runtime::TensorHandle;
using aotic::runtime::TensorSpec;

constexpr SymbolSpec kSymbols[] = {{"s0", 1, 16}};
constexpr DimSpec kXDims[] = {{0, 0, 1, 0, nullptr}, {4, -1, 0, 0, nullptr}};
constexpr DimSpec kZDims[] = {{0, 0, 1, 0, nullptr}, {2, -1, 0, 0, nullptr}};
constexpr DimSpec kOutDims[] = {{0, 0, 1, 0, nullptr}, {3, -1, 0, 0, nullptr}};
constexpr TensorSpec kInputs[] = {{"x", 6, 0, 2, kXDims, true}, {"z", 6, 0, 2, kZDims, false}};
constexpr TensorSpec kOutputs[] = {{"out", 6, 0, 2, kOutDims, false}};

constexpr int64_t kW1Sizes[] = {4, 3};
constexpr int64_t kW1Strides[] = {3, 1};
constexpr int64_t kW2Sizes[] = {2, 3};
constexpr int64_t kW2Strides[] = {3, 1};
constexpr ConstantSpec kConstants[] = {
    {"l1_weight", "l1.weight", 6, 2, kW1Sizes, kW1Strides, 0, 0, 48, ConstantKind::kParameter},
    {"l2_weight", "l2.weight", 6, 2, kW2Sizes, kW2Strides, 0, 64, 24, ConstantKind::kBuffer},
    {"_FOLDED_CONST_w2", "_FOLDED_CONST_w2", 6, 2, kW2Sizes, kW2Strides, 0, 0, 0,
     ConstantKind::kFoldedConstant},
};

struct Blob {
  alignas(64) float w1[16];
  float w2[6];
};
const Blob kBlob = [] {
  Blob b{};
  for (int i = 0; i < 12; ++i) b.w1[i] = 1.0f;
  for (int i = 0; i < 6; ++i) b.w2[i] = 2.0f;
  return b;
}();

void fold(RunState& state, AtenTensorHandle* outputs) {
  // Fails for a w2 starting with a negative value, to test that a failed fold changes nothing.
  void* data = nullptr;
  check(aoti_torch_get_data_ptr(state.constant(1), &data), "aoti_torch_get_data_ptr");
  if (*static_cast<const float*>(data) < 0)
    throw aotic::runtime::RuntimeError("fold: w2 must not be negative");
  TensorHandle copy;
  check(aoti_torch_clone(state.constant(1), copy.out()), "aoti_torch_clone");
  outputs[0] = copy.release();
}

void run(RunState& state, AtenTensorHandle* inputs, AtenTensorHandle* outputs) {
  const int64_t s0 = state.symbol(0);
  const int64_t sizes[] = {s0, 3};
  const int64_t strides[] = {3, 1};
  TensorHandle buf0;
  check(aoti_torch_empty_strided(2, sizes, strides, aoti_torch_dtype_float32(), aoti_torch_device_type_cpu(),
                                 0, buf0.out()),
        "aoti_torch_empty_strided");
  check(aoti_torch__mm_plus_mm_out(buf0.get(), inputs[0], state.constant(0), inputs[1], state.constant(2)),
        "aoti_torch__mm_plus_mm_out");
  outputs[0] = buf0.release();
}

constexpr char kInSpec[] = "[1, {\"type\": \"builtins.tuple\"}]";
constexpr char kOutSpec[] = "[1, {\"type\": null}]";

const aotic::runtime::ModelSpec kSpec = {
    kInputs,
    2,
    kOutputs,
    1,
    kSymbols,
    1,
    kConstants,
    3,
    reinterpret_cast<const uint8_t*>(&kBlob),
    sizeof(Blob),
    nullptr,  // weights embedded
    kInSpec,
    kOutSpec,
    run,
    0,        // the CPU (aoti_torch_device_type_cpu)
    nullptr,  // no per-instance state
    nullptr,
    fold,
};

}  // namespace

const aotic::runtime::ModelSpec& aotic_model_spec() { return kSpec; }
