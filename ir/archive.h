// Where an export's files come from: a `.pt2` zip written by torch.export.save (any top folder
// name, entries stored or deflated, with torch's alignment padding), or a directory holding the
// same tree (`models/model.json`, `data/weights/...`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aotic::ir {

class Archive {
 public:
  /// Opens a `.pt2` file or an export directory. Throws UserError naming `path` when it is
  /// missing, unreadable, not a zip, or holds no `models/model.json`.
  static std::unique_ptr<Archive> open(const std::string& path);
  /// Any zip file, its entries named from the zip's root (no models/model.json required).
  static std::unique_ptr<Archive> open_zip(const std::string& path);
  /// A directory whose files are the entries (no models/model.json required).
  static std::unique_ptr<Archive> open_directory(const std::string& path);

  virtual ~Archive() = default;

  /// What the user named; prefixes every message.
  const std::string& path() const { return path_; }
  /// Entry names relative to the export root ("models/model.json"), sorted.
  virtual std::vector<std::string> entries() const = 0;
  /// Size in bytes, or nullopt when there is no such entry.
  virtual std::optional<uint64_t> entry_size(const std::string& entry) const = 0;
  bool contains(const std::string& entry) const { return entry_size(entry).has_value(); }
  /// Bytes the entry takes in the file (compressed size; the file size for a directory).
  virtual uint64_t stored_size(const std::string& entry) const = 0;
  /// Reads exactly `size` bytes (the entry's whole size) into `out`. Throws UserError
  /// "<path>: <entry>: ..." on a missing entry, a size mismatch, or a read/CRC error.
  virtual void read_into(const std::string& entry, uint8_t* out, uint64_t size) const = 0;
  /// Reads a whole entry as text, refusing entries larger than `max_bytes` and large entries that
  /// expand from far fewer stored bytes than any real export's text does (a zip bomb).
  std::string read_text(const std::string& entry, uint64_t max_bytes = kMaxTextBytes) const;

  /// Text entries (model.json, configs) above this many bytes are refused.
  static constexpr uint64_t kMaxTextBytes = uint64_t{1} << 30;
  /// Text entries above this size may expand at most kMaxTextExpansion times their stored size.
  /// Exported model.json files deflate about 10-50x; a run of spaces deflates about 1000x.
  static constexpr uint64_t kCheckedTextBytes = uint64_t{64} << 20;
  static constexpr uint64_t kMaxTextExpansion = 100;

 protected:
  explicit Archive(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

}  // namespace aotic::ir
