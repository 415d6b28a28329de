#include "codegen/output_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "ir/error.h"

namespace aotic::codegen {
namespace {

namespace fs = std::filesystem;

// What the signal handler removes. Fixed-size buffers: a handler may not allocate.
constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxStaged = 8;
struct Pending {
  std::array<char, kMaxPath> build_dir{};
  std::array<std::array<char, kMaxPath>, kMaxStaged> staged{};
};
Pending g_pending;
volatile sig_atomic_t g_armed = 0;
std::mutex g_mutex;  // guards g_pending against concurrent compiles in one process
constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[kSignals.size()];

void set_path(std::array<char, kMaxPath>& slot, const std::string& path) {
  slot[0] = '\0';
  if (path.size() < kMaxPath) std::memcpy(slot.data(), path.c_str(), path.size() + 1);
}

extern "C" void remove_pending_and_die(int signal) {
  if (g_armed) {
    for (const auto& path : g_pending.staged) {
      if (path[0] != '\0') unlink(path.data());
    }
    if (g_pending.build_dir[0] != '\0') {
      // fork, execve and waitpid are async-signal-safe; a recursive delete by hand is not simpler.
      const pid_t child = fork();
      if (child == 0) {
        const char* argv[] = {"rm", "-rf", "--", g_pending.build_dir.data(), nullptr};
        execv("/bin/rm", const_cast<char* const*>(argv));
        _exit(127);
      }
      if (child > 0) waitpid(child, nullptr, 0);
    }
  }
  // Die of the same signal, as the default action would.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  raise(signal);
}

void register_staged(const fs::path& staged) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (auto& slot : g_pending.staged) {
    if (slot[0] == '\0') {
      set_path(slot, staged.string());
      return;
    }
  }
}

void forget_staged(const fs::path& staged) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (auto& slot : g_pending.staged) {
    if (staged.string() == slot.data()) slot[0] = '\0';
  }
}

std::string errno_text(int error) { return error != 0 ? std::strerror(error) : "unknown error"; }

}  // namespace

void check_writable_target(const std::string& target) {
  fs::path path(target);
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec)) user_error("{}: cannot write: no such directory '{}'", target, dir.string());
  if (!fs::is_directory(dir, ec))
    user_error("{}: cannot write: '{}' is not a directory", target, dir.string());
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    user_error("{}: cannot write: directory '{}': {}", target, dir.string(), errno_text(errno));
  }
  if (fs::is_directory(path, ec)) user_error("{}: cannot write: it is a directory", target);
}

InterruptCleanup::InterruptCleanup(const fs::path& build_dir) {
  std::lock_guard<std::mutex> lock(g_mutex);
  set_path(g_pending.build_dir, build_dir.string());
  struct sigaction action {};
  action.sa_handler = remove_pending_and_die;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &g_previous[i]);
  g_armed = 1;
}

InterruptCleanup::~InterruptCleanup() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_armed = 0;
  for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
  g_pending = Pending{};
}

OutputSet::~OutputSet() {
  std::error_code ec;
  for (const Staged& s : staged_) {
    forget_staged(s.staged);
    fs::remove(s.staged, ec);
  }
}

fs::path OutputSet::staging_name(const fs::path& target) {
  fs::path staged = target;
  staged += ".tmp-" + std::to_string(getpid());
  register_staged(staged);
  staged_.push_back({staged, target});
  return staged;
}

void OutputSet::stage_data(const fs::path& target, std::string_view data) {
  const fs::path staged = staging_name(target);
  std::ofstream out(staged, std::ios::binary | std::ios::trunc);
  if (!out) user_error("{}: cannot write: {}", target.string(), errno_text(errno));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) user_error("{}: cannot write: {}", target.string(), errno_text(errno));
}

void OutputSet::stage_copy(const fs::path& target, const fs::path& source) {
  const fs::path staged = staging_name(target);
  std::error_code ec;
  fs::copy_file(source, staged, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(staged, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec);
  if (ec) user_error("{}: cannot write: {}", target.string(), ec.value() != 0 ? ec.message() : "copy failed");
}

void OutputSet::stage_move(const fs::path& target, const fs::path& source) {
  const fs::path staged = staging_name(target);
  std::error_code ec;
  fs::rename(source, staged, ec);
  if (ec) {  // another file system: a copy
    ec.clear();
    fs::copy_file(source, staged, fs::copy_options::overwrite_existing, ec);
  }
  if (!ec) fs::permissions(staged, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec);
  if (ec) user_error("{}: cannot write: {}", target.string(), ec.value() != 0 ? ec.message() : "copy failed");
}

void OutputSet::commit() {
  for (size_t i = 0; i < staged_.size(); ++i) {
    std::error_code ec;
    fs::rename(staged_[i].staged, staged_[i].target, ec);
    if (ec) user_error("{}: cannot write: {}", staged_[i].target.string(), ec.message());
    forget_staged(staged_[i].staged);
  }
  staged_.clear();
}

}  // namespace aotic::codegen
