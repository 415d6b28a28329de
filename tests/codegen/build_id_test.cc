// codegen/build_id.h: the hash aotic gives the linker as model.so's build ID.
#include "codegen/build_id.h"

#include <doctest/doctest.h>

#include "tests/test_util.h"

namespace aotic::codegen {
namespace {

std::string id_of(const std::vector<std::string>& inputs) {
  BuildId id;
  for (const std::string& input : inputs) id.add(input);
  return id.hex();
}

TEST_CASE("a build ID is 32 hex digits, the same for the same inputs") {
  const std::string a = id_of({"model.cpp", "int x;", "g++ -O2"});
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id_of({"model.cpp", "int x;", "g++ -O2"}) == a);
}

TEST_CASE("a build ID changes with any input, its order or where one input ends") {
  const std::string a = id_of({"ab", "c"});
  CHECK(id_of({"a", "bc"}) != a);
  CHECK(id_of({"c", "ab"}) != a);
  CHECK(id_of({"ab", "d"}) != a);
  CHECK(id_of({"ab", "c", ""}) != a);
  CHECK(id_of({}) != id_of({""}));
}

TEST_CASE("a file adds its bytes; a missing file adds nothing and says so") {
  const std::string dir = testing::scratch_dir("build-id");
  testing::write_file(dir + "/f", std::string("bytes\0more", 10));
  BuildId from_file;
  CHECK(from_file.add_file(dir + "/f"));
  CHECK(from_file.hex() == id_of({std::string("bytes\0more", 10)}));
  BuildId missing;
  CHECK_FALSE(missing.add_file(dir + "/none"));
  CHECK(missing.hex() == id_of({}));
}

}  // namespace
}  // namespace aotic::codegen
