#include "kernel/cuda_printer.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <vector>

#include "ir/error.h"
#include "kernel/expr_printer.h"

namespace aotic::kernel {
namespace {

/// How one part of a kernel runs (see cuda_printer.h).
enum class PartKind {
  kPointwise,  // one loop nest of stores: a thread per element
  kRows,       // an outer loop: a block per iteration, its body split across the block's threads
  kBlock,      // statements reducing into one value: one block
  kSerial,     // one thread
};

struct Part {
  PartKind kind = PartKind::kSerial;
  std::vector<const Stmt*> stmts;
};

bool has_reduction(const std::vector<Stmt>& body) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kDefine || s.kind == Stmt::Kind::kAccumulate) return true;
    if (has_reduction(s.body)) return true;
  }
  return false;
}

/// A loop nest whose levels hold lets and one inner loop, or lets and stores (innermost).
bool is_pointwise_nest(const Stmt& loop) {
  const Stmt* inner = nullptr;
  bool stores = false;
  for (const Stmt& s : loop.body) {
    switch (s.kind) {
      case Stmt::Kind::kLoop:
        if (inner != nullptr) return false;
        inner = &s;
        break;
      case Stmt::Kind::kStore:
        stores = true;
        break;
      case Stmt::Kind::kLet:
        break;
      default:
        return false;
    }
  }
  if (inner == nullptr) return true;
  return !stores && is_pointwise_nest(*inner);
}

bool reads_var(const ExprPtr& e, const std::string& var) {
  if (e == nullptr) return false;
  if (e->kind == Expr::Kind::kVar && e->name == var) return true;
  for (const ExprPtr& a : e->args) {
    if (reads_var(a, var)) return true;
  }
  return false;
}

bool reads_var(const std::vector<Stmt>& body, const std::string& var) {
  for (const Stmt& s : body) {
    if (reads_var(s.value, var) || reads_var(s.body, var)) return true;
  }
  return false;
}

/// Accumulators that `body` accumulates but does not define, in order of first accumulation.
void outside_accumulators(const std::vector<Stmt>& body, std::set<std::string> defined,
                          std::vector<std::string>& out) {
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kDefine) defined.insert(s.var);
    if (s.kind == Stmt::Kind::kAccumulate && defined.count(s.var) == 0 &&
        std::find(out.begin(), out.end(), s.var) == out.end()) {
      out.push_back(s.var);
    }
    if (s.kind == Stmt::Kind::kLoop) outside_accumulators(s.body, defined, out);
  }
}

/// Whether a body can run split across a block: no loop reads an accumulator it (partly) fills.
bool block_splittable(const std::vector<Stmt>& body) {
  for (const Stmt& s : body) {
    if (s.kind != Stmt::Kind::kLoop) continue;
    std::vector<std::string> partials;
    outside_accumulators(s.body, {}, partials);
    for (const std::string& v : partials) {
      if (reads_var(s.body, v)) return false;
    }
  }
  return true;
}

std::vector<Part> plan(const Kernel& kernel) {
  std::vector<Part> parts;
  bool only_loops = true;
  for (const Stmt& s : kernel.body) only_loops &= s.kind == Stmt::Kind::kLoop;
  if (!only_loops) {
    Part p;
    p.kind = block_splittable(kernel.body) ? PartKind::kBlock : PartKind::kSerial;
    for (const Stmt& s : kernel.body) p.stmts.push_back(&s);
    parts.push_back(std::move(p));
    return parts;
  }
  for (const Stmt& s : kernel.body) {
    Part p;
    p.stmts = {&s};
    if (!has_reduction(s.body) && is_pointwise_nest(s)) {
      p.kind = PartKind::kPointwise;
    } else if (block_splittable(s.body)) {
      p.kind = PartKind::kRows;
    } else {
      p.kind = PartKind::kSerial;
    }
    parts.push_back(std::move(p));
  }
  return parts;
}

const char* combine_op(const std::string& combine) {
  if (combine == "sum") return "km::SumOp";
  if (combine == "max") return "km::MaxOp";
  return "km::MinOp";
}

/// "const float* __restrict in0, float* __restrict out0, int64_t s0"; without __restrict for the
/// host launcher (their addresses are the launch's arguments).
std::string parameters(const Kernel& kernel, bool restrict = true) {
  std::string out;
  for (const Buffer& b : kernel.buffers) {
    out += fmt::format("{}{}{}* {}{}", out.empty() ? "" : ", ", b.written ? "" : "const ", cpp_type(b.dtype),
                       restrict ? "__restrict " : "", b.name);
  }
  for (const std::string& s : kernel.symbols) out += (out.empty() ? "" : ", ") + ("int64_t " + s);
  return out;
}

class Printer {
 public:
  Printer(const Kernel& kernel, CodeWriter& out, CodeWriter& host)
      : kernel_(kernel), w_(out), host_(host), e_(out) {}

  void print() {
    std::vector<std::string> args;
    for (const Buffer& b : kernel_.buffers) args.push_back(b.name);
    for (const std::string& s : kernel_.symbols) args.push_back(s);
    const std::vector<Part> parts = plan(kernel_);
    const std::string joined = parameters(kernel_);
    std::vector<std::string> launches;
    for (size_t i = 0; i < parts.size(); ++i) {
      const Part& part = parts[i];
      const std::string name = fmt::format("{}_part{}", kernel_.name, i);
      w_.linef(
          "// {}{}", kernel_.comment,
          part.kind == PartKind::kSerial ? " (one thread: an accumulator is read while it is filled)" : "");
      w_.open_wrapped(
          fmt::format("extern \"C\" __global__ void __launch_bounds__(km::kThreads) {}({})", name, joined));
      e_.open_scope();
      std::string grid, threads = "km::kThreads", count;
      switch (part.kind) {
        case PartKind::kPointwise:
          count = print_pointwise(*part.stmts[0]);
          grid = fmt::format("km::blocks_for({})", count);
          break;
        case PartKind::kRows: {
          const Stmt& loop = *part.stmts[0];
          count = ExprPrinter::size(loop.extent);
          w_.open(
              fmt::format("for (int64_t {0} = blockIdx.x; {0} < {1}; {0} += gridDim.x)", loop.var, count));
          e_.open_scope();
          print_block(loop.body);
          e_.close_scope();
          w_.close();
          grid = fmt::format("km::rows_for({})", count);
          break;
        }
        case PartKind::kBlock: {
          std::vector<Stmt> body;
          for (const Stmt* s : part.stmts) body.push_back(*s);
          print_block(body);
          grid = "1";
          break;
        }
        case PartKind::kSerial:
          w_.open("if (blockIdx.x == 0 && threadIdx.x == 0)");
          e_.open_scope();
          for (const Stmt* s : part.stmts) print_serial(*s);
          e_.close_scope();
          w_.close();
          grid = "1";
          threads = "1";
          break;
      }
      e_.close_scope();
      w_.close();
      w_.blank();
      const std::string launch = fmt::format("km::launch(part{}, {}, {}, args, stream)", i, grid, threads);
      // An empty loop launches nothing (a grid of 0 blocks is an error).
      const bool positive =
          !count.empty() && count.find_first_not_of("0123456789") == std::string::npos && count != "0";
      launches.push_back(fmt::format(
          "if (cudaError_t e = {}) return e;",
          count.empty() || positive ? launch : fmt::format("{} > 0 ? {} : cudaSuccess", count, launch)));
    }
    // The host launcher (model.cpp): the parts from the model's fatbin, launched in order.
    host_.linef("// {}", kernel_.comment);
    host_.open_wrapped(fmt::format("cudaError_t {}({}, cudaStream_t stream)", kernel_.name,
                                   parameters(kernel_, /*restrict=*/false)));
    for (size_t i = 0; i < parts.size(); ++i) {
      host_.linef("static const void* const part{} = km::kernel(\"{}_part{}\");", i, kernel_.name, i);
    }
    std::vector<std::string> addresses;
    addresses.reserve(args.size());
    for (const std::string& a : args) addresses.push_back("&" + a);
    host_.wrapped(fmt::format("void* args[] = {{{}}};", join(addresses)));
    for (const std::string& l : launches) host_.wrapped(l);
    host_.line("return cudaSuccess;");
    host_.close();
  }

 private:
  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }

  /// The nest as one grid-stride loop over all its elements; returns the element count.
  std::string print_pointwise(const Stmt& outer) {
    std::vector<const Stmt*> loops = {&outer};
    while (true) {
      const Stmt* inner = nullptr;
      for (const Stmt& s : loops.back()->body) {
        if (s.kind == Stmt::Kind::kLoop) inner = &s;
      }
      if (inner == nullptr) break;
      loops.push_back(inner);
    }
    std::string count;
    for (const Stmt* l : loops) {
      const std::string e = ExprPrinter::size(l->extent);
      count = count.empty() ? e : count + " * " + e;
    }
    if (loops.size() > 1) count = "(" + count + ")";
    const std::string flat = loops.size() == 1 ? outer.var : "flat";
    w_.open(
        fmt::format("for (int64_t {0} = blockIdx.x * int64_t{{blockDim.x}} + threadIdx.x; {0} < {1}; "
                    "{0} += int64_t{{gridDim.x}} * blockDim.x)",
                    flat, count));
    if (loops.size() > 1) {
      w_.line("int64_t rest = flat;");
      for (size_t i = loops.size(); i-- > 1;) {
        const std::string e = ExprPrinter::size(loops[i]->extent);
        w_.linef("const int64_t {} = rest % {};", loops[i]->var, e);
        w_.linef("rest /= {};", e);
      }
      w_.linef("const int64_t {} = rest;", outer.var);
    }
    e_.open_scope();
    for (const Stmt* l : loops) {
      for (const Stmt& s : l->body) {
        if (s.kind != Stmt::Kind::kLoop) print_serial(s);
      }
    }
    e_.close_scope();
    w_.close();
    return count;
  }

  /// Statements every thread of a block runs: loops split across the threads.
  void print_block(const std::vector<Stmt>& body) {
    for (const Stmt& s : body) {
      switch (s.kind) {
        case Stmt::Kind::kLoop: {
          std::vector<std::string> partials;
          outside_accumulators(s.body, {}, partials);
          for (const std::string& v : partials) {
            const std::string type = cpp_type(dtype_of_.at(v));
            const std::string part = v + "_part";
            w_.linef("{} {} = {}<{}>::identity();", type, part, combine_op(combine_of(s.body, v)), type);
            e_.rename(v, part);
          }
          w_.open(fmt::format("for (int64_t {0} = threadIdx.x; {0} < {1}; {0} += blockDim.x)", s.var,
                              ExprPrinter::size(s.extent)));
          e_.open_scope();
          for (const Stmt& inner : s.body) print_serial(inner);
          e_.close_scope();
          w_.close();
          for (const std::string& v : partials) {
            e_.clear_rename(v);
            const std::string type = cpp_type(dtype_of_.at(v));
            const char* op = combine_op(combine_of(s.body, v));
            w_.linef("{0} = {1}<{2}>::apply({0}, km::block_reduce<{2}, {1}<{2}>>({0}_part));", v, op, type);
          }
          // What the threads stored is read by the statements after, on other threads.
          if (stores(s.body)) w_.line("__syncthreads();");
          break;
        }
        case Stmt::Kind::kStore: {
          const std::string value = e_.expr(s.value);
          w_.wrapped(fmt::format("if (threadIdx.x == 0) {}[{}] = {};", s.buffer, e_.index(s.index), value));
          w_.line("__syncthreads();");
          break;
        }
        default:
          print_serial(s);
          break;
      }
    }
  }

  static bool stores(const std::vector<Stmt>& body) {
    for (const Stmt& s : body) {
      if (s.kind == Stmt::Kind::kStore || stores(s.body)) return true;
    }
    return false;
  }

  static std::string combine_of(const std::vector<Stmt>& body, const std::string& var) {
    for (const Stmt& s : body) {
      if (s.kind == Stmt::Kind::kAccumulate && s.var == var) return s.combine;
      std::string inner = combine_of(s.body, var);
      if (!inner.empty()) return inner;
    }
    return "";
  }

  /// One thread's statements, as written.
  void print_serial(const Stmt& s) {
    switch (s.kind) {
      case Stmt::Kind::kLoop:
        w_.open(fmt::format("for (int64_t {0} = 0; {0} < {1}; ++{0})", s.var, ExprPrinter::size(s.extent)));
        e_.open_scope();
        for (const Stmt& inner : s.body) print_serial(inner);
        e_.close_scope();
        w_.close();
        break;
      case Stmt::Kind::kStore:
        w_.wrapped(fmt::format("{}[{}] = {};", s.buffer, e_.index(s.index), e_.expr(s.value)));
        break;
      case Stmt::Kind::kDefine:
        dtype_of_[s.var] = s.dtype;
        w_.wrapped(fmt::format("{} {} = {};", cpp_type(s.dtype), s.var, e_.expr(s.value)));
        break;
      case Stmt::Kind::kAccumulate: {
        const std::string v = e_.expr(s.value);
        const std::string var = e_.var(s.var);
        if (s.combine == "sum") {
          w_.wrapped(fmt::format("{0} = km::add({0}, {1});", var, v));
        } else {
          w_.wrapped(
              fmt::format("{0} = km::{1}({0}, {2});", var, s.combine == "max" ? "maximum" : "minimum", v));
        }
        break;
      }
      case Stmt::Kind::kLet:
        w_.wrapped(fmt::format("const {} {} = {};", cpp_type(s.dtype), s.var, e_.expr(s.value)));
        break;
    }
  }

  const Kernel& kernel_;
  CodeWriter& w_;
  CodeWriter& host_;
  ExprPrinter e_;
  std::map<std::string, ir::DType> dtype_of_;  // accumulators
};

}  // namespace

void print_cuda_kernel(const Kernel& kernel, CodeWriter& out, CodeWriter& launcher) {
  for (const Buffer& b : kernel.buffers) {
    for (const std::string& s : kernel.symbols) {
      AOTIC_CHECK(b.name != s, "kernel " + kernel.name + ": symbol and buffer share the name " + s);
    }
  }
  Printer(kernel, out, launcher).print();
}

}  // namespace aotic::kernel
