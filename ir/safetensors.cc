#include "ir/safetensors.h"

#include <algorithm>
#include <filesystem>

#include "ir/error.h"
#include "ir/json_reader.h"

namespace aotic::ir {

namespace {
/// Headers larger than this are refused (the format's own reference reader uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;
}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) user_error("{}: no such file", path);
  uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) user_error("{}: cannot read file size", path);
  std::ifstream in(path, std::ios::binary);
  uint8_t len_bytes[8];
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(len_bytes), 8)) {
    user_error("{}: not a safetensors file: shorter than its 8-byte header length", path);
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeaderBytes || header_len > file_size - 8) {
    user_error("{}: not a safetensors file: header length {} exceeds the file ({} bytes)", path, header_len,
               file_size);
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len)))
    user_error("{}: cannot read header", path);

  SafetensorsFile file;
  file.path_ = path;
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;
  try {
    nlohmann::json doc = parse_json_document(header);
    JsonReader root(doc, "header");
    root.for_each_member([&](const std::string& name, const JsonReader& v) {
      if (name == "__metadata__") return;
      SafetensorsEntry e;
      e.name = name;
      std::string dtype = v.at("dtype").get_string();
      std::optional<DType> parsed = dtype_from_safetensors_name(dtype);
      if (!parsed) v.at("dtype").fail(fmt::format("unknown dtype '{}'", dtype));
      e.dtype = *parsed;
      uint64_t numel = 1;
      v.at("shape").for_each([&](const JsonReader& d) {
        int64_t size = d.get_int();
        if (size < 0) d.fail("negative size");
        if (__builtin_mul_overflow(numel, static_cast<uint64_t>(size), &numel)) d.fail("size overflows");
        e.shape.push_back(size);
      });
      JsonReader offsets = v.at("data_offsets");
      std::vector<int64_t> be;
      offsets.for_each([&](const JsonReader& o) { be.push_back(o.get_int()); });
      if (be.size() != 2 || be[0] < 0 || be[1] < be[0]) offsets.fail("expected [begin, end]");
      uint64_t begin = static_cast<uint64_t>(be[0]), end = static_cast<uint64_t>(be[1]);
      if (end > data_size) offsets.fail(fmt::format("end {} is past the data ({} bytes)", end, data_size));
      uint64_t expected = 0;
      if (__builtin_mul_overflow(numel, dtype_itemsize(e.dtype), &expected) || expected != end - begin) {
        offsets.fail(
            fmt::format("holds {} bytes, but {} of {} needs {}", end - begin, numel, dtype, expected));
      }
      e.offset = data_start + begin;
      e.nbytes = end - begin;
      file.entries_.push_back(std::move(e));
    });
  } catch (const UserError& e) {
    rethrow_in(e, path);
  }
  std::sort(file.entries_.begin(), file.entries_.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.name < b.name; });
  return file;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const SafetensorsEntry& e, const std::string& n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

void SafetensorsFile::read(const SafetensorsEntry& entry, uint8_t* out) const {
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(entry.offset));
  if (!in || !in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(entry.nbytes))) {
    user_error("{}: '{}': cannot read {} bytes at offset {}", path_, entry.name, entry.nbytes, entry.offset);
  }
}

void write_safetensors(const std::string& path, std::vector<SafetensorsTensor> tensors) {
  std::sort(tensors.begin(), tensors.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) { return a.name < b.name; });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const SafetensorsTensor& t : tensors) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) numel *= static_cast<uint64_t>(d);
    AOTIC_CHECK(numel * dtype_itemsize(t.dtype) == t.nbytes, "safetensors: byte count does not match shape");
    header[t.name] = {{"dtype", std::string(dtype_safetensors_name(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    uint64_t len = text.size();
    char len_bytes[8];
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
    out.write(len_bytes, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const SafetensorsTensor& t : tensors) {
      out.write(reinterpret_cast<const char*>(t.data), static_cast<std::streamsize>(t.nbytes));
    }
    if (!out.flush()) {
      std::filesystem::remove(tmp);
      user_error("{}: cannot write file", path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    user_error("{}: cannot write file: {}", path, ec.message());
  }
}

}  // namespace aotic::ir
