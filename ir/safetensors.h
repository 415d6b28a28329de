// Safetensors files: an 8-byte little-endian header length, a JSON header
// ({name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}),
// then the raw bytes. Used for `--weights FILE.safetensors` and for run-time inputs/outputs.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "ir/dtype.h"

namespace aotic::ir {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // from the start of the file
  uint64_t nbytes = 0;
};

class SafetensorsFile {
 public:
  /// Opens and validates the header: offsets inside the file, byte counts equal to
  /// numel * itemsize, known dtypes. Throws UserError "<path>: ..." otherwise.
  static SafetensorsFile open(const std::string& path);

  const std::string& path() const { return path_; }
  /// Entries sorted by name.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry* find(const std::string& name) const;
  /// Reads one entry's bytes into `out` (entry.nbytes bytes).
  void read(const SafetensorsEntry& entry, uint8_t* out) const;

 private:
  std::string path_;
  std::vector<SafetensorsEntry> entries_;
};

/// One tensor to write: contiguous bytes of `shape` and `dtype`.
struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;
};

/// Writes a safetensors file (entries sorted by name, header padded to 8 bytes). Writes to a
/// temporary file beside `path` and renames it, so a failure leaves nothing half-written.
void write_safetensors(const std::string& path, std::vector<SafetensorsTensor> tensors);

}  // namespace aotic::ir
