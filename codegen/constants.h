// Where each weight's bytes go in the constants blob that is linked into model.so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace aotic::codegen {

/// Every storage starts at a multiple of this in the blob.
constexpr uint64_t kConstantAlignment = 64;

struct ConstantEntry {
  const ir::InputSpec* spec;  // the signature entry (FQN, kind, graph value)
  const ir::Weight* weight;
  std::string name;     // the model's internal name: a C identifier
  uint64_t offset = 0;  // of the storage in the blob
  uint64_t nbytes = 0;  // storage bytes
};

struct ConstantsLayout {
  std::vector<ConstantEntry> entries;  // signature order
  uint64_t size = 0;
};

/// Lays out the program's weights; storages shared by several FQNs are stored once.
ConstantsLayout layout_constants(const ir::Program& program);

/// The blob's bytes (zero padding between storages).
std::string constants_blob(const ConstantsLayout& layout);

}  // namespace aotic::codegen
