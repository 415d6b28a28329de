// Two kinds of failure, never mixed (docs: STYLE "errors"):
//  - UserError: the input is bad (corrupt archive, unknown op, symbolic size out of range...).
//    The message is one line that names the place, e.g.
//    "mlp.pt2: models/model.json: node 'addmm_1': unknown target 'aten.foo'".
//  - InternalError: an invariant of aotic itself is broken (a bug). Raised by AOTIC_CHECK.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace aotic {

/// `text` with control characters written as escapes ("\\n", "\\x01"), so that names taken from
/// input (which may hold newlines) cannot break a message into several lines.
inline std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

/// Bad input. `what()` is the complete one-line message shown to the user: whatever the message
/// holds, it is one line (control characters are escaped).
class UserError : public std::runtime_error {
 public:
  explicit UserError(std::string_view message) : std::runtime_error(one_line(message)) {}
};

/// A bug in aotic: an internal invariant does not hold.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Throws UserError with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void user_error(fmt::format_string<Args...> format, Args&&... args) {
  throw UserError(fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] inline void internal_fail(const char* file, int line, const std::string& message) {
  throw InternalError(fmt::format("internal error at {}:{}: {}", file, line, message));
}

/// Prefixes the message of a UserError with a place ("file: ", "node 'x': ") and rethrows.
/// Used as: try { ... } catch (const UserError& e) { rethrow_in(e, "models/model.json"); }
[[noreturn]] inline void rethrow_in(const UserError& error, const std::string& place) {
  throw UserError(place + ": " + error.what());
}

}  // namespace aotic

/// Internal invariant check: a failure is aotic's bug, never the user's.
#define AOTIC_CHECK(cond, message)                                      \
  do {                                                                  \
    if (!(cond)) ::aotic::internal_fail(__FILE__, __LINE__, (message)); \
  } while (0)
