// Det (opset 11; its shape rule: ops::DetShape): the determinant of each M x M matrix of
// [..., M, M], by LU decomposition with partial pivoting in double whatever the input's float
// type (as numpy's LAPACK getrf does for float64), the matrices split over the pool. A singular
// matrix gives 0, an empty one (M = 0) 1.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/elementwise_common.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// The determinant of the m x m row-major matrix in `a`, which it overwrites with its LU factors.
double LuDeterminant(double* a, int64_t m) {
  double det = 1;
  for (int64_t k = 0; k < m; ++k) {
    int64_t pivot = k;
    double largest = std::fabs(a[k * m + k]);
    for (int64_t i = k + 1; i < m; ++i) {
      const double v = std::fabs(a[i * m + k]);
      if (v > largest) {
        largest = v;
        pivot = i;
      }
    }
    const double p = a[pivot * m + k];
    if (p == 0) return 0;
    if (pivot != k) {
      for (int64_t j = 0; j < m; ++j) std::swap(a[k * m + j], a[pivot * m + j]);
      det = -det;
    }
    det *= p;
    for (int64_t i = k + 1; i < m; ++i) {
      const double f = a[i * m + k] / p;
      if (f == 0) continue;
      double* row = a + i * m;
      const double* top = a + k * m;
      for (int64_t j = k + 1; j < m; ++j) row[j] -= f * top[j];
    }
  }
  return det;
}

template <typename T>
void DetTyped(KernelContext& ctx, const Tensor& x, Tensor& y) {
  const int64_t m = x.dim(-1), count = y.numel(), mm = m * m;
  const T* in = x.data<T>();
  T* out = y.data<T>();
  if (count == 0) return;
  // One scratch matrix per slot; each slot takes a contiguous run of the matrices.
  const int64_t slots = std::min<int64_t>(count, ctx.pool() ? ctx.pool()->size() : 1);
  std::vector<double> scratch(static_cast<size_t>(slots * mm));
  const int64_t per_slot = (count + slots - 1) / slots;
  const int64_t cost = per_slot * std::max<int64_t>(1, mm * m / 3) * cost::kScalarMac;
  ParallelFor(ctx.pool(), slots, cost, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      double* a = scratch.data() + s * mm;
      const int64_t last = std::min(count, (s + 1) * per_slot);
      for (int64_t b = s * per_slot; b < last; ++b) {
        const T* src = in + b * mm;
        for (int64_t i = 0; i < mm; ++i) a[i] = static_cast<double>(src[i]);
        out[b] = static_cast<T>(LuDeterminant(a, m));
      }
    }
  });
}

Status Det(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Shape shape, ops::DetShape(ctx.node(), x->shape()));
  return Visit<kFloats>(ctx, x->dtype(), [&](auto tag) {
    Tensor& y = ctx.Allocate(0, x->dtype(), shape);
    DetTyped<typename decltype(tag)::type>(ctx, *x, y);
    return Status::Ok();
  });
}

}  // namespace

void RegisterDetKernels(KernelRegistry& r) {
  r.Add("Det", elementwise::Half<Det>, 11)
      .Types({DType::kFloat16, DType::kFloat32, DType::kFloat64});
}

}  // namespace ipfs_accelerate::engine::cpu
