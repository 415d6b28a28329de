// libFuzzer harness: the bytes are a `.pt2` file, loaded as `aotic compile` loads one (zip
// entries, model.json, verification against the ATen schemas, weights configs and payloads).
#include "ir/load.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = aotic::fuzz::write_scratch(data, size, ".pt2");
  aotic::fuzz::expect_user_errors_only([&] { aotic::ir::load_program(path); });
  return 0;
}
