#include "ir/op_schema.h"

#include <fmt/format.h>

#include <utility>

#include "ir/error.h"

namespace aotic::ir {
namespace {

using Kind = SchemaType::Kind;

struct KindSpelling {
  Kind kind;
  std::string_view spelling;
};

/// Types written as a bare name. Dimname prints as "str" in PyTorch 2.x schemas, but the name
/// still parses.
constexpr KindSpelling kNamedKinds[] = {
    {Kind::Tensor, "Tensor"},
    {Kind::Int, "int"},
    {Kind::SymInt, "SymInt"},
    {Kind::Float, "float"},
    {Kind::SymFloat, "SymFloat"},
    {Kind::Bool, "bool"},
    {Kind::SymBool, "SymBool"},
    {Kind::Str, "str"},
    {Kind::Scalar, "Scalar"},
    {Kind::ScalarType, "ScalarType"},
    {Kind::Layout, "Layout"},
    {Kind::Device, "Device"},
    {Kind::MemoryFormat, "MemoryFormat"},
    {Kind::Generator, "Generator"},
    {Kind::Dimname, "Dimname"},
    {Kind::Storage, "Storage"},
    {Kind::Stream, "Stream"},
    {Kind::QScheme, "QScheme"},
    {Kind::Complex, "complex"},
    {Kind::Any, "Any"},
    {Kind::AnyEnumType, "AnyEnumType"},
    {Kind::AnyClassType, "AnyClassType"},
    {Kind::NoneType, "NoneType"},
};

/// Types written as "Name(T)".
constexpr KindSpelling kWrapperKinds[] = {
    {Kind::Future, "Future"},
    {Kind::RRef, "RRef"},
    {Kind::Await, "Await"},
};

constexpr std::string_view kClassPrefix = "__torch__.";

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void append_sets(std::string& out, const std::vector<std::string>& sets) {
  for (size_t i = 0; i < sets.size(); ++i) {
    if (i > 0) out += '|';
    out += sets[i];
  }
}

/// Appends `type` with `alias` (may be null) at the place AliasInfo::on_container names.
void append_type(std::string& out, const SchemaType& type, const AliasInfo* alias) {
  std::vector<const SchemaType*> wrappers;  // outermost first
  const SchemaType* base = &type;
  while ((base->kind == Kind::List || base->kind == Kind::Optional) && base->elems.size() == 1) {
    wrappers.push_back(base);
    base = &base->elems[0];
  }
  switch (base->kind) {
    case Kind::TypeVar:
    case Kind::Other:
      out += base->name;
      break;
    case Kind::Tuple:
      out += '(';
      for (size_t i = 0; i < base->elems.size(); ++i) {
        if (i > 0) out += ", ";
        append_type(out, base->elems[i], nullptr);
      }
      out += ')';
      break;
    case Kind::Dict:
      AOTIC_CHECK(base->elems.size() == 2, "Dict type without key and value");
      out += "Dict(";
      append_type(out, base->elems[0], nullptr);
      out += ", ";
      append_type(out, base->elems[1], nullptr);
      out += ')';
      break;
    case Kind::Future:
    case Kind::RRef:
    case Kind::Await: {
      AOTIC_CHECK(base->elems.size() == 1, "wrapper type without an element type");
      for (const KindSpelling& w : kWrapperKinds) {
        if (w.kind == base->kind) out += w.spelling;
      }
      out += '(';
      append_type(out, base->elems[0], nullptr);
      out += ')';
      break;
    }
    default: {
      bool found = false;
      for (const KindSpelling& k : kNamedKinds) {
        if (k.kind == base->kind) {
          out += k.spelling;
          found = true;
          break;
        }
      }
      AOTIC_CHECK(found, "schema type kind without a spelling");
    }
  }
  bool alias_pending = alias != nullptr;
  if (alias_pending && !alias->on_container) {
    out += alias->to_string();
    alias_pending = false;
  }
  for (auto it = wrappers.rbegin(); it != wrappers.rend(); ++it) {
    const SchemaType& w = **it;
    if (w.kind == Kind::Optional) {
      out += '?';
      continue;
    }
    out += '[';
    if (w.fixed_size) out += std::to_string(*w.fixed_size);
    out += ']';
    if (alias_pending) {
      out += alias->to_string();
      alias_pending = false;
    }
  }
  AOTIC_CHECK(!alias_pending, "container alias on a type that is not a list");
}

void append_argument(std::string& out, const SchemaArgument& arg) {
  append_type(out, arg.type, arg.alias ? &*arg.alias : nullptr);
  if (!arg.name.empty()) {
    out += ' ';
    out += arg.name;
  }
  if (arg.default_text) {
    out += '=';
    out += *arg.default_text;
  }
}

/// Recursive-descent parser over one schema line. Every failure throws through fail(), which
/// names the column of the current position.
class Parser {
 public:
  Parser(std::string_view text, std::string_view where) : text_(text), where_(where) {}

  OpSchema parse() {
    skip_blanks();
    if (at_end()) fail("empty schema");
    OpSchema schema;
    parse_name(schema);
    expect('(', "'(' after the operator name");
    parse_arguments(schema);
    skip_blanks();
    if (!consume("->")) fail("expected '->'");
    skip_blanks();
    parse_returns(schema);
    skip_blanks();
    if (!at_end()) fail("unexpected text after the schema");
    return schema;
  }

 private:
  [[noreturn]] void fail(std::string_view reason) const { fail_at(pos_, reason); }
  [[noreturn]] void fail_at(size_t pos, std::string_view reason) const {
    user_error("{}: cannot parse schema '{}': {} at column {}", where_, text_, reason, pos + 1);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_blanks() {
    while (!at_end() && is_blank(text_[pos_])) ++pos_;
  }
  bool consume(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(char c, std::string_view what) {
    if (peek() != c) fail(fmt::format("expected {}", what));
    ++pos_;
  }

  /// An identifier at the current position, or an empty view when there is none.
  std::string_view ident() {
    size_t start = pos_;
    if (!at_end() && is_ident_start(text_[pos_])) {
      while (!at_end() && is_ident_char(text_[pos_])) ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  void parse_name(OpSchema& schema) {
    std::string_view ns = ident();
    if (ns.empty()) fail("expected an operator namespace");
    if (!consume("::")) fail("expected '::' after the namespace");
    std::string_view name = ident();
    if (name.empty()) fail("expected an operator name");
    schema.ns = ns;
    schema.name = name;
    if (peek() == '.') {
      ++pos_;
      size_t start = pos_;
      while (!at_end() && is_ident_char(text_[pos_])) ++pos_;
      if (pos_ == start) fail("expected an overload name");
      schema.overload = text_.substr(start, pos_ - start);
      if (schema.overload == "default") fail_at(start, "overload name 'default' is reserved");
    }
  }

  void parse_arguments(OpSchema& schema) {
    skip_blanks();
    if (peek() == ')') {
      ++pos_;
      return;
    }
    bool kwarg_only = false;
    while (true) {
      skip_blanks();
      if (consume("...")) {
        schema.is_vararg = true;
        skip_blanks();
        expect(')', "')' after '...'");
        return;
      }
      if (peek() == '*' && !kwarg_only) {
        ++pos_;
        kwarg_only = true;
        skip_blanks();
        expect(',', "',' after '*'");
        continue;
      }
      SchemaArgument arg = parse_argument(/*is_return=*/false);
      arg.kwarg_only = kwarg_only;
      schema.arguments.push_back(std::move(arg));
      skip_blanks();
      if (peek() == ')') {
        ++pos_;
        return;
      }
      expect(',', "',' or ')'");
    }
  }

  void parse_returns(OpSchema& schema) {
    if (consume("...")) {
      schema.is_varret = true;
      return;
    }
    if (peek() != '(') {
      schema.returns.push_back(parse_argument(/*is_return=*/true));
      return;
    }
    ++pos_;
    skip_blanks();
    if (peek() == ')') {
      ++pos_;
      return;
    }
    while (true) {
      skip_blanks();
      if (consume("...")) {
        schema.is_varret = true;
        skip_blanks();
        expect(')', "')' after '...'");
        return;
      }
      schema.returns.push_back(parse_argument(/*is_return=*/true));
      skip_blanks();
      if (peek() == ')') {
        ++pos_;
        return;
      }
      expect(',', "',' or ')'");
    }
  }

  SchemaArgument parse_argument(bool is_return) {
    SchemaArgument arg;
    arg.type = parse_type(&arg.alias);
    size_t before_blanks = pos_;
    skip_blanks();
    if (pos_ > before_blanks && is_ident_start(peek())) {
      arg.name = ident();
      skip_blanks();
    } else if (!is_return) {
      fail("expected an argument name");
    }
    if (peek() == '=') {
      if (is_return) fail("default value on a return");
      ++pos_;
      skip_blanks();
      arg.default_text = std::string(parse_default());
    }
    return arg;
  }

  /// The raw text of a default value: a string literal, a bracketed list or a plain token.
  std::string_view parse_default() {
    size_t start = pos_;
    char c = peek();
    if (c == '"' || c == '\'') {
      skip_string();
    } else if (c == '[') {
      int depth = 0;
      while (true) {
        if (at_end()) fail_at(start, "unterminated list default");
        char d = text_[pos_];
        if (d == '"' || d == '\'') {
          skip_string();
          continue;
        }
        ++pos_;
        if (d == '[') ++depth;
        if (d == ']' && --depth == 0) break;
      }
    } else {
      while (!at_end() && (is_ident_char(peek()) || peek() == '.' || peek() == '-' || peek() == '+')) {
        ++pos_;
      }
      if (pos_ == start) fail("expected a default value");
    }
    return text_.substr(start, pos_ - start);
  }

  void skip_string() {
    size_t start = pos_;
    char quote = text_[pos_++];
    while (true) {
      if (at_end()) fail_at(start, "unterminated string default");
      char c = text_[pos_++];
      if (c == quote) return;
      if (c == '\\') {
        if (at_end()) fail_at(start, "unterminated string default");
        ++pos_;
      }
    }
  }

  /// A type with its suffixes. With `alias` non-null, one alias annotation may follow the element
  /// type or the first list suffix; it is stored there.
  SchemaType parse_type(std::optional<AliasInfo>* alias) {
    SchemaType type = parse_base_type();
    if (peek() == '(') {
      if (alias == nullptr) fail("alias annotation not allowed here");
      *alias = parse_alias();
    }
    bool seen_list = false;
    while (true) {
      char c = peek();
      if (c == '?') {
        ++pos_;
        type = wrap(Kind::Optional, std::move(type));
      } else if (c == '[') {
        ++pos_;
        std::optional<int64_t> size;
        if (is_digit(peek())) {
          size_t start = pos_;
          int64_t n = 0;
          while (is_digit(peek())) {
            if (n > (INT64_MAX - 9) / 10) fail_at(start, "list size too large");
            n = n * 10 + (text_[pos_++] - '0');
          }
          size = n;
        }
        expect(']', "']'");
        type = wrap(Kind::List, std::move(type));
        type.fixed_size = size;
        if (peek() == '(') {
          if (alias == nullptr || seen_list || alias->has_value()) {
            fail("misplaced alias annotation");
          }
          *alias = parse_alias();
          (*alias)->on_container = true;
        }
        seen_list = true;
      } else if (c == '(') {
        fail("misplaced alias annotation");
      } else {
        return type;
      }
    }
  }

  static SchemaType wrap(Kind kind, SchemaType elem) {
    SchemaType type;
    type.kind = kind;
    type.elems.push_back(std::move(elem));
    return type;
  }

  SchemaType parse_base_type() {
    size_t start = pos_;
    SchemaType type;
    if (peek() == '(') {
      ++pos_;
      type.kind = Kind::Tuple;
      skip_blanks();
      if (peek() == ')') {
        ++pos_;
        return type;
      }
      while (true) {
        skip_blanks();
        type.elems.push_back(parse_type(nullptr));
        skip_blanks();
        if (peek() == ')') {
          ++pos_;
          return type;
        }
        expect(',', "',' or ')' in a tuple type");
      }
    }
    std::string_view name = ident();
    if (name.empty()) fail("expected a type");
    if (name == "Dict") {
      type.kind = Kind::Dict;
      expect('(', "'(' after 'Dict'");
      skip_blanks();
      type.elems.push_back(parse_type(nullptr));
      skip_blanks();
      expect(',', "',' between the key and value types");
      skip_blanks();
      type.elems.push_back(parse_type(nullptr));
      skip_blanks();
      expect(')', "')' after the value type");
      return type;
    }
    for (const KindSpelling& w : kWrapperKinds) {
      if (name == w.spelling) {
        type.kind = w.kind;
        expect('(', fmt::format("'(' after '{}'", name));
        skip_blanks();
        type.elems.push_back(parse_type(nullptr));
        skip_blanks();
        expect(')', "')' after the element type");
        return type;
      }
    }
    for (const KindSpelling& k : kNamedKinds) {
      if (name == k.spelling) {
        type.kind = k.kind;
        return type;
      }
    }
    if (name == kClassPrefix.substr(0, kClassPrefix.size() - 1) && peek() == '.') {
      while (peek() == '.' && pos_ + 1 < text_.size() && is_ident_start(text_[pos_ + 1])) {
        ++pos_;
        ident();
      }
      type.kind = Kind::Other;
      type.name = text_.substr(start, pos_ - start);
      if (type.name.size() <= kClassPrefix.size()) fail_at(start, "incomplete class name");
      return type;
    }
    if (name[0] >= 'a' && name[0] <= 'z') {
      type.kind = Kind::TypeVar;
      type.name = name;
      return type;
    }
    fail_at(start, fmt::format("unknown type '{}'", name));
  }

  AliasInfo parse_alias() {
    expect('(', "'('");
    AliasInfo info;
    skip_blanks();
    parse_sets(info.before_sets);
    if (peek() == '!') {
      ++pos_;
      info.is_write = true;
    }
    skip_blanks();
    if (consume("->")) {
      skip_blanks();
      parse_sets(info.after_sets);
      skip_blanks();
    }
    expect(')', "')' to close the alias annotation");
    return info;
  }

  void parse_sets(std::vector<std::string>& sets) {
    while (true) {
      if (peek() == '*') {
        ++pos_;
        sets.emplace_back("*");
      } else {
        std::string_view set = ident();
        if (set.empty()) fail("expected an alias set");
        sets.emplace_back(set);
      }
      if (peek() != '|') return;
      ++pos_;
    }
  }

  std::string_view text_;
  std::string_view where_;
  size_t pos_ = 0;
};

/// Splits an export target or qualified name into the registry key "ns::name[.overload]"; false
/// when it has neither spelling.
bool target_key(std::string_view target, std::string& key) {
  constexpr std::string_view kOpsPrefix = "torch.ops.";
  if (target.substr(0, kOpsPrefix.size()) == kOpsPrefix) target.remove_prefix(kOpsPrefix.size());
  std::string_view ns, name, overload;
  size_t colons = target.find("::");
  if (colons != std::string_view::npos) {
    ns = target.substr(0, colons);
    std::string_view rest = target.substr(colons + 2);
    size_t dot = rest.find('.');
    name = rest.substr(0, dot);
    if (dot != std::string_view::npos) {
      overload = rest.substr(dot + 1);
      if (overload.empty()) return false;
    }
  } else {
    size_t dot1 = target.find('.');
    if (dot1 == std::string_view::npos) return false;
    size_t dot2 = target.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return false;
    ns = target.substr(0, dot1);
    name = target.substr(dot1 + 1, dot2 - dot1 - 1);
    overload = target.substr(dot2 + 1);
    if (overload.empty() || overload.find('.') != std::string_view::npos) return false;
  }
  if (ns.empty() || name.empty()) return false;
  if (overload == "default") overload = {};
  key.assign(ns);
  key += "::";
  key += name;
  if (!overload.empty()) {
    key += '.';
    key += overload;
  }
  return true;
}

}  // namespace

std::string SchemaType::to_string() const {
  std::string out;
  append_type(out, *this, nullptr);
  return out;
}

bool SchemaType::is_tensor_like() const {
  const SchemaType* t = this;
  while ((t->kind == Kind::List || t->kind == Kind::Optional) && t->elems.size() == 1) {
    t = &t->elems[0];
  }
  return t->kind == Kind::Tensor;
}

std::string AliasInfo::to_string() const {
  std::string out = "(";
  append_sets(out, before_sets);
  if (is_write) out += '!';
  if (!after_sets.empty()) {
    out += " -> ";
    append_sets(out, after_sets);
  }
  out += ')';
  return out;
}

bool SchemaArgument::is_out() const { return kwarg_only && is_write(); }

std::string SchemaArgument::to_string() const {
  std::string out;
  append_argument(out, *this);
  return out;
}

std::string OpSchema::qualified_name() const {
  std::string out = ns + "::" + name;
  if (!overload.empty()) out += "." + overload;
  return out;
}

std::string OpSchema::target() const {
  return ns + "." + name + "." + (overload.empty() ? "default" : overload);
}

bool OpSchema::is_mutable() const {
  for (const SchemaArgument& arg : arguments) {
    if (arg.is_write()) return true;
  }
  return false;
}

const SchemaArgument* OpSchema::find_argument(std::string_view arg_name) const {
  for (const SchemaArgument& arg : arguments) {
    if (arg.name == arg_name) return &arg;
  }
  return nullptr;
}

std::string OpSchema::to_string() const {
  std::string out = qualified_name();
  out += '(';
  bool first = true;
  bool in_kwargs = false;
  auto separate = [&] {
    if (!first) out += ", ";
    first = false;
  };
  for (const SchemaArgument& arg : arguments) {
    if (arg.kwarg_only && !in_kwargs) {
      separate();
      out += '*';
      in_kwargs = true;
    }
    separate();
    append_argument(out, arg);
  }
  if (is_vararg) {
    separate();
    out += "...";
  }
  out += ") -> ";
  std::string single;
  if (returns.size() == 1 && !is_varret) append_argument(single, returns[0]);
  if (returns.empty() && is_varret) {
    out += "...";
  } else if (!single.empty() && single[0] != '(') {
    out += single;
  } else {
    out += '(';
    for (size_t i = 0; i < returns.size(); ++i) {
      if (i > 0) out += ", ";
      append_argument(out, returns[i]);
    }
    if (is_varret) out += returns.empty() ? "..." : ", ...";
    out += ')';
  }
  return out;
}

OpSchema parse_schema(std::string_view text, std::string_view where) { return Parser(text, where).parse(); }

namespace {

/// The lines of a schema list that hold schemas, each with its line number.
template <typename F>
void for_each_schema_line(std::string_view text, F&& f) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    f(line, line_number);
  }
}

}  // namespace

SchemaRegistry SchemaRegistry::parse(std::string_view text, std::string_view source_name) {
  SchemaRegistry registry;
  registry.source_name_ = std::string(source_name);
  std::vector<OpSchema> schemas;
  for_each_schema_line(text, [&](std::string_view line, size_t line_number) {
    OpSchema schema = parse_schema(line, fmt::format("{}:{}", source_name, line_number));
    std::string key = schema.qualified_name();
    if (registry.by_name_.count(key) != 0) {
      registry.duplicates_.push_back(std::move(key));
      return;
    }
    registry.by_name_.emplace(key, registry.entries_.size());
    registry.entries_.push_back({line, line_number, std::move(key)});
    schemas.push_back(std::move(schema));
  });
  registry.schemas_ = std::move(schemas);
  registry.parsed_.assign(registry.entries_.size(), true);
  for (Entry& e : registry.entries_) e.line = {};  // parsed: the caller's text is not kept
  return registry;
}

SchemaRegistry SchemaRegistry::index(std::string_view text, std::string_view source_name) {
  SchemaRegistry registry;
  registry.source_name_ = std::string(source_name);
  for_each_schema_line(text, [&](std::string_view line, size_t line_number) {
    const size_t first = line.find_first_not_of(" \t");
    const size_t paren = line.find('(', first);
    std::string_view name = line.substr(first, paren == std::string_view::npos ? line.npos : paren - first);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    std::string key(name);
    if (registry.by_name_.count(key) != 0) {
      registry.duplicates_.push_back(std::move(key));
      return;
    }
    registry.by_name_.emplace(key, registry.entries_.size());
    registry.entries_.push_back({line, line_number, std::move(key)});
  });
  registry.schemas_.resize(registry.entries_.size());
  registry.parsed_.assign(registry.entries_.size(), false);
  return registry;
}

const OpSchema& SchemaRegistry::at(size_t i) const {
  const std::lock_guard<std::mutex> lock(*mutex_);
  if (!parsed_[i]) {
    const Entry& e = entries_[i];
    OpSchema schema = parse_schema(e.line, fmt::format("{}:{}", source_name_, e.line_number));
    AOTIC_CHECK(schema.qualified_name() == e.key,
                fmt::format("{}:{}: schema '{}' indexed as '{}'", source_name_, e.line_number,
                            schema.qualified_name(), e.key));
    schemas_[i] = std::move(schema);
    parsed_[i] = true;
  }
  return schemas_[i];
}

const OpSchema* SchemaRegistry::find(std::string_view target) const {
  std::string key;
  if (!target_key(target, key)) return nullptr;
  auto it = by_name_.find(key);
  return it == by_name_.end() ? nullptr : &at(it->second);
}

std::vector<const OpSchema*> SchemaRegistry::overloads(std::string_view ns, std::string_view name) const {
  const std::string prefix = std::string(ns) + "::" + std::string(name);
  std::vector<const OpSchema*> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const std::string& key = entries_[i].key;
    if (key.compare(0, prefix.size(), prefix) == 0 &&
        (key.size() == prefix.size() || key[prefix.size()] == '.'))
      out.push_back(&at(i));
  }
  return out;
}

const std::vector<OpSchema>& SchemaRegistry::all() const {
  for (size_t i = 0; i < entries_.size(); ++i) at(i);
  return schemas_;
}

}  // namespace aotic::ir
