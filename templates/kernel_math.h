// The scalar functions generated kernels call (kernel/cpu_printer.cc prints `km::NAME(...)`), with
// PyTorch's semantics: integer arithmetic wraps around instead of overflowing, max/min propagate
// NaN, conversions to bool test for nonzero. Every kernel file gets this section. On the host it
// needs no header beyond <cstdint> and <type_traits>: the C library's math comes through the
// compiler's builtins (<cmath> alone was a third of a kernel file's compile time).
#pragma once

#include <cstdint>
#include <type_traits>

#include "templates/prologue.h"

namespace aotic_template {

// aotic-template: kernel_math
// Host and device: generated CUDA kernels call the same functions (the CPU polynomials below are
// for vectorised host loops; GPU code calls the device's own exp, tanh and erf).
#define KM_FN AOTIC_HOST_DEVICE inline
namespace km {

/// The C library's math for float and double (integers as double, as <cmath> takes them).
namespace libm {
#ifdef __CUDACC__
#define KM_LIBM(name) using std::name;
#define KM_LIBM2(name) using std::name;
#else
#define KM_LIBM(name)                                           \
  inline float name(float x) { return __builtin_##name##f(x); } \
  inline double name(double x) { return __builtin_##name(x); }  \
  template <typename T>                                         \
  inline double name(T x) {                                     \
    return __builtin_##name(static_cast<double>(x));            \
  }
#define KM_LIBM2(name)                                                       \
  inline float name(float a, float b) { return __builtin_##name##f(a, b); }  \
  inline double name(double a, double b) { return __builtin_##name(a, b); }  \
  template <typename T>                                                      \
  inline double name(T a, T b) {                                             \
    return __builtin_##name(static_cast<double>(a), static_cast<double>(b)); \
  }
#endif
KM_LIBM(exp)
KM_LIBM(exp2)
KM_LIBM(expm1)
KM_LIBM(log)
KM_LIBM(log2)
KM_LIBM(log10)
KM_LIBM(log1p)
KM_LIBM(sqrt)
KM_LIBM(sin)
KM_LIBM(cos)
KM_LIBM(tan)
KM_LIBM(asin)
KM_LIBM(acos)
KM_LIBM(atan)
KM_LIBM(sinh)
KM_LIBM(cosh)
KM_LIBM(tanh)
KM_LIBM(asinh)
KM_LIBM(acosh)
KM_LIBM(atanh)
KM_LIBM(erf)
KM_LIBM(erfc)
KM_LIBM(floor)
KM_LIBM(ceil)
KM_LIBM(trunc)
KM_LIBM(nearbyint)
KM_LIBM(fabs)
KM_LIBM2(pow)
KM_LIBM2(atan2)
KM_LIBM2(fmod)
#undef KM_LIBM
#undef KM_LIBM2
}  // namespace libm

/// Infinity and a quiet NaN of a floating-point type.
#ifdef __CUDACC_RTC__
template <typename T>
KM_FN constexpr T infinity() {
  return static_cast<T>(__builtin_bit_cast(double, 0x7ff0000000000000ul));
}
template <typename T>
KM_FN constexpr T quiet_nan() {
  return static_cast<T>(__builtin_bit_cast(double, 0x7ff8000000000000ul));
}
#define KM_MEMCPY memcpy
#else
template <typename T>
KM_FN constexpr T infinity() {
  return static_cast<T>(__builtin_huge_val());
}
template <typename T>
KM_FN constexpr T quiet_nan() {
  return static_cast<T>(__builtin_nan(""));
}
#define KM_MEMCPY __builtin_memcpy
#endif
template <typename T>
KM_FN T fmod(T a, T b) {
  return libm::fmod(a, b);
}

template <typename T>
constexpr bool kWraps = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
KM_FN T add(T a, T b) {
  if constexpr (kWraps<T>) {
    return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return a + b;
  }
}
template <typename T>
KM_FN T sub(T a, T b) {
  if constexpr (kWraps<T>) {
    return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  } else {
    return a - b;
  }
}
template <typename T>
KM_FN T mul(T a, T b) {
  if constexpr (kWraps<T>) {
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return a * b;
  }
}
template <typename T>
KM_FN T neg(T a) {
  if constexpr (kWraps<T>) {
    return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(a));
  } else {
    return -a;
  }
}
template <typename T>
KM_FN T abs(T a) {
  if constexpr (kWraps<T>) {
    return a < 0 ? neg(a) : a;
  } else if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    return libm::fabs(a);
  }
}
template <typename T>
KM_FN T maximum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a != a ? a : b != b ? b : a > b ? a : b;
  } else {
    return a > b ? a : b;
  }
}
template <typename T>
KM_FN T minimum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return a != a ? a : b != b ? b : a < b ? a : b;
  } else {
    return a < b ? a : b;
  }
}
/// PyTorch's conversion: to bool is `!= 0`; otherwise C++'s (floats to integers truncate).
template <typename To, typename From>
KM_FN To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}
/// expf in straight-line arithmetic (Cephes' polynomial, within 2 ulp), so that `omp simd` loops
/// calling it vectorise; NaN, infinities and underflow as std::exp.
KM_FN float exp_float(float x) {
  float c = x < 88.3762626647949f ? x : 88.3762626647949f;
  c = c > -88.3762626647949f ? c : -88.3762626647949f;
  // n = round(c * log2(e)) by adding 1.5 * 2^23: exact for |n| < 2^22, no conversion or libm call,
  // so the loop still vectorises; its bits hold n as an integer.
  const float shifted = c * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  float r = c - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  int32_t ni;
  KM_MEMCPY(&ni, &shifted, sizeof(ni));
  ni -= 0x4B400000;
  // 2^n as two factors, each a normal float for n in [-127, 128].
  const int32_t half = ni / 2;
  const int32_t bits_a = (half + 127) * (1 << 23), bits_b = (ni - half + 127) * (1 << 23);
  float scale_a, scale_b;
  KM_MEMCPY(&scale_a, &bits_a, sizeof(scale_a));
  KM_MEMCPY(&scale_b, &bits_b, sizeof(scale_b));
  float e = y * scale_a * scale_b;
  e = x > 88.7228391f ? infinity<float>() : e;
  e = x < -103.972084f ? 0.0f : e;
  return x != x ? x : e;
}
template <typename T>
KM_FN T exp(T x) {
#ifdef __CUDA_ARCH__
  return libm::exp(x);
#else
  if constexpr (std::is_same_v<T, float>) {
    return exp_float(x);
  } else {
    return libm::exp(x);
  }
#endif
}
template <typename T>
KM_FN T exp2(T x) {
  return libm::exp2(x);
}
template <typename T>
KM_FN T expm1(T x) {
  return libm::expm1(x);
}
template <typename T>
KM_FN T log(T x) {
  return libm::log(x);
}
template <typename T>
KM_FN T log2(T x) {
  return libm::log2(x);
}
template <typename T>
KM_FN T log10(T x) {
  return libm::log10(x);
}
template <typename T>
KM_FN T log1p(T x) {
  return libm::log1p(x);
}
template <typename T>
KM_FN T sqrt(T x) {
  return libm::sqrt(x);
}
template <typename T>
KM_FN T rsqrt(T x) {
  return T(1) / libm::sqrt(x);
}
template <typename T>
KM_FN T reciprocal(T x) {
  return T(1) / x;
}
template <typename T>
KM_FN T sin(T x) {
  return libm::sin(x);
}
template <typename T>
KM_FN T cos(T x) {
  return libm::cos(x);
}
template <typename T>
KM_FN T tan(T x) {
  return libm::tan(x);
}
template <typename T>
KM_FN T asin(T x) {
  return libm::asin(x);
}
template <typename T>
KM_FN T acos(T x) {
  return libm::acos(x);
}
template <typename T>
KM_FN T atan(T x) {
  return libm::atan(x);
}
template <typename T>
KM_FN T sinh(T x) {
  return libm::sinh(x);
}
template <typename T>
KM_FN T cosh(T x) {
  return libm::cosh(x);
}
template <typename T>
KM_FN T tanh(T x) {
#ifdef __CUDA_ARCH__
  return libm::tanh(x);
#else
  if constexpr (std::is_same_v<T, float>) {
    // 1 - 2 / (e^2x + 1), vectorisable; odd, and exact at the saturated ends.
    const float a = x < 0 ? -x : x;
    const float t = 1.0f - 2.0f / (exp_float(2.0f * a) + 1.0f);
    const float r = a < 0.0004f ? a : t;
    return x != x ? x : x < 0 ? -r : r;
  } else {
    return libm::tanh(x);
  }
#endif
}
template <typename T>
KM_FN T asinh(T x) {
  return libm::asinh(x);
}
template <typename T>
KM_FN T acosh(T x) {
  return libm::acosh(x);
}
template <typename T>
KM_FN T atanh(T x) {
  return libm::atanh(x);
}
template <typename T>
KM_FN T erf(T x) {
#ifdef __CUDA_ARCH__
  return libm::erf(x);
#else
  if constexpr (std::is_same_v<T, float>) {
    // Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), vectorisable.
    const float a = x < 0 ? -x : x;
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    const float r = 1.0f - p * t * exp_float(-a * a);
    return x != x ? x : x < 0 ? -r : r;
  } else {
    return libm::erf(x);
  }
#endif
}
template <typename T>
KM_FN T erfc(T x) {
  return libm::erfc(x);
}
template <typename T>
KM_FN T floor(T x) {
  return libm::floor(x);
}
template <typename T>
KM_FN T ceil(T x) {
  return libm::ceil(x);
}
template <typename T>
KM_FN T trunc(T x) {
  return libm::trunc(x);
}
/// Half to even, as torch.round.
template <typename T>
KM_FN T round(T x) {
  return libm::nearbyint(x);
}
template <typename T>
KM_FN T frac(T x) {
  return x - libm::trunc(x);
}
template <typename T>
KM_FN T sign(T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;
  } else {
    return static_cast<T>((T(0) < x) - (x < T(0)));
  }
}
template <typename T>
KM_FN T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}
template <typename T>
KM_FN T relu(T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;
  } else {
    return maximum(x, T(0));
  }
}
template <typename T>
KM_FN T gelu(T x) {
  return T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440)));
}
template <typename T>
KM_FN T gelu_tanh(T x) {
  const T inner = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  return T(0.5) * x * (T(1) + tanh(inner));
}
template <typename T>
KM_FN T silu(T x) {
  return x / (T(1) + exp(-x));
}
template <typename T>
KM_FN T mish(T x) {
  return x * libm::tanh(libm::log1p(libm::exp(x)));
}
template <typename T>
KM_FN T hardsigmoid(T x) {
  return minimum(maximum(x + T(3), T(0)), T(6)) / T(6);
}
template <typename T>
KM_FN T hardswish(T x) {
  return x * minimum(maximum(x + T(3), T(0)), T(6)) / T(6);
}
template <typename T>
KM_FN T pow(T a, T b) {
  return libm::pow(a, b);
}
template <typename T>
KM_FN T atan2(T a, T b) {
  return libm::atan2(a, b);
}
template <typename T>
KM_FN bool isnan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}
template <typename T>
KM_FN bool isinf(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x == infinity<T>() || x == -infinity<T>();
  } else {
    return false;
  }
}
template <typename T>
KM_FN T square(T x) {
  return mul(x, x);
}

}  // namespace km
// aotic-template-end

}  // namespace aotic_template
