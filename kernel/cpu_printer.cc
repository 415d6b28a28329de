#include "kernel/cpu_printer.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <vector>

#include "ir/error.h"
#include "kernel/expr_printer.h"

namespace aotic::kernel {
namespace {

/// Whether `e` has one value in every iteration of the loop over `var`: built from constants,
/// sizes and the loop variables in `outer` alone (no loads, no accumulators).
bool invariant(const Expr& e, const std::string& var, const std::set<std::string>& outer) {
  switch (e.kind) {
    case Expr::Kind::kConst:
    case Expr::Kind::kSize:
      return true;
    case Expr::Kind::kVar:
      return e.name != var && outer.count(e.name) != 0;
    case Expr::Kind::kLoad:
      return false;
    case Expr::Kind::kIndex:
      for (const auto& term : e.index.terms) {
        if (term.first == var || outer.count(term.first) == 0) return false;
      }
      return true;
    default:
      for (const ExprPtr& a : e.args) {
        if (!invariant(*a, var, outer)) return false;
      }
      return true;
  }
}

/// The guarded selects (a load valid only where the condition holds: padding, a pool's border)
/// of `body` whose condition is invariant in the loop over `var`, in first-use order.
std::vector<const Expr*> invariant_guards(const std::vector<Stmt>& body, const std::string& var,
                                          const std::set<std::string>& outer) {
  std::vector<const Expr*> found;
  std::set<const Expr*> seen;
  const auto visit = [&](const auto& self, const ExprPtr& e) -> void {
    if (!e || !seen.insert(e.get()).second) return;
    if (e->kind == Expr::Kind::kWhere && e->guarded && invariant(*e->args[0], var, outer)) {
      found.push_back(e.get());
    }
    for (const ExprPtr& a : e->args) self(self, a);
  };
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kLoop) return {};  // innermost loops only
    visit(visit, s.value);
  }
  return found;
}

/// `e` with each select of `taken` replaced by its first branch (its condition known true),
/// sharing kept: a node used twice is rebuilt once.
ExprPtr take_branches(const ExprPtr& e, const std::set<const Expr*>& taken,
                      std::map<const Expr*, ExprPtr>& rebuilt) {
  if (!e) return e;
  if (auto it = rebuilt.find(e.get()); it != rebuilt.end()) return it->second;
  ExprPtr out = e;
  if (taken.count(e.get()) != 0) {
    out = take_branches(e->args[1], taken, rebuilt);
  } else if (!e->args.empty()) {
    auto copy = std::make_shared<Expr>(*e);
    bool changed = false;
    for (ExprPtr& a : copy->args) {
      ExprPtr b = take_branches(a, taken, rebuilt);
      changed = changed || b != a;
      a = std::move(b);
    }
    if (changed) out = std::move(copy);
  }
  rebuilt[e.get()] = out;
  return out;
}

class Printer {
 public:
  Printer(const Kernel& kernel, CodeWriter& out) : kernel_(kernel), w_(out), e_(out) {}

  /// "void NAME(const float* __restrict in0, ..., int64_t s0)".
  static std::string signature(const Kernel& kernel) {
    std::string params;
    const auto add = [&](const std::string& p) { params += (params.empty() ? "" : ", ") + p; };
    for (const Buffer& b : kernel.buffers) {
      add(fmt::format("{}{}* __restrict {}", b.written ? "" : "const ", cpp_type(b.dtype), b.name));
    }
    for (const std::string& s : kernel.symbols) add("int64_t " + s);
    return fmt::format("void {}({})", kernel.name, params);
  }

  void print() {
    w_.linef("// {}", kernel_.comment);
    w_.open_wrapped(signature(kernel_));
    e_.open_scope();
    print_body(kernel_.body);
    e_.close_scope();
    w_.close();
  }

 private:
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
          if (s.parallel && s.collapse) {
            // Threads take contiguous chunks of both loops' iterations, as one range.
            const Stmt& inner = s.body.at(0);
            const std::string range = s.var + "_" + inner.var;
            const std::string inner_extent = ExprPrinter::size(inner.extent);
            const std::string divisor =
                inner.extent.constant_value() ? inner_extent : "(" + inner_extent + ")";
            w_.open_wrapped(fmt::format(
                "aotic::runtime::parallel_for({}, {}, [&](int64_t {}_begin, int64_t {}_end)",
                ExprPrinter::size(s.extent * inner.extent), ExprPrinter::size(s.work), range, range));
            w_.open(fmt::format("for (int64_t {0} = {0}_begin; {0} < {0}_end; ++{0})", range));
            w_.linef("const int64_t {} = {} / {};", s.var, range, divisor);
            w_.linef("const int64_t {} = {} % {};", inner.var, range, divisor);
            print_scope({s.var, inner.var}, inner.body);
            w_.close();
            w_.close("});");
            break;
          }
          if (s.parallel) {
            // Threads take contiguous chunks of the loop (runtime/include/aotic/runtime/threads.h).
            w_.open_wrapped(
                fmt::format("aotic::runtime::parallel_for({}, {}, [&](int64_t {}_begin, int64_t {}_end)",
                            ExprPrinter::size(s.extent), ExprPrinter::size(s.work), s.var, s.var));
            if (simd) w_.linef("#pragma omp simd{}", clauses);
            w_.open(fmt::format("for (int64_t {0} = {0}_begin; {0} < {0}_end; ++{0})", s.var));
          } else {
            if (s.vector && print_unswitched(s, simd, clauses)) break;
            print_loop(s, s.body, simd, clauses);
            break;
          }
          print_scope({s.var}, s.body);
          w_.close();
          w_.close("});");
          break;
        }
        case Stmt::Kind::kStore:
          w_.wrapped(fmt::format("{}[{}] = {};", s.buffer, e_.index(s.index), e_.expr(s.value)));
          break;
        case Stmt::Kind::kDefine:
          w_.wrapped(fmt::format("{} {} = {};", cpp_type(s.dtype), s.var, e_.expr(s.value)));
          break;
        case Stmt::Kind::kAccumulate: {
          const std::string v = e_.expr(s.value);
          if (s.combine == "sum") {
            w_.wrapped(fmt::format("{0} = km::add({0}, {1});", s.var, v));
          } else {
            w_.wrapped(fmt::format("{0} = km::{1}({0}, {2});", s.var,
                                   s.combine == "max" ? "maximum" : "minimum", v));
          }
          break;
        }
        case Stmt::Kind::kLet:
          w_.wrapped(fmt::format("const {} {} = {};", cpp_type(s.dtype), s.var, e_.expr(s.value)));
          break;
      }
    }
  }

  /// A sequential loop over `body` (the loop's own or a rewritten copy).
  void print_loop(const Stmt& s, const std::vector<Stmt>& body, bool simd, const std::string& clauses) {
    if (simd) w_.linef("#pragma omp simd{}", clauses);
    w_.open(fmt::format("for (int64_t {0} = 0; {0} < {1}; ++{0})", s.var, ExprPrinter::size(s.extent)));
    print_scope({s.var}, body);
    w_.close();
  }

  /// A loop's body: its own scope of locals, its loop variables `vars` among the outer ones.
  void print_scope(const std::vector<std::string>& vars, const std::vector<Stmt>& body) {
    for (const std::string& v : vars) outer_.insert(v);
    e_.open_scope();
    print_body(body);
    e_.close_scope();
    for (const std::string& v : vars) outer_.erase(v);
  }

  /// A vector loop reading through guarded selects whose conditions hold for the whole loop or
  /// for none of it (a pool window or padding crossing the border, one output row at a time):
  /// the conditions are computed once, and where they all hold a copy of the loop without them
  /// runs, its loads unconditional so that the compiler vectorises it; the loop as it is runs
  /// elsewhere. Returns false (nothing printed) when the loop has no such select.
  bool print_unswitched(const Stmt& s, bool simd, const std::string& clauses) {
    const std::vector<const Expr*> guards = invariant_guards(s.body, s.var, outer_);
    if (guards.empty()) return false;
    std::set<const Expr*> taken(guards.begin(), guards.end());
    std::vector<std::string> conditions;
    std::set<std::string> unique;
    for (const Expr* g : guards) {
      const std::string c = e_.expr(g->args[0]);
      if (unique.insert(c).second) conditions.push_back(c);
    }
    std::map<const Expr*, ExprPtr> rebuilt;
    std::vector<Stmt> fast = s.body;
    for (Stmt& st : fast) st.value = take_branches(st.value, taken, rebuilt);
    std::string all;
    for (const std::string& c : conditions) all += (all.empty() ? "" : " && ") + c;
    w_.open(fmt::format("if ({})", all));
    print_loop(s, fast, simd, clauses);
    w_.reopen("} else {");
    print_loop(s, s.body, simd, clauses);
    w_.close();
    return true;
  }

  const Kernel& kernel_;
  CodeWriter& w_;
  ExprPrinter e_;
  std::set<std::string> outer_;  // the variables of the loops around the one being printed
};

void check_names(const Kernel& kernel) {
  for (const Buffer& b : kernel.buffers) {
    for (const std::string& s : kernel.symbols) {
      AOTIC_CHECK(b.name != s, "kernel " + kernel.name + ": symbol and buffer share the name " + s);
    }
  }
}

}  // namespace

void print_cpu_kernel(const Kernel& kernel, CodeWriter& out) {
  check_names(kernel);
  Printer(kernel, out).print();
}

void print_cpu_kernel_declaration(const Kernel& kernel, CodeWriter& out) {
  check_names(kernel);
  out.wrapped(Printer::signature(kernel) + ";");
}

}  // namespace aotic::kernel
