// Vectorised float32 math for the CPU kernels: exp, log, tanh, sigmoid and erf written once with
// GCC/Clang vector extensions for any vector width, and loops that run them with the widest ISA
// the machine has (AVX-512, AVX2+FMA, or the SSE2 baseline the library is compiled for).
//
// Accuracy (float32, checked in tests/engine/vec_math_test.cc against std:: in double): Exp and
// Log within 1 ulp, Tanh, Sigmoid and Erf within 3 ulp. Exp flushes results below 2^-126 to 0.
// NaN stays NaN, +-inf map to the function's limits, odd functions keep the sign of zero.
#pragma once

#include <cstdint>
#include <cstring>

namespace ipfs_accelerate::engine::cpu::vec {

// Float vectors of 4, 8 and 16 lanes (one SSE2, AVX2 or AVX-512 register). Each Isa below uses its
// native width: GCC lowers compares on vectors wider than the target's registers lane by lane.
using F4 = float __attribute__((vector_size(16)));
using F8 = float __attribute__((vector_size(32)));
using F16 = float __attribute__((vector_size(64)));
// The int32 vector a compare of two V gives (lanes all ones where true).
template <typename V>
using IntOf = decltype(V{} < V{});
template <typename V>
inline constexpr int kLanesOf = sizeof(V) / sizeof(float);

#define IA_VEC_INLINE inline __attribute__((always_inline))

// Vectors wider than the baseline's registers change the calling convention; every function here
// is inlined, so the warning (-Wpsabi) says nothing. It is emitted at the end of the file that
// includes this header, hence no push/pop.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

template <typename V>
IA_VEC_INLINE V Splat(float c) {
  return V{} + c;
}
template <typename V>
IA_VEC_INLINE V Load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V>
IA_VEC_INLINE void Store(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename V>
IA_VEC_INLINE IntOf<V> Bits(V v) {
  return reinterpret_cast<IntOf<V>>(v);
}
template <typename V>
IA_VEC_INLINE V FromBits(IntOf<V> v) {
  return reinterpret_cast<V>(v);
}
// a where mask is set (all ones), else b.
template <typename V>
IA_VEC_INLINE V Select(IntOf<V> mask, V a, V b) {
  return FromBits<V>((mask & Bits(a)) | (~mask & Bits(b)));
}
template <typename V>
IA_VEC_INLINE V Abs(V x) {
  return FromBits<V>(Bits(x) & 0x7fffffff);
}
// |x| with the sign of s.
template <typename V>
IA_VEC_INLINE V CopySign(V x, V s) {
  return FromBits<V>((Bits(x) & 0x7fffffff) | (Bits(s) & int32_t(0x80000000u)));
}
template <typename V>
IA_VEC_INLINE V Min(V a, V b) {
  return Select(a < b, a, b);
}
template <typename V>
IA_VEC_INLINE V Max(V a, V b) {
  return Select(a > b, a, b);
}
// The larger of a and v, NaN when v is NaN (a NaN met anywhere in a max-reduction wins).
template <typename V>
IA_VEC_INLINE V MaxNan(V a, V v) {
  return Select((v > a) | (v != v), v, a);
}

// e^x = 2^n * y for x within Exp's clamps: y from the Cephes expf polynomial, n an integer.
template <typename V>
IA_VEC_INLINE V ExpMantissa(V xc, IntOf<V>* n) {
  const V round = Splat<V>(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  V nf = (xc * 1.44269504088896341f + round) - round;
  V r = xc - nf * 0.693359375f - nf * -2.12194440e-4f;
  V p = Splat<V>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  *n = __builtin_convertvector(nf, IntOf<V>);
  return p * r * r + r + 1.0f;
}

// e^x (Cephes expf polynomial, ~1 ulp). Below -87.34 gives 0, above 88.72 +inf.
template <typename V>
IA_VEC_INLINE V Exp(V x) {
  using I = IntOf<V>;
  const V lo = Splat<V>(-87.33654f), hi = Splat<V>(88.72283f);
  I n;
  V y = ExpMantissa(Max(Min(x, hi), lo), &n);
  // 2^n in two factors so n = 128 (x near 88.7) does not overflow the exponent field.
  I n1 = n >> 1, n2 = n - n1;
  y = y * FromBits<V>((n1 + 127) << 23) * FromBits<V>((n2 + 127) << 23);
  y = Select(x < lo, Splat<V>(0.0f), y);
  y = Select(x > hi, Splat<V>(__builtin_inff()), y);
  return Select(x != x, x, y);
}

// Exp(x) for x <= 0, -inf or NaN (a softmax's x - max): the same value bit for bit, without the
// overflow side's clamp and with 2^n in one factor (n >= -126 here). About a fifth fewer
// instructions. For x > 0 the result is wrong.
template <typename V>
IA_VEC_INLINE V ExpNonPositive(V x) {
  const V lo = Splat<V>(-87.33654f);
  IntOf<V> n;
  V y = ExpMantissa(Max(x, lo), &n);
  y = y * FromBits<V>((n + 127) << 23);
  y = Select(x < lo, Splat<V>(0.0f), y);
  return Select(x != x, x, y);
}

// Natural log (Cephes logf polynomial, ~1 ulp); denormals handled, log(0) = -inf, log(<0) = NaN.
template <typename V>
IA_VEC_INLINE V Log(V x) {
  using I = IntOf<V>;
  I den = (x < 1.17549435e-38f) & (x > 0.0f);
  V xs = Select(den, x * 8388608.0f, x);  // * 2^23
  I bits = Bits(xs);
  I e = ((bits >> 23) & 0xff) - 126 - (den & 23);
  V m = FromBits<V>((bits & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  I small = m < 0.707106781186547524f;
  V ef = __builtin_convertvector(e + small, V);  // e - 1 where small (small is -1 there)
  m = Select(small, m + m, m) - 1.0f;
  V z = m * m;
  V p = Splat<V>(7.0376836292e-2f);
  p = p * m + -1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m + -1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m + -1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m + -2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  V y = p * m * z + ef * -2.12194440e-4f - 0.5f * z;
  y = m + y + ef * 0.693359375f;
  y = Select(x == 0.0f, Splat<V>(-__builtin_inff()), y);
  y = Select(x == __builtin_inff(), x, y);
  y = Select(x < 0.0f, Splat<V>(__builtin_nanf("")), y);
  return Select(x != x, x, y);
}

// tanh: Cephes tanhf polynomial below |x| = 0.625, else 1 - 2 / (e^2|x| + 1) with x's sign.
template <typename V>
IA_VEC_INLINE V Tanh(V x) {
  V ax = Abs(x);
  V z = x * x;
  V p = Splat<V>(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  V small = x + x * z * p;
  V large = 1.0f - 2.0f / (Exp(ax + ax) + 1.0f);
  return CopySign(Select(ax < 0.625f, small, large), x);  // keeps tanh(-0) = -0
}

// 1 / (1 + e^-x).
template <typename V>
IA_VEC_INLINE V Sigmoid(V x) {
  return 1.0f / (1.0f + Exp(-x));
}

// erf: x P(x^2) below |x| = 0.921875, 1 - e^-x^2 R(|x|) up to 3.92, then +-1. The polynomials are
// Chebyshev fits (max error 4e-10 and 1.2e-8 of the fitted functions).
template <typename V>
IA_VEC_INLINE V Erf(V x) {
  V ax = Abs(x);
  V t = x * x;
  V p = Splat<V>(8.3875910457089158e-5f);
  p = p * t + -8.1472020926134944e-4f;
  p = p * t + 5.2014668689663058e-3f;
  p = p * t + -2.685959231070588e-2f;
  p = p * t + 1.1283699425717714e-1f;
  p = p * t + -3.7612634028172249e-1f;
  p = p * t + 1.1283791666731698f;
  V small = ax * p;
  V xc = Min(ax, Splat<V>(3.92f));
  V u = xc - 2.42f;
  V r = Splat<V>(-5.2752103198652651e-7f);
  r = r * u + 2.112619596463189e-6f;
  r = r * u + -4.6969173849716229e-6f;
  r = r * u + 1.7266503692784219e-5f;
  r = r * u + -7.0710061780754064e-5f;
  r = r * u + 2.49533953877622e-4f;
  r = r * u + -8.4296524033889509e-4f;
  r = r * u + 2.7804942841929152e-3f;
  r = r * u + -8.840276715112127e-3f;
  r = r * u + 2.6957257993509433e-2f;
  r = r * u + -7.8496261980305335e-2f;
  r = r * u + 2.1691794716658708e-1f;
  V large = 1.0f - Exp(-(xc * xc)) * r;
  large = Select(ax >= 3.92f, Splat<V>(1.0f), large);
  V y = Select(ax < 0.921875f, small, large);
  return Select(x != x, x, CopySign(y, x));
}

// The instruction sets the loops below can be compiled for.
enum class Isa { kBase, kAvx2, kAvx512 };

// The widest Isa this CPU runs.
inline Isa BestIsa() {
  static const Isa isa = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
      return Isa::kAvx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
    return Isa::kBase;
  }();
  return isa;
}

// Whether this CPU runs `isa`.
inline bool Supports(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(BestIsa()); }

#if defined(__x86_64__) && defined(__GNUC__)
#define IA_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define IA_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define IA_VEC_HAS_TARGETS 1
#else
#define IA_TARGET_AVX512
#define IA_TARGET_AVX2
#define IA_VEC_HAS_TARGETS 0
#endif

namespace detail {

// y[i] = op(x[i]) for i < n in vectors of V; the tail goes through the same vector code, so a
// value's result does not depend on where it sits.
template <typename V, typename Op>
IA_VEC_INLINE void MapLoop(const float* x, float* y, int64_t n, const Op& op) {
  constexpr int kLanes = kLanesOf<V>;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) Store(y + i, op(Load<V>(x + i)));
  if (i < n) {
    float buf[kLanes] = {};
    std::memcpy(buf, x + i, static_cast<size_t>(n - i) * sizeof(float));
    Store(buf, op(Load<V>(buf)));
    std::memcpy(y + i, buf, static_cast<size_t>(n - i) * sizeof(float));
  }
}

template <typename Op>
IA_TARGET_AVX512 void MapAvx512(const float* x, float* y, int64_t n, Op op) {
  MapLoop<F16>(x, y, n, op);
}
template <typename Op>
IA_TARGET_AVX2 void MapAvx2(const float* x, float* y, int64_t n, Op op) {
  MapLoop<F8>(x, y, n, op);
}
template <typename Op>
void MapBase(const float* x, float* y, int64_t n, Op op) {
  MapLoop<F4>(x, y, n, op);
}

}  // namespace detail

// y[i] = op(x[i]) for i < n (x == y allowed), with op a functor whose templated call operator
// takes and returns any of F4/F8/F16 and is IA_VEC_INLINE; runs with `isa`, which this CPU must
// support.
template <typename Op>
void Map(const float* x, float* y, int64_t n, Op op, Isa isa = BestIsa()) {
#if IA_VEC_HAS_TARGETS
  if (isa == Isa::kAvx512) return detail::MapAvx512(x, y, n, op);
  if (isa == Isa::kAvx2) return detail::MapAvx2(x, y, n, op);
#endif
  detail::MapBase(x, y, n, op);
}

// Functors for Map.
#define IA_VEC_FUNCTOR(Name, Fn)            \
  struct Name {                             \
    template <typename V>                   \
    IA_VEC_INLINE V operator()(V x) const { \
      return Fn(x);                         \
    }                                       \
  };
IA_VEC_FUNCTOR(ExpOp, Exp)
IA_VEC_FUNCTOR(LogOp, Log)
IA_VEC_FUNCTOR(TanhOp, Tanh)
IA_VEC_FUNCTOR(SigmoidOp, Sigmoid)
IA_VEC_FUNCTOR(ErfOp, Erf)
#undef IA_VEC_FUNCTOR

}  // namespace ipfs_accelerate::engine::cpu::vec
