#include "kernel/expr_printer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "ir/error.h"

namespace aotic::kernel {

std::string cpp_type(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kFloat32:
      return "float";
    case ir::DType::kFloat64:
      return "double";
    case ir::DType::kInt64:
      return "int64_t";
    case ir::DType::kInt32:
      return "int32_t";
    case ir::DType::kInt16:
      return "int16_t";
    case ir::DType::kInt8:
      return "int8_t";
    case ir::DType::kUInt8:
      return "uint8_t";
    case ir::DType::kBool:
      return "bool";
    default:
      user_error("generated kernels do not handle {}", ir::dtype_name(dtype));
  }
}

namespace {

/// A literal of `dtype` with the value of `e`.
std::string literal_of(const Expr& e) {
  const std::string type = cpp_type(e.dtype);
  if (e.dtype == ir::DType::kBool) return e.int_value != 0 ? "true" : "false";
  if (e.dtype == ir::DType::kFloat32 || e.dtype == ir::DType::kFloat64) {
    const double v = e.double_value;
    if (std::isnan(v)) return fmt::format("km::quiet_nan<{}>()", type);
    if (std::isinf(v)) return fmt::format("{}km::infinity<{}>()", v < 0 ? "-" : "", type);
    std::string text = cpp_double(v);
    if (e.dtype == ir::DType::kFloat64) return text;
    // "0.1f" when reading the text as a float gives what converting the double does; else the
    // conversion spelled out.
    if (std::strtof(text.c_str(), nullptr) == static_cast<float>(v)) return text + "f";
    return fmt::format("static_cast<float>({})", text);
  }
  // No INT64_MIN: NVRTC has no <cstdint> macros, and the literal 9223372036854775808 does not fit.
  if (e.dtype == ir::DType::kInt64 && e.int_value == INT64_MIN) return "int64_t{-9223372036854775807 - 1}";
  return fmt::format("{}{{{}}}", type, e.int_value);
}

const std::map<std::string, std::string>& infix_ops() {
  static const std::map<std::string, std::string> kOps = {
      {"div", "/"}, {"eq", "=="}, {"ne", "!="},  {"lt", "<"},  {"le", "<="},
      {"gt", ">"},  {"ge", ">="}, {"and", "&&"}, {"or", "||"}, {"xor", "!="},
  };
  return kOps;
}

/// Binary ops printed as `km::` helpers (wrapping integer arithmetic, NaN-propagating max/min).
const std::map<std::string, std::string>& helper_ops() {
  static const std::map<std::string, std::string> kOps = {
      {"add", "add"},     {"sub", "sub"}, {"mul", "mul"},     {"max", "maximum"},
      {"min", "minimum"}, {"pow", "pow"}, {"atan2", "atan2"}, {"fmod", "fmod"},
  };
  return kOps;
}

}  // namespace

std::string ExprPrinter::literal(const Expr& e) { return literal_of(e); }

std::string ExprPrinter::var(const std::string& name) const {
  auto it = renames_.find(name);
  return it == renames_.end() ? name : it->second;
}

std::string ExprPrinter::index(const Index& index) {
  std::string out;
  for (const auto& [var, coefficient] : index.terms) {
    if (!out.empty()) out += " + ";
    if (coefficient.constant_value() == 1) {
      out += var;
    } else {
      out += size(coefficient) + " * " + var;
    }
  }
  if (index.offset.constant_value() != 0 || out.empty())
    out += (out.empty() ? "" : " + ") + size(index.offset);
  return out;
}

std::string ExprPrinter::size(const ir::SymExpr& e) {
  if (e.is_constant()) {
    const int64_t v = *e.constant_value();
    return v < 0 ? fmt::format("({})", v) : std::to_string(v);
  }
  return "(" + e.to_cpp([](const std::string& s) { return s; }) + ")";
}

std::string ExprPrinter::lookup(const Expr* e) const {
  for (auto it = memo_.rbegin(); it != memo_.rend(); ++it) {
    auto found = it->find(e);
    if (found != it->end()) return found->second;
  }
  return "";
}

std::string ExprPrinter::expr(const ExprPtr& e, bool inline_all) {
  if (e->kind == Expr::Kind::kConst) return literal(*e);
  if (e->kind == Expr::Kind::kVar) return var(e->name);
  if (e->kind == Expr::Kind::kSize) return size(e->size);
  if (e->kind == Expr::Kind::kIndex) return "(" + index(e->index) + ")";
  std::string known = lookup(e.get());
  if (!known.empty()) return known;
  std::string text = compute(*e, inline_all);
  if (inline_all) return text;
  std::string name = fmt::format("t{}", next_temp_++);
  w_.wrapped(fmt::format("const {} {} = {};", cpp_type(e->dtype), name, text));
  AOTIC_CHECK(!memo_.empty(), "kernel printer: an expression outside any scope");
  memo_.back()[e.get()] = name;
  return name;
}

std::string ExprPrinter::compute(const Expr& e, bool inline_all) {
  switch (e.kind) {
    case Expr::Kind::kConst:
    case Expr::Kind::kVar:
      return e.kind == Expr::Kind::kConst ? literal(e) : var(e.name);
    case Expr::Kind::kLoad:
      return fmt::format("{}[{}]", e.name, index(e.index));
    case Expr::Kind::kUnary: {
      const std::string a = expr(e.args[0], inline_all);
      if (e.name == "neg") return fmt::format("km::neg({})", a);
      if (e.name == "not") return fmt::format("!{}", a);
      if (e.name == "bitnot") {
        if (e.dtype == ir::DType::kBool) return fmt::format("!{}", a);
        return fmt::format("static_cast<{}>(~{})", cpp_type(e.dtype), a);
      }
      AOTIC_CHECK(false, "kernel IR: unknown unary op " + e.name);
      return "";
    }
    case Expr::Kind::kBinary: {
      const std::string a = expr(e.args[0], inline_all);
      const std::string b = expr(e.args[1], inline_all);
      auto infix = infix_ops().find(e.name);
      if (infix != infix_ops().end()) return fmt::format("({} {} {})", a, infix->second, b);
      auto helper = helper_ops().find(e.name);
      if (helper != helper_ops().end()) return fmt::format("km::{}({}, {})", helper->second, a, b);
      if (e.name == "bitand" || e.name == "bitor" || e.name == "bitxor") {
        const char* op = e.name == "bitand" ? "&" : e.name == "bitor" ? "|" : "^";
        return fmt::format("static_cast<{}>({} {} {})", cpp_type(e.dtype), a, op, b);
      }
      AOTIC_CHECK(false, "kernel IR: unknown binary op " + e.name);
      return "";
    }
    case Expr::Kind::kCall: {
      std::string args;
      for (const ExprPtr& a : e.args) args += (args.empty() ? "" : ", ") + expr(a, inline_all);
      return fmt::format("km::{}({})", e.name, args);
    }
    case Expr::Kind::kWhere: {
      const std::string c = expr(e.args[0], inline_all);
      const bool inner = inline_all || e.guarded;
      const std::string a = expr(e.args[1], inner);
      const std::string b = expr(e.args[2], inner);
      return fmt::format("({} ? {} : {})", c, a, b);
    }
    case Expr::Kind::kCast:
      return fmt::format("km::convert<{}>({})", cpp_type(e.dtype), expr(e.args[0], inline_all));
    case Expr::Kind::kSize:
      return size(e.size);
    case Expr::Kind::kIndex:
      return "(" + index(e.index) + ")";
  }
  return "";
}

}  // namespace aotic::kernel
