// Helpers shared by the reduction and normalization kernels: axis checks and float row sums that
// stay accurate on long rows.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/parallel_for.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/kernel.h"
#include "engine/ops/axis.h"

namespace ipfs_accelerate::engine::cpu {

// `axis` made non-negative for a tensor of `rank`; a scalar takes axis 0 or -1.
inline Result<int> NormalizeAxis(const KernelContext& ctx, int64_t axis, int rank,
                                 const char* what = "axis") {
  return ops::NormalizeAxis(ctx.node(), axis, std::max(rank, 1), what);
}

inline int64_t Product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s[i];
  return p;
}

// Sum of f(p[i]) for i < n, in float lanes over short blocks added up in double: vectorisable
// and accurate on long rows.
template <typename F>
inline double LaneSum(const float* p, int64_t n, F f) {
  constexpr int kLanes = 16;
  constexpr int64_t kBlock = 1024;
  double total = 0;
  int64_t i = 0;
  while (i + kLanes <= n) {
    float acc[kLanes] = {};
    int64_t end = std::min(n, i + kBlock);
    for (; i + kLanes <= end; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) acc[j] += f(p[i + j]);
    }
    float s = 0;
    for (int j = 0; j < kLanes; ++j) s += acc[j];
    total += s;
  }
  for (; i < n; ++i) total += f(p[i]);
  return total;
}

inline double LaneSum(const double* p, int64_t n) {
  double acc[4] = {};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) acc[j] += p[i + j];
  }
  for (; i < n; ++i) acc[0] += p[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// e^x for float (Cephes polynomial, ~1 ulp). Below about -87.3 it returns 0, above 88.7 +inf;
// NaN stays NaN. FastExp4 computes the same values four at a time with GCC/Clang vector
// extensions: under the default -ftrapping-math GCC will not if-convert the clamps of a scalar
// version, so a plain loop over FastExp would stay scalar.
using V4f = float __attribute__((vector_size(16)));
using V4i = int32_t __attribute__((vector_size(16)));

inline V4f Broadcast4(float c) { return V4f{c, c, c, c}; }
inline V4f Select4(V4i mask, V4f a, V4f b) {
  return reinterpret_cast<V4f>((mask & reinterpret_cast<V4i>(a)) |
                               (~mask & reinterpret_cast<V4i>(b)));
}

inline V4f FastExp4(V4f x) {
  const V4f lo = Broadcast4(-87.33654f), hi = Broadcast4(88.72283f);
  V4f xc = Select4(x < lo, lo, x);
  xc = Select4(xc > hi, hi, xc);
  const V4f round = Broadcast4(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  V4f nf = (xc * Broadcast4(1.44269504088896341f) + round) - round;
  V4f r = xc - nf * Broadcast4(0.693359375f) - nf * Broadcast4(-2.12194440e-4f);
  V4f p = Broadcast4(1.9875691500e-4f);
  p = p * r + Broadcast4(1.3981999507e-3f);
  p = p * r + Broadcast4(8.3334519073e-3f);
  p = p * r + Broadcast4(4.1665795894e-2f);
  p = p * r + Broadcast4(1.6666665459e-1f);
  p = p * r + Broadcast4(5.0000001201e-1f);
  V4f y = p * r * r + r + Broadcast4(1.0f);
  V4i n = __builtin_convertvector(nf, V4i);
  // 2^n split in two factors so n = 128 (x near 88.7) does not overflow the exponent field.
  V4i n1 = n >> 1, n2 = n - n1;
  y = y * reinterpret_cast<V4f>((n1 + 127) << 23) * reinterpret_cast<V4f>((n2 + 127) << 23);
  y = Select4(x < lo, Broadcast4(0.0f), y);
  y = Select4(x > hi, Broadcast4(__builtin_inff()), y);
  return Select4(x != x, x, y);
}

inline float FastExp(float x) {
  V4f v = Broadcast4(x);
  return FastExp4(v)[0];
}

// y[i] = FastExp(x[i] - shift) for i < n.
inline void ExpShiftedRow(const float* x, float* y, int64_t n, float shift) {
  int64_t i = 0;
  const V4f s = Broadcast4(shift);
  for (; i + 8 <= n; i += 8) {
    V4f a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + 4, sizeof b);
    a = FastExp4(a - s);
    b = FastExp4(b - s);
    std::memcpy(y + i, &a, sizeof a);
    std::memcpy(y + i + 4, &b, sizeof b);
  }
  for (; i < n; ++i) y[i] = FastExp(x[i] - shift);
}

// The largest of x[0..n) as Softmax takes it (a NaN propagates), in 16 lanes; -inf for n = 0.
template <typename T>
T RowMax(const T* x, int64_t n) {
  constexpr int kLanes = 16;
  T m = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  if (n >= kLanes) {
    T acc[kLanes];
    for (int j = 0; j < kLanes; ++j) acc[j] = x[j];
    for (i = kLanes; i + kLanes <= n; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) acc[j] = acc[j] > x[i + j] ? acc[j] : x[i + j];
    }
    for (int j = 0; j < kLanes; ++j) m = m > acc[j] ? m : acc[j];
  }
  for (; i < n; ++i) m = m > x[i] ? m : x[i];
  return m;
}

// The shift Softmax subtracts before exponentiating a row whose maximum is `m`: m, but 0 for a
// row of -inf (exp(-inf) = 0 then, and no NaN from -inf - -inf).
template <typename T>
T SoftmaxShift(T m) {
  return std::isinf(m) && m < 0 ? T(0) : m;
}

// y = softmax(x) over each of `rows` contiguous rows of n floats (y may be x), in the widest
// vectors the CPU has: the Softmax kernel's rows (normalization_softmax.cc).
void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t n);

// Registration of the kernels split into their own files; RegisterNormalizationKernels and
// RegisterReduceKernels call these.
void RegisterSoftmaxKernels(KernelRegistry& r);
void RegisterArgKernels(KernelRegistry& r);
void RegisterLossKernels(KernelRegistry& r);

}  // namespace ipfs_accelerate::engine::cpu
