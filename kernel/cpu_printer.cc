#include "kernel/cpu_printer.h"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "ir/error.h"
#include "kernel/expr_printer.h"

namespace aotic::kernel {
namespace {

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
            e_.open_scope();
            print_body(inner.body);
            e_.close_scope();
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
            if (simd) w_.linef("#pragma omp simd{}", clauses);
            w_.open(
                fmt::format("for (int64_t {0} = 0; {0} < {1}; ++{0})", s.var, ExprPrinter::size(s.extent)));
          }
          e_.open_scope();
          print_body(s.body);
          e_.close_scope();
          w_.close();
          if (s.parallel) w_.close("});");
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

  const Kernel& kernel_;
  CodeWriter& w_;
  ExprPrinter e_;
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
