// Kernels along one axis that return positions or running values: ArgMax, ArgMin, TopK, CumSum.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/reduce_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

template <typename T>
bool IsNan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

// ---- ArgMax / ArgMin ----

template <bool kMax>
Status ArgReduce(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() == 0) return ctx.Error("input must have rank >= 1");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), x->rank()));
  bool keepdims = ctx.GetInt("keepdims", 1) != 0;
  bool last = ctx.GetInt("select_last_index", 0) != 0;
  const Shape& s = x->shape();
  int64_t outer = Product(s, 0, axis), n = s[axis], inner = Product(s, axis + 1, x->rank());
  if (n == 0)
    return ctx.Error("cannot take the arg-" + std::string(kMax ? "max" : "min") +
                     " of an empty axis");
  Shape out_shape = s;
  if (keepdims)
    out_shape[axis] = 1;
  else
    out_shape.erase(out_shape.begin() + axis);
  int64_t* y = ctx.Allocate(0, DType::kInt64, out_shape).data<int64_t>();
  bool ok = Dispatch<kNumeric>(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x->data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* col = px + o * n * inner + i;
        int64_t best = 0;
        T bv = col[0];
        for (int64_t k = 1; k < n; ++k) {
          T v = col[k * inner];
          // The first NaN wins (the last with select_last_index), as numpy's argmax does.
          if (IsNan(bv) && !last) break;
          bool better = kMax ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
          if (IsNan(v)) better = !IsNan(bv) || last;
          if (better) {
            best = k;
            bv = v;
          }
        }
        y[o * inner + i] = best;
      }
    }
  });
  if (!ok) return ctx.Unsupported("dtype " + DTypeName(x->dtype()));
  return Status::Ok();
}

// ---- TopK ----

Status TopK(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() == 0) return ctx.Error("input must have rank >= 1");
  int64_t k;
  if (ctx.node().opset < 10) {
    k = ctx.GetInt("k", -1);
  } else {
    IA_ASSIGN_OR_RETURN(const Tensor* kt, ctx.Required(1));
    if (kt->numel() != 1 || (kt->dtype() != DType::kInt64 && kt->dtype() != DType::kInt32)) {
      return ctx.Error("K must hold one int64 value, got " + DTypeName(kt->dtype()) + " " +
                       ShapeToString(kt->shape()));
    }
    k = kt->dtype() == DType::kInt64 ? kt->data<int64_t>()[0] : kt->data<int32_t>()[0];
  }
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", -1), x->rank()));
  const Shape& s = x->shape();
  int64_t outer = Product(s, 0, axis), n = s[axis], inner = Product(s, axis + 1, x->rank());
  if (k < 0 || k > n) {
    return ctx.Error("K = " + std::to_string(k) + " is outside [0, " + std::to_string(n) +
                     "] (the size of axis " + std::to_string(axis) + ")");
  }
  bool largest = ctx.GetInt("largest", 1) != 0;
  Shape out_shape = s;
  out_shape[axis] = k;
  Tensor& values = ctx.Allocate(0, x->dtype(), out_shape);
  int64_t* indices = ctx.Allocate(1, DType::kInt64, out_shape).data<int64_t>();
  bool ok = Dispatch<kNumeric>(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = x->data<T>();
    T* pv = values.data<T>();
    std::vector<int64_t> order(n);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* col = px + o * n * inner + i;
        std::iota(order.begin(), order.end(), 0);
        // Equal values keep the lower index first; NaN counts as the largest value.
        auto before = [&](int64_t a, int64_t b) {
          T va = col[a * inner], vb = col[b * inner];
          bool na = IsNan(va), nb = IsNan(vb);
          if (na || nb) {
            if (na && nb) return a < b;
            return largest ? na : nb;
          }
          if (va != vb) return largest ? va > vb : va < vb;
          return a < b;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          pv[(o * k + j) * inner + i] = col[order[j] * inner];
          indices[(o * k + j) * inner + i] = order[j];
        }
      }
    }
  });
  if (!ok) return ctx.Unsupported("dtype " + DTypeName(x->dtype()));
  return Status::Ok();
}

// ---- CumSum ----

Status CumSum(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* at, ctx.Required(1));
  if (at->numel() != 1 || (at->dtype() != DType::kInt64 && at->dtype() != DType::kInt32)) {
    return ctx.Error("axis must be a scalar int32 or int64 tensor, got " + DTypeName(at->dtype()) +
                     " " + ShapeToString(at->shape()));
  }
  int64_t a = at->dtype() == DType::kInt64 ? at->data<int64_t>()[0] : at->data<int32_t>()[0];
  if (x->rank() == 0) return ctx.Error("input must have rank >= 1");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, a, x->rank()));
  bool exclusive = ctx.GetInt("exclusive", 0) != 0, reverse = ctx.GetInt("reverse", 0) != 0;
  const Shape& s = x->shape();
  int64_t outer = Product(s, 0, axis), n = s[axis], inner = Product(s, axis + 1, x->rank());
  Tensor& y = ctx.Allocate(0, x->dtype(), s);
  bool ok = Dispatch<kNumeric>(x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = std::conditional_t<std::is_floating_point_v<T>, double, T>;
    const T* px = x->data<T>();
    T* py = y.data<T>();
    std::vector<A> acc(inner);
    for (int64_t o = 0; o < outer; ++o) {
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t step = 0; step < n; ++step) {
        int64_t kk = reverse ? n - 1 - step : step;
        const T* xr = px + (o * n + kk) * inner;
        T* yr = py + (o * n + kk) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          if (exclusive) {
            yr[i] = static_cast<T>(acc[i]);
            acc[i] += xr[i];
          } else {
            acc[i] += xr[i];
            yr[i] = static_cast<T>(acc[i]);
          }
        }
      }
    }
  });
  if (!ok) return ctx.Unsupported("dtype " + DTypeName(x->dtype()));
  return Status::Ok();
}

}  // namespace

void RegisterArgKernels(KernelRegistry& r) {
  r.Add("ArgMax", ArgReduce<true>);
  r.Add("ArgMin", ArgReduce<false>);
  r.Add("TopK", TopK);
  r.Add("CumSum", CumSum, 11);
}

}  // namespace ipfs_accelerate::engine::cpu
