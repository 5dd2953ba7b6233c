// Pooling: MaxPool (with Indices), AveragePool, LpPool and their Global forms, as loops over
// (image, channel) planes spread over the pool. Float 1-D/2-D max and average pooling without
// Indices, and the global float forms, take separable vectorised paths; the rest a direct loop.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/vec_math.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using ops::WindowGeometry;

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
  ParallelFor(
      ctx.pool(), planes, out_size * k_size * cost::kScalarMac, [&](int64_t begin, int64_t end) {
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
                      (std::isnan(static_cast<double>(v)) &&
                       !std::isnan(static_cast<double>(best)))) {
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

// The input positions inside [0, in) that each output index's window covers along one axis, and
// how many window positions lie inside the padded extent (count_include_pad's divisor).
struct AxisTaps {
  std::vector<int64_t> begin;  // out + 1 offsets into pos
  std::vector<int64_t> pos;
  std::vector<int64_t> padded;
};

AxisTaps MakeAxisTaps(const WindowGeometry& g, int d) {
  AxisTaps t;
  t.begin.push_back(0);
  for (int64_t o = 0; o < g.out[d]; ++o) {
    int64_t padded = 0;
    for (int64_t k = 0; k < g.kernel[d]; ++k) {
      int64_t p = o * g.strides[d] + k * g.dilations[d] - g.pads_begin[d];
      if (p < g.in[d] + g.pads_end[d]) ++padded;
      if (p >= 0 && p < g.in[d]) t.pos.push_back(p);
    }
    t.begin.push_back(static_cast<int64_t>(t.pos.size()));
    t.padded.push_back(padded);
  }
  return t;
}

// The larger of a and v, NaN when v is NaN (so a NaN anywhere in a window wins, as in the direct
// loop). Vectors are SSE2-wide: this file is compiled for the baseline.
inline float MaxNan(float a, float v) { return (v > a || v != v) ? v : a; }
using V = vec::F4;
constexpr int kLanes = vec::kLanesOf<V>;

// acc[w] = max or sum of rows[r][w] for r < count, in r order (lowest or 0 when count is 0).
void CombineRows(const float* const* rows, int64_t count, int64_t width, bool max, float* acc) {
  if (count == 0) {
    std::fill(acc, acc + width, max ? std::numeric_limits<float>::lowest() : 0.0f);
    return;
  }
  std::copy(rows[0], rows[0] + width, acc);
  for (int64_t r = 1; r < count; ++r) {
    const float* src = rows[r];
    int64_t w = 0;
    for (; w + kLanes <= width; w += kLanes) {
      V a = vec::Load<V>(acc + w), v = vec::Load<V>(src + w);
      vec::Store(acc + w, max ? vec::MaxNan(a, v) : a + v);
    }
    for (; w < width; ++w) acc[w] = max ? MaxNan(acc[w], src[w]) : acc[w] + src[w];
  }
}

// win[w] = max or sum of acc[w + k * dilation] for k < kernel, in k order, for every w whose window
// lies inside [0, width).
void CombineColumns(const float* acc, int64_t width, int64_t kernel, int64_t dilation, bool max,
                    float* win) {
  const int64_t n = width - (kernel - 1) * dilation;
  if (n <= 0) return;
  std::copy(acc, acc + n, win);
  for (int64_t k = 1; k < kernel; ++k) {
    const float* src = acc + k * dilation;
    int64_t w = 0;
    for (; w + kLanes <= n; w += kLanes) {
      V a = vec::Load<V>(win + w), v = vec::Load<V>(src + w);
      vec::Store(win + w, max ? vec::MaxNan(a, v) : a + v);
    }
    for (; w < n; ++w) win[w] = max ? MaxNan(win[w], src[w]) : win[w] + src[w];
  }
}

// Max or average pooling of float [N, C, H, W] (or [N, C, W]) without Indices: per output row,
// the window's input rows combined column-wise, then each output takes its window's columns.
void SeparablePool2D(KernelContext& ctx, const Tensor& x, const WindowGeometry& g,
                     const PoolParams& pp, Tensor& y) {
  const bool max = pp.kind == PoolKind::kMax;
  WindowGeometry g2 = g;
  if (g.nd == 1) {  // as [1, W]
    for (auto* v : {&g2.in, &g2.kernel, &g2.out}) v->insert(v->begin(), 1);
    for (auto* v : {&g2.strides, &g2.dilations}) v->insert(v->begin(), 1);
    for (auto* v : {&g2.pads_begin, &g2.pads_end}) v->insert(v->begin(), 0);
    g2.nd = 2;
  }
  const AxisTaps th = MakeAxisTaps(g2, 0), tw = MakeAxisTaps(g2, 1);
  const int64_t in_h = g2.in[0], in_w = g2.in[1], out_h = g2.out[0], out_w = g2.out[1];
  const int64_t kw = g2.kernel[1], dw = g2.dilations[1], sw = g2.strides[1], pw = g2.pads_begin[1];
  const int64_t span = (kw - 1) * dw;
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  ParallelFor(ctx.pool(), planes, 2 * (in_h * in_w + 1),  // ~2 operations per input
              [&](int64_t begin, int64_t end) {
                std::vector<float> acc(in_w), win(in_w);
                std::vector<const float*> rows(g2.kernel[0]);
                for (int64_t plane = begin; plane < end; ++plane) {
                  const float* xp = px + plane * in_h * in_w;
                  float* yp = py + plane * out_h * out_w;
                  for (int64_t oh = 0; oh < out_h; ++oh) {
                    int64_t nh = th.begin[oh + 1] - th.begin[oh];
                    for (int64_t r = 0; r < nh; ++r) rows[r] = xp + th.pos[th.begin[oh] + r] * in_w;
                    CombineRows(rows.data(), nh, in_w, max, acc.data());
                    CombineColumns(acc.data(), in_w, kw, dw, max, win.data());
                    for (int64_t ow = 0; ow < out_w; ++ow) {
                      const int64_t* pos = tw.pos.data() + tw.begin[ow];
                      const int64_t nw = tw.begin[ow + 1] - tw.begin[ow];
                      const int64_t start = ow * sw - pw;
                      // A window inside the row was combined by CombineColumns.
                      const bool whole = nw == kw && start >= 0 && start + span < in_w;
                      float* out = yp + oh * out_w + ow;
                      if (max) {
                        float best = nw > 0 ? acc[pos[0]] : std::numeric_limits<float>::lowest();
                        if (whole) {
                          best = win[start];
                        } else {
                          for (int64_t k = 1; k < nw; ++k) best = MaxNan(best, acc[pos[k]]);
                        }
                        *out = best;
                      } else {
                        float sum = whole ? win[start] : 0.0f;
                        if (!whole) {
                          for (int64_t k = 0; k < nw; ++k) sum += acc[pos[k]];
                        }
                        int64_t div =
                            pp.count_include_pad ? th.padded[oh] * tw.padded[ow] : nh * nw;
                        *out = div > 0 ? sum / static_cast<float>(div) : 0.0f;
                      }
                    }
                  }
                }
              });
}

// GlobalAveragePool / GlobalMaxPool of float: one reduction per (image, channel) plane, in
// float lanes (sums of blocks added up in double).
void GlobalPoolFloat(KernelContext& ctx, const Tensor& x, bool max, Tensor& y) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = x.numel() / std::max<int64_t>(planes, 1);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  ParallelFor(ctx.pool(), planes, size + 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* p = px + plane * size;
      if (size == 0) {
        py[plane] = max ? std::numeric_limits<float>::lowest() : 0.0f;
        continue;
      }
      int64_t i = 0;
      if (max) {
        float best = p[0];
        if (size >= kLanes) {
          V m = vec::Load<V>(p);
          for (i = kLanes; i + kLanes <= size; i += kLanes) m = vec::MaxNan(m, vec::Load<V>(p + i));
          for (int j = 0; j < kLanes; ++j) best = MaxNan(best, m[j]);
        }
        for (; i < size; ++i) best = MaxNan(best, p[i]);
        py[plane] = best;
      } else {
        constexpr int64_t kBlock = 1024;
        double total = 0;
        while (i + kLanes <= size) {
          V s = vec::Splat<V>(0.0f);
          int64_t e = std::min(size, i + kBlock);
          for (; i + kLanes <= e; i += kLanes) s += vec::Load<V>(p + i);
          float part = 0;
          for (int j = 0; j < kLanes; ++j) part += s[j];
          total += part;
        }
        for (; i < size; ++i) total += p[i];
        py[plane] = static_cast<float>(total / static_cast<double>(size));
      }
    }
  });
}

Status Pool(KernelContext& ctx, PoolKind kind, bool global) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  PoolParams pp;
  pp.kind = kind;
  pp.count_include_pad = ctx.GetInt("count_include_pad", 0) != 0;
  pp.p = ctx.GetInt("p", 2);
  pp.column_major_indices = ctx.GetInt("storage_order", 0) == 1;
  IA_ASSIGN_OR_RETURN(WindowGeometry g, ops::PoolWindow(ctx.node(), x->shape()));
  const Shape& out_shape = g.output;
  Tensor& y = ctx.Allocate(0, x->dtype(), out_shape);
  int64_t* indices = nullptr;
  if (kind == PoolKind::kMax && ctx.wants_output(1)) {
    indices = ctx.Allocate(1, DType::kInt64, out_shape).data<int64_t>();
  }
  if (y.numel() == 0) return Status::Ok();
  if (x->dtype() == DType::kFloat32 && kind != PoolKind::kLp && !indices) {
    if (global) {
      GlobalPoolFloat(ctx, *x, kind == PoolKind::kMax, y);
      return Status::Ok();
    }
    if (g.nd <= 2) {
      SeparablePool2D(ctx, *x, g, pp, y);
      return Status::Ok();
    }
  }
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
  r.Add("MaxPool", MaxPool).Types({DType::kFloat32, DType::kFloat64, DType::kInt8, DType::kUInt8});
  r.Add("AveragePool", AveragePool).Types({DType::kFloat32, DType::kFloat64});
  r.Add("LpPool", LpPool).Types({DType::kFloat32, DType::kFloat64});
  r.Add("GlobalMaxPool", GlobalMaxPool);
  r.Add("GlobalAveragePool", GlobalAveragePool);
  r.Add("GlobalLpPool", GlobalLpPool);
}

}  // namespace ipfs_accelerate::engine::cpu
