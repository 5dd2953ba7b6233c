// GridSample (opsets 16 and 20; its rules and per-axis geometry: engine/ops/detection.h) over
// any spatial rank. Each output point finds its taps on every axis once (1 nearest, 2 linear,
// 4 cubic), padded per axis, and their products of weights; then every channel sums over those
// taps. Output points are split over the pool.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/elementwise_common.h"
#include "engine/ops/detection.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using ops::GridSampleAttrs;
using ops::GridSampleMode;
using ops::GridSamplePadding;

constexpr int kMaxRank = 8;  // spatial axes (ops::GridSampleShape refuses more)
constexpr int kMaxTaps = 4;  // per axis: cubic

// One tap of one axis: its element offset in a channel of X, its weight, and whether it reads
// X at all (zeros padding: a tap outside reads 0).
template <typename T>
struct Tap {
  int64_t offset = 0;
  T weight = 0;
  bool inside = true;
};

// The taps of every axis of one output point, and their product over the axes.
template <typename T>
class PointTaps {
 public:
  PointTaps(const GridSampleAttrs& a, const int64_t* sizes, const int64_t* strides, int rank)
      : a_(a), sizes_(sizes), strides_(strides), rank_(rank) {
    taps_ = a.mode == GridSampleMode::kNearest ? 1 : a.mode == GridSampleMode::kLinear ? 2 : 4;
  }

  // Sets the taps of axis `d` for position `p` (already denormalized); false when p is NaN.
  bool SetAxis(int d, T p) {
    const int64_t size = sizes_[d];
    const T lo = ops::GridSampleLow<T>(size, a_.align_corners);
    const T hi = ops::GridSampleHigh<T>(size, a_.align_corners);
    if (a_.mode == GridSampleMode::kNearest) p = std::nearbyint(p);
    if (p < lo || p > hi) {
      if (a_.padding == GridSamplePadding::kBorder) {
        p = std::clamp(p, T(0), static_cast<T>(size - 1));
      } else if (a_.padding == GridSamplePadding::kReflection) {
        p = ops::GridSampleReflect(p, lo, hi);
      }
    }
    if (std::isnan(p)) return false;
    // Far outside (zeros padding), every tap is outside: keep floor() in int64's range.
    p = std::clamp(p, T(-16), static_cast<T>(size + 16));
    Tap<T>* t = taps_of_[d];
    if (a_.mode == GridSampleMode::kNearest) {
      Place(d, static_cast<int64_t>(p), T(1), t[0]);
    } else if (a_.mode == GridSampleMode::kLinear) {
      const T f = std::floor(p);
      const int64_t i = static_cast<int64_t>(f);
      Place(d, i, (f + T(1)) - p, t[0]);
      Place(d, i + 1, p - f, t[1]);
    } else {
      const T f = std::floor(p);
      const int64_t i = static_cast<int64_t>(f);
      T w[4];
      ops::GridSampleCubicWeights(p - f, w);
      for (int k = 0; k < 4; ++k) Place(d, i - 1 + k, w[k], t[k]);
    }
    return true;
  }

  // The (offset, weight) of every combination of one tap per axis that reads X, into `out`.
  void Combine(std::vector<std::pair<int64_t, T>>& out) const {
    out.clear();
    int k[kMaxRank] = {};
    for (;;) {
      int64_t offset = 0;
      T weight = 1;
      bool inside = true;
      for (int d = 0; d < rank_; ++d) {
        const Tap<T>& t = taps_of_[d][k[d]];
        inside = inside && t.inside;
        offset += t.offset;
        weight *= t.weight;
      }
      if (inside) out.emplace_back(offset, weight);
      int d = rank_ - 1;
      while (d >= 0 && ++k[d] == taps_) k[d--] = 0;
      if (d < 0) break;
    }
  }

 private:
  // Tap at index `i` of axis `d` with weight `w`, padded as the node says.
  void Place(int d, int64_t i, T w, Tap<T>& t) const {
    const int64_t size = sizes_[d];
    t.weight = w;
    t.inside = true;
    if (a_.padding == GridSamplePadding::kZeros) {
      t.inside = i >= 0 && i < size;
    } else if (a_.padding == GridSamplePadding::kBorder) {
      i = std::clamp<int64_t>(i, 0, size - 1);
    } else if (i < 0 || i >= size) {
      const T r =
          ops::GridSampleReflect(static_cast<T>(i), ops::GridSampleLow<T>(size, a_.align_corners),
                                 ops::GridSampleHigh<T>(size, a_.align_corners));
      i = std::clamp<int64_t>(static_cast<int64_t>(r), 0, size - 1);
    }
    t.offset = t.inside ? i * strides_[d] : 0;
  }

  const GridSampleAttrs& a_;
  const int64_t* sizes_;
  const int64_t* strides_;
  int rank_;
  int taps_ = 1;
  Tap<T> taps_of_[kMaxRank][kMaxTaps];
};

// X of element type T, grid of element type G.
template <typename T, typename G>
void GridSampleTyped(KernelContext& ctx, const GridSampleAttrs& a, Tensor& y) {
  const Tensor& x = *ctx.input(0);
  const Tensor& grid = *ctx.input(1);
  const int rank = x.rank() - 2;
  const int64_t batch = x.dim(0), channels = x.dim(1);
  int64_t sizes[kMaxRank], strides[kMaxRank];
  int64_t plane = 1;
  for (int d = rank - 1; d >= 0; --d) {
    sizes[d] = x.dim(d + 2);
    strides[d] = plane;
    plane *= sizes[d];
  }
  const int64_t points = NumElements(Shape(grid.shape().begin() + 1, grid.shape().end() - 1));
  const int taps = a.mode == GridSampleMode::kNearest  ? 1
                   : a.mode == GridSampleMode::kLinear ? 2
                                                       : 4;
  int64_t combos = 1;
  for (int d = 0; d < rank; ++d) combos *= taps;
  const T* xd = x.data<T>();
  const G* gd = grid.data<G>();
  T* yd = y.data<T>();
  const int64_t cost = (channels + rank * 8) * combos * cost::kScalarMac;
  ParallelFor(ctx.pool(), batch * points, cost, [&](int64_t begin, int64_t end) {
    PointTaps<T> point(a, sizes, strides, rank);
    std::vector<std::pair<int64_t, T>> reads;
    reads.reserve(static_cast<size_t>(combos));
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / points, o = item % points;
      const G* coords = gd + item * rank;  // x (the last axis) first
      bool finite = true;
      for (int d = 0; d < rank && finite; ++d) {
        const T v = static_cast<T>(coords[rank - 1 - d]);
        finite = point.SetAxis(d, ops::GridSampleDenormalize(v, sizes[d], a.align_corners));
      }
      T* out = yd + n * channels * points + o;  // channel c at out[c * points]
      if (!finite) {
        for (int64_t c = 0; c < channels; ++c)
          out[c * points] = std::numeric_limits<T>::quiet_NaN();
        continue;
      }
      point.Combine(reads);
      const T* img = xd + n * channels * plane;
      for (int64_t c = 0; c < channels; ++c) {
        const T* v = img + c * plane;
        T sum = 0;
        for (const auto& [offset, weight] : reads) sum += weight * v[offset];
        out[c * points] = sum;
      }
    }
  });
}

Status GridSample(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const GridSampleAttrs a, ops::ReadGridSample(ctx.node()));
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* grid, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Shape y_shape,
                      ops::GridSampleShape(ctx.node(), x->shape(), grid->shape()));
  return Visit<kFloats>(ctx, x->dtype(), [&](auto xtag) {
    using T = typename decltype(xtag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), y_shape);
    if (Dispatch<kFloats>(grid->dtype(), [&](auto gtag) {
          GridSampleTyped<T, typename decltype(gtag)::type>(ctx, a, y);
        })) {
      return Status::Ok();
    }
    return ctx.Error("grid is " + DTypeName(grid->dtype()) + "; expected a float dtype");
  });
}

}  // namespace

void RegisterGridSampleKernels(KernelRegistry& r) {
  r.Add("GridSample", elementwise::Half<GridSample>, 16)
      .Types({DType::kFloat16, DType::kFloat32, DType::kFloat64});
}

}  // namespace ipfs_accelerate::engine::cpu
