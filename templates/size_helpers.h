// Integer arithmetic with Python's semantics for sizes computed from symbols
// (ir::SymExpr::to_cpp calls these). A model.cpp gets only those its expressions use.
#pragma once

#include <cstdint>

#include "templates/prologue.h"

namespace aotic_template {

// aotic-template: aotic_floordiv
AOTIC_HOST_DEVICE inline int64_t aotic_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
// aotic-template-end

// aotic-template: aotic_ceildiv
AOTIC_HOST_DEVICE inline int64_t aotic_ceildiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) == (b < 0))) ++q;
  return q;
}
// aotic-template-end

// aotic-template: aotic_mod
AOTIC_HOST_DEVICE inline int64_t aotic_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
// aotic-template-end

// aotic-template: aotic_pow
AOTIC_HOST_DEVICE inline int64_t aotic_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) result *= base;
    exp >>= 1;
    if (exp > 0) base *= base;
  }
  return result;
}
// aotic-template-end

// aotic-template: aotic_exactdiv
AOTIC_HOST_DEVICE inline int64_t aotic_exactdiv(int64_t a, int64_t b) { return a / b; }
// aotic-template-end

}  // namespace aotic_template
