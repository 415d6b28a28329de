// What the eager cache knows about one call of an op: the description a kernel is looked up by
// (the seed's `meta_info`, one object per tensor, plus the values of the other arguments) and what
// a one-op program needs to be built for it.
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "eager/cache_index.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace aotic::eager {

struct CallDescription {
  /// False when no kernel can serve the call (a CUDA, sparse or conjugated tensor, a Generator, a
  /// complex scalar, ...); `why_not` then says which argument and why.
  bool cacheable = true;
  std::string why_not;
  /// One object per tensor input: is_dynamic, device_type, device_index, dtype, sizes, strides
  /// (the seed's fields) and the argument's name.
  nlohmann::json meta_info = nlohmann::json::array();
  /// The other arguments by name: {"alpha": 1, "approximate": "none", "dim": [1]}.
  nlohmann::json arguments = nlohmann::json::object();
  /// The tensors in argument order (lists flattened): the kernel's inputs.
  std::vector<at::Tensor> tensors;
  /// For the one-op program: the node's arguments (tensor inputs named "input0", ...) and the
  /// metadata of each input, with size symbols "s0", ... when dynamic.
  std::vector<ir::NamedArgument> node_inputs;
  std::vector<std::pair<std::string, ir::TensorMeta>> input_metas;
  bool dynamic = false;
  /// The lookup key: equal for calls one kernel serves. Compact text ("T7[4,8][8,1];alpha=i1;"),
  /// cheap to make on every call; recorded in the index beside the readable description.
  std::string key;
  /// Whether meta_info, arguments, node_inputs and input_metas were filled (describe_call's
  /// `full`); the key and tensors always are.
  bool full = false;
};

/// Describes `args` (the call's stack slice, one value per schema argument). `dynamic`: when every
/// tensor has the same sizes (all at least 1) and is contiguous, describe sizes by rank only.
/// `full`: also what a compile and the index need (a cache hit needs only the key and tensors).
CallDescription describe_call(const ir::OpSchema& schema, c10::ArrayRef<c10::IValue> args, bool dynamic,
                              bool full);

/// The metadata of a result tensor, static or (dynamic) with the inputs' size symbols; nullopt when
/// the kernel cannot produce it (not a dense CPU tensor, or a dynamic result whose sizes differ
/// from the inputs').
std::optional<ir::TensorMeta> result_meta(const at::Tensor& result, const CallDescription& call);

}  // namespace aotic::eager
