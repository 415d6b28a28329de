// The one writer of emitted text (generated model.cpp, assembly): indentation, scopes and
// deterministic unique names live here, so no other file builds code with string concatenation.
#pragma once

#include <fmt/format.h>

#include <set>
#include <string>
#include <string_view>

namespace aotic::kernel {

class CodeWriter {
 public:
  /// One line at the current indentation.
  void line(std::string_view text);
  template <typename... Args>
  void linef(fmt::format_string<Args...> format, Args&&... args) {
    line(fmt::format(format, std::forward<Args>(args)...));
  }
  void blank() { text_ += '\n'; }
  /// One line, or several when it is longer than `width`: broken after ", ", " ? " and " : "
  /// outside string literals, continuation lines indented four more; a string literal too long
  /// for a line is split into adjacent literals.
  void wrapped(std::string_view text, size_t width = 110);
  /// "header {" and one more level of indentation.
  void open(std::string_view header);
  /// The same, the header wrapped as wrapped() does (a long signature or call).
  void open_wrapped(std::string_view header, size_t width = 110);
  /// One level less and the closing text ("}", "};", "}  // namespace x").
  void close(std::string_view closing = "}");
  /// Closes and opens a scope on one line: "} else {".
  void reopen(std::string_view text);
  /// Text copied verbatim (a template's content).
  void raw(std::string_view text) { text_ += text; }

  /// `base` if unused so far, else base_1, base_2, ... (first come, first served: deterministic
  /// as long as callers ask in graph order).
  std::string unique_name(const std::string& base);

  const std::string& text() const { return text_; }
  /// The current indentation level.
  int depth() const { return depth_; }

 private:
  std::string text_;
  int depth_ = 0;
  std::set<std::string> used_;
};

/// A valid, non-reserved C++ identifier for `name` (export value names are Python identifiers;
/// anything else is mapped to '_').
std::string cpp_identifier(std::string_view name);

/// A C++ string literal for `text`.
std::string cpp_string(std::string_view text);

/// A C++ double literal that reads back to exactly `value` ("1.0", "-0.5", "1e-05",
/// "std::numeric_limits<double>::infinity()").
std::string cpp_double(double value);

}  // namespace aotic::kernel
