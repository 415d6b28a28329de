#include "codegen/build_id.h"

#include <cstdint>
#include <fstream>
#include <vector>

#include <fmt/format.h>

// Header-only: the model compiler needs no libxxhash.so at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace aotic::codegen {

struct BuildId::State {
  XXH3_state_t xxh;
};

BuildId::BuildId() : state_(std::make_unique<State>()) { XXH3_128bits_reset(&state_->xxh); }

BuildId::~BuildId() = default;

void BuildId::add(std::string_view bytes) {
  const uint64_t size = bytes.size();
  XXH3_128bits_update(&state_->xxh, &size, sizeof size);
  XXH3_128bits_update(&state_->xxh, bytes.data(), bytes.size());
}

bool BuildId::add_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return false;
  add(bytes);
  return true;
}

std::string BuildId::hex() const {
  const XXH128_hash_t h = XXH3_128bits_digest(&state_->xxh);
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

}  // namespace aotic::codegen
