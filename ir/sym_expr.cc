#include "ir/sym_expr.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <utility>

#include "ir/error.h"

namespace aotic::ir {
namespace detail {

enum class Kind {
  kConst,
  kSymbol,
  kAdd,
  kMul,
  kPow,
  kTrueDiv,
  kFloorDiv,
  kCeilDiv,
  kMod,
  kMin,
  kMax,
  kFloor,
  kCeil,
  kTrunc,
  kAbs,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kNot,
};

/// An exact rational: `den` > 0 and gcd(|num|, den) == 1.
struct Rat {
  int64_t num = 0;
  int64_t den = 1;
};

struct SymNode {
  Kind kind = Kind::kConst;
  Rat value;                                         // kConst
  std::string name;                                  // kSymbol
  std::vector<std::shared_ptr<const SymNode>> args;  // canonical order
  /// Canonical infix text; also the identity of the node for grouping and sorting.
  std::string text;
  /// Order among siblings: a term's text without its numeric coefficient.
  std::string sort_key;
  int prec = 0;         // Python precedence of `text` (kPrec*)
  bool integer = true;  // the value is an integer whenever it is defined
  int depth = 1;
};

}  // namespace detail

namespace {

using detail::Kind;
using detail::Rat;
using detail::SymNode;
using Node = std::shared_ptr<const SymNode>;

/// Parse-tree nesting allowed in the text (each parenthesis, call or unary minus is one level).
constexpr int kMaxNesting = 200;
/// Depth allowed for a built tree, which bounds the recursion of every tree walk.
constexpr int kMaxTreeDepth = 1000;
/// Longest expression text quoted in full in an error message.
constexpr size_t kMaxShown = 100;

constexpr int kPrecAdd = 1;
constexpr int kPrecMul = 2;
constexpr int kPrecUnary = 3;
constexpr int kPrecPow = 4;
constexpr int kPrecAtom = 5;

/// A failure without the expression context; the public entry points add it.
struct Problem {
  std::string message;
};

[[noreturn]] void problem(std::string message) { throw Problem{std::move(message)}; }

std::string shown(std::string_view text) {
  std::string out(text.substr(0, kMaxShown));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exact rational arithmetic with overflow checks.

int64_t checked_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) problem("integer overflow");
  return r;
}

int64_t checked_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) problem("integer overflow");
  return r;
}

int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) problem("integer overflow");
  return r;
}

uint64_t magnitude(int64_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

Rat make_rat(int64_t num, int64_t den) {
  if (den == 0) problem("division by zero");
  if (den < 0) {
    num = checked_sub(0, num);
    den = checked_sub(0, den);
  }
  const uint64_t g = std::gcd(magnitude(num), static_cast<uint64_t>(den));
  if (g > 1) {
    num /= static_cast<int64_t>(g);
    den /= static_cast<int64_t>(g);
  }
  return {num, den};
}

Rat int_rat(int64_t v) { return {v, 1}; }
bool is_int(const Rat& r) { return r.den == 1; }

Rat rat_add(const Rat& a, const Rat& b) {
  if (is_int(a) && is_int(b)) return int_rat(checked_add(a.num, b.num));
  return make_rat(checked_add(checked_mul(a.num, b.den), checked_mul(b.num, a.den)),
                  checked_mul(a.den, b.den));
}

Rat rat_neg(const Rat& a) { return {checked_sub(0, a.num), a.den}; }
Rat rat_sub(const Rat& a, const Rat& b) { return rat_add(a, rat_neg(b)); }

Rat rat_mul(const Rat& a, const Rat& b) {
  if (is_int(a) && is_int(b)) return int_rat(checked_mul(a.num, b.num));
  return make_rat(checked_mul(a.num, b.num), checked_mul(a.den, b.den));
}

Rat rat_div(const Rat& a, const Rat& b) {
  if (b.num == 0) problem("division by zero");
  return make_rat(checked_mul(a.num, b.den), checked_mul(a.den, b.num));
}

int64_t rat_floor(const Rat& a) {
  int64_t q = a.num / a.den;
  if (a.num % a.den != 0 && a.num < 0) --q;
  return q;
}

int64_t rat_ceil(const Rat& a) {
  int64_t q = a.num / a.den;
  if (a.num % a.den != 0 && a.num > 0) ++q;
  return q;
}

int64_t rat_trunc(const Rat& a) { return a.num / a.den; }

Rat rat_mod(const Rat& a, const Rat& b) {
  if (is_int(a) && is_int(b)) {
    if (b.num == 0) problem("division by zero");
    if (b.num == -1) return int_rat(0);  // INT64_MIN % -1 is undefined in C++
    int64_t r = a.num % b.num;
    if (r != 0 && ((r < 0) != (b.num < 0))) r += b.num;
    return int_rat(r);
  }
  const Rat q = int_rat(rat_floor(rat_div(a, b)));
  return rat_sub(a, rat_mul(b, q));
}

int rat_cmp(const Rat& a, const Rat& b) {
  const __int128 lhs = static_cast<__int128>(a.num) * b.den;
  const __int128 rhs = static_cast<__int128>(b.num) * a.den;
  return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
}

Rat rat_pow(Rat base, int64_t exp) {
  AOTIC_CHECK(exp >= 0, "negative exponent");
  Rat result = int_rat(1);
  while (exp > 0) {
    if (exp & 1) result = rat_mul(result, base);
    exp >>= 1;
    if (exp > 0) base = rat_mul(base, base);
  }
  return result;
}

Rat rat_abs(const Rat& a) { return a.num < 0 ? rat_neg(a) : a; }

std::string rat_text(const Rat& r) {
  return is_int(r) ? std::to_string(r.num) : fmt::format("{}/{}", r.num, r.den);
}

// ---------------------------------------------------------------------------------------------
// Node construction. `raw` only assembles a node; the make_* functions canonicalise and fold.

bool is_const(const Node& n) { return n->kind == Kind::kConst; }
bool is_const_value(const Node& n, int64_t v) { return is_const(n) && is_int(n->value) && n->value.num == v; }
bool is_int_const(const Node& n) { return is_const(n) && is_int(n->value); }

const char* function_name(Kind kind) {
  switch (kind) {
    case Kind::kCeilDiv:
      return "CeilDiv";
    case Kind::kMod:
      return "Mod";
    case Kind::kMin:
      return "Min";
    case Kind::kMax:
      return "Max";
    case Kind::kFloor:
      return "floor";
    case Kind::kCeil:
      return "ceiling";
    case Kind::kTrunc:
      return "TruncToInt";
    case Kind::kAbs:
      return "Abs";
    case Kind::kEq:
      return "Eq";
    case Kind::kNe:
      return "Ne";
    case Kind::kLt:
      return "Lt";
    case Kind::kLe:
      return "Le";
    case Kind::kGt:
      return "Gt";
    case Kind::kGe:
      return "Ge";
    case Kind::kAnd:
      return "And";
    case Kind::kOr:
      return "Or";
    case Kind::kNot:
      return "Not";
    default:
      return "?";
  }
}

std::string paren_below(const Node& n, int prec) { return n->prec < prec ? "(" + n->text + ")" : n->text; }

/// Text of coefficient * factors (factors sorted, none constant). Returns text and precedence.
std::pair<std::string, int> mul_text(const Rat& coef, const std::vector<Node>& factors) {
  if (factors.empty()) {
    return {rat_text(coef), !is_int(coef) ? kPrecMul : (coef.num < 0 ? kPrecUnary : kPrecAtom)};
  }
  // "-(a + b)*c" would reparse with the sign distributed over the sum, hence "-1*(a + b)*c".
  const bool negate = coef.num == -1 && factors[0]->kind != Kind::kAdd;
  std::string body;
  for (size_t i = 0; i < factors.size(); ++i) {
    if (i > 0) body += "*";
    // Only a first factor with no prefix may be a bare x//y: 2*(x//y) and -(x//y) need them.
    const int need = i == 0 && coef.num == 1 ? kPrecMul : kPrecMul + 1;
    body += paren_below(factors[i], need);
  }
  std::string text;
  if (coef.num == 1) {
    text = body;
  } else if (negate) {
    text = "-" + body;
  } else {
    text = std::to_string(coef.num) + "*" + body;
  }
  if (!is_int(coef)) text += "/" + std::to_string(coef.den);
  const bool single = factors.size() == 1 && coef.num == 1 && is_int(coef);
  return {text, single ? factors[0]->prec : kPrecMul};
}

/// Splits a term into its numeric coefficient and the remaining factors.
/// A constant is all coefficient: {value, no factors}.
std::pair<Rat, std::vector<Node>> split_coef(const Node& term) {
  if (is_const(term)) return {term->value, {}};
  if (term->kind == Kind::kMul && is_const(term->args[0])) {
    return {term->args[0]->value, std::vector<Node>(term->args.begin() + 1, term->args.end())};
  }
  return {int_rat(1), {term}};
}

std::string add_text(const std::vector<Node>& args) {
  // Canonical order keeps the constant first; it prints last, as in "s0 + 1".
  std::vector<Node> order;
  for (const Node& a : args) {
    if (!is_const(a)) order.push_back(a);
  }
  for (const Node& a : args) {
    if (is_const(a)) order.push_back(a);
  }
  std::string text;
  for (size_t i = 0; i < order.size(); ++i) {
    const Node& t = order[i];
    const auto [coef, factors] = split_coef(t);
    if (i == 0) {
      text = t->text;
    } else if (coef.num < 0 && coef.num != INT64_MIN) {
      text += " - " + mul_text(rat_neg(coef), factors).first;
    } else {
      text += " + " + t->text;
    }
  }
  return text;
}

std::string call_text(const char* name, const std::vector<Node>& args) {
  std::string text = std::string(name) + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) text += ", ";
    text += args[i]->text;
  }
  return text + ")";
}

Node raw(Kind kind, std::vector<Node> args, Rat value = {}, std::string name = {}) {
  auto n = std::make_shared<SymNode>();
  n->kind = kind;
  n->value = value;
  n->name = std::move(name);
  n->args = std::move(args);
  int depth = 0;
  for (const Node& a : n->args) depth = std::max(depth, a->depth);
  n->depth = depth + 1;
  if (n->depth > kMaxTreeDepth) {
    problem(fmt::format("expression nested deeper than {} levels", kMaxTreeDepth));
  }
  const auto& a = n->args;
  auto all_integer = [&] {
    return std::all_of(a.begin(), a.end(), [](const Node& x) { return x->integer; });
  };
  switch (kind) {
    case Kind::kConst: {
      auto [text, prec] = mul_text(value, {});
      n->text = text;
      n->prec = prec;
      n->integer = is_int(value);
      break;
    }
    case Kind::kSymbol:
      n->text = n->name;
      n->prec = kPrecAtom;
      break;
    case Kind::kAdd:
      n->text = add_text(a);
      n->prec = kPrecAdd;
      n->integer = all_integer();
      break;
    case Kind::kMul: {
      const Rat coef = is_const(a[0]) ? a[0]->value : int_rat(1);
      const std::vector<Node> factors(a.begin() + (is_const(a[0]) ? 1 : 0), a.end());
      auto [text, prec] = mul_text(coef, factors);
      n->text = text;
      n->prec = prec;
      n->sort_key = mul_text(int_rat(1), factors).first;
      n->integer = all_integer();
      break;
    }
    case Kind::kPow:
      n->text = paren_below(a[0], kPrecPow + 1) + "**" + a[1]->text;
      n->prec = kPrecPow;
      n->integer = a[0]->integer;
      break;
    case Kind::kTrueDiv:
    case Kind::kFloorDiv:
      n->text = paren_below(a[0], kPrecMul) + (kind == Kind::kTrueDiv ? "/" : "//") +
                paren_below(a[1], kPrecMul + 1);
      n->prec = kPrecMul;
      n->integer = kind == Kind::kFloorDiv;
      break;
    default:
      n->text = call_text(function_name(kind), a);
      n->prec = kPrecAtom;
      if (kind == Kind::kMod || kind == Kind::kMin || kind == Kind::kMax || kind == Kind::kAbs) {
        n->integer = all_integer();
      }
      break;
  }
  if (n->sort_key.empty()) n->sort_key = n->text;
  return n;
}

Node make_const(const Rat& v) { return raw(Kind::kConst, {}, v); }
Node make_int(int64_t v) { return make_const(int_rat(v)); }

bool canonical_less(const Node& a, const Node& b) {
  if (is_const(a) != is_const(b)) return is_const(a);
  if (is_const(a)) return rat_cmp(a->value, b->value) < 0;
  if (a->sort_key != b->sort_key) return a->sort_key < b->sort_key;
  return a->text < b->text;
}

bool valid_symbol_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

Node make_symbol(const std::string& name) {
  if (!valid_symbol_name(name)) problem(fmt::format("invalid symbol name '{}'", shown(name)));
  return raw(Kind::kSymbol, {}, {}, name);
}

Node make_mul(const std::vector<Node>& factors);

Node make_add(const std::vector<Node>& terms) {
  Rat constant = int_rat(0);
  // Like terms are grouped by the text of their non-numeric part.
  std::map<std::string, std::pair<Rat, Node>> groups;
  auto add_term = [&](const Node& t) {
    if (is_const(t)) {
      constant = rat_add(constant, t->value);
      return;
    }
    auto [coef, factors] = split_coef(t);
    Node rest = factors.size() == 1 ? factors[0] : raw(Kind::kMul, factors);
    auto it = groups.find(rest->text);
    if (it == groups.end()) {
      groups.emplace(rest->text, std::make_pair(coef, rest));
    } else {
      it->second.first = rat_add(it->second.first, coef);
    }
  };
  for (const Node& t : terms) {
    if (t->kind == Kind::kAdd) {
      for (const Node& inner : t->args) add_term(inner);
    } else {
      add_term(t);
    }
  }
  std::vector<Node> out;
  if (constant.num != 0) out.push_back(make_const(constant));
  for (const auto& [key, group] : groups) {
    const auto& [coef, rest] = group;
    if (coef.num == 0) continue;
    out.push_back(coef.num == 1 && is_int(coef) ? rest : make_mul({make_const(coef), rest}));
  }
  if (out.empty()) return make_int(0);
  if (out.size() == 1) return out[0];
  std::sort(out.begin(), out.end(), canonical_less);
  return raw(Kind::kAdd, std::move(out));
}

Node make_pow(const Node& base, const Node& exp);

Node make_mul(const std::vector<Node>& factors) {
  Rat coef = int_rat(1);
  // Equal bases are merged by adding exponents.
  std::map<std::string, std::pair<Node, int64_t>> powers;
  auto add_factor = [&](const Node& f) {
    if (is_const(f)) {
      coef = rat_mul(coef, f->value);
      return;
    }
    Node base = f;
    int64_t exp = 1;
    if (f->kind == Kind::kPow) {
      base = f->args[0];
      exp = f->args[1]->value.num;
    }
    auto it = powers.find(base->text);
    if (it == powers.end()) {
      powers.emplace(base->text, std::make_pair(base, exp));
    } else {
      it->second.second = checked_add(it->second.second, exp);
    }
  };
  for (const Node& f : factors) {
    if (f->kind == Kind::kMul) {
      for (const Node& inner : f->args) add_factor(inner);
    } else {
      add_factor(f);
    }
  }
  if (coef.num == 0) return make_int(0);
  std::vector<Node> out;
  out.reserve(powers.size() + 1);
  for (const auto& [key, power] : powers) out.push_back(make_pow(power.first, make_int(power.second)));
  if (out.empty()) return make_const(coef);
  const bool unit = coef.num == 1 && is_int(coef);
  if (unit && out.size() == 1) return out[0];
  // A numeric factor distributes over a sum: 2*(s0 + 1) is 2*s0 + 2.
  if (out.size() == 1 && out[0]->kind == Kind::kAdd) {
    std::vector<Node> terms;
    for (const Node& t : out[0]->args) terms.push_back(make_mul({make_const(coef), t}));
    return make_add(terms);
  }
  std::sort(out.begin(), out.end(), canonical_less);
  if (!unit) out.insert(out.begin(), make_const(coef));
  return raw(Kind::kMul, std::move(out));
}

Node make_pow(const Node& base, const Node& exp) {
  if (!is_int_const(exp) || exp->value.num < 0) {
    problem(fmt::format("exponent must be a non-negative integer constant, got '{}'", exp->text));
  }
  const int64_t e = exp->value.num;
  if (e == 0) return make_int(1);
  if (e == 1) return base;
  if (is_const(base)) return make_const(rat_pow(base->value, e));
  if (base->kind == Kind::kPow) {
    return make_pow(base->args[0], make_int(checked_mul(base->args[1]->value.num, e)));
  }
  if (base->kind == Kind::kMul) {
    std::vector<Node> factors;
    for (const Node& f : base->args) factors.push_back(make_pow(f, exp));
    return make_mul(factors);
  }
  return raw(Kind::kPow, {base, exp});
}

Node make_neg(const Node& n) { return make_mul({make_int(-1), n}); }

Node make_floordiv(const Node& a, const Node& b);
Node make_ceildiv(const Node& a, const Node& b);

Node make_truediv(const Node& a, const Node& b) {
  if (is_const(b)) return make_mul({make_const(rat_div(int_rat(1), b->value)), a});
  return raw(Kind::kTrueDiv, {a, b});
}

/// For k*rest with an integer coefficient k and integer factors: {k, rest}.
std::optional<std::pair<int64_t, Node>> integer_multiple(const Node& n) {
  if (n->kind != Kind::kMul || !is_int_const(n->args[0]) || !n->integer) return std::nullopt;
  std::vector<Node> rest(n->args.begin() + 1, n->args.end());
  return std::make_pair(n->args[0]->value.num, make_mul(rest));
}

Node make_floor(const Node& x);

Node make_floordiv(const Node& a, const Node& b) {
  if (is_const(a) && is_const(b)) return make_int(rat_floor(rat_div(a->value, b->value)));
  if (is_int_const(b)) {
    const int64_t c = b->value.num;
    if (c == 1) return make_floor(a);
    if (c == -1 && a->integer) return make_neg(a);
    if (auto m = integer_multiple(a); m && c != 0 && m->first % c == 0) {
      return make_mul({make_int(m->first / c), m->second});
    }
    // (x // c1) // c2 == x // (c1*c2) for positive c1, c2.
    if (c > 0 && a->kind == Kind::kFloorDiv && is_int_const(a->args[1]) && a->args[1]->value.num > 0) {
      return make_floordiv(a->args[0], make_int(checked_mul(a->args[1]->value.num, c)));
    }
  }
  return raw(Kind::kFloorDiv, {a, b});
}

Node make_ceildiv(const Node& a, const Node& b) {
  if (is_const(a) && is_const(b)) return make_int(rat_ceil(rat_div(a->value, b->value)));
  if (is_const_value(b, 1) && a->integer) return a;
  return raw(Kind::kCeilDiv, {a, b});
}

Node make_mod(const Node& a, const Node& b) {
  if (is_const(a) && is_const(b)) return make_const(rat_mod(a->value, b->value));
  if ((is_const_value(b, 1) || is_const_value(b, -1)) && a->integer) return make_int(0);
  return raw(Kind::kMod, {a, b});
}

/// floor (or ceiling) of x; a quotient of integers becomes FloorDiv (CeilDiv).
Node make_rounding(Kind kind, const Node& x) {
  const bool up = kind == Kind::kCeil;
  if (is_const(x)) return make_int(up ? rat_ceil(x->value) : rat_floor(x->value));
  if (x->integer) return x;
  auto divide = up ? make_ceildiv : make_floordiv;
  if (x->kind == Kind::kTrueDiv && x->args[0]->integer && x->args[1]->integer) {
    return divide(x->args[0], x->args[1]);
  }
  if (x->kind == Kind::kMul && is_const(x->args[0])) {
    const Rat coef = x->args[0]->value;
    std::vector<Node> rest(x->args.begin() + 1, x->args.end());
    const bool rest_integer = std::all_of(rest.begin(), rest.end(), [](const Node& f) { return f->integer; });
    if (rest_integer) {
      rest.push_back(make_int(coef.num));
      return divide(make_mul(rest), make_int(coef.den));
    }
  }
  return raw(kind, {x});
}

Node make_floor(const Node& x) { return make_rounding(Kind::kFloor, x); }
Node make_ceil(const Node& x) { return make_rounding(Kind::kCeil, x); }

Node make_trunc(const Node& x) {
  if (is_const(x)) return make_int(rat_trunc(x->value));
  if (x->integer) return x;
  return raw(Kind::kTrunc, {x});
}

Node make_abs(const Node& x) {
  if (is_const(x)) return make_const(rat_abs(x->value));
  return raw(Kind::kAbs, {x});
}

Node make_minmax(Kind kind, const std::vector<Node>& args) {
  const bool is_min = kind == Kind::kMin;
  std::optional<Rat> best;
  std::map<std::string, Node> others;
  auto add_arg = [&](const Node& x) {
    if (is_const(x)) {
      const int c = best ? rat_cmp(x->value, *best) : 0;
      if (!best || (is_min ? c < 0 : c > 0)) best = x->value;
    } else {
      others.emplace(x->text, x);
    }
  };
  for (const Node& x : args) {
    if (x->kind == kind) {
      for (const Node& inner : x->args) add_arg(inner);
    } else {
      add_arg(x);
    }
  }
  std::vector<Node> out;
  if (best) out.push_back(make_const(*best));
  for (const auto& [text, x] : others) out.push_back(x);
  AOTIC_CHECK(!out.empty(), "Min/Max without arguments");
  if (out.size() == 1) return out[0];
  std::sort(out.begin(), out.end(), canonical_less);
  return raw(kind, std::move(out));
}

Node make_relation(Kind kind, const Node& a, const Node& b) {
  if (is_const(a) && is_const(b)) {
    const int c = rat_cmp(a->value, b->value);
    bool v = false;
    switch (kind) {
      case Kind::kEq:
        v = c == 0;
        break;
      case Kind::kNe:
        v = c != 0;
        break;
      case Kind::kLt:
        v = c < 0;
        break;
      case Kind::kLe:
        v = c <= 0;
        break;
      case Kind::kGt:
        v = c > 0;
        break;
      case Kind::kGe:
        v = c >= 0;
        break;
      default:
        AOTIC_CHECK(false, "not a relation");
    }
    return make_int(v ? 1 : 0);
  }
  return raw(kind, {a, b});
}

/// And/Or: constants decide or drop out; a single remaining operand keeps the node (0/1 value).
Node make_logic(Kind kind, const std::vector<Node>& args) {
  const bool is_and = kind == Kind::kAnd;
  std::map<std::string, Node> others;
  for (const Node& x : args) {
    if (is_const(x)) {
      const bool truth = x->value.num != 0;
      if (truth != is_and) return make_int(truth ? 1 : 0);
    } else {
      others.emplace(x->text, x);
    }
  }
  if (others.empty()) return make_int(is_and ? 1 : 0);
  std::vector<Node> out;
  out.reserve(others.size());
  for (const auto& [text, x] : others) out.push_back(x);
  return raw(kind, std::move(out));
}

Node make_not(const Node& x) {
  if (is_const(x)) return make_int(x->value.num == 0 ? 1 : 0);
  return raw(Kind::kNot, {x});
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

Rat eval(const SymNode& n, const std::map<std::string, int64_t>& values) {
  const auto& a = n.args;
  auto arg = [&](size_t i) { return eval(*a[i], values); };
  switch (n.kind) {
    case Kind::kConst:
      return n.value;
    case Kind::kSymbol: {
      auto it = values.find(n.name);
      if (it == values.end()) problem(fmt::format("no value for symbol '{}'", n.name));
      return int_rat(it->second);
    }
    case Kind::kAdd: {
      Rat r = int_rat(0);
      for (size_t i = 0; i < a.size(); ++i) r = rat_add(r, arg(i));
      return r;
    }
    case Kind::kMul: {
      Rat r = int_rat(1);
      for (size_t i = 0; i < a.size(); ++i) r = rat_mul(r, arg(i));
      return r;
    }
    case Kind::kPow:
      return rat_pow(arg(0), a[1]->value.num);
    case Kind::kTrueDiv:
      return rat_div(arg(0), arg(1));
    case Kind::kFloorDiv:
      return int_rat(rat_floor(rat_div(arg(0), arg(1))));
    case Kind::kCeilDiv:
      return int_rat(rat_ceil(rat_div(arg(0), arg(1))));
    case Kind::kMod:
      return rat_mod(arg(0), arg(1));
    case Kind::kMin:
    case Kind::kMax: {
      Rat best = arg(0);
      for (size_t i = 1; i < a.size(); ++i) {
        const Rat v = arg(i);
        const int c = rat_cmp(v, best);
        if (n.kind == Kind::kMin ? c < 0 : c > 0) best = v;
      }
      return best;
    }
    case Kind::kFloor:
      return int_rat(rat_floor(arg(0)));
    case Kind::kCeil:
      return int_rat(rat_ceil(arg(0)));
    case Kind::kTrunc:
      return int_rat(rat_trunc(arg(0)));
    case Kind::kAbs:
      return rat_abs(arg(0));
    case Kind::kEq:
    case Kind::kNe:
    case Kind::kLt:
    case Kind::kLe:
    case Kind::kGt:
    case Kind::kGe:
      return make_relation(n.kind, make_const(arg(0)), make_const(arg(1)))->value;
    case Kind::kAnd:
    case Kind::kOr: {
      const bool is_and = n.kind == Kind::kAnd;
      bool result = is_and;
      for (size_t i = 0; i < a.size(); ++i) {
        const bool truth = arg(i).num != 0;
        result = is_and ? (result && truth) : (result || truth);
      }
      return int_rat(result ? 1 : 0);
    }
    case Kind::kNot:
      return int_rat(arg(0).num == 0 ? 1 : 0);
  }
  internal_fail(__FILE__, __LINE__, "unknown SymExpr node kind");
}

// ---------------------------------------------------------------------------------------------
// Parsing.

enum class Tok {
  kEnd,
  kName,
  kInt,
  kString,
  kPlus,
  kMinus,
  kStar,
  kPower,
  kSlash,
  kSlashSlash,
  kPercent,
  kLParen,
  kRParen,
  kComma,
  kEquals,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;    // source text (string literals: the contents)
  size_t column = 0;   // 1-based
  uint64_t value = 0;  // kInt
};

std::string describe(const Token& t) {
  if (t.kind == Tok::kEnd) return "end of text";
  if (t.kind == Tok::kString) return fmt::format("string '{}'", shown(t.text));
  return fmt::format("'{}'", shown(t.text));
}

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const size_t column = i + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.column = column;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
        ++j;
      }
      t.kind = Tok::kName;
      t.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      // Values up to 2**63 are kept: "-9223372036854775808" is a valid literal.
      constexpr uint64_t kLimit = uint64_t{1} << 63;
      uint64_t v = 0;
      bool too_big = false;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) {
        const uint64_t digit = static_cast<uint64_t>(text[j] - '0');
        if (v > (kLimit - digit) / 10) {
          too_big = true;
        } else {
          v = v * 10 + digit;
        }
        ++j;
      }
      t.text = std::string(text.substr(i, j - i));
      if (too_big) {
        problem(fmt::format("integer '{}' out of range at column {}", shown(t.text), column));
      }
      if (j < text.size() &&
          (std::isalpha(static_cast<unsigned char>(text[j])) || text[j] == '_' || text[j] == '.')) {
        problem(fmt::format("unexpected character '{}' at column {}", text[j], j + 1));
      }
      t.kind = Tok::kInt;
      t.value = v;
      i = j;
    } else if (c == '\'' || c == '"') {
      const size_t end = text.find(c, i + 1);
      if (end == std::string_view::npos) {
        problem(fmt::format("unterminated string at column {}", column));
      }
      t.kind = Tok::kString;
      t.text = std::string(text.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      const bool doubled = i + 1 < text.size() && text[i + 1] == c;
      switch (c) {
        case '+':
          t.kind = Tok::kPlus;
          break;
        case '-':
          t.kind = Tok::kMinus;
          break;
        case '*':
          t.kind = doubled ? Tok::kPower : Tok::kStar;
          break;
        case '/':
          t.kind = doubled ? Tok::kSlashSlash : Tok::kSlash;
          break;
        case '%':
          t.kind = Tok::kPercent;
          break;
        case '(':
          t.kind = Tok::kLParen;
          break;
        case ')':
          t.kind = Tok::kRParen;
          break;
        case ',':
          t.kind = Tok::kComma;
          break;
        case '=':
          t.kind = Tok::kEquals;
          break;
        default: {
          const unsigned char u = static_cast<unsigned char>(c);
          if (u < 0x20 || u >= 0x7f) {
            problem(fmt::format("unexpected byte 0x{:02x} at column {}", u, column));
          }
          problem(fmt::format("unexpected character '{}' at column {}", c, column));
        }
      }
      const size_t len = (doubled && (c == '*' || c == '/')) ? 2 : 1;
      t.text = std::string(text.substr(i, len));
      i += len;
    }
    tokens.push_back(std::move(t));
  }
  Token end;
  end.column = text.size() + 1;
  tokens.push_back(end);
  return tokens;
}

/// One argument of a function call.
struct CallArg {
  Node expr;            // unset for a string literal
  std::string str;      // string literal contents
  std::string keyword;  // set for `keyword=value`
};

const std::set<std::string>& known_functions() {
  static const std::set<std::string> names = {
      "Symbol",       "Integer",
      "Rational",     "Add",
      "Mul",          "Pow",
      "PowByNatural", "FloorDiv",
      "CeilDiv",      "CleanDiv",
      "IntTrueDiv",   "Mod",
      "PythonMod",    "ModularIndexing",
      "Min",          "Max",
      "floor",        "ceiling",
      "FloorToInt",   "CeilToInt",
      "TruncToInt",   "Identity",
      "Abs",          "Eq",
      "Ne",           "Lt",
      "Le",           "Gt",
      "Ge",           "StrictLessThan",
      "LessThan",     "StrictGreaterThan",
      "GreaterThan",  "Unequality",
      "Equality",     "And",
      "Or",           "Not",
  };
  return names;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : tokens_(lex(text)) {}

  Node parse() {
    if (peek().kind == Tok::kEnd) problem("empty text");
    Node n = parse_add();
    if (peek().kind != Tok::kEnd) unexpected(peek());
    return n;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  [[noreturn]] static void unexpected(const Token& t) {
    problem(fmt::format("unexpected {} at column {}", describe(t), t.column));
  }

  void expect(Tok kind, const char* what) {
    if (peek().kind != kind) {
      problem(fmt::format("expected '{}' at column {}, found {}", what, peek().column, describe(peek())));
    }
    next();
  }

  Node parse_add() {
    std::vector<Node> terms{parse_mul()};
    while (peek().kind == Tok::kPlus || peek().kind == Tok::kMinus) {
      const bool negative = next().kind == Tok::kMinus;
      Node t = parse_mul();
      terms.push_back(negative ? make_neg(t) : t);
    }
    return terms.size() == 1 ? terms[0] : make_add(terms);
  }

  Node parse_mul() {
    std::vector<Node> factors{parse_unary()};
    for (;;) {
      const Tok op = peek().kind;
      if (op != Tok::kStar && op != Tok::kSlash && op != Tok::kSlashSlash && op != Tok::kPercent) {
        break;
      }
      next();
      Node rhs = parse_unary();
      if (op == Tok::kStar) {
        factors.push_back(rhs);
        continue;
      }
      Node lhs = factors.size() == 1 ? factors[0] : make_mul(factors);
      if (op == Tok::kSlash) {
        factors = {make_truediv(lhs, rhs)};
      } else if (op == Tok::kSlashSlash) {
        factors = {make_floordiv(lhs, rhs)};
      } else {
        factors = {make_mod(lhs, rhs)};
      }
    }
    return factors.size() == 1 ? factors[0] : make_mul(factors);
  }

  Node parse_unary() {
    const size_t column = peek().column;
    if (++depth_ > kMaxNesting) {
      problem(fmt::format("nesting deeper than {} levels at column {}", kMaxNesting, column));
    }
    Node result;
    if (peek().kind == Tok::kMinus) {
      next();
      // -9223372036854775808 is a literal: its magnitude alone does not fit in int64.
      if (peek().kind == Tok::kInt && peek().value == (uint64_t{1} << 63) && peek(1).kind != Tok::kPower) {
        next();
        result = make_int(INT64_MIN);
      } else {
        result = make_neg(parse_unary());
      }
    } else if (peek().kind == Tok::kPlus) {
      next();
      result = parse_unary();
    } else {
      result = parse_power();
    }
    --depth_;
    return result;
  }

  Node parse_power() {
    Node base = parse_primary();
    if (peek().kind != Tok::kPower) return base;
    next();
    return make_pow(base, parse_unary());
  }

  Node parse_primary() {
    const Token& t = next();
    switch (t.kind) {
      case Tok::kInt:
        if (t.value > static_cast<uint64_t>(INT64_MAX)) {
          problem(fmt::format("integer '{}' out of range at column {}", t.text, t.column));
        }
        return make_int(static_cast<int64_t>(t.value));
      case Tok::kName:
        if (peek().kind == Tok::kLParen) return parse_call(t);
        if (t.text == "True" || t.text == "true") return make_int(1);
        if (t.text == "False" || t.text == "false") return make_int(0);
        if (known_functions().count(t.text) != 0) {
          problem(fmt::format("expected '(' after '{}' at column {}", t.text, peek().column));
        }
        return make_symbol(t.text);
      case Tok::kLParen: {
        Node inner = parse_add();
        expect(Tok::kRParen, ")");
        return inner;
      }
      default:
        unexpected(t);
    }
  }

  std::vector<CallArg> parse_args(const std::string& function) {
    std::vector<CallArg> args;
    expect(Tok::kLParen, "(");
    if (peek().kind == Tok::kRParen) {
      next();
      return args;
    }
    for (;;) {
      CallArg arg;
      if (peek().kind == Tok::kName && peek(1).kind == Tok::kEquals) {
        arg.keyword = next().text;
        next();
        if (function != "Symbol" && arg.keyword != "evaluate") {
          problem(fmt::format("unexpected keyword argument '{}' to '{}'", arg.keyword, function));
        }
      }
      if (peek().kind == Tok::kString) {
        arg.str = next().text;
      } else {
        ++depth_;
        arg.expr = parse_add();
        --depth_;
      }
      args.push_back(std::move(arg));
      if (peek().kind == Tok::kComma) {
        next();
        continue;
      }
      expect(Tok::kRParen, ")");
      return args;
    }
  }

  Node parse_call(const Token& name_token) {
    const std::string name = name_token.text;
    if (known_functions().count(name) == 0) {
      problem(fmt::format("unknown function '{}'", shown(name)));
    }
    std::vector<CallArg> all = parse_args(name);
    std::vector<CallArg> args;
    for (CallArg& a : all) {
      if (a.keyword.empty()) args.push_back(std::move(a));
    }
    auto count = [&](size_t n) {
      if (args.size() != n) {
        problem(fmt::format("'{}' expects {} argument{}, got {}", name, n, n == 1 ? "" : "s", args.size()));
      }
    };
    auto at_least = [&](size_t n) {
      if (args.size() < n) {
        problem(fmt::format("'{}' expects at least {} argument{}, got {}", name, n, n == 1 ? "" : "s",
                            args.size()));
      }
    };
    if (name == "Symbol") {
      count(1);
      if (args[0].expr) {
        if (args[0].expr->kind != Kind::kSymbol) {
          problem(fmt::format("'Symbol' expects a name, got '{}'", args[0].expr->text));
        }
        return args[0].expr;
      }
      return make_symbol(args[0].str);
    }
    std::vector<Node> x;
    for (const CallArg& a : args) {
      if (!a.expr) {
        problem(fmt::format("unexpected string '{}' as argument of '{}'", shown(a.str), name));
      }
      x.push_back(a.expr);
    }
    auto integer_arg = [&](size_t i) {
      if (!is_int_const(x[i])) {
        problem(fmt::format("'{}' expects integer literals, got '{}'", name, x[i]->text));
      }
      return x[i]->value.num;
    };
    if (name == "Integer") {
      count(1);
      integer_arg(0);
      return x[0];
    }
    if (name == "Rational") {
      count(2);
      return make_const(make_rat(integer_arg(0), integer_arg(1)));
    }
    if (name == "Add") return x.empty() ? make_int(0) : make_add(x);
    if (name == "Mul") return x.empty() ? make_int(1) : make_mul(x);
    if (name == "Min" || name == "Max") {
      at_least(1);
      return make_minmax(name == "Min" ? Kind::kMin : Kind::kMax, x);
    }
    if (name == "And" || name == "Or") return make_logic(name == "And" ? Kind::kAnd : Kind::kOr, x);
    if (name == "ModularIndexing") {
      count(3);
      return make_mod(make_floordiv(x[0], x[1]), x[2]);
    }
    static const std::map<std::string, Kind> kUnary = {
        {"floor", Kind::kFloor},    {"FloorToInt", Kind::kFloor}, {"ceiling", Kind::kCeil},
        {"CeilToInt", Kind::kCeil}, {"TruncToInt", Kind::kTrunc}, {"Identity", Kind::kConst},
        {"Abs", Kind::kAbs},        {"Not", Kind::kNot},
    };
    if (auto it = kUnary.find(name); it != kUnary.end()) {
      count(1);
      switch (it->second) {
        case Kind::kFloor:
          return make_floor(x[0]);
        case Kind::kCeil:
          return make_ceil(x[0]);
        case Kind::kTrunc:
          return make_trunc(x[0]);
        case Kind::kAbs:
          return make_abs(x[0]);
        case Kind::kNot:
          return make_not(x[0]);
        default:
          return x[0];
      }
    }
    static const std::map<std::string, Kind> kBinary = {
        {"Pow", Kind::kPow},
        {"PowByNatural", Kind::kPow},
        {"FloorDiv", Kind::kFloorDiv},
        {"CeilDiv", Kind::kCeilDiv},
        {"CleanDiv", Kind::kTrueDiv},
        {"IntTrueDiv", Kind::kTrueDiv},
        {"Mod", Kind::kMod},
        {"PythonMod", Kind::kMod},
        {"Eq", Kind::kEq},
        {"Equality", Kind::kEq},
        {"Ne", Kind::kNe},
        {"Unequality", Kind::kNe},
        {"Lt", Kind::kLt},
        {"StrictLessThan", Kind::kLt},
        {"Le", Kind::kLe},
        {"LessThan", Kind::kLe},
        {"Gt", Kind::kGt},
        {"StrictGreaterThan", Kind::kGt},
        {"Ge", Kind::kGe},
        {"GreaterThan", Kind::kGe},
    };
    auto it = kBinary.find(name);
    AOTIC_CHECK(it != kBinary.end(), "known function without a builder: " + name);
    count(2);
    switch (it->second) {
      case Kind::kPow:
        return make_pow(x[0], x[1]);
      case Kind::kFloorDiv:
        return make_floordiv(x[0], x[1]);
      case Kind::kCeilDiv:
        return make_ceildiv(x[0], x[1]);
      case Kind::kTrueDiv:
        return make_truediv(x[0], x[1]);
      case Kind::kMod:
        return make_mod(x[0], x[1]);
      default:
        return make_relation(it->second, x[0], x[1]);
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// C++ emission. Precedences of C++ text: additive < multiplicative < unary < primary.

constexpr int kCppAdd = 1;
constexpr int kCppMul = 2;
constexpr int kCppUnary = 3;
constexpr int kCppAtom = 4;

struct Code {
  std::string text;
  int prec = kCppAtom;
};

/// A non-integer value as numerator / denominator, both int64_t code.
struct Frac {
  Code num;
  Code den;  // text "1" when the value is an integer
};

std::string wrap(const Code& c, int prec) { return c.prec < prec ? "(" + c.text + ")" : c.text; }

Code literal(int64_t v) {
  if (v == INT64_MIN) return {"(-9223372036854775807 - 1)", kCppAtom};
  return {std::to_string(v), v < 0 ? kCppUnary : kCppAtom};
}

bool is_one(const Code& c) { return c.text == "1"; }

Code cmul(const Code& a, const Code& b) {
  if (is_one(a)) return b;
  if (is_one(b)) return a;
  return {wrap(a, kCppMul) + " * " + wrap(b, kCppUnary), kCppMul};
}

Code call(const char* name, const Code& a, const Code& b) {
  return {fmt::format("{}({}, {})", name, a.text, b.text), kCppAtom};
}

Code power_code(const Code& base, int64_t e) {
  if (e <= 3) {
    std::string text = wrap(base, kCppUnary);
    for (int64_t i = 1; i < e; ++i) text += " * " + wrap(base, kCppUnary);
    return {"(" + text + ")", kCppAtom};
  }
  return call("aotic_pow", base, literal(e));
}

class CppEmitter {
 public:
  explicit CppEmitter(const std::function<std::string(const std::string&)>& symbol_code)
      : symbol_code_(symbol_code) {}

  /// Code for an integer-valued context; a non-integer value must divide exactly.
  Code emit(const SymNode& n) {
    if (!n.integer) {
      Frac f = frac(n);
      return call("aotic_exactdiv", f.num, f.den);
    }
    const auto& a = n.args;
    switch (n.kind) {
      case Kind::kConst:
        return literal(n.value.num);
      case Kind::kSymbol:
        return {symbol_code_(n.name), kCppAtom};
      case Kind::kAdd:
        return emit_add(n);
      case Kind::kMul: {
        const bool has_coef = is_const(a[0]);
        const std::vector<Node> factors(a.begin() + (has_coef ? 1 : 0), a.end());
        return emit_product(has_coef ? a[0]->value.num : 1, factors);
      }
      case Kind::kPow:
        return power_code(emit(*a[0]), a[1]->value.num);
      case Kind::kFloorDiv:
      case Kind::kCeilDiv: {
        const char* helper = n.kind == Kind::kFloorDiv ? "aotic_floordiv" : "aotic_ceildiv";
        if (a[0]->integer && a[1]->integer) return call(helper, emit(*a[0]), emit(*a[1]));
        Frac x = frac(*a[0]);
        Frac y = frac(*a[1]);
        return call(helper, cmul(x.num, y.den), cmul(x.den, y.num));
      }
      case Kind::kMod:
        return call("aotic_mod", emit(*a[0]), emit(*a[1]));
      case Kind::kMin:
      case Kind::kMax: {
        const char* helper = n.kind == Kind::kMin ? "std::min<int64_t>" : "std::max<int64_t>";
        Code acc = emit(*a.back());
        for (size_t i = a.size() - 1; i-- > 0;) acc = call(helper, emit(*a[i]), acc);
        return acc;
      }
      case Kind::kFloor:
      case Kind::kCeil:
      case Kind::kTrunc: {
        Frac f = frac(*a[0]);
        if (n.kind == Kind::kFloor) return call("aotic_floordiv", f.num, f.den);
        if (n.kind == Kind::kCeil) return call("aotic_ceildiv", f.num, f.den);
        return {wrap(f.num, kCppMul) + " / " + wrap(f.den, kCppUnary), kCppMul};
      }
      case Kind::kAbs:
        return {"std::abs(" + emit(*a[0]).text + ")", kCppAtom};
      case Kind::kEq:
      case Kind::kNe:
      case Kind::kLt:
      case Kind::kLe:
      case Kind::kGt:
      case Kind::kGe:
        return emit_relation(n);
      case Kind::kAnd:
      case Kind::kOr: {
        std::string text;
        for (size_t i = 0; i < a.size(); ++i) {
          if (i > 0) text += n.kind == Kind::kAnd ? " && " : " || ";
          text += "(" + emit(*a[i]).text + " != 0)";
        }
        return {"static_cast<int64_t>(" + text + ")", kCppAtom};
      }
      case Kind::kNot:
        return {"static_cast<int64_t>(" + emit(*a[0]).text + " == 0)", kCppAtom};
      case Kind::kTrueDiv:
        break;
    }
    internal_fail(__FILE__, __LINE__, "integer SymExpr node without C++ form: " + n.text);
  }

 private:
  Code emit_product(int64_t coef, const std::vector<Node>& factors) {
    std::vector<Code> codes;
    codes.reserve(factors.size());
    for (const Node& f : factors) codes.push_back(emit(*f));
    if (coef == 1 && codes.size() == 1) return codes[0];
    std::string text;
    if (coef == -1) {
      text = "-" + wrap(codes[0], kCppUnary);
    } else if (coef == 1) {
      text = wrap(codes[0], kCppMul);
    } else {
      text = literal(coef).text + " * " + wrap(codes[0], kCppUnary);
    }
    for (size_t i = 1; i < codes.size(); ++i) text += " * " + wrap(codes[i], kCppUnary);
    return {text, codes.size() == 1 && coef == -1 ? kCppUnary : kCppMul};
  }

  Code emit_add(const SymNode& n) {
    std::vector<Node> order;
    for (const Node& t : n.args) {
      if (!is_const(t)) order.push_back(t);
    }
    for (const Node& t : n.args) {
      if (is_const(t)) order.push_back(t);
    }
    std::string text;
    for (size_t i = 0; i < order.size(); ++i) {
      const Node& t = order[i];
      const auto [coef, factors] = split_coef(t);
      if (i > 0 && coef.num < 0 && coef.num != INT64_MIN) {
        const Code positive = factors.empty() ? literal(-coef.num) : emit_product(-coef.num, factors);
        text += " - " + wrap(positive, kCppMul);
      } else {
        const Code c = emit(*t);
        text += (i > 0 ? " + " : "") + wrap(c, i == 0 ? kCppAdd : kCppMul);
      }
    }
    return {text, kCppAdd};
  }

  Code emit_relation(const SymNode& n) {
    static const std::map<Kind, const char*> kOps = {
        {Kind::kEq, "=="}, {Kind::kNe, "!="}, {Kind::kLt, "<"},
        {Kind::kLe, "<="}, {Kind::kGt, ">"},  {Kind::kGe, ">="},
    };
    const char* op = kOps.at(n.kind);
    const Node& a = n.args[0];
    const Node& b = n.args[1];
    Code lhs;
    Code rhs;
    if (a->integer && b->integer) {
      lhs = emit(*a);
      rhs = emit(*b);
    } else if (n.kind == Kind::kEq || n.kind == Kind::kNe) {
      Frac x = frac(*a);
      Frac y = frac(*b);
      lhs = cmul(x.num, y.den);
      rhs = cmul(y.num, x.den);
    } else {
      problem(fmt::format("'{}' compares non-integer values", n.text));
    }
    return {fmt::format("static_cast<int64_t>({} {} {})", lhs.text, op, rhs.text), kCppAtom};
  }

  Frac frac(const SymNode& n) {
    if (n.integer) return {emit(n), {"1", kCppAtom}};
    const auto& a = n.args;
    switch (n.kind) {
      case Kind::kConst:
        return {literal(n.value.num), literal(n.value.den)};
      case Kind::kAdd: {
        Frac acc = frac(*a[0]);
        for (size_t i = 1; i < a.size(); ++i) {
          Frac t = frac(*a[i]);
          const Code lhs = cmul(acc.num, t.den);
          const Code rhs = cmul(t.num, acc.den);
          acc = {{wrap(lhs, kCppAdd) + " + " + wrap(rhs, kCppMul), kCppAdd}, cmul(acc.den, t.den)};
        }
        return acc;
      }
      case Kind::kMul: {
        Frac acc = frac(*a[0]);
        for (size_t i = 1; i < a.size(); ++i) {
          Frac f = frac(*a[i]);
          acc = {cmul(acc.num, f.num), cmul(acc.den, f.den)};
        }
        return acc;
      }
      case Kind::kPow: {
        Frac b = frac(*a[0]);
        const int64_t e = a[1]->value.num;
        return {power_code(b.num, e), power_code(b.den, e)};
      }
      case Kind::kTrueDiv: {
        Frac x = frac(*a[0]);
        Frac y = frac(*a[1]);
        return {cmul(x.num, y.den), cmul(x.den, y.num)};
      }
      case Kind::kMod: {
        // x mod y over the common denominator d: (x*d mod y*d) / d.
        Frac x = frac(*a[0]);
        Frac y = frac(*a[1]);
        return {call("aotic_mod", cmul(x.num, y.den), cmul(y.num, x.den)), cmul(x.den, y.den)};
      }
      case Kind::kAbs: {
        Frac x = frac(*a[0]);
        return {{"std::abs(" + x.num.text + ")", kCppAtom}, {"std::abs(" + x.den.text + ")", kCppAtom}};
      }
      default:
        problem(fmt::format("'{}' has non-integer operands", n.text));
    }
  }

  const std::function<std::string(const std::string&)>& symbol_code_;
};

bool same_tree(const SymNode& a, const SymNode& b) {
  if (&a == &b) return true;
  if (a.kind != b.kind || a.args.size() != b.args.size()) return false;
  if (a.kind == Kind::kConst) return a.value.num == b.value.num && a.value.den == b.value.den;
  if (a.kind == Kind::kSymbol) return a.name == b.name;
  for (size_t i = 0; i < a.args.size(); ++i) {
    if (!same_tree(*a.args[i], *b.args[i])) return false;
  }
  return true;
}

void collect_symbols(const SymNode& n, std::set<std::string>& out) {
  if (n.kind == Kind::kSymbol) out.insert(n.name);
  for (const Node& a : n.args) collect_symbols(*a, out);
}

/// Runs a builder, turning a Problem into a UserError naming the operation and its operands.
template <typename F>
Node build(const char* op, const Node& a, const Node* b, F&& f) {
  try {
    return f();
  } catch (const Problem& p) {
    const std::string operands = b == nullptr
                                     ? fmt::format("'{}'", shown(a->text))
                                     : fmt::format("'{}' and '{}'", shown(a->text), shown((*b)->text));
    user_error("cannot compute {} of {}: {}", op, operands, p.message);
  }
}

}  // namespace

SymExpr::SymExpr() : node_(make_int(0)) {}

SymExpr::SymExpr(std::shared_ptr<const detail::SymNode> node) : node_(std::move(node)) {}

SymExpr SymExpr::constant(int64_t value) { return SymExpr(make_int(value)); }

SymExpr SymExpr::symbol(const std::string& name) {
  try {
    return SymExpr(make_symbol(name));
  } catch (const Problem& p) {
    user_error("{}", p.message);
  }
}

SymExpr SymExpr::parse(std::string_view text) {
  try {
    return SymExpr(Parser(text).parse());
  } catch (const Problem& p) {
    user_error("cannot parse symbolic expression '{}': {}", shown(text), p.message);
  }
}

bool SymExpr::is_constant() const { return constant_value().has_value(); }

std::optional<int64_t> SymExpr::constant_value() const {
  if (node_->kind == Kind::kConst && is_int(node_->value)) return node_->value.num;
  return std::nullopt;
}

std::optional<std::string> SymExpr::as_symbol() const {
  if (node_->kind == Kind::kSymbol) return node_->name;
  return std::nullopt;
}

std::vector<std::string> SymExpr::symbols() const {
  std::set<std::string> names;
  collect_symbols(*node_, names);
  return {names.begin(), names.end()};
}

int64_t SymExpr::evaluate(const std::map<std::string, int64_t>& values) const {
  try {
    const Rat r = eval(*node_, values);
    if (!is_int(r)) problem(fmt::format("result {} is not an integer", rat_text(r)));
    return r.num;
  } catch (const Problem& p) {
    user_error("cannot evaluate symbolic expression '{}': {}", shown(node_->text), p.message);
  }
}

std::string SymExpr::to_string() const { return node_->text; }

std::string SymExpr::to_cpp(const std::function<std::string(const std::string&)>& symbol_code) const {
  try {
    if (node_->kind == Kind::kConst && is_int(node_->value)) {
      return "int64_t{" + literal(node_->value.num).text + "}";
    }
    return CppEmitter(symbol_code).emit(*node_).text;
  } catch (const Problem& p) {
    user_error("cannot generate C++ for symbolic expression '{}': {}", shown(node_->text), p.message);
  }
}

bool SymExpr::operator==(const SymExpr& other) const { return same_tree(*node_, *other.node_); }

SymExpr operator+(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("a sum", a.node_, &b.node_, [&] { return make_add({a.node_, b.node_}); }));
}

SymExpr operator-(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("a difference", a.node_, &b.node_, [&] {
    return make_add({a.node_, make_neg(b.node_)});
  }));
}

SymExpr operator-(const SymExpr& a) {
  return SymExpr(build("the negation", a.node_, nullptr, [&] { return make_neg(a.node_); }));
}

SymExpr operator*(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("a product", a.node_, &b.node_, [&] { return make_mul({a.node_, b.node_}); }));
}

SymExpr floordiv(const SymExpr& a, const SymExpr& b) {
  return SymExpr(
      build("a floor division", a.node_, &b.node_, [&] { return make_floordiv(a.node_, b.node_); }));
}

SymExpr ceildiv(const SymExpr& a, const SymExpr& b) {
  return SymExpr(
      build("a ceiling division", a.node_, &b.node_, [&] { return make_ceildiv(a.node_, b.node_); }));
}

SymExpr mod(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("a modulo", a.node_, &b.node_, [&] { return make_mod(a.node_, b.node_); }));
}

SymExpr min(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("the minimum", a.node_, &b.node_, [&] {
    return make_minmax(Kind::kMin, {a.node_, b.node_});
  }));
}

SymExpr max(const SymExpr& a, const SymExpr& b) {
  return SymExpr(build("the maximum", a.node_, &b.node_, [&] {
    return make_minmax(Kind::kMax, {a.node_, b.node_});
  }));
}

}  // namespace aotic::ir
