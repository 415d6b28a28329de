// libFuzzer harness: the bytes are a model.json, parsed and verified against the ATen schemas
// (the archive layer skipped, so mutations reach the graph reader directly).
#include "ir/builtin_schemas.h"
#include "ir/model_json.h"
#include "ir/verify.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  aotic::fuzz::expect_user_errors_only([&] {
    aotic::ir::Program program;
    program.source = "fuzz.json";
    aotic::ir::parse_model_json(text, program);
    aotic::ir::verify_program(program, aotic::ir::builtin_schemas());
  });
  return 0;
}
