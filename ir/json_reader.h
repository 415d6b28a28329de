// Typed, path-aware access to a parsed JSON document: every failure names where in the document
// it happened ("graph_module.graph.nodes[3] 'addmm_1'.inputs[0]: expected integer, got string").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aotic::ir {

/// Parses a whole document; UserError "invalid JSON: ..." (with line and column) on bad text.
nlohmann::json parse_json_document(std::string_view text);

class JsonReader {
 public:
  JsonReader(const nlohmann::json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const nlohmann::json& value() const { return *value_; }

  bool is_null() const { return value_->is_null(); }
  /// True when this is an object with member `key`. Fails when this is not an object.
  bool has(const std::string& key) const;
  /// The member `key`; fails with "missing field 'key'" when absent.
  JsonReader at(const std::string& key) const;

  int64_t get_int() const;
  /// A number; also accepts the strings "Infinity", "-Infinity" and "NaN".
  double get_float() const;
  bool get_bool() const;
  std::string get_string() const;

  /// Calls `f(item)` for each element of an array.
  template <typename F>
  void for_each(F&& f) const {
    expect_array();
    for (size_t i = 0; i < value_->size(); ++i) {
      f(JsonReader((*value_)[i], path_ + "[" + std::to_string(i) + "]"));
    }
  }

  /// Calls `f(key, item)` for each member of an object, in key order.
  template <typename F>
  void for_each_member(F&& f) const {
    expect_object();
    for (auto it = value_->begin(); it != value_->end(); ++it) {
      f(it.key(), JsonReader(it.value(), join(it.key())));
    }
  }

  /// A serialized union: an object with exactly one member whose key is one of `keys`.
  /// Fails with "unknown variant 'as_foo'" or "expected one variant, got N".
  std::pair<std::string, JsonReader> union_item(const std::vector<std::string>& keys) const;

  /// The same value, with a readable label added to the path (a node's name).
  JsonReader with_label(const std::string& label) const;

  /// Throws UserError "<path>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  void expect_object() const;
  void expect_array() const;
  std::string join(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const char* type_name() const { return value_->type_name(); }

  const nlohmann::json* value_;
  std::string path_;
};

}  // namespace aotic::ir
