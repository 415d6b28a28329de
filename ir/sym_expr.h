// Symbolic integer expressions for tensor sizes in torch.export models.
//
// torch.export writes symbolic sizes as sympy expressions: in `srepr` form
// ("Mul(Integer(16), Symbol('s75', positive=True, integer=True))") or as plain infix text
// ("16*s75", "(s0 + 1)//2"). SymExpr parses both, folds constants, keeps a canonical form (so the
// two spellings of one expression compare equal and print identically), evaluates for concrete
// symbol values, and emits C++ text for generated code.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aotic::ir {

namespace detail {
/// The shared, immutable tree node behind a SymExpr (defined in sym_expr.cc).
struct SymNode;
}  // namespace detail

/// An integer-valued symbolic expression over size symbols (immutable, cheap to copy: shared tree).
///
/// Internally values are exact rationals, so true division ("s0/2", Rational(1, 2)) may appear
/// inside the tree; floor/ceiling/truncation and FloorDiv/CeilDiv turn them back into integers.
/// Relations and boolean functions (Eq, Lt, And, Not, True...) have the value 0 or 1.
class SymExpr {
 public:
  /// The constant 0.
  SymExpr();
  static SymExpr constant(int64_t value);
  /// A size symbol; throws UserError unless `name` is an identifier ([A-Za-z_][A-Za-z0-9_]*).
  static SymExpr symbol(const std::string& name);
  /// Parses srepr or infix text (both may be mixed); throws UserError naming `text` on failure.
  static SymExpr parse(std::string_view text);

  /// True when the expression folds to an integer constant.
  bool is_constant() const;
  /// Set when the expression is an integer constant (after folding).
  std::optional<int64_t> constant_value() const;
  /// Set when the expression is exactly one symbol.
  std::optional<std::string> as_symbol() const;
  /// The symbols the expression mentions, sorted and unique.
  std::vector<std::string> symbols() const;

  /// Value for the given symbol values; UserError naming the expression if a symbol is missing,
  /// a division is by zero, the arithmetic overflows int64, or the result is not an integer.
  int64_t evaluate(const std::map<std::string, int64_t>& values) const;

  /// Readable infix text in canonical form, deterministic and accepted by parse():
  /// "s77", "2*s77 + 1", "(s77 + 1)//2", "Min(64, 64*s75)", "4*s75**2", "Mod(s0, 8)".
  std::string to_string() const;

  /// A C++ expression of type int64_t computing the value. `symbol_code` maps a symbol name to a
  /// C++ primary expression (an identifier, a call or an indexed name; e.g. "s77" -> "s77_").
  /// Besides `static_cast<int64_t>`, the text uses only these names (templates/size_helpers.h
  /// defines them): `aotic_floordiv`, `aotic_ceildiv`, `aotic_mod`, `aotic_pow`,
  /// `aotic_exactdiv`, and from the standard library `std::min<int64_t>`, `std::max<int64_t>`
  /// (<algorithm>) and `std::abs` (<cstdlib>). Throws UserError for the rare trees it cannot
  /// express with integers (an ordering or Min/Max over non-integer values).
  std::string to_cpp(const std::function<std::string(const std::string&)>& symbol_code) const;

  /// Structural equality of the canonical forms.
  bool operator==(const SymExpr& other) const;
  bool operator!=(const SymExpr& other) const { return !(*this == other); }

  // Builders for codegen; they fold constants and canonicalise like parse() does. They throw
  // UserError when folding constants fails (overflow, division by zero).
  friend SymExpr operator+(const SymExpr& a, const SymExpr& b);
  friend SymExpr operator-(const SymExpr& a, const SymExpr& b);
  friend SymExpr operator-(const SymExpr& a);
  friend SymExpr operator*(const SymExpr& a, const SymExpr& b);
  /// Python `a // b` (rounds toward negative infinity).
  friend SymExpr floordiv(const SymExpr& a, const SymExpr& b);
  /// Ceiling of `a / b`.
  friend SymExpr ceildiv(const SymExpr& a, const SymExpr& b);
  /// Python `a % b` (the result has the sign of `b`).
  friend SymExpr mod(const SymExpr& a, const SymExpr& b);
  friend SymExpr min(const SymExpr& a, const SymExpr& b);
  friend SymExpr max(const SymExpr& a, const SymExpr& b);

 private:
  explicit SymExpr(std::shared_ptr<const detail::SymNode> node);

  std::shared_ptr<const detail::SymNode> node_;
};

SymExpr operator+(const SymExpr& a, const SymExpr& b);
SymExpr operator-(const SymExpr& a, const SymExpr& b);
SymExpr operator-(const SymExpr& a);
SymExpr operator*(const SymExpr& a, const SymExpr& b);
SymExpr floordiv(const SymExpr& a, const SymExpr& b);
SymExpr ceildiv(const SymExpr& a, const SymExpr& b);
SymExpr mod(const SymExpr& a, const SymExpr& b);
SymExpr min(const SymExpr& a, const SymExpr& b);
SymExpr max(const SymExpr& a, const SymExpr& b);

}  // namespace aotic::ir
