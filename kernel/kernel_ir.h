// The kernel IR: what one generated kernel computes, independent of the target. A kernel is a
// loop nest over buffers: loops with symbolic extents, stores of expressions at affine indices,
// scalar accumulators for reductions. Expressions are typed trees (shared, so a value used twice is
// one node, computed once) of loads, constants, loop variables, arithmetic and a few intrinsics.
// kernel/cpu_printer.h prints a kernel as C++ (OpenMP outer loops, vectorisable inner loops); a
// CUDA printer prints the same IR.
//
//   kernel add_relu(in0: f32, out0: f32 (written); symbols s0)
//     parallel loop i0 < 8*s0
//       vector loop i1 < 128
//         store out0[128*i0 + i1] = max(load in0[128*i0 + i1] + 1.0, 0.0)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/dtype.h"
#include "ir/sym_expr.h"

namespace aotic::kernel {

/// An element offset into a buffer: offset + sum of coefficient * loop variable. Coefficients and
/// the offset are integer expressions over the kernel's size symbols.
struct Index {
  std::vector<std::pair<std::string, ir::SymExpr>> terms;  // (loop variable, coefficient), no zeros
  ir::SymExpr offset;

  /// The coefficient of `var` (0 when absent).
  ir::SymExpr coefficient(const std::string& var) const;
  /// `this` plus `coefficient * var`.
  Index plus(const std::string& var, const ir::SymExpr& coefficient) const;
  /// "128*i0 + i1 + 4".
  std::string to_string() const;

  /// The loop variable `var` itself.
  static Index of(const std::string& var);
  /// A constant position.
  static Index at(const ir::SymExpr& offset);
};

Index operator+(const Index& a, const Index& b);
/// Every coefficient and the offset multiplied by `factor`.
Index operator*(const Index& a, const ir::SymExpr& factor);

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

/// One typed value. Every node has the dtype of the value it computes.
struct Expr {
  enum class Kind {
    kConst,   // a number: double_value (floats) or int_value (integers, bool)
    kVar,     // a loop variable (int64) or an accumulator / let variable, by `name`
    kLoad,    // buffer `name` at `index`
    kUnary,   // `name` is one of: neg, not (logical), bitnot
    kBinary,  // `name` is one of: add sub mul div max min pow eq ne lt le gt ge and or bitand bitor bitxor
              // atan2 fmod
    kCall,    // an intrinsic `name` over args (exp, log, tanh, erf, sigmoid, ...; the printer knows them)
    kWhere,   // args[0] ? args[1] : args[2]; only the chosen side is evaluated when `guarded`
    kCast,    // args[0] converted to dtype (PyTorch's conversion rules)
    kSize,    // the int64 value of `size`, an expression over the kernel's size symbols
    kIndex,   // the int64 value of `index` (a position compared with bounds)
  };
  Kind kind = Kind::kConst;
  ir::DType dtype = ir::DType::kFloat32;
  std::string name;
  double double_value = 0;
  int64_t int_value = 0;
  Index index;
  ir::SymExpr size;
  std::vector<ExprPtr> args;
  /// kWhere: the branches may be invalid (out-of-bounds loads) when not chosen: the printer keeps
  /// them inside the conditional instead of computing them ahead.
  bool guarded = false;
};

// Builders. They fold nothing: the printer and the C++ compiler do that.
ExprPtr constant(double value, ir::DType dtype);
ExprPtr constant_int(int64_t value, ir::DType dtype);
ExprPtr variable(const std::string& name, ir::DType dtype);
ExprPtr size_value(const ir::SymExpr& size);
ExprPtr index_value(Index index);
ExprPtr load(const std::string& buffer, Index index, ir::DType dtype);
ExprPtr unary(const std::string& op, ExprPtr a);
/// `op` over two values of one dtype; comparisons and logical ops give bool.
ExprPtr binary(const std::string& op, ExprPtr a, ExprPtr b);
ExprPtr call(const std::string& fn, std::vector<ExprPtr> args, ir::DType dtype);
ExprPtr where(ExprPtr cond, ExprPtr a, ExprPtr b, bool guarded = false);
/// `a` as `dtype` (itself when it already is).
ExprPtr cast(ExprPtr a, ir::DType dtype);
/// True for the binary ops whose result is bool.
bool is_predicate(const std::string& op);

/// One statement of a loop nest.
struct Stmt {
  enum class Kind {
    kLoop,        // for var in [0, extent): body
    kStore,       // buffer[index] = value
    kDefine,      // a mutable scalar `var` of dtype, initialised to value (an accumulator)
    kAccumulate,  // var = combine(var, value): combine is sum, max or min
    kLet,         // an immutable scalar `var` = value, visible to the rest of the enclosing body
  };
  Kind kind = Kind::kLoop;
  std::string var;        // kLoop, kDefine, kAccumulate, kLet
  ir::SymExpr extent;     // kLoop
  bool parallel = false;  // kLoop: run iterations on threads (outermost loops only)
  bool vector = false;    // kLoop: iterations independent (but for accumulations): vectorise
  /// kLoop with parallel: threads share the iterations of this loop and of the loop it holds
  /// (its only statement), one range of extent * inner extent, when true.
  bool collapse = false;
  /// kLoop with parallel: the elements all iterations process together, to decide at run time
  /// whether threads pay off.
  ir::SymExpr work;
  std::vector<Stmt> body;                 // kLoop
  std::string buffer;                     // kStore
  Index index;                            // kStore
  ExprPtr value;                          // kStore, kDefine, kAccumulate, kLet
  ir::DType dtype = ir::DType::kFloat32;  // kDefine, kLet
  std::string combine;                    // kAccumulate
};

Stmt loop(const std::string& var, ir::SymExpr extent, std::vector<Stmt> body);
Stmt store(const std::string& buffer, Index index, ExprPtr value);
Stmt define(const std::string& var, ExprPtr init);
Stmt accumulate(const std::string& var, const std::string& combine, ExprPtr value);
Stmt let(const std::string& var, ExprPtr value);

/// A buffer parameter of a kernel.
struct Buffer {
  std::string name;  // in0, out0, ...
  ir::DType dtype = ir::DType::kFloat32;
  bool written = false;
};

struct Kernel {
  std::string name;     // a C identifier, from the ops it fuses
  std::string comment;  // one line: the source nodes
  std::vector<Buffer> buffers;
  std::vector<std::string> symbols;  // size symbols the kernel takes as int64 parameters, sorted
  std::vector<Stmt> body;
};

/// The readable form of a kernel (for dumps and tests).
std::string to_text(const Kernel& kernel);
/// The readable form of an expression.
std::string to_text(const Expr& expr);

/// The size symbols an index or the kernel's loops and stores mention, sorted and unique.
std::vector<std::string> symbols_of(const Kernel& kernel);

}  // namespace aotic::kernel
