#include "ir/archive.h"

#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "ir/error.h"

namespace aotic::ir {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kModelJson = "models/model.json";

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// A `.pt2` zip. Entries are indexed once; names are reported relative to the export root (the
/// folder holding models/model.json, usually named after the file's stem).
class ZipArchive final : public Archive {
 public:
  /// `export_root`: entries are relative to the folder holding models/model.json (required);
  /// otherwise to the zip's root.
  ZipArchive(const std::string& path, zip_t* zip, bool export_root) : Archive(path), zip_(zip) {
    zip_int64_t count = zip_get_num_entries(zip_, 0);
    std::vector<std::string> roots;
    for (zip_int64_t i = 0; i < count; ++i) {
      const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
      if (name == nullptr) continue;
      std::string full(name);
      if (full.empty() || full.back() == '/') continue;  // directory entries
      all_.emplace(full, static_cast<zip_uint64_t>(i));
      if (ends_with(full, kModelJson)) {
        std::string root = full.substr(0, full.size() - kModelJson.size());
        if (root.empty() || root.back() == '/') roots.push_back(root);
      }
    }
    if (!export_root) return;
    if (roots.empty()) user_error("{}: not a torch.export archive: no models/model.json entry", path);
    // Prefer the shallowest root (an archive could nest another export's files deeper).
    std::sort(roots.begin(), roots.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    root_ = roots.front();
  }

  ~ZipArchive() override { zip_discard(zip_); }

  std::vector<std::string> entries() const override {
    std::vector<std::string> out;
    for (const auto& [name, index] : all_) {
      if (name.compare(0, root_.size(), root_) == 0) out.push_back(name.substr(root_.size()));
    }
    return out;
  }

  std::optional<uint64_t> entry_size(const std::string& entry) const override {
    std::optional<zip_uint64_t> index = find(entry);
    if (!index) return std::nullopt;
    return stat(entry, *index).size;
  }

  uint64_t stored_size(const std::string& entry) const override {
    std::optional<zip_uint64_t> index = find(entry);
    if (!index) user_error("{}: missing entry '{}'", path(), entry);
    return stat(entry, *index).comp_size;
  }

  void read_into(const std::string& entry, uint8_t* out, uint64_t size) const override {
    std::optional<uint64_t> actual = entry_size(entry);
    if (!actual) user_error("{}: missing entry '{}'", path(), entry);
    if (*actual != size) {
      user_error("{}: {}: entry has {} bytes, expected {}", path(), entry, *actual, size);
    }
    zip_file_t* file = zip_fopen_index(zip_, *find(entry), 0);
    if (file == nullptr) {
      user_error("{}: {}: cannot open entry: {}", path(), entry, zip_strerror(zip_));
    }
    uint64_t done = 0;
    std::string failure;
    while (done < size) {
      zip_int64_t n = zip_fread(file, out + done, size - done);
      if (n < 0) {
        failure = zip_error_strerror(zip_file_get_error(file));
        break;
      }
      if (n == 0) {
        failure = fmt::format("entry ends after {} of {} bytes", done, size);
        break;
      }
      done += static_cast<uint64_t>(n);
    }
    if (failure.empty()) {
      // Reading past the end makes libzip verify the CRC of the whole entry.
      uint8_t extra;
      zip_int64_t n = zip_fread(file, &extra, 1);
      if (n < 0) failure = zip_error_strerror(zip_file_get_error(file));
      if (n > 0) failure = "entry is longer than its recorded size";
    }
    zip_fclose(file);
    if (!failure.empty()) user_error("{}: {}: corrupt entry: {}", path(), entry, failure);
  }

 private:
  /// The entry's header, its sizes checked against what its bytes can hold: a stored entry is as
  /// long as its data, and deflate expands at most about 1032 times (+ a little for tiny entries).
  /// So a header claiming terabytes is refused before anything is allocated for it.
  zip_stat_t stat(const std::string& entry, zip_uint64_t index) const {
    zip_stat_t st;
    zip_stat_init(&st);
    const zip_uint64_t needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if (zip_stat_index(zip_, index, 0, &st) != 0 || (st.valid & needed) != needed) {
      user_error("{}: {}: cannot read entry header", path(), entry);
    }
    if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size) {
      user_error("{}: {}: corrupt entry header: stored entry of {} bytes claims {}", path(), entry,
                 st.comp_size, st.size);
    }
    constexpr uint64_t kMaxExpansion = 1100, kSlack = 4096;
    if (st.comp_method != ZIP_CM_STORE && (st.comp_size > (UINT64_MAX - kSlack) / kMaxExpansion ||
                                           st.size > st.comp_size * kMaxExpansion + kSlack)) {
      user_error("{}: {}: corrupt entry header: {} compressed bytes cannot expand to the {} it claims",
                 path(), entry, st.comp_size, st.size);
    }
    return st;
  }

  std::optional<zip_uint64_t> find(const std::string& entry) const {
    auto it = all_.find(root_ + entry);
    if (it == all_.end()) return std::nullopt;
    return it->second;
  }

  zip_t* zip_;
  std::map<std::string, zip_uint64_t> all_;
  std::string root_;
};

/// An export unpacked into a directory.
class DirectoryArchive final : public Archive {
 public:
  DirectoryArchive(const std::string& path, fs::path root) : Archive(path), root_(std::move(root)) {}

  std::vector<std::string> entries() const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (it->is_regular_file(ec)) out.push_back(fs::relative(it->path(), root_, ec).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<uint64_t> entry_size(const std::string& entry) const override {
    std::error_code ec;
    fs::path p = root_ / entry;
    if (!fs::is_regular_file(p, ec)) return std::nullopt;
    uint64_t size = fs::file_size(p, ec);
    if (ec) return std::nullopt;
    return size;
  }

  uint64_t stored_size(const std::string& entry) const override {
    std::optional<uint64_t> size = entry_size(entry);
    if (!size) user_error("{}: missing file '{}'", path(), entry);
    return *size;
  }

  void read_into(const std::string& entry, uint8_t* out, uint64_t size) const override {
    std::optional<uint64_t> actual = entry_size(entry);
    if (!actual) user_error("{}: missing file '{}'", path(), entry);
    if (*actual != size) user_error("{}: {}: file has {} bytes, expected {}", path(), entry, *actual, size);
    std::ifstream in(root_ / entry, std::ios::binary);
    if (!in || !in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(size))) {
      user_error("{}: {}: cannot read file", path(), entry);
    }
  }

 private:
  fs::path root_;
};

}  // namespace

std::string Archive::read_text(const std::string& entry, uint64_t max_bytes) const {
  std::optional<uint64_t> size = entry_size(entry);
  if (!size) user_error("{}: missing entry '{}'", path(), entry);
  if (*size > max_bytes) user_error("{}: {}: entry too large ({} bytes)", path(), entry, *size);
  if (*size > kCheckedTextBytes) {
    const uint64_t stored = stored_size(entry);
    if (stored == 0 || *size / stored > kMaxTextExpansion) {
      user_error("{}: {}: refusing to expand {} stored bytes to {} (more than {}x: not an export's text)",
                 path(), entry, stored, *size, kMaxTextExpansion);
    }
  }
  std::string text(*size, '\0');
  read_into(entry, reinterpret_cast<uint8_t*>(text.data()), *size);
  return text;
}

namespace {

std::unique_ptr<Archive> open_zip_file(const std::string& path, bool export_root) {
  int error_code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error_code);
  if (zip == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, error_code);
    std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    user_error("{}: not a readable {} archive: {}", path, export_root ? ".pt2 (zip)" : "zip", reason);
  }
  try {
    return std::make_unique<ZipArchive>(path, zip, export_root);
  } catch (...) {
    zip_discard(zip);
    throw;
  }
}

}  // namespace

std::unique_ptr<Archive> Archive::open(const std::string& path) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) user_error("{}: no such file or directory", path);
  if (fs::is_directory(status)) {
    fs::path root(path);
    if (!fs::is_regular_file(root / std::string(kModelJson), ec)) {
      user_error("{}: not an export directory: no models/model.json", path);
    }
    return std::make_unique<DirectoryArchive>(path, root);
  }
  return open_zip_file(path, /*export_root=*/true);
}

std::unique_ptr<Archive> Archive::open_zip(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) user_error("{}: no such file", path);
  return open_zip_file(path, /*export_root=*/false);
}

std::unique_ptr<Archive> Archive::open_directory(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) user_error("{}: not a directory", path);
  return std::make_unique<DirectoryArchive>(path, fs::path(path));
}

}  // namespace aotic::ir
