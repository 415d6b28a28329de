#include "kernel/kernel_ir.h"

#include <fmt/format.h>

#include <set>

#include "ir/error.h"

namespace aotic::kernel {

ir::SymExpr Index::coefficient(const std::string& var) const {
  for (const auto& [v, c] : terms) {
    if (v == var) return c;
  }
  return ir::SymExpr::constant(0);
}

Index Index::plus(const std::string& var, const ir::SymExpr& coefficient) const {
  Index out = *this;
  if (coefficient.constant_value() == 0) return out;
  for (auto& [v, c] : out.terms) {
    if (v == var) {
      c = c + coefficient;
      if (c.constant_value() == 0) {
        std::vector<std::pair<std::string, ir::SymExpr>> kept;
        for (auto& t : out.terms) {
          if (t.first != var) kept.push_back(t);
        }
        out.terms = std::move(kept);
      }
      return out;
    }
  }
  out.terms.emplace_back(var, coefficient);
  return out;
}

Index Index::of(const std::string& var) {
  Index out;
  out.terms.emplace_back(var, ir::SymExpr::constant(1));
  return out;
}

Index Index::at(const ir::SymExpr& offset) {
  Index out;
  out.offset = offset;
  return out;
}

Index operator+(const Index& a, const Index& b) {
  Index out = a;
  for (const auto& [v, c] : b.terms) out = out.plus(v, c);
  out.offset = out.offset + b.offset;
  return out;
}

Index operator*(const Index& a, const ir::SymExpr& factor) {
  Index out;
  if (factor.constant_value() == 0) return out;
  for (const auto& [v, c] : a.terms) out.terms.emplace_back(v, c * factor);
  out.offset = a.offset * factor;
  return out;
}

std::string Index::to_string() const {
  std::string out;
  for (const auto& [v, c] : terms) {
    if (!out.empty()) out += " + ";
    if (c.constant_value() == 1) {
      out += v;
    } else if (c.is_constant()) {
      out += c.to_string() + "*" + v;
    } else {
      out += "(" + c.to_string() + ")*" + v;
    }
  }
  if (offset.constant_value() != 0 || out.empty()) out += (out.empty() ? "" : " + ") + offset.to_string();
  return out;
}

ExprPtr constant(double value, ir::DType dtype) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kConst;
  e->dtype = dtype;
  e->double_value = value;
  e->int_value = static_cast<int64_t>(value);
  return e;
}

ExprPtr constant_int(int64_t value, ir::DType dtype) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kConst;
  e->dtype = dtype;
  e->int_value = dtype == ir::DType::kBool ? (value != 0) : value;
  e->double_value = static_cast<double>(value);
  return e;
}

ExprPtr variable(const std::string& name, ir::DType dtype) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kVar;
  e->dtype = dtype;
  e->name = name;
  return e;
}

ExprPtr size_value(const ir::SymExpr& size) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kSize;
  e->dtype = ir::DType::kInt64;
  e->size = size;
  return e;
}

ExprPtr index_value(Index index) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kIndex;
  e->dtype = ir::DType::kInt64;
  e->index = std::move(index);
  return e;
}

ExprPtr load(const std::string& buffer, Index index, ir::DType dtype) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kLoad;
  e->dtype = dtype;
  e->name = buffer;
  e->index = std::move(index);
  return e;
}

ExprPtr unary(const std::string& op, ExprPtr a) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kUnary;
  e->dtype = op == "not" ? ir::DType::kBool : a->dtype;
  e->name = op;
  e->args = {std::move(a)};
  return e;
}

bool is_predicate(const std::string& op) {
  static const std::set<std::string> kOps = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"};
  return kOps.count(op) != 0;
}

ExprPtr binary(const std::string& op, ExprPtr a, ExprPtr b) {
  AOTIC_CHECK(a->dtype == b->dtype, fmt::format("kernel IR: {} of {} and {}", op, ir::dtype_name(a->dtype),
                                                ir::dtype_name(b->dtype)));
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kBinary;
  e->dtype = is_predicate(op) ? ir::DType::kBool : a->dtype;
  e->name = op;
  e->args = {std::move(a), std::move(b)};
  return e;
}

ExprPtr call(const std::string& fn, std::vector<ExprPtr> args, ir::DType dtype) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kCall;
  e->dtype = dtype;
  e->name = fn;
  e->args = std::move(args);
  return e;
}

ExprPtr where(ExprPtr cond, ExprPtr a, ExprPtr b, bool guarded) {
  AOTIC_CHECK(a->dtype == b->dtype && cond->dtype == ir::DType::kBool, "kernel IR: where of mixed types");
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kWhere;
  e->dtype = a->dtype;
  e->args = {std::move(cond), std::move(a), std::move(b)};
  e->guarded = guarded;
  return e;
}

ExprPtr cast(ExprPtr a, ir::DType dtype) {
  if (a->dtype == dtype) return a;
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kCast;
  e->dtype = dtype;
  e->args = {std::move(a)};
  return e;
}

Stmt loop(const std::string& var, ir::SymExpr extent, std::vector<Stmt> body) {
  Stmt s;
  s.kind = Stmt::Kind::kLoop;
  s.var = var;
  s.extent = std::move(extent);
  s.body = std::move(body);
  return s;
}

Stmt store(const std::string& buffer, Index index, ExprPtr value) {
  Stmt s;
  s.kind = Stmt::Kind::kStore;
  s.buffer = buffer;
  s.index = std::move(index);
  s.value = std::move(value);
  return s;
}

Stmt define(const std::string& var, ExprPtr init) {
  Stmt s;
  s.kind = Stmt::Kind::kDefine;
  s.var = var;
  s.dtype = init->dtype;
  s.value = std::move(init);
  return s;
}

Stmt accumulate(const std::string& var, const std::string& combine, ExprPtr value) {
  Stmt s;
  s.kind = Stmt::Kind::kAccumulate;
  s.var = var;
  s.combine = combine;
  s.dtype = value->dtype;
  s.value = std::move(value);
  return s;
}

Stmt let(const std::string& var, ExprPtr value) {
  Stmt s;
  s.kind = Stmt::Kind::kLet;
  s.var = var;
  s.dtype = value->dtype;
  s.value = std::move(value);
  return s;
}

std::string to_text(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kConst:
      return ir::dtype_is_floating(e.dtype) ? fmt::format("{}", e.double_value) : std::to_string(e.int_value);
    case Expr::Kind::kVar:
      return e.name;
    case Expr::Kind::kLoad:
      return fmt::format("{}[{}]", e.name, e.index.to_string());
    case Expr::Kind::kUnary:
    case Expr::Kind::kBinary:
    case Expr::Kind::kCall: {
      std::string args;
      for (const ExprPtr& a : e.args) args += (args.empty() ? "" : ", ") + to_text(*a);
      return fmt::format("{}({})", e.name, args);
    }
    case Expr::Kind::kWhere:
      return fmt::format("where({}, {}, {})", to_text(*e.args[0]), to_text(*e.args[1]), to_text(*e.args[2]));
    case Expr::Kind::kCast:
      return fmt::format("{}({})", ir::dtype_name(e.dtype), to_text(*e.args[0]));
    case Expr::Kind::kSize:
      return e.size.to_string();
    case Expr::Kind::kIndex:
      return "(" + e.index.to_string() + ")";
  }
  return "";
}

namespace {

void stmt_text(const Stmt& s, int depth, std::string& out) {
  const std::string pad(static_cast<size_t>(depth) * 2, ' ');
  switch (s.kind) {
    case Stmt::Kind::kLoop:
      out += fmt::format("{}{}{}loop {} < {}\n", pad,
                         s.parallel ? (s.collapse ? "parallel (with the next) " : "parallel ") : "",
                         s.vector ? "vector " : "", s.var, s.extent.to_string());
      for (const Stmt& b : s.body) stmt_text(b, depth + 1, out);
      break;
    case Stmt::Kind::kStore:
      out += fmt::format("{}store {}[{}] = {}\n", pad, s.buffer, s.index.to_string(), to_text(*s.value));
      break;
    case Stmt::Kind::kDefine:
      out += fmt::format("{}var {}: {} = {}\n", pad, s.var, ir::dtype_name(s.dtype), to_text(*s.value));
      break;
    case Stmt::Kind::kAccumulate:
      out += fmt::format("{}{} {}= {}\n", pad, s.var, s.combine, to_text(*s.value));
      break;
    case Stmt::Kind::kLet:
      out += fmt::format("{}let {} = {}\n", pad, s.var, to_text(*s.value));
      break;
  }
}

void collect_symbols(const ir::SymExpr& e, std::set<std::string>& out) {
  for (const std::string& s : e.symbols()) out.insert(s);
}

void collect_symbols(const Index& index, std::set<std::string>& out) {
  for (const auto& t : index.terms) collect_symbols(t.second, out);
  collect_symbols(index.offset, out);
}

void collect_symbols(const Expr& e, std::set<std::string>& out) {
  if (e.kind == Expr::Kind::kLoad || e.kind == Expr::Kind::kIndex) collect_symbols(e.index, out);
  if (e.kind == Expr::Kind::kSize) collect_symbols(e.size, out);
  for (const ExprPtr& a : e.args) collect_symbols(*a, out);
}

void collect_symbols(const Stmt& s, std::set<std::string>& out) {
  if (s.kind == Stmt::Kind::kLoop) {
    collect_symbols(s.extent, out);
    collect_symbols(s.work, out);
  }
  if (s.kind == Stmt::Kind::kStore) collect_symbols(s.index, out);
  if (s.value) collect_symbols(*s.value, out);
  for (const Stmt& b : s.body) collect_symbols(b, out);
}

}  // namespace

std::string to_text(const Kernel& kernel) {
  std::string params;
  for (const Buffer& b : kernel.buffers) {
    params += fmt::format("{}{}: {}{}", params.empty() ? "" : ", ", b.name, ir::dtype_name(b.dtype),
                          b.written ? " (written)" : "");
  }
  std::string symbols;
  for (const std::string& s : kernel.symbols) symbols += (symbols.empty() ? "" : ", ") + s;
  std::string out = fmt::format("kernel {}({}{}{})  # {}\n", kernel.name, params,
                                symbols.empty() ? "" : "; symbols ", symbols, kernel.comment);
  for (const Stmt& s : kernel.body) stmt_text(s, 1, out);
  return out;
}

std::vector<std::string> symbols_of(const Kernel& kernel) {
  std::set<std::string> out;
  for (const Stmt& s : kernel.body) collect_symbols(s, out);
  return {out.begin(), out.end()};
}

}  // namespace aotic::kernel
