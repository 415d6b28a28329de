// What both kernel printers (kernel/cpu_printer.h, kernel/cuda_printer.h) share: a kernel IR
// expression as C++ over the `km::` helpers of templates/kernel_math.h, with values used more than
// once computed once into locals, and indices and sizes as integer arithmetic. The printers own
// the loops; this class owns the expressions inside them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kernel/kernel_ir.h"
#include "kernel/writer.h"

namespace aotic::kernel {

/// The C++ type of a dtype's elements in generated kernels ("float", "int64_t", "bool", ...).
/// Throws UserError for dtypes kernels do not handle (16-bit floats, complex).
std::string cpp_type(ir::DType dtype);

class ExprPrinter {
 public:
  explicit ExprPrinter(CodeWriter& out) : w_(out) {}

  /// "128 * i0 + i1 + 4".
  std::string index(const Index& index);
  /// A size expression over the kernel's symbols: "128", "(s0 * 8)".
  static std::string size(const ir::SymExpr& e);
  /// The C++ of `e`: a local defined ahead (computed once) unless `e` is a leaf, or `inline_all`
  /// (inside a guarded branch: nothing may be computed ahead of its condition).
  std::string expr(const ExprPtr& e, bool inline_all = false);
  /// A literal of the constant `e`.
  static std::string literal(const Expr& e);

  /// Locals computed inside a scope are visible only there: a loop body opens one.
  void open_scope() { memo_.emplace_back(); }
  void close_scope() { memo_.pop_back(); }

  /// Accumulator renames: inside a CUDA thread loop an accumulator is each thread's partial.
  void rename(const std::string& var, const std::string& as) { renames_[var] = as; }
  void clear_rename(const std::string& var) { renames_.erase(var); }
  std::string var(const std::string& name) const;

 private:
  std::string lookup(const Expr* e) const;
  std::string compute(const Expr& e, bool inline_all);

  CodeWriter& w_;
  std::vector<std::map<const Expr*, std::string>> memo_;
  std::map<std::string, std::string> renames_;
  int next_temp_ = 0;
};

}  // namespace aotic::kernel
