// GroupNormalization (opsets 18 and 21; rules in engine/ops/group_norm.h), float32 and float64:
// the statistics of each (batch, group) in double, one (batch, group) per task.
#include <cmath>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/ops/group_norm.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

template <typename T>
void GroupNormTyped(ThreadPool* pool, const T* x, T* y, const ops::GroupNormLayout& l,
                    int64_t groups, bool per_channel, const T* scale, const T* bias, double eps) {
  const int64_t per_group = l.channels / groups;
  const int64_t n = per_group * l.inner;  // values of one (batch, group)
  ParallelFor(pool, l.batches * groups, 2 * n + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xs = x + r * n;
      T* ys = y + r * n;
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) sum += xs[i];
      const double mean = n > 0 ? sum / double(n) : 0.0;
      double sq = 0;
      for (int64_t i = 0; i < n; ++i) sq += (xs[i] - mean) * (xs[i] - mean);
      const double inv = 1.0 / std::sqrt((n > 0 ? sq / double(n) : 0.0) + eps);
      const int64_t g = r % groups;
      for (int64_t c = 0; c < per_group; ++c) {
        const int64_t p = per_channel ? g * per_group + c : g;
        const double a = inv * double(scale[p]), b = double(bias[p]) - mean * a;
        const T* xc = xs + c * l.inner;
        T* yc = ys + c * l.inner;
        for (int64_t i = 0; i < l.inner; ++i) yc[i] = static_cast<T>(double(xc[i]) * a + b);
      }
    }
  });
}

Status GroupNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* bias, ctx.Required(2));
  IA_ASSIGN_OR_RETURN(ops::GroupNormAttrs a, ops::ReadGroupNormAttrs(ctx.node()));
  IA_ASSIGN_OR_RETURN(
      ops::GroupNormLayout l,
      ops::GroupNormLayoutOf(ctx.node(), a, x->shape(), scale->numel(), bias->numel()));
  if (scale->dtype() != x->dtype() || bias->dtype() != x->dtype()) {
    return ctx.Error("scale and bias must have X's type " + DTypeName(x->dtype()) + ", got " +
                     DTypeName(scale->dtype()) + " and " + DTypeName(bias->dtype()));
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  if (x->numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      GroupNormTyped(ctx.pool(), x->data<float>(), y.data<float>(), l, a.num_groups, a.per_channel,
                     scale->data<float>(), bias->data<float>(), a.epsilon);
      break;
    case DType::kFloat64:
      GroupNormTyped(ctx.pool(), x->data<double>(), y.data<double>(), l, a.num_groups,
                     a.per_channel, scale->data<double>(), bias->data<double>(), a.epsilon);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + " (float32 and float64 only)");
  }
  return Status::Ok();
}

}  // namespace

void RegisterGroupNormKernels(KernelRegistry& r) {
  r.Add("GroupNormalization", GroupNormalization, 18).Types({DType::kFloat32, DType::kFloat64});
}

}  // namespace ipfs_accelerate::engine::cpu
