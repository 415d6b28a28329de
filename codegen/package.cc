#include "codegen/package.h"

#include <zip.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "ir/error.h"
#include "ir/version.h"

namespace aotic::codegen {
namespace {

/// 1980-01-01 00:00 UTC, the earliest time a zip header holds: no build time in the package.
constexpr time_t kFixedTime = 315532800;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) user_error("{}: cannot read", path);
  return bytes;
}

}  // namespace

void write_aoti_package(const std::string& path, const PackageContents& contents) {
  // PyTorch's loader warns when a recorded AOTI_* key differs from the machine loading it, and
  // its AOTI_CPU_ISA names the host's vector ISA ("AVX512"), not a portable level: aotic records
  // its --isa level under its own key. Every value is a string, as the C++ loader requires.
  nlohmann::ordered_json metadata = {
      {"AOTI_DEVICE_KEY", contents.device}, {"AOTI_PLATFORM", "linux"},  {"AOTI_MACHINE", "x86_64"},
      {"AOTIC_ISA", contents.isa},          {"AOTIC_VERSION", kVersion},
  };
  const std::string model_dir = contents.stem + "/data/aotinductor/model/" + contents.stem;
  // Entries in a fixed order; the buffers live until zip_close has written them.
  const std::vector<std::pair<std::string, std::string>> entries = {
      {contents.stem + "/archive_format", "pt2"},
      {contents.stem + "/archive_version", "0"},
      {contents.stem + "/byteorder", "little"},
      {contents.stem + "/.data/version", "6\n"},
      {model_dir + ".wrapper.cpp", contents.model_cpp},
      {model_dir + ".wrapper_metadata.json", metadata.dump()},
      {model_dir + ".wrapper.so", read_bytes(contents.model_so)},
  };
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) user_error("{}: cannot write the package", path);
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
    const zip_int64_t index =
        source == nullptr ? -1 : zip_file_add(zip, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      if (source != nullptr) zip_source_free(source);
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      user_error("{}: cannot add {} to the package: {}", path, name, reason);
    }
    const auto i = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(zip, i, ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(zip, i, kFixedTime, 0) != 0) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      user_error("{}: cannot write the package: {}", path, reason);
    }
  }
  if (zip_close(zip) != 0) {
    const std::string reason = zip_strerror(zip);
    zip_discard(zip);
    user_error("{}: cannot write the package: {}", path, reason);
  }
}

}  // namespace aotic::codegen
