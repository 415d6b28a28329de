// libFuzzer harness: the bytes are a .safetensors file (weights or run inputs), opened and every
// tensor read.
#include <vector>

#include "ir/safetensors.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = aotic::fuzz::write_scratch(data, size, ".safetensors");
  aotic::fuzz::expect_user_errors_only([&] {
    const aotic::ir::SafetensorsFile file = aotic::ir::SafetensorsFile::open(path);
    for (const aotic::ir::SafetensorsEntry& entry : file.entries()) {
      if (entry.nbytes > size) std::abort();  // validated against the file before any allocation
      std::vector<uint8_t> bytes(entry.nbytes);
      file.read(entry, bytes.data());
    }
  });
  return 0;
}
