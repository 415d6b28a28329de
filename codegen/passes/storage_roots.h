// What may share storage with what, followed statement by statement through a block: the
// bookkeeping reuse_buffers and plan_memory share. Each live value maps to the buffers ("roots")
// whose storage it may share: an alloc is its own root; a view, an in-place result or anything
// else with alias_of shares its source's roots (the schemas' alias annotations); a cond's results
// share their operands'. A root is dead once no live value may share it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/wrapper_ir.h"

namespace aotic::codegen {

class StorageRoots {
 public:
  /// `value` is live from now on and may share the storage of `roots`. Returns `roots`.
  const std::set<std::string>& define(const std::string& value, std::set<std::string> roots) {
    for (const std::string& r : roots) ++live_[r];
    return roots_[value] = std::move(roots);
  }

  /// A statement that is neither an alloc nor a free: its results share what it aliases (a cond's,
  /// what its operands share). Returns the roots that became live again.
  std::set<std::string> define_results(const wir::Stmt& s) {
    std::set<std::string> shared;
    if (s.kind == wir::Stmt::Kind::kCond) {
      for (const std::string& n : s.inputs) shared.insert(roots_[n].begin(), roots_[n].end());
    } else if (!s.alias_of.empty()) {
      shared = roots_[s.alias_of];
    }
    const std::vector<std::string> results = s.kind == wir::Stmt::Kind::kCond ? s.outs : wir::defines(s);
    for (const std::string& n : results) define(n, shared);
    return results.empty() ? std::set<std::string>{} : shared;
  }

  /// `value` is released; returns the roots that nothing live may share any more.
  std::vector<std::string> release(const std::string& value) {
    std::vector<std::string> dead;
    for (const std::string& r : roots_[value]) {
      if (--live_[r] == 0) dead.push_back(r);
    }
    roots_.erase(value);
    return dead;
  }

 private:
  std::map<std::string, std::set<std::string>> roots_;  // live value -> roots it may share
  std::map<std::string, int> live_;                     // root -> live values that may share it
};

}  // namespace aotic::codegen
