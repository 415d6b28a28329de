// Corrupts real archives in many ways and checks that loading each one either succeeds or fails
// with a one-line UserError naming the file: never a crash, a hang or an internal error.
// Deterministic (fixed seeds); runs in seconds.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <random>

#include "ir/error.h"
#include "ir/load.h"
#include "tests/test_util.h"

namespace aotic::ir {
namespace {

using nlohmann::json;

struct Outcome {
  int loaded = 0;
  int rejected = 0;
};

/// Loads `path`; records the outcome; fails the test on anything but success or a clean UserError.
void try_load(const std::string& path, Outcome& outcome, const std::string& what) {
  try {
    load_program(path);
    ++outcome.loaded;
  } catch (const UserError& e) {
    std::string message = e.what();
    CAPTURE(what);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.rfind(path, 0) == 0);  // names the file first
    ++outcome.rejected;
  } catch (const std::exception& e) {
    FAIL_CHECK(what << ": not a user error: " << e.what());
  }
}

const char* kArchives[] = {"tests/data/fixtures/mlp.pt2", "tests/data/fixtures/small_cnn.core.pt2",
                           "tests/data/extra/cond.pt2"};

TEST_CASE("truncated archives") {
  std::string dir = testing::scratch_dir("truncate");
  for (const char* archive : kArchives) {
    std::string bytes = testing::read_file(testing::repo_path(archive));
    REQUIRE(!bytes.empty());
    std::vector<size_t> cuts;
    for (size_t i = 0; i < 64; ++i) cuts.push_back(i);
    for (size_t i = 1; i < 150; ++i) cuts.push_back(bytes.size() * i / 150);
    for (size_t i = 1; i <= 64; ++i) cuts.push_back(bytes.size() - i);
    Outcome outcome;
    for (size_t cut : cuts) {
      std::string path = dir + "/t.pt2";
      testing::write_file(path, bytes.substr(0, cut));
      try_load(path, outcome, std::string(archive) + " cut at " + std::to_string(cut));
    }
    CHECK(outcome.loaded == 0);  // a zip loses its directory when truncated
  }
}

TEST_CASE("byte flips") {
  std::string dir = testing::scratch_dir("flip");
  std::mt19937 rng(1234);
  for (const char* archive : kArchives) {
    std::string bytes = testing::read_file(testing::repo_path(archive));
    Outcome outcome;
    for (int round = 0; round < 300; ++round) {
      std::string mutated = bytes;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        // Half the flips land in the last 4 KiB, where the zip's directory lives.
        size_t pos = (rng() % 2) ? rng() % bytes.size()
                                 : bytes.size() - 1 - rng() % std::min<size_t>(4096, bytes.size());
        mutated[pos] = static_cast<char>(mutated[pos] ^ static_cast<char>(1 + rng() % 255));
      }
      std::string path = dir + "/f.pt2";
      testing::write_file(path, mutated);
      try_load(path, outcome, std::string(archive) + " flip round " + std::to_string(round));
    }
    MESSAGE(std::string(archive) << ": " << outcome.loaded << " loaded, " << outcome.rejected << " rejected");
    CHECK(outcome.rejected > 0);
  }
}

/// Every node of a JSON document, as a pointer.
void collect(const json& value, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) collect(it.value(), at / it.key(), out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) collect(value[i], at / i, out);
  }
}

json random_value(std::mt19937& rng) {
  switch (rng() % 12) {
    case 0:
      return nullptr;
    case 1:
      return true;
    case 2:
      return -1;
    case 3:
      return 0;
    case 4:
      return INT64_MAX;
    case 5:
      return 1e300;
    case 6:
      return "";
    case 7:
      return "Symbol('s0')) + (";
    case 8:
      return json::array();
    case 9:
      return json::object();
    case 10:
      return json{{"as_foo", 1}};
    default:
      return "torch.ops.aten.nope.default";
  }
}

TEST_CASE("JSON edits of model.json and the weight configs") {
  std::string dir = testing::scratch_dir("json");
  std::mt19937 rng(99);
  for (const char* archive : kArchives) {
    std::string root = dir + "/export";
    std::filesystem::remove_all(root);
    testing::unpack(testing::repo_path(archive), root);
    for (const char* file : {"models/model.json", "data/weights/model_weights_config.json"}) {
      const std::string original = testing::read_file(root + "/" + file);
      const json doc = json::parse(original);
      std::vector<json::json_pointer> pointers;
      collect(doc, json::json_pointer(), pointers);
      Outcome outcome;
      for (int round = 0; round < 400; ++round) {
        json mutated = doc;
        const json::json_pointer& at = pointers[rng() % pointers.size()];
        int action = static_cast<int>(rng() % 4);
        if (at.empty()) {
          mutated = random_value(rng);
        } else if (action == 0) {  // delete
          json& parent = mutated[at.parent_pointer()];
          if (parent.is_object())
            parent.erase(at.back());
          else
            parent.erase(std::stoul(at.back()));
        } else if (action == 1 && mutated[at].is_number_integer()) {  // nudge a number
          mutated[at] = mutated[at].get<int64_t>() + static_cast<int64_t>(rng() % 7) - 3;
        } else if (action == 2 && mutated[at].is_array() && !mutated[at].empty()) {  // duplicate
          mutated[at].push_back(mutated[at][0]);
        } else {  // replace with a value of another type
          mutated[at] = random_value(rng);
        }
        testing::write_file(root + "/" + file, mutated.dump());
        try_load(root, outcome, std::string(archive) + " " + file + " at " + at.to_string());
      }
      testing::write_file(root + "/" + file, original);
      MESSAGE(std::string(archive) << " " << file << ": " << outcome.loaded << " loaded, " << outcome.rejected
                                   << " rejected");
      CHECK(outcome.rejected > 0);
    }
  }
}

TEST_CASE("pathological JSON text") {
  std::string dir = testing::scratch_dir("text");
  testing::unpack(testing::repo_path("tests/data/fixtures/mlp.pt2"), dir);
  Outcome outcome;
  const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
  const std::string deep_object = [] {
    std::string s;
    for (int i = 0; i < 50000; ++i) s += "{\"a\":";
    s += "1";
    return s + std::string(50000, '}');
  }();
  for (const std::string& text :
       {std::string(""), std::string("{"), std::string("null"), std::string("\xff\xfe"), deep_array,
        deep_object, std::string("{\"schema_version\": {\"major\": 8}}")}) {
    testing::write_file(dir + "/models/model.json", text);
    try_load(dir, outcome, "text of " + std::to_string(text.size()) + " bytes");
  }
  CHECK(outcome.loaded == 0);
}

}  // namespace
}  // namespace aotic::ir
