// Pooling: MaxPool (with Indices), AveragePool, LpPool and their Global forms, as direct loops
// over (image, channel) planes spread over the pool.
#include <cmath>
#include <limits>

#include "engine/backends/cpu/conv_geometry.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/linalg_parallel.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  bool count_include_pad = false;
  int64_t p = 2;
  bool column_major_indices = false;
};

template <typename T>
void PoolPlanes(KernelContext& ctx, const Tensor& x, const WindowGeometry& g, const PoolParams& pp,
                Tensor& y, int64_t* indices) {
  int nd = g.nd;
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t in_size = NumElements(g.in), out_size = NumElements(g.out),
          k_size = NumElements(g.kernel);
  const T* px = x.data<T>();
  T* py = y.data<T>();
  ParallelFor(ctx.pool(), planes, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> o(nd), kk(nd), pos(nd);
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* xp = px + plane * in_size;
      for (int64_t op = 0; op < out_size; ++op) {
        int64_t rem = op;
        for (int d = nd - 1; d >= 0; --d) {
          o[d] = rem % g.out[d];
          rem /= g.out[d];
        }
        double acc = 0;
        T best = std::numeric_limits<T>::lowest();
        int64_t best_idx = -1, count = 0, padded_count = 0;
        for (int64_t kp = 0; kp < k_size; ++kp) {
          int64_t krem = kp;
          for (int d = nd - 1; d >= 0; --d) {
            kk[d] = krem % g.kernel[d];
            krem /= g.kernel[d];
          }
          bool inside = true, in_padded = true;
          int64_t ioff = 0;
          for (int d = 0; d < nd; ++d) {
            pos[d] = o[d] * g.strides[d] + kk[d] * g.dilations[d] - g.pads_begin[d];
            inside = inside && pos[d] >= 0 && pos[d] < g.in[d];
            in_padded = in_padded && pos[d] < g.in[d] + g.pads_end[d];
            ioff = ioff * g.in[d] + pos[d];
          }
          if (in_padded) ++padded_count;
          if (!inside) continue;
          ++count;
          T v = xp[ioff];
          switch (pp.kind) {
            case PoolKind::kMax:
              if (best_idx < 0 || v > best ||
                  (std::isnan(static_cast<double>(v)) && !std::isnan(static_cast<double>(best)))) {
                best = v;
                if (pp.column_major_indices) {
                  int64_t c = 0;
                  for (int d = nd - 1; d >= 0; --d) c = c * g.in[d] + pos[d];
                  best_idx = c;
                } else {
                  best_idx = ioff;
                }
              }
              break;
            case PoolKind::kAverage:
              acc += static_cast<double>(v);
              break;
            case PoolKind::kLp:
              acc += std::pow(std::fabs(static_cast<double>(v)), static_cast<double>(pp.p));
              break;
          }
        }
        T* out = py + plane * out_size + op;
        switch (pp.kind) {
          case PoolKind::kMax:
            *out = best;
            if (indices)
              indices[plane * out_size + op] = best_idx < 0 ? -1 : plane * in_size + best_idx;
            break;
          case PoolKind::kAverage: {
            int64_t div = pp.count_include_pad ? padded_count : count;
            *out = static_cast<T>(div > 0 ? acc / static_cast<double>(div) : 0.0);
            break;
          }
          case PoolKind::kLp:
            *out = static_cast<T>(std::pow(acc, 1.0 / static_cast<double>(pp.p)));
            break;
        }
      }
    }
  });
}

Status Pool(KernelContext& ctx, PoolKind kind, bool global) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() < 3)
    return ctx.Error("X must be [N, C, spatial...], got " + ShapeToString(x->shape()));
  Shape in(x->shape().begin() + 2, x->shape().end());
  PoolParams pp;
  pp.kind = kind;
  pp.count_include_pad = ctx.GetInt("count_include_pad", 0) != 0;
  pp.p = ctx.GetInt("p", 2);
  pp.column_major_indices = ctx.GetInt("storage_order", 0) == 1;
  WindowGeometry g;
  if (global) {
    size_t nd = in.size();
    g.nd = static_cast<int>(nd);
    g.in = in;
    g.kernel = in;
    g.strides.assign(nd, 1);
    g.dilations.assign(nd, 1);
    g.pads_begin.assign(nd, 0);
    g.pads_end.assign(nd, 0);
    g.out.assign(nd, 1);
  } else {
    if (!ctx.HasAttr("kernel_shape")) return ctx.Error("kernel_shape is required");
    IA_ASSIGN_OR_RETURN(g, SlidingWindow(ctx, in, {}, ctx.GetInt("ceil_mode", 0) != 0));
  }
  Shape out_shape = {x->dim(0), x->dim(1)};
  out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
  Tensor& y = ctx.Allocate(0, x->dtype(), out_shape);
  int64_t* indices = nullptr;
  if (kind == PoolKind::kMax && ctx.wants_output(1)) {
    indices = ctx.Allocate(1, DType::kInt64, out_shape).data<int64_t>();
  }
  if (y.numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      PoolPlanes<float>(ctx, *x, g, pp, y, indices);
      return Status::Ok();
    case DType::kFloat64:
      PoolPlanes<double>(ctx, *x, g, pp, y, indices);
      return Status::Ok();
    case DType::kInt8:
      if (kind != PoolKind::kMax) break;
      PoolPlanes<int8_t>(ctx, *x, g, pp, y, indices);
      return Status::Ok();
    case DType::kUInt8:
      if (kind != PoolKind::kMax) break;
      PoolPlanes<uint8_t>(ctx, *x, g, pp, y, indices);
      return Status::Ok();
    default:
      break;
  }
  return ctx.Unsupported("pooling of dtype " + DTypeName(x->dtype()));
}

Status MaxPool(KernelContext& ctx) { return Pool(ctx, PoolKind::kMax, false); }
Status AveragePool(KernelContext& ctx) { return Pool(ctx, PoolKind::kAverage, false); }
Status LpPool(KernelContext& ctx) { return Pool(ctx, PoolKind::kLp, false); }
Status GlobalMaxPool(KernelContext& ctx) { return Pool(ctx, PoolKind::kMax, true); }
Status GlobalAveragePool(KernelContext& ctx) { return Pool(ctx, PoolKind::kAverage, true); }
Status GlobalLpPool(KernelContext& ctx) { return Pool(ctx, PoolKind::kLp, true); }

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  r.Add("MaxPool", MaxPool);
  r.Add("AveragePool", AveragePool);
  r.Add("LpPool", LpPool);
  r.Add("GlobalMaxPool", GlobalMaxPool);
  r.Add("GlobalAveragePool", GlobalAveragePool);
  r.Add("GlobalLpPool", GlobalLpPool);
}

}  // namespace ipfs_accelerate::engine::cpu
