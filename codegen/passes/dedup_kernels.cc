// dedup_kernels (optimising): kernels that would print as the same function (the same loops over
// the same buffer types, sizes and expressions; only the name differs) become one function that
// every launch of them calls. A transformer's blocks repeat the same residual adds and layer norms,
// so this shortens model.cpp and its compile time, and keeps one copy of each loop in the
// instruction cache. The kept kernel takes the first one's name (numbered again); its comment names
// the nodes of all.
#include <map>
#include <string>
#include <vector>

#include "codegen/passes/passes.h"
#include "kernel/cpu_printer.h"
#include "kernel/writer.h"

namespace aotic::codegen {
namespace {

using wir::Stmt;

/// The kernel's C++ text with its name and comment left out: equal texts, equal functions.
std::string printed_body(const kernel::Kernel& k) {
  kernel::Kernel anonymous = k;
  anonymous.name = "kernel";
  anonymous.comment.clear();
  kernel::CodeWriter out;
  kernel::print_cpu_kernel(anonymous, out);
  return out.text();
}

/// "nodes a, b" + "nodes c" -> "nodes a, b, c", kept to one line.
std::string merged_comment(const std::string& first, const std::string& other) {
  const std::string prefix = "nodes ";
  if (first.rfind(prefix, 0) != 0 || other.rfind(prefix, 0) != 0 || first.size() > 96) return first;
  std::string merged = first;
  if (merged.size() >= 5 && merged.compare(merged.size() - 5, 5, ", ...") == 0) return merged;
  merged += ", " + other.substr(prefix.size());
  if (merged.size() > 96) merged = merged.substr(0, merged.rfind(", ", 92)) + ", ...";
  return merged;
}

void relink(wir::Block& block, const std::vector<int>& new_index,
            const std::vector<kernel::Kernel>& kernels) {
  for (Stmt& s : block) {
    if (s.kind == Stmt::Kind::kLaunch) {
      s.kernel = new_index.at(static_cast<size_t>(s.kernel));
      s.function = kernels.at(static_cast<size_t>(s.kernel)).name;
    }
    for (wir::Branch& b : s.branches) relink(b.body, new_index, kernels);
  }
}

}  // namespace

void dedup_kernels(wir::Module& module) {
  if (module.kernels.size() < 2) return;
  std::map<std::string, int> first_with;  // printed text -> index in the kept list
  std::vector<kernel::Kernel> kept;
  std::vector<int> new_index(module.kernels.size());
  for (size_t i = 0; i < module.kernels.size(); ++i) {
    kernel::Kernel& k = module.kernels[i];
    auto [it, inserted] = first_with.emplace(printed_body(k), static_cast<int>(kept.size()));
    if (inserted) {
      kept.push_back(std::move(k));
    } else {
      kernel::Kernel& same = kept[static_cast<size_t>(it->second)];
      same.comment = merged_comment(same.comment, k.comment);
    }
    new_index[i] = it->second;
  }
  if (kept.size() == module.kernels.size()) {
    module.kernels = std::move(kept);
    return;
  }
  // Numbered again in order ("k4_gelu" -> "k3_gelu"): the numbers only keep names unique.
  for (size_t i = 0; i < kept.size(); ++i) {
    std::string& name = kept[i].name;
    const size_t suffix = name.find_first_not_of("0123456789", 1);
    name = "k" + std::to_string(i) + (suffix == std::string::npos ? "" : name.substr(suffix));
  }
  module.kernels = std::move(kept);
  relink(module.body, new_index, module.kernels);
}

}  // namespace aotic::codegen
