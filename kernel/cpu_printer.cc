#include "kernel/cpu_printer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

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
std::string literal(const Expr& e) {
  const std::string type = cpp_type(e.dtype);
  if (e.dtype == ir::DType::kBool) return e.int_value != 0 ? "true" : "false";
  if (e.dtype == ir::DType::kFloat32 || e.dtype == ir::DType::kFloat64) {
    const double v = e.double_value;
    if (std::isnan(v)) return fmt::format("std::numeric_limits<{}>::quiet_NaN()", type);
    if (std::isinf(v)) return fmt::format("{}std::numeric_limits<{}>::infinity()", v < 0 ? "-" : "", type);
    std::string text = cpp_double(v);
    if (e.dtype == ir::DType::kFloat64) return text;
    // "0.1f" when reading the text as a float gives what converting the double does; else the
    // conversion spelled out.
    if (std::strtof(text.c_str(), nullptr) == static_cast<float>(v)) return text + "f";
    return fmt::format("static_cast<float>({})", text);
  }
  if (e.dtype == ir::DType::kInt64 && e.int_value == INT64_MIN) return "INT64_MIN";
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
      {"min", "minimum"}, {"pow", "pow"}, {"atan2", "atan2"}, {"fmod", "std::fmod"},
  };
  return kOps;
}

class Printer {
 public:
  Printer(const Kernel& kernel, CodeWriter& out) : kernel_(kernel), w_(out) {}

  void print() {
    std::vector<std::string> params;
    for (const Buffer& b : kernel_.buffers) {
      params.push_back(
          fmt::format("{}{}* __restrict {}", b.written ? "" : "const ", cpp_type(b.dtype), b.name));
    }
    for (const std::string& s : kernel_.symbols) params.push_back("int64_t " + s);
    std::string joined;
    for (const std::string& p : params) joined += (joined.empty() ? "" : ", ") + p;
    w_.linef("// {}", kernel_.comment);
    w_.open_wrapped(fmt::format("void {}({})", kernel_.name, joined));
    memo_.emplace_back();
    print_body(kernel_.body);
    memo_.pop_back();
    w_.close();
  }

 private:
  std::string index(const Index& index) {
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

  static std::string size(const ir::SymExpr& e) {
    if (e.is_constant()) {
      const int64_t v = *e.constant_value();
      return v < 0 ? fmt::format("({})", v) : std::to_string(v);
    }
    return "(" + e.to_cpp([](const std::string& s) { return s; }) + ")";
  }

  std::string lookup(const Expr* e) {
    for (auto it = memo_.rbegin(); it != memo_.rend(); ++it) {
      auto found = it->find(e);
      if (found != it->end()) return found->second;
    }
    return "";
  }

  /// The C++ of `e`: a local defined ahead (computed once) unless `e` is a leaf, or `inline_all`
  /// (inside a guarded branch: nothing may be computed ahead of its condition).
  std::string expr(const ExprPtr& e, bool inline_all = false) {
    if (e->kind == Expr::Kind::kConst) return literal(*e);
    if (e->kind == Expr::Kind::kVar) return e->name;
    if (e->kind == Expr::Kind::kSize) return size(e->size);
    if (e->kind == Expr::Kind::kIndex) return "(" + index(e->index) + ")";
    std::string known = lookup(e.get());
    if (!known.empty()) return known;
    std::string text = compute(*e, inline_all);
    if (inline_all) return text;
    std::string var = fmt::format("t{}", next_temp_++);
    w_.wrapped(fmt::format("const {} {} = {};", cpp_type(e->dtype), var, text));
    memo_.back()[e.get()] = var;
    return var;
  }

  std::string compute(const Expr& e, bool inline_all) {
    switch (e.kind) {
      case Expr::Kind::kConst:
      case Expr::Kind::kVar:
        return e.kind == Expr::Kind::kConst ? literal(e) : e.name;
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
        if (helper != helper_ops().end()) {
          const bool qualified = helper->second.find("::") != std::string::npos;
          return fmt::format("{}{}({}, {})", qualified ? "" : "km::", helper->second, a, b);
        }
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

  /// The accumulations directly inside a loop body, for its simd clause; false when one is a
  /// max/min (no simd then: OpenMP's max ignores NaN).
  static bool sum_clauses(const std::vector<Stmt>& body, std::string& clauses) {
    std::set<std::string> sums, local;
    for (const Stmt& s : body) {
      if (s.kind == Stmt::Kind::kDefine) local.insert(s.var);
      if (s.kind != Stmt::Kind::kAccumulate || local.count(s.var) != 0) continue;
      if (s.combine != "sum") return false;
      sums.insert(s.var);
    }
    for (const std::string& v : sums) clauses += " reduction(+ : " + v + ")";
    return true;
  }

  void print_body(const std::vector<Stmt>& body) {
    for (const Stmt& s : body) {
      switch (s.kind) {
        case Stmt::Kind::kLoop: {
          std::string clauses;
          const bool simd = s.vector && sum_clauses(s.body, clauses);
          if (s.parallel) {
            // Threads take contiguous chunks of the loop (runtime/include/aotic/runtime/threads.h).
            w_.open_wrapped(
                fmt::format("aotic::runtime::parallel_for({}, {}, [&](int64_t {}_begin, int64_t {}_end)",
                            size(s.extent), size(s.work), s.var, s.var));
            if (simd) w_.linef("#pragma omp simd{}", clauses);
            w_.open(fmt::format("for (int64_t {0} = {0}_begin; {0} < {0}_end; ++{0})", s.var));
          } else {
            if (simd) w_.linef("#pragma omp simd{}", clauses);
            w_.open(fmt::format("for (int64_t {0} = 0; {0} < {1}; ++{0})", s.var, size(s.extent)));
          }
          memo_.emplace_back();
          print_body(s.body);
          memo_.pop_back();
          w_.close();
          if (s.parallel) w_.close("});");
          break;
        }
        case Stmt::Kind::kStore:
          w_.wrapped(fmt::format("{}[{}] = {};", s.buffer, index(s.index), expr(s.value)));
          break;
        case Stmt::Kind::kDefine:
          w_.wrapped(fmt::format("{} {} = {};", cpp_type(s.dtype), s.var, expr(s.value)));
          break;
        case Stmt::Kind::kAccumulate: {
          const std::string v = expr(s.value);
          if (s.combine == "sum") {
            w_.wrapped(fmt::format("{0} = km::add({0}, {1});", s.var, v));
          } else {
            w_.wrapped(fmt::format("{0} = km::{1}({0}, {2});", s.var,
                                   s.combine == "max" ? "maximum" : "minimum", v));
          }
          break;
        }
        case Stmt::Kind::kLet:
          w_.wrapped(fmt::format("const {} {} = {};", cpp_type(s.dtype), s.var, expr(s.value)));
          break;
      }
    }
  }

  const Kernel& kernel_;
  CodeWriter& w_;
  std::vector<std::map<const Expr*, std::string>> memo_;
  int next_temp_ = 0;
};

}  // namespace

void print_cpu_kernel(const Kernel& kernel, CodeWriter& out) {
  for (const Buffer& b : kernel.buffers) {
    for (const std::string& s : kernel.symbols) {
      AOTIC_CHECK(b.name != s, "kernel " + kernel.name + ": symbol and buffer share the name " + s);
    }
  }
  Printer(kernel, out).print();
}

}  // namespace aotic::kernel
