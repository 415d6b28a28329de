// The eager cache on disk: for each op a JSON index listing its kernels, in the seed's shape (a
// list of {"meta_info": [...], "kernel_path": "..."}) with aotic's additions: the non-tensor
// "arguments" a kernel was built for, the lookup "key" made of both, and under "aotic" the versions it was
// built by and a hash of the library, checked before it is loaded.
//
//   CACHE/aten/cpu/add.Tensor.json
//   CACHE/kernels/aten.add.Tensor-<hash of the description>.so  (+ libaotic_shim.so beside them)
//
// Writes are atomic (a temporary file renamed into place) and serialised between processes by an
// exclusive lock on CACHE/.lock, so two processes compiling at once both keep their entries. Reads
// never throw: a file that is not JSON, an entry with missing fields, built by another aotic or
// libtorch, or whose library is missing or changed, is skipped with a warning and rebuilt on use.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aotic::eager {

struct IndexEntry {
  std::string key;  // the lookup key (eager/call_key.h)
  nlohmann::json meta_info;
  nlohmann::json arguments;
  std::string kernel_path;  // as written: relative to the cache directory
  std::string library_hash;
};

struct IndexContents {
  std::vector<IndexEntry> entries;
  std::vector<std::string> warnings;  // one line per skipped file or entry
};

class CacheIndex {
 public:
  /// `op`: "aten::add.Tensor"; `isa`: what kernels are compiled for (part of the build stamp).
  /// Creates the directories; throws UserError when it cannot.
  CacheIndex(const std::string& cache_dir, const std::string& op, const std::string& isa);

  const std::string& index_path() const { return index_path_; }
  /// The library path for a description key (CACHE/kernels/aten.add.Tensor-<hash>.so).
  std::string library_path(const std::string& key) const;
  /// The absolute path of an entry's library.
  std::string resolve(const std::string& kernel_path) const;

  /// The usable entries; never throws.
  IndexContents read() const;
  /// Adds `entry` (replacing one with the same key), under the lock; its library must
  /// exist (its hash is recorded here). Throws UserError when the index cannot be written.
  void add(IndexEntry entry) const;

  /// FNV-1a 64 of a file's bytes, as 16 hex digits; "" when it cannot be read.
  static std::string file_hash(const std::string& path);
  /// What an entry must have been built by to be used: aotic's and the libtorch headers'
  /// versions, the x86-64 level and, for "native", a hash of this CPU's feature flags.
  nlohmann::json build_stamp() const;

 private:
  std::string cache_dir_;
  std::string op_;
  std::string isa_;
  std::string index_path_;
};

}  // namespace aotic::eager
