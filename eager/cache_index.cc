#include "eager/cache_index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <torch/version.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codegen/output_files.h"
#include "ir/error.h"
#include "ir/version.h"

namespace aotic::eager {
namespace fs = std::filesystem;

namespace {

uint64_t fnv1a(const char* data, size_t size, uint64_t hash = 1469598103934665603ULL) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string hex(uint64_t v) { return fmt::format("{:016x}", v); }

/// "aten::add.Tensor" -> ("aten", "add.Tensor"); "aten::gelu" -> ("aten", "gelu.default").
std::pair<std::string, std::string> split_op(const std::string& op) {
  const size_t colon = op.find("::");
  std::string ns = colon == std::string::npos ? "aten" : op.substr(0, colon);
  std::string name = colon == std::string::npos ? op : op.substr(colon + 2);
  if (name.find('.') == std::string::npos) name += ".default";
  return {ns, name};
}

/// An exclusive flock on CACHE/.lock for the lifetime of the object.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    const std::string path = (fs::path(dir) / ".lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) user_error("{}: cannot open the cache lock: {}", path, std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) user_error("{}: cannot lock the cache: {}", path, std::strerror(errno));
    }
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_ = -1;
};

/// Reads the raw list; warnings for anything unusable.
nlohmann::json read_list(const std::string& path, std::vector<std::string>& warnings) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return nlohmann::json::array();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json list = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded() || !list.is_array()) {
    warnings.push_back(fmt::format("{}: not a JSON list of kernels; ignored, kernels are rebuilt", path));
    return nlohmann::json::array();
  }
  return list;
}

}  // namespace

CacheIndex::CacheIndex(const std::string& cache_dir, const std::string& op, const std::string& isa)
    : cache_dir_(cache_dir), op_(op), isa_(isa) {
  const auto [ns, name] = split_op(op);
  const fs::path dir = fs::path(cache_dir) / ns / "cpu";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::create_directories(fs::path(cache_dir) / "kernels", ec);
  if (ec) user_error("{}: cannot create the cache directory: {}", cache_dir, ec.message());
  index_path_ = (dir / (name + ".json")).string();
}

std::string CacheIndex::library_path(const std::string& key) const {
  const auto [ns, name] = split_op(op_);
  return (fs::path(cache_dir_) / "kernels" /
          fmt::format("{}.{}-{}.so", ns, name, hex(fnv1a(key.data(), key.size()))))
      .string();
}

std::string CacheIndex::resolve(const std::string& kernel_path) const {
  const fs::path path(kernel_path);
  return path.is_absolute() ? path.string() : (fs::path(cache_dir_) / path).string();
}

std::string CacheIndex::file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  uint64_t hash = 1469598103934665603ULL;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    hash = fnv1a(buffer, static_cast<size_t>(in.gcount()), hash);
  return hex(hash);
}

nlohmann::json CacheIndex::build_stamp() const {
  nlohmann::json stamp = {{"version", kVersion}, {"torch", TORCH_VERSION}, {"isa", isa_}};
  if (isa_ == "native") {
    // The first "flags" line of /proc/cpuinfo names what -march=native may use.
    static const std::string cpu = [] {
      std::ifstream in("/proc/cpuinfo");
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("flags", 0) == 0) return hex(fnv1a(line.data(), line.size()));
      }
      return std::string("unknown");
    }();
    stamp["cpu_flags_fnv1a64"] = cpu;
  }
  return stamp;
}

IndexContents CacheIndex::read() const {
  IndexContents out;
  const nlohmann::json list = read_list(index_path_, out.warnings);
  const nlohmann::json stamp = build_stamp();
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    const auto skip = [&](const std::string& why) {
      out.warnings.push_back(
          fmt::format("{}: entry {}: {}; ignored, the kernel is rebuilt", index_path_, i, why));
    };
    if (!item.is_object() || !item.contains("key") || !item["key"].is_string() ||
        !item.contains("meta_info") || !item["meta_info"].is_array() || !item.contains("kernel_path") ||
        !item["kernel_path"].is_string() || !item.contains("arguments") || !item["arguments"].is_object() ||
        !item.contains("aotic") || !item["aotic"].is_object()) {
      skip("missing or mistyped fields");
      continue;
    }
    nlohmann::json built = item["aotic"];
    const std::string hash = built.value("library_fnv1a64", "");
    built.erase("library_fnv1a64");
    if (built != stamp) {
      skip(fmt::format("built by {}, this build is {}", built.dump(), stamp.dump()));
      continue;
    }
    IndexEntry entry;
    entry.key = item["key"].get<std::string>();
    entry.meta_info = item["meta_info"];
    entry.arguments = item["arguments"];
    entry.kernel_path = item["kernel_path"].get<std::string>();
    entry.library_hash = hash;
    const std::string library = resolve(entry.kernel_path);
    std::error_code ec;
    if (!fs::is_regular_file(library, ec)) {
      skip(fmt::format("its library {} is missing", library));
      continue;
    }
    out.entries.push_back(std::move(entry));
  }
  return out;
}

void CacheIndex::add(IndexEntry entry) const {
  const std::string library = resolve(entry.kernel_path);
  entry.library_hash = file_hash(library);
  AOTIC_CHECK(!entry.library_hash.empty(),
              "eager cache: the new kernel's library cannot be read: " + library);

  DirectoryLock lock(cache_dir_);
  std::vector<std::string> ignored;
  nlohmann::json list = read_list(index_path_, ignored);
  nlohmann::json kept = nlohmann::json::array();
  for (const nlohmann::json& item : list) {
    const bool same = item.is_object() && item.contains("key") && item["key"] == entry.key;
    if (!same) kept.push_back(item);
  }
  nlohmann::json stamp = build_stamp();
  stamp["library_fnv1a64"] = entry.library_hash;
  kept.push_back({{"key", entry.key},
                  {"meta_info", entry.meta_info},
                  {"arguments", entry.arguments},
                  {"kernel_path", entry.kernel_path},
                  {"aotic", stamp}});

  // Staged beside the index and renamed over it (removed again if anything fails).
  codegen::OutputSet output;
  output.stage_data(index_path_, kept.dump(1) + "\n");
  output.commit();
}

}  // namespace aotic::eager
