// Softmax, LogSoftmax and Hardmax. Before opset 13 they flatten the input to 2-D at `axis` and work
// on each row of the flattened tail; from 13 on they work along `axis` alone.
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backends/cpu/reduce_util.h"
#include "engine/backends/cpu/vec_math.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };
constexpr int kLanes = 16;

inline float Exp(float x) { return FastExp(x); }
inline double Exp(double x) { return std::exp(x); }

// y = exp(x - m); returns the sum of y.
template <typename T>
double ExpShifted(const T* __restrict x, T* __restrict y, int64_t n, T m) {
  if constexpr (std::is_same_v<T, float>) {
    ExpShiftedRow(x, y, n, m);
    return LaneSum(y, n, [](float v) { return v; });
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = Exp(x[i] - m);
    return LaneSum(y, n);
  }
}

template <typename T>
void Scale(T* __restrict y, int64_t n, T s) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) y[i + j] *= s;
  }
  for (; i < n; ++i) y[i] *= s;
}

template <typename T>
void SubtractInto(const T* __restrict x, T* __restrict y, int64_t n, T m, T s) {
  // (x - m) is exact near the maximum, so large inputs keep their small differences.
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) y[i + j] = (x[i + j] - m) - s;
  }
  for (; i < n; ++i) y[i] = (x[i] - m) - s;
}

// One contiguous row of n values into a separate output row.
template <typename T, Kind K>
void Row(const T* __restrict x, T* __restrict y, int64_t n) {
  if (n == 0) return;
  if constexpr (K == Kind::kHardmax) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i) {
      if (x[i] > x[best]) best = i;
    }
    for (int64_t i = 0; i < n; ++i) y[i] = 0;
    y[best] = 1;
  } else {
    const T m = SoftmaxShift(RowMax(x, n));
    if constexpr (K == Kind::kSoftmax) {
      double sum = ExpShifted(x, y, n, m);
      Scale(y, n, static_cast<T>(1.0 / sum));
    } else {
      // Exp into y as scratch, then overwrite y with the result.
      double sum = ExpShifted(x, y, n, m);
      SubtractInto(x, y, n, m, static_cast<T>(std::log(sum)));
    }
  }
}

// The block [n, inner] of one outer index, working along n with `inner` independent columns.
template <typename T, Kind K>
void Strided(const T* x, T* y, int64_t n, int64_t inner, std::vector<double>& acc,
             std::vector<T>& best) {
  best.assign(inner, -std::numeric_limits<T>::infinity());
  for (int64_t k = 0; k < n; ++k) {
    const T* xr = x + k * inner;
    for (int64_t j = 0; j < inner; ++j) best[j] = best[j] > xr[j] ? best[j] : xr[j];
  }
  if constexpr (K == Kind::kHardmax) {
    std::vector<char> seen(inner, 0);
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = x + k * inner;
      T* yr = y + k * inner;
      for (int64_t j = 0; j < inner; ++j) {
        bool hit = !seen[j] && xr[j] == best[j];
        yr[j] = hit ? 1 : 0;
        seen[j] |= hit;
      }
    }
    // Columns whose maximum is NaN: fall back to the first index, as argmax does.
    for (int64_t j = 0; j < inner; ++j) {
      if (!seen[j]) y[j] = 1;
    }
  } else {
    for (int64_t j = 0; j < inner; ++j) {
      if (std::isinf(best[j]) && best[j] < 0) best[j] = 0;
    }
    acc.assign(inner, 0.0);
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = x + k * inner;
      T* yr = y + k * inner;
      for (int64_t j = 0; j < inner; ++j) {
        yr[j] = Exp(xr[j] - best[j]);
        acc[j] += yr[j];
      }
    }
    if constexpr (K == Kind::kSoftmax) {
      for (int64_t j = 0; j < inner; ++j) acc[j] = 1.0 / acc[j];
      for (int64_t k = 0; k < n; ++k) {
        T* yr = y + k * inner;
        for (int64_t j = 0; j < inner; ++j) yr[j] = static_cast<T>(yr[j] * acc[j]);
      }
    } else {
      for (int64_t j = 0; j < inner; ++j) acc[j] = std::log(acc[j]);
      for (int64_t k = 0; k < n; ++k) {
        const T* xr = x + k * inner;
        T* yr = y + k * inner;
        for (int64_t j = 0; j < inner; ++j) yr[j] = static_cast<T>((xr[j] - best[j]) - acc[j]);
      }
    }
  }
}

// Softmax or LogSoftmax of one contiguous float row in vectors of V: max, exp(x - max) with its
// sum (lanes summed over blocks, blocks in double), then a scale or subtraction. y may be x.
template <typename V, Kind K>
IA_VEC_INLINE void FloatRow(const float* x, float* y, int64_t n) {
  constexpr int kL = vec::kLanesOf<V>;
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= kL) {
    V acc = vec::Load<V>(x);
    for (i = kL; i + kL <= n; i += kL) acc = vec::Max(acc, vec::Load<V>(x + i));
    for (int j = 0; j < kL; ++j) m = m > acc[j] ? m : acc[j];
  }
  for (; i < n; ++i) m = m > x[i] ? m : x[i];
  if (std::isinf(m) && m < 0) m = 0;  // an all -inf row: exp(-inf) = 0, no NaN from -inf - -inf
  constexpr int64_t kBlock = 1024;
  double total = 0;
  for (i = 0; i < n;) {
    V s = vec::Splat<V>(0.0f);
    const int64_t e = std::min(n, i + kBlock);
    for (; i + kL <= e; i += kL) {
      V v = vec::ExpNonPositive(vec::Load<V>(x + i) - m);
      vec::Store(y + i, v);
      s += v;
    }
    if (i < e && e == n) {  // the tail, padded with -inf (exp gives 0)
      float buf[kL];
      for (int j = 0; j < kL; ++j)
        buf[j] = i + j < n ? x[i + j] : -std::numeric_limits<float>::infinity();
      V v = vec::ExpNonPositive(vec::Load<V>(buf) - m);
      vec::Store(buf, v);
      for (int j = 0; i + j < n; ++j) y[i + j] = buf[j];
      s += v;
      i = n;
    }
    float part = 0;
    for (int j = 0; j < kL; ++j) part += s[j];
    total += part;
  }
  if constexpr (K == Kind::kSoftmax) {
    const float scale = static_cast<float>(1.0 / total);
    for (i = 0; i + kL <= n; i += kL) vec::Store(y + i, vec::Load<V>(y + i) * scale);
    for (; i < n; ++i) y[i] *= scale;
  } else {
    // (x - m) is exact near the maximum, so large inputs keep their small differences.
    const float sub = static_cast<float>(std::log(total));
    for (i = 0; i + kL <= n; i += kL) vec::Store(y + i, (vec::Load<V>(x + i) - m) - sub);
    for (; i < n; ++i) y[i] = (x[i] - m) - sub;
  }
}

template <Kind K>
IA_TARGET_AVX512 void FloatRowsAvx512(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) FloatRow<vec::F16, K>(x + r * n, y + r * n, n);
}
template <Kind K>
IA_TARGET_AVX2 void FloatRowsAvx2(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) FloatRow<vec::F8, K>(x + r * n, y + r * n, n);
}
template <Kind K>
void FloatRowsBase(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) FloatRow<vec::F4, K>(x + r * n, y + r * n, n);
}

// `rows` contiguous float rows of n values, with the widest instruction set the CPU has.
template <Kind K>
void FloatRows(const float* x, float* y, int64_t rows, int64_t n) {
#if IA_VEC_HAS_TARGETS
  const vec::Isa isa = vec::BestIsa();
  if (isa == vec::Isa::kAvx512) return FloatRowsAvx512<K>(x, y, rows, n);
  if (isa == vec::Isa::kAvx2) return FloatRowsAvx2<K>(x, y, rows, n);
#endif
  FloatRowsBase<K>(x, y, rows, n);
}

}  // namespace

void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t n) {
  FloatRows<Kind::kSoftmax>(x, y, rows, n);
}

namespace {

template <typename T, Kind K>
void Run(ThreadPool* pool, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  if constexpr (std::is_same_v<T, float> && K != Kind::kHardmax) {
    if (inner == 1) {
      ParallelFor(pool, outer, n * 8,
                  [&](int64_t b, int64_t e) { FloatRows<K>(x + b * n, y + b * n, e - b, n); });
      return;
    }
  }
  if (inner == 1) {
    ParallelFor(pool, outer, n * 8, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) Row<T, K>(x + o * n, y + o * n, n);
    });
    return;
  }
  ParallelFor(pool, outer, n * inner * 8, [&](int64_t b, int64_t e) {
    std::vector<double> acc;
    std::vector<T> best;
    for (int64_t o = b; o < e; ++o)
      Strided<T, K>(x + o * n * inner, y + o * n * inner, n, inner, acc, best);
  });
}

template <Kind K>
Status SoftmaxKernel(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t opset = ctx.node().opset;
  const bool flatten = opset < 13;
  IA_ASSIGN_OR_RETURN(int axis,
                      NormalizeAxis(ctx, ctx.GetInt("axis", flatten ? 1 : -1), x->rank()));
  const Shape& s = x->shape();
  int rank = x->rank();
  int64_t outer, n, inner;
  if (rank == 0) {
    outer = n = inner = 1;
  } else if (flatten) {
    outer = Product(s, 0, axis);
    n = Product(s, axis, rank);
    inner = 1;
  } else {
    outer = Product(s, 0, axis);
    n = s[axis];
    inner = Product(s, axis + 1, rank);
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), s);
  if (x->numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      Run<float, K>(ctx.pool(), x->data<float>(), y.data<float>(), outer, n, inner);
      break;
    case DType::kFloat64:
      Run<double, K>(ctx.pool(), x->data<double>(), y.data<double>(), outer, n, inner);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) +
                             " (float32 and float64 are supported)");
  }
  return Status::Ok();
}

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry& r) {
  r.Add("Softmax", SoftmaxKernel<Kind::kSoftmax>).Types({DType::kFloat32, DType::kFloat64});
  r.Add("LogSoftmax", SoftmaxKernel<Kind::kLogSoftmax>).Types({DType::kFloat32, DType::kFloat64});
  r.Add("Hardmax", SoftmaxKernel<Kind::kHardmax>).Types({DType::kFloat32, DType::kFloat64});
}

}  // namespace ipfs_accelerate::engine::cpu
