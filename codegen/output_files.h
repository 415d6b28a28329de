// Writing a compile's results without ever leaving a half-written one.
//
// Each output (model.so, its weights, the header, the shim copy) is first written beside its
// target under a staging name ("model.so.tmp-<pid>"); only when every one is staged are they
// renamed into place. A failure before that removes the staged files and leaves the previous
// outputs as they were. While a compile runs, SIGINT, SIGTERM and SIGHUP remove the staged files
// and the scratch build directory before the process dies of the signal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace aotic::codegen {

/// Throws UserError "<target>: cannot write: ..." unless `target`'s folder exists and is writable
/// (checked before the compile starts, so that a typo in -o costs nothing).
void check_writable_target(const std::string& target);

/// Removes `build_dir` (recursively) if the process is interrupted while this object lives.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(const std::filesystem::path& build_dir);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;
};

/// A set of outputs committed together.
class OutputSet {
 public:
  OutputSet() = default;
  ~OutputSet();  // removes whatever is staged but not committed
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  /// Stages `data` for `target`.
  void stage_data(const std::filesystem::path& target, std::string_view data);
  /// Stages a copy of the file `source` for `target` (owner-writable, so a later compile can
  /// replace it).
  void stage_copy(const std::filesystem::path& target, const std::filesystem::path& source);
  /// Stages the file `source` itself for `target`: renamed when both are on one file system (no
  /// copy of a model.so's weights), else copied as stage_copy does.
  void stage_move(const std::filesystem::path& target, const std::filesystem::path& source);
  /// Renames every staged file onto its target, in staging order.
  void commit();

 private:
  std::filesystem::path staging_name(const std::filesystem::path& target);

  struct Staged {
    std::filesystem::path staged, target;
  };
  std::vector<Staged> staged_;
};

}  // namespace aotic::codegen
