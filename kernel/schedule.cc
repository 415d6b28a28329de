#include "kernel/schedule.h"

#include <map>
#include <optional>
#include <set>
#include <vector>

namespace aotic::kernel {
namespace {

void indices_of(const ExprPtr& e, std::vector<const Index*>& out, std::set<std::string>& vars) {
  if (e->kind == Expr::Kind::kLoad) out.push_back(&e->index);
  if (e->kind == Expr::Kind::kVar) vars.insert(e->name);
  // A position compared with bounds needs its own loop variables.
  if (e->kind == Expr::Kind::kIndex) {
    for (const auto& term : e->index.terms) vars.insert(term.first);
  }
  for (const ExprPtr& a : e->args) indices_of(a, out, vars);
}

/// Every index in `body` (loads and stores), and the variables expressions use as values.
void indices_of(const std::vector<Stmt>& body, std::vector<const Index*>& out, std::set<std::string>& vars) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kStore) out.push_back(&s.index);
    if (s.value) indices_of(s.value, out, vars);
    indices_of(s.body, out, vars);
  }
}

/// Index with `outer` dropped and `inner` renamed `outer`.
Index merged(const Index& index, const std::string& outer, const std::string& inner) {
  Index out;
  out.offset = index.offset;
  for (const auto& [v, c] : index.terms) {
    if (v == outer) continue;
    out.terms.emplace_back(v == inner ? outer : v, c);
  }
  return out;
}

ExprPtr rewrite(const ExprPtr& e, const std::string& outer, const std::string& inner,
                std::map<const Expr*, ExprPtr>& memo) {
  auto it = memo.find(e.get());
  if (it != memo.end()) return it->second;
  if (e->kind != Expr::Kind::kLoad && e->kind != Expr::Kind::kIndex && e->args.empty())
    return memo[e.get()] = e;
  auto copy = std::make_shared<Expr>(*e);
  if (copy->kind == Expr::Kind::kLoad || copy->kind == Expr::Kind::kIndex) {
    copy->index = merged(copy->index, outer, inner);
  }
  for (ExprPtr& a : copy->args) a = rewrite(a, outer, inner, memo);
  return memo[e.get()] = copy;
}

void rewrite(std::vector<Stmt>& body, const std::string& outer, const std::string& inner,
             std::map<const Expr*, ExprPtr>& memo) {
  for (Stmt& s : body) {
    if (s.kind == Stmt::Kind::kStore) s.index = merged(s.index, outer, inner);
    if (s.value) s.value = rewrite(s.value, outer, inner, memo);
    rewrite(s.body, outer, inner, memo);
  }
}

/// Merges `loop` with the single loop it holds while every index allows it.
void merge(Stmt& loop) {
  while (loop.body.size() == 1 && loop.body[0].kind == Stmt::Kind::kLoop) {
    Stmt& inner = loop.body[0];
    std::vector<const Index*> indices;
    std::set<std::string> vars;
    indices_of(inner.body, indices, vars);
    if (vars.count(loop.var) != 0 || vars.count(inner.var) != 0) break;
    bool ok = true;
    for (const Index* index : indices) {
      ok &= index->coefficient(loop.var) == index->coefficient(inner.var) * inner.extent;
    }
    if (!ok) break;
    std::map<const Expr*, ExprPtr> memo;
    std::vector<Stmt> body = std::move(inner.body);
    rewrite(body, loop.var, inner.var, memo);
    loop.extent = loop.extent * inner.extent;
    loop.body = std::move(body);
  }
  for (Stmt& s : loop.body) {
    if (s.kind == Stmt::Kind::kLoop) merge(s);
  }
}

bool has_loop(const std::vector<Stmt>& body) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kLoop) return true;
  }
  return false;
}

void mark_vector(std::vector<Stmt>& body) {
  for (Stmt& s : body) {
    if (s.kind != Stmt::Kind::kLoop) continue;
    if (has_loop(s.body)) {
      mark_vector(s.body);
    } else {
      s.vector = true;
    }
  }
}

}  // namespace

void schedule(Kernel& kernel, const ir::SymExpr& work) {
  for (Stmt& s : kernel.body) {
    if (s.kind == Stmt::Kind::kLoop) merge(s);
  }
  mark_vector(kernel.body);
  // Outermost loops run on threads, unless the kernel reduces everything into one accumulator
  // defined outside them.
  bool accumulates_outside = false;
  for (const Stmt& s : kernel.body) accumulates_outside |= s.kind == Stmt::Kind::kDefine;
  for (Stmt& top : kernel.body) {
    if (top.kind != Stmt::Kind::kLoop || accumulates_outside) continue;
    // The outermost loop is often the batch, 1 at inference: threads take the first loop of more
    // than one iteration (a vector loop too, in chunks), and share it with the loop inside when
    // that is not the vector loop.
    Stmt* s = &top;
    while (s->extent.constant_value() == std::optional<int64_t>(1) && s->body.size() == 1 &&
           s->body[0].kind == Stmt::Kind::kLoop)
      s = &s->body[0];
    s->parallel = true;
    s->work = work;
    s->collapse =
        !s->vector && s->body.size() == 1 && s->body[0].kind == Stmt::Kind::kLoop && !s->body[0].vector;
  }
  kernel.symbols = symbols_of(kernel);
}

}  // namespace aotic::kernel
