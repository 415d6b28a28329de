#include "codegen/writer.h"

#include <cmath>

namespace aotic::codegen {

void CodeWriter::line(std::string_view text) {
  if (!text.empty()) text_.append(static_cast<size_t>(depth_) * 2, ' ');
  text_ += text;
  text_ += '\n';
}

void CodeWriter::open(std::string_view header) {
  line(header.empty() ? std::string("{") : std::string(header) + " {");
  ++depth_;
}

void CodeWriter::close(std::string_view closing) {
  if (depth_ > 0) --depth_;
  line(closing);
}

void CodeWriter::reopen(std::string_view text) {
  if (depth_ > 0) --depth_;
  line(text);
  ++depth_;
}

std::string CodeWriter::unique_name(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name) != 0; ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

std::string cpp_identifier(std::string_view name) {
  static const std::set<std::string> kReserved = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
      "constexpr", "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export",
      "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
      "namespace", "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public",
      "register", "return", "short", "signed", "sizeof", "static", "struct", "switch", "template", "this",
      "throw", "true", "try", "typedef", "typename", "union", "unsigned", "using", "virtual", "void",
      "volatile", "while", "xor",
      // Names the generated code itself uses.
      "state", "inputs", "outputs", "check", "run", "std", "aotic"};
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  // Leading digits and identifiers reserved to the implementation (_X, __x) get a prefix.
  if (out.empty() || (out[0] >= '0' && out[0] <= '9') ||
      (out[0] == '_' && out.size() > 1 && (out[1] == '_' || (out[1] >= 'A' && out[1] <= 'Z')))) {
    out = "v" + out;
  }
  if (kReserved.count(out) != 0) out = "v_" + out;
  return out;
}

std::string cpp_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 32 && c < 127 && c != '?') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\{:03o}", c);
    }
  }
  return out + "\"";
}

std::string cpp_double(double value) {
  if (std::isnan(value)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(value))
    return value > 0 ? "std::numeric_limits<double>::infinity()" : "-std::numeric_limits<double>::infinity()";
  std::string text = fmt::format("{}", value);  // shortest text that reads back exactly
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

}  // namespace aotic::codegen
