#include "ir/sym_expr.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ir/error.h"

namespace aotic::ir {
namespace {

const std::map<std::string, int64_t> kValues = {{"s77", 8}, {"s75", 16}, {"s17", 5}};

std::string cpp(const SymExpr& e) {
  return e.to_cpp([](const std::string& name) { return name + "_"; });
}

std::string parse_error(std::string_view text) {
  try {
    SymExpr::parse(text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

std::string evaluate_error(std::string_view text, const std::map<std::string, int64_t>& values) {
  try {
    SymExpr::parse(text).evaluate(values);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

int64_t eval(std::string_view text, const std::map<std::string, int64_t>& values = {}) {
  return SymExpr::parse(text).evaluate(values);
}

std::string str(std::string_view text) { return SymExpr::parse(text).to_string(); }

struct RealCase {
  const char* srepr;
  const char* text;
  int64_t value;  // with s77=8, s75=16, s17=5
  const char* cpp;
};

TEST_CASE("srepr strings from real exports parse, print, evaluate and emit C++") {
  const RealCase cases[] = {
      {"Symbol('s77', positive=True, integer=True)", "s77", 8, "s77_"},
      {"Mul(Integer(16), Symbol('s75', positive=True, integer=True))", "16*s75", 256, "16 * s75_"},
      {"Add(Mul(Integer(2), Symbol('s17', positive=True, integer=True)), "
       "Mul(Integer(2), Symbol('s77', positive=True, integer=True)))",
       "2*s17 + 2*s77", 26, "2 * s17_ + 2 * s77_"},
      {"Add(Symbol('s77', positive=True, integer=True), Integer(1))", "s77 + 1", 9, "s77_ + 1"},
      {"FloorDiv(Add(Symbol('s77', positive=True, integer=True), Integer(1)), Integer(2))", "(s77 + 1)//2", 4,
       "aotic_floordiv(s77_ + 1, 2)"},
      {"FloorDiv(Symbol('s77', positive=True, integer=True), Integer(2))", "s77//2", 4,
       "aotic_floordiv(s77_, 2)"},
      {"Min(Integer(64), Mul(Integer(64), Symbol('s75', positive=True, integer=True)))", "Min(64, 64*s75)",
       64, "std::min<int64_t>(64, 64 * s75_)"},
      {"Mul(Integer(4), Pow(Symbol('s75', positive=True, integer=True), Integer(2)))", "4*s75**2", 1024,
       "4 * (s75_ * s75_)"},
  };
  for (const RealCase& c : cases) {
    CAPTURE(c.srepr);
    const SymExpr e = SymExpr::parse(c.srepr);
    CHECK_EQ(e.to_string(), c.text);
    CHECK_EQ(e.evaluate(kValues), c.value);
    CHECK_EQ(cpp(e), c.cpp);
    CHECK(SymExpr::parse(c.text) == e);
    CHECK_FALSE(e.is_constant());
  }
  CHECK_EQ(SymExpr::parse("Symbol('s77', positive=True, integer=True)").as_symbol(), "s77");
  CHECK_FALSE(SymExpr::parse("s77 + 1").as_symbol().has_value());
  CHECK_EQ(SymExpr::parse(cases[2].srepr).symbols(), std::vector<std::string>{"s17", "s77"});
}

TEST_CASE("infix forms") {
  const std::map<std::string, int64_t> v = {{"s0", 7}, {"s1", 3}};
  CHECK_EQ(str("s0"), "s0");
  CHECK_EQ(str("2*s0"), "2*s0");
  CHECK_EQ(str("s0 + 1"), "s0 + 1");
  CHECK_EQ(str("s0*s1"), "s0*s1");
  CHECK_EQ(str("s0 - 1"), "s0 - 1");
  CHECK_EQ(str("-s0 + 4"), "-s0 + 4");
  CHECK_EQ(str("floor(s0/2)"), "s0//2");
  CHECK_EQ(str("ceiling(s0/2)"), "CeilDiv(s0, 2)");
  CHECK_EQ(str("(s0 + 1)//2"), "(s0 + 1)//2");
  CHECK_EQ(str("s0**2"), "s0**2");
  CHECK_EQ(str("Max(1, s0)"), "Max(1, s0)");
  CHECK_EQ(str("Min(s0, 64)"), "Min(64, s0)");
  CHECK_EQ(str("Mod(s0, 8)"), "Mod(s0, 8)");
  CHECK_EQ(str("s0 % 8"), "Mod(s0, 8)");
  CHECK_EQ(eval("s0", v), 7);
  CHECK_EQ(eval("2*s0", v), 14);
  CHECK_EQ(eval("s0*s1", v), 21);
  CHECK_EQ(eval("-s0 + 4", v), -3);
  CHECK_EQ(eval("floor(s0/2)", v), 3);
  CHECK_EQ(eval("ceiling(s0/2)", v), 4);
  CHECK_EQ(eval("(s0 + 1)//2", v), 4);
  CHECK_EQ(eval("s0**2", v), 49);
  CHECK_EQ(eval("Max(1, s0)", v), 7);
  CHECK_EQ(eval("Min(s0, 64)", v), 7);
  CHECK_EQ(eval("s0 % 3", v), 1);
  // Python precedence: ** binds tighter than unary minus and is right-associative.
  CHECK_EQ(eval("-2**2"), -4);
  CHECK_EQ(eval("2**3**2"), 512);
  CHECK_EQ(eval("(-2)**2"), 4);
  CHECK_EQ(eval("10 - 3 - 2"), 5);
  CHECK_EQ(eval("100//7//2"), 7);
  CHECK_EQ(eval("2 + 3*4"), 14);
  CHECK_EQ(eval("-9223372036854775808"), INT64_MIN);
  CHECK_EQ(eval("s0 -\n 1", v), 6);
}

TEST_CASE("srepr and infix spellings are the same canonical expression") {
  const std::pair<const char*, const char*> pairs[] = {
      {"Add(Symbol('s0'), Integer(1))", "s0 + 1"},
      {"1 + s0", "s0 + 1"},
      {"Mul(Integer(1), Symbol('s0'))", "s0"},
      {"Mul(Symbol('s1'), Symbol('s0'))", "s0*s1"},
      {"FloorDiv(s0, Integer(2))", "floor(s0/2)"},
      {"FloorDiv(s0, 2)", "floor(Mul(Rational(1, 2), s0))"},
      {"CeilDiv(s0, 2)", "ceiling(s0/2)"},
      {"PythonMod(s0, 8)", "s0 % 8"},
      {"ModularIndexing(s0, 2, 8)", "(s0//2) % 8"},
      {"PowByNatural(s0, 2)", "s0*s0"},
      {"2*(s0 + 1)", "2*s0 + 2"},
      {"s0 + s0", "2*s0"},
      {"Identity(s0)", "s0"},
      {"IntTrueDiv(4*s0, 2)", "2*s0"},
      {"CleanDiv(s0*s1, s1)", "s0*s1/s1"},
      {"FloorToInt(s0/3)", "s0//3"},
      {"Max(s1, Max(s0, 3), 1)", "Max(3, s0, s1)"},
      {"StrictLessThan(s0, s1)", "Lt(s0, s1)"},
      {"Equality(s0, 4)", "Eq(s0, 4)"},
  };
  for (const auto& pair : pairs) {
    const char* a = pair.first;
    const char* b = pair.second;
    CAPTURE(a);
    const SymExpr x = SymExpr::parse(a);
    const SymExpr y = SymExpr::parse(b);
    CHECK(x == y);
    CHECK_EQ(x.to_string(), y.to_string());
    CHECK(SymExpr::parse(x.to_string()) == x);
  }
  CHECK(SymExpr::parse("s0 + 1") != SymExpr::parse("s0 + 2"));
  CHECK(SymExpr::parse("s0//2") != SymExpr::parse("CeilDiv(s0, 2)"));
}

TEST_CASE("constant folding") {
  CHECK_EQ(SymExpr::parse("Integer(5)").constant_value(), 5);
  CHECK_EQ(SymExpr::parse("Integer(-5)").constant_value(), -5);
  CHECK_EQ(SymExpr::parse("Add(Integer(2), Integer(3))").constant_value(), 5);
  CHECK_EQ(SymExpr::parse("s0 - s0 + 7").constant_value(), 7);
  CHECK_EQ(SymExpr::parse("FloorDiv(Integer(-7), Integer(2))").constant_value(), -4);
  CHECK_EQ(SymExpr::parse("Min(3, 1, 2)").constant_value(), 1);
  CHECK_EQ(SymExpr::parse("Rational(4, 2)").constant_value(), 2);
  CHECK_FALSE(SymExpr::parse("Rational(1, 2)").is_constant());
  CHECK_EQ(SymExpr::parse("Rational(1, 2)").to_string(), "1/2");
  CHECK(SymExpr::parse("7").is_constant());
  CHECK_EQ(SymExpr().constant_value(), 0);
  CHECK_EQ(SymExpr::parse("True").constant_value(), 1);
  CHECK_EQ(SymExpr::parse("false").constant_value(), 0);
  CHECK(SymExpr::parse("7").symbols().empty());
  CHECK_EQ(cpp(SymExpr::parse("7")), "int64_t{7}");
  CHECK_EQ(cpp(SymExpr::constant(-3)), "int64_t{-3}");
}

TEST_CASE("floor semantics with negative operands") {
  CHECK_EQ(eval("FloorDiv(-7, 2)"), -4);
  CHECK_EQ(eval("FloorDiv(7, -2)"), -4);
  CHECK_EQ(eval("FloorDiv(-7, -2)"), 3);
  CHECK_EQ(eval("PythonMod(-7, 3)"), 2);
  CHECK_EQ(eval("Mod(7, -3)"), -2);
  CHECK_EQ(eval("-7 % -3"), -1);
  CHECK_EQ(eval("CeilDiv(-7, 2)"), -3);
  CHECK_EQ(eval("CeilDiv(7, 2)"), 4);
  const std::map<std::string, int64_t> n = {{"s0", -7}, {"s1", 2}};
  CHECK_EQ(eval("s0//s1", n), -4);
  CHECK_EQ(eval("Mod(s0, 3)", n), 2);
  CHECK_EQ(eval("ModularIndexing(s0, 1, 3)", n), 2);
  CHECK_EQ(eval("floor(s0/s1)", n), -4);
  CHECK_EQ(eval("ceiling(s0/s1)", n), -3);
  CHECK_EQ(eval("TruncToInt(s0/s1)", n), -3);
  CHECK_EQ(eval("FloorToInt(Rational(-7, 2))"), -4);
  CHECK_EQ(eval("CeilToInt(Rational(-7, 2))"), -3);
  CHECK_EQ(eval("floor(s0/2 + Rational(1, 2))", n), -3);
  CHECK_EQ(eval("Abs(s0)", n), 7);
  CHECK_EQ(eval("-s0//2", n), 3);
  CHECK_EQ(eval("-(s0//2)", n), 4);
  // Exact division inside an integer result is fine.
  CHECK_EQ(eval("s0*s1/2", n), -7);
}

TEST_CASE("Min, Max and Pow") {
  const std::map<std::string, int64_t> v = {{"a", 4}, {"b", -2}, {"c", 9}};
  CHECK_EQ(eval("Min(a, b, c)", v), -2);
  CHECK_EQ(eval("Max(a, b, c, 5)", v), 9);
  CHECK_EQ(eval("Min(a)", v), 4);
  CHECK_EQ(str("Min(c, a, Min(b, 3), 7)"), "Min(3, a, b, c)");
  CHECK_EQ(str("Min(a, a)"), "a");
  CHECK_EQ(eval("Pow(b, 3)", v), -8);
  CHECK_EQ(eval("Pow(a, 0)", v), 1);
  CHECK_EQ(eval("PowByNatural(c, 2)", v), 81);
  CHECK_EQ(str("Pow(2*a, 2)"), "4*a**2");
  CHECK_EQ(str("a**2*a"), "a**3");
  CHECK_EQ(eval("2**62"), int64_t{1} << 62);
}

TEST_CASE("relations and booleans give 0 or 1") {
  const std::map<std::string, int64_t> v = {{"s0", 4}, {"s1", 6}};
  CHECK_EQ(eval("Eq(s0, 4)", v), 1);
  CHECK_EQ(eval("Ne(s0, 4)", v), 0);
  CHECK_EQ(eval("Lt(s0, s1)", v), 1);
  CHECK_EQ(eval("Le(s1, s0)", v), 0);
  CHECK_EQ(eval("Gt(s1, s0)", v), 1);
  CHECK_EQ(eval("Ge(s0, s0)", v), 1);
  CHECK_EQ(eval("StrictGreaterThan(s0, s1)", v), 0);
  CHECK_EQ(eval("GreaterThan(s1, 6)", v), 1);
  CHECK_EQ(eval("LessThan(s0, 3)", v), 0);
  CHECK_EQ(eval("Unequality(s0, s1)", v), 1);
  CHECK_EQ(eval("And(Lt(s0, s1), Eq(s1, 6))", v), 1);
  CHECK_EQ(eval("And(Lt(s0, s1), Eq(s1, 5))", v), 0);
  CHECK_EQ(eval("Or(Gt(s0, s1), Eq(s1, 6))", v), 1);
  CHECK_EQ(eval("Not(Eq(s0, 4))", v), 0);
  CHECK_EQ(eval("And(True, true)"), 1);
  CHECK_EQ(eval("Or(False, false)"), 0);
  CHECK_EQ(eval("Lt(3, 4)"), 1);
  CHECK_EQ(str("And(True, Lt(s0, s1))"), "And(Lt(s0, s1))");
  CHECK_EQ(str("Or(True, Lt(s0, s1))"), "1");
}

TEST_CASE("to_cpp text") {
  auto code = [](std::string_view text) { return cpp(SymExpr::parse(text)); };
  CHECK_EQ(code("s0 - 2*s1 - 3"), "s0_ - 2 * s1_ - 3");
  CHECK_EQ(code("-s0 + 4"), "-s0_ + 4");
  CHECK_EQ(code("-(s0//2)"), "-aotic_floordiv(s0_, 2)");
  CHECK_EQ(code("-s0//2"), "aotic_floordiv(-s0_, 2)");
  CHECK_EQ(code("CeilDiv(s0, 8)"), "aotic_ceildiv(s0_, 8)");
  CHECK_EQ(code("PythonMod(s0, 8)"), "aotic_mod(s0_, 8)");
  CHECK_EQ(code("ModularIndexing(s0, 2, 8)"), "aotic_mod(aotic_floordiv(s0_, 2), 8)");
  CHECK_EQ(code("Max(1, s0, s1)"), "std::max<int64_t>(1, std::max<int64_t>(s0_, s1_))");
  CHECK_EQ(code("s0**5"), "aotic_pow(s0_, 5)");
  CHECK_EQ(code("(s0 + 1)**2"), "((s0_ + 1) * (s0_ + 1))");
  CHECK_EQ(code("Abs(s0 - 3)"), "std::abs(s0_ - 3)");
  CHECK_EQ(code("Eq(s0, 4)"), "static_cast<int64_t>(s0_ == 4)");
  CHECK_EQ(code("Not(s0)"), "static_cast<int64_t>(s0_ == 0)");
  CHECK_EQ(code("Or(s0, s1)"), "static_cast<int64_t>((s0_ != 0) || (s1_ != 0))");
  CHECK_EQ(code("s0*s1/2"), "aotic_exactdiv(s0_ * s1_, 2)");
  CHECK_EQ(code("floor(s0/s1)"), "aotic_floordiv(s0_, s1_)");
  CHECK_EQ(code("TruncToInt(s0/s1)"), "s0_ / s1_");
  CHECK_EQ(code("-1*(s0 + 1)*s1"), "-(s0_ + 1) * s1_");
  CHECK_EQ(code("(s0//2)*(s1//2)"), "aotic_floordiv(s0_, 2) * aotic_floordiv(s1_, 2)");
  CHECK_EQ(code("2*(s0//3)*s1"), "2 * aotic_floordiv(s0_, 3) * s1_");
  CHECK_EQ(code("-9223372036854775808 + s0"), "s0_ + (-9223372036854775807 - 1)");
  CHECK_EQ(SymExpr::parse("s0").to_cpp([](const std::string&) { return "sizes[0]"; }), "sizes[0]");
}

TEST_CASE("to_cpp rejects comparisons of non-integer values") {
  try {
    cpp(SymExpr::parse("Lt(s0/2, 3)"));
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK_EQ(std::string(e.what()),
             "cannot generate C++ for symbolic expression 'Lt(s0/2, 3)': 'Lt(s0/2, 3)' compares "
             "non-integer values");
  }
}

TEST_CASE("builders fold constants") {
  const SymExpr s0 = SymExpr::symbol("s0");
  const SymExpr s1 = SymExpr::symbol("s1");
  const SymExpr two = SymExpr::constant(2);
  CHECK_EQ((two + SymExpr::constant(3)).constant_value(), 5);
  CHECK(SymExpr::constant(1) * s0 == s0);
  CHECK(SymExpr() + s0 == s0);
  CHECK((s0 * SymExpr::constant(0)).is_constant());
  CHECK_EQ((s0 - s0).constant_value(), 0);
  CHECK_EQ((s0 + SymExpr::constant(1)).to_string(), "s0 + 1");
  CHECK(SymExpr::constant(1) + s0 == SymExpr::parse("s0 + 1"));
  CHECK_EQ((two * (s0 + SymExpr::constant(1))).to_string(), "2*s0 + 2");
  CHECK_EQ((s1 * s0 - two).to_string(), "s0*s1 - 2");
  CHECK_EQ((-s0).to_string(), "-s0");
  CHECK_EQ(floordiv(s0 + SymExpr::constant(1), two).to_string(), "(s0 + 1)//2");
  CHECK(floordiv(s0, two) == SymExpr::parse("FloorDiv(Symbol('s0'), Integer(2))"));
  CHECK(floordiv(s0, SymExpr::constant(1)) == s0);
  CHECK_EQ(floordiv(SymExpr::constant(-7), two).constant_value(), -4);
  CHECK_EQ(floordiv(two * SymExpr::constant(3) * s0, SymExpr::constant(3)).to_string(), "2*s0");
  CHECK_EQ(floordiv(floordiv(s0, two), SymExpr::constant(4)).to_string(), "s0//8");
  CHECK_EQ(ceildiv(s0, two).to_string(), "CeilDiv(s0, 2)");
  CHECK_EQ(mod(SymExpr::constant(-7), SymExpr::constant(3)).constant_value(), 2);
  CHECK_EQ(min(SymExpr::constant(64), s0 * SymExpr::constant(64)).to_string(), "Min(64, 64*s0)");
  CHECK_EQ(max(two, SymExpr::constant(5)).constant_value(), 5);
  CHECK_EQ((s0 * s0 * s1).to_string(), "s0**2*s1");
  try {
    floordiv(s0, SymExpr());
  } catch (const UserError&) {
    FAIL("a symbolic dividend with a zero divisor fails only at evaluation");
  }
  try {
    floordiv(two, SymExpr());
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK_EQ(std::string(e.what()), "cannot compute a floor division of '2' and '0': division by zero");
  }
  try {
    SymExpr::symbol("a b");
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK_EQ(std::string(e.what()), "invalid symbol name 'a b'");
  }
}

TEST_CASE("parse errors name the expression and the problem") {
  CHECK_EQ(parse_error("Foo(s0)"), "cannot parse symbolic expression 'Foo(s0)': unknown function 'Foo'");
  CHECK_EQ(parse_error("s0 s1"), "cannot parse symbolic expression 's0 s1': unexpected 's1' at column 4");
  CHECK_EQ(parse_error("s0 + 1)"), "cannot parse symbolic expression 's0 + 1)': unexpected ')' at column 7");
  CHECK_EQ(parse_error("(s0 + 1"),
           "cannot parse symbolic expression '(s0 + 1': expected ')' at column 8, found end of "
           "text");
  CHECK_EQ(parse_error(""), "cannot parse symbolic expression '': empty text");
  CHECK_EQ(parse_error("   "), "cannot parse symbolic expression '   ': empty text");
  CHECK_EQ(parse_error("s0 +"),
           "cannot parse symbolic expression 's0 +': unexpected end of text at column 5");
  CHECK_EQ(parse_error("s0 # 1"),
           "cannot parse symbolic expression 's0 # 1': unexpected character '#' at column 4");
  CHECK_EQ(parse_error("1.5"),
           "cannot parse symbolic expression '1.5': unexpected character '.' at column 2");
  CHECK_EQ(parse_error("Add(s0,)"),
           "cannot parse symbolic expression 'Add(s0,)': unexpected ')' at column 8");
  CHECK_EQ(parse_error("FloorDiv(s0)"),
           "cannot parse symbolic expression 'FloorDiv(s0)': 'FloorDiv' expects 2 arguments, got 1");
  CHECK_EQ(parse_error("Min()"),
           "cannot parse symbolic expression 'Min()': 'Min' expects at least 1 argument, got 0");
  CHECK_EQ(parse_error("Add(s0, foo=1)"),
           "cannot parse symbolic expression 'Add(s0, foo=1)': unexpected keyword argument 'foo' "
           "to 'Add'");
  CHECK_EQ(parse_error("Symbol('s0"),
           "cannot parse symbolic expression 'Symbol('s0': unterminated string at column 8");
  CHECK_EQ(parse_error("Integer(s0)"),
           "cannot parse symbolic expression 'Integer(s0)': 'Integer' expects integer literals, "
           "got 's0'");
  CHECK_EQ(parse_error("Pow(s0, Integer(-1))"),
           "cannot parse symbolic expression 'Pow(s0, Integer(-1))': exponent must be a "
           "non-negative integer constant, got '-1'");
  CHECK_EQ(parse_error("s0**s1"),
           "cannot parse symbolic expression 's0**s1': exponent must be a non-negative integer "
           "constant, got 's1'");
  CHECK_EQ(parse_error("FloorDiv(1, 0)"),
           "cannot parse symbolic expression 'FloorDiv(1, 0)': division by zero");
  CHECK_EQ(parse_error("9223372036854775808"),
           "cannot parse symbolic expression '9223372036854775808': integer "
           "'9223372036854775808' out of range at column 1");
  CHECK_EQ(parse_error("9223372036854775807 + 1"),
           "cannot parse symbolic expression '9223372036854775807 + 1': integer overflow");
}

TEST_CASE("deep nesting is an error, never a crash") {
  const std::string parens(10000, '(');
  CHECK_EQ(parse_error(parens), "cannot parse symbolic expression '" + std::string(100, '(') +
                                    "...': nesting deeper than 200 levels at column 201");
  const std::string minus = std::string(10000, '-') + "s0";
  CHECK_EQ(parse_error(minus), "cannot parse symbolic expression '" + std::string(100, '-') +
                                   "...': nesting deeper than 200 levels at column 201");
  std::string calls;
  for (int i = 0; i < 5000; ++i) calls += "Abs(";
  CHECK_EQ(parse_error(calls).substr(parse_error(calls).find("': ") + 3),
           "nesting deeper than 200 levels at column 401");
  std::string chain = "s0";
  for (int i = 0; i < 5000; ++i) chain += "//s1";
  CHECK_EQ(parse_error(chain).substr(parse_error(chain).find("': ") + 3),
           "expression nested deeper than 1000 levels");
  std::string sum = "s0";
  for (int i = 1; i < 5000; ++i) sum += " + s" + std::to_string(i);
  CHECK_EQ(SymExpr::parse(sum).symbols().size(), 5000);
}

TEST_CASE("evaluate errors name the expression and the problem") {
  CHECK_EQ(evaluate_error("s0 + s1", {{"s0", 1}}),
           "cannot evaluate symbolic expression 's0 + s1': no value for symbol 's1'");
  CHECK_EQ(evaluate_error("FloorDiv(s0, s1)", {{"s0", 1}, {"s1", 0}}),
           "cannot evaluate symbolic expression 's0//s1': division by zero");
  CHECK_EQ(evaluate_error("Mod(s0, s1)", {{"s0", 1}, {"s1", 0}}),
           "cannot evaluate symbolic expression 'Mod(s0, s1)': division by zero");
  CHECK_EQ(evaluate_error("s0/2", {{"s0", 7}}),
           "cannot evaluate symbolic expression 's0/2': result 7/2 is not an integer");
  CHECK_EQ(evaluate_error("s0*s0", {{"s0", int64_t{1} << 32}}),
           "cannot evaluate symbolic expression 's0**2': integer overflow");
  CHECK_EQ(evaluate_error("s0//s1", {{"s0", INT64_MIN}, {"s1", -1}}),
           "cannot evaluate symbolic expression 's0//s1': integer overflow");
  CHECK_EQ(SymExpr::parse("Mod(s0, s1)").evaluate({{"s0", INT64_MIN}, {"s1", -1}}), 0);
}

}  // namespace
}  // namespace aotic::ir
