#include "codegen/constants.h"

#include <cstring>
#include <map>
#include <set>

#include "ir/error.h"
#include "kernel/writer.h"

namespace aotic::codegen {

using kernel::cpp_identifier;

ConstantsLayout layout_constants(const ir::Program& program) {
  ConstantsLayout layout;
  std::map<const ir::Storage*, uint64_t> placed;
  std::set<std::string> names;
  for (const ir::InputSpec& spec : program.signature.inputs) {
    if (spec.kind != ir::InputKind::kParameter && spec.kind != ir::InputKind::kBuffer &&
        spec.kind != ir::InputKind::kTensorConstant) {
      continue;
    }
    const ir::Weight* weight = program.find_weight(spec.fqn);
    AOTIC_CHECK(weight != nullptr && weight->storage != nullptr, "weight " + spec.fqn + " was not loaded");
    ConstantEntry e{&spec, weight, cpp_identifier(spec.fqn), 0, weight->storage->size()};
    for (int i = 1; !names.insert(e.name).second; ++i)
      e.name = cpp_identifier(spec.fqn) + "_" + std::to_string(i);
    auto it = placed.find(weight->storage.get());
    if (it != placed.end()) {
      e.offset = it->second;
    } else {
      layout.size = (layout.size + kConstantAlignment - 1) / kConstantAlignment * kConstantAlignment;
      e.offset = layout.size;
      layout.size += e.nbytes;
      placed.emplace(weight->storage.get(), e.offset);
    }
    layout.entries.push_back(std::move(e));
  }
  return layout;
}

std::string constants_blob(const ConstantsLayout& layout) {
  std::string blob(layout.size, '\0');
  for (const ConstantEntry& e : layout.entries) {
    std::memcpy(blob.data() + e.offset, e.weight->storage->data(), e.nbytes);
  }
  return blob;
}

}  // namespace aotic::codegen
