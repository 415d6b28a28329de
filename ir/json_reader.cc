#include "ir/json_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/error.h"

namespace aotic::ir {

namespace {

/// The deepest nesting of objects and arrays accepted. Exports nest about 20 deep (a graph inside
/// a cond inside a graph adds a few); the limit keeps recursive readers' stacks small.
constexpr int kMaxJsonDepth = 256;

/// The deepest nesting of `text`, counted outside strings, stopping once past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_json_document(std::string_view text) {
  if (nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    user_error("invalid JSON: nested more than {} levels deep", kMaxJsonDepth);
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line and column.
    std::string message = e.what();
    size_t tag_end = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && tag_end != std::string::npos) {
      message = message.substr(tag_end + 2);
    }
    user_error("invalid JSON: {}", message);
  }
}

void JsonReader::fail(const std::string& message) const {
  throw UserError(path_.empty() ? message : path_ + ": " + message);
}

void JsonReader::expect_object() const {
  if (!value_->is_object()) fail(fmt::format("expected object, got {}", type_name()));
}

void JsonReader::expect_array() const {
  if (!value_->is_array()) fail(fmt::format("expected array, got {}", type_name()));
}

bool JsonReader::has(const std::string& key) const {
  expect_object();
  return value_->contains(key);
}

JsonReader JsonReader::at(const std::string& key) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end()) fail(fmt::format("missing field '{}'", key));
  return JsonReader(*it, join(key));
}

int64_t JsonReader::get_int() const {
  if (value_->is_number_integer()) {
    if (value_->is_number_unsigned() &&
        value_->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail("integer out of range");
    }
    return value_->get<int64_t>();
  }
  fail(fmt::format("expected integer, got {}", type_name()));
}

double JsonReader::get_float() const {
  if (value_->is_number()) return value_->get<double>();
  if (value_->is_string()) {
    const std::string& s = value_->get_ref<const std::string&>();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "NaN") return std::nan("");
  }
  fail(fmt::format("expected number, got {}", type_name()));
}

bool JsonReader::get_bool() const {
  if (!value_->is_boolean()) fail(fmt::format("expected boolean, got {}", type_name()));
  return value_->get<bool>();
}

std::string JsonReader::get_string() const {
  if (!value_->is_string()) fail(fmt::format("expected string, got {}", type_name()));
  return value_->get<std::string>();
}

std::pair<std::string, JsonReader> JsonReader::union_item(const std::vector<std::string>& keys) const {
  expect_object();
  if (value_->size() != 1) fail(fmt::format("expected one variant, got {}", value_->size()));
  auto it = value_->begin();
  for (const std::string& key : keys) {
    if (key == it.key()) return {key, JsonReader(it.value(), join(key))};
  }
  fail(fmt::format("unknown variant '{}'", it.key()));
}

JsonReader JsonReader::with_label(const std::string& label) const {
  return JsonReader(*value_, label.empty() ? path_ : path_ + " '" + label + "'");
}

}  // namespace aotic::ir
