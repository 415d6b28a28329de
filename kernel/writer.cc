#include "kernel/writer.h"

#include <cmath>
#include <vector>

namespace aotic::kernel {

void CodeWriter::line(std::string_view text) {
  if (!text.empty()) text_.append(static_cast<size_t>(depth_) * 2, ' ');
  text_ += text;
  text_ += '\n';
}

namespace {

/// `text` split after each ", " that is outside a string literal (the ", " stays with the piece).
std::vector<std::string> split_items(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    current += c;
    if (in_string && c == '\\' && i + 1 < text.size()) {
      current += text[++i];
      continue;
    }
    if (c == '"') in_string = !in_string;
    // After ", " and, for a long conditional, after " ? " and " : ".
    const bool after_comma = i > 0 && text[i - 1] == ',';
    const bool after_ternary = i > 1 && (text[i - 1] == '?' || text[i - 1] == ':') && text[i - 2] == ' ';
    if (!in_string && c == ' ' && (after_comma || after_ternary)) {
      items.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) items.push_back(current);
  return items;
}

/// A piece that is one string literal (plus a trailing ", " or ","), as adjacent literals of at
/// most `room` characters each; the piece itself otherwise.
std::vector<std::string> split_literal(const std::string& piece, size_t room) {
  const size_t close = piece.rfind('"');
  if (piece.size() < 2 || piece[0] != '"' || close == 0 || room < 8) return {piece};
  const std::string body = piece.substr(1, close - 1);
  const std::string tail = piece.substr(close + 1);
  std::vector<std::string> out;
  std::string chunk;
  for (size_t i = 0; i < body.size(); ++i) {
    std::string unit(1, body[i]);
    if (body[i] == '\\' && i + 1 < body.size()) unit += body[++i];  // never split an escape
    if (chunk.size() + unit.size() + 2 > room) {
      out.push_back("\"" + chunk + "\"");
      chunk.clear();
    }
    chunk += unit;
  }
  out.push_back("\"" + chunk + "\"" + tail);
  return out;
}

}  // namespace

void CodeWriter::wrapped(std::string_view text, size_t width) {
  const size_t indent = static_cast<size_t>(depth_) * 2;
  if (indent + text.size() <= width) {
    line(text);
    return;
  }
  const size_t room = width > indent + 4 ? width - indent - 4 : 8;
  std::vector<std::string> lines;
  std::string current;
  for (const std::string& item : split_items(text)) {
    std::vector<std::string> parts =
        item.size() > room ? split_literal(item, room) : std::vector<std::string>{item};
    for (const std::string& part : parts) {
      if (!current.empty() && current.size() + part.size() > room) {
        lines.push_back(current);
        current.clear();
      }
      current += part;
    }
    if (parts.size() > 1) {  // a split literal ends its line
      lines.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) lines.push_back(current);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    while (!l.empty() && l.back() == ' ') l.pop_back();
    line((i == 0 ? "" : "    ") + l);
  }
}

void CodeWriter::open(std::string_view header) {
  line(header.empty() ? std::string("{") : std::string(header) + " {");
  ++depth_;
}

void CodeWriter::open_wrapped(std::string_view header, size_t width) {
  wrapped(std::string(header) + " {", width);
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

}  // namespace aotic::kernel
