// Normalizations: batch, instance, layer, Lp, mean-variance and local response. Softmax and its
// relatives live in normalization_softmax.cc.
#include <cmath>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/reduce_util.h"
#include "engine/backends/cpu/vec_math.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

std::string Dtypes() { return " (float32 and float64 are supported)"; }

// A float32 or float64 tensor's values as doubles, or an error naming the input.
Result<std::vector<double>> AsDoubles(const KernelContext& ctx, const Tensor& t, const char* what) {
  std::vector<double> v(t.numel());
  if (t.dtype() == DType::kFloat32) {
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<float>()[i];
  } else if (t.dtype() == DType::kFloat64) {
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<double>()[i];
  } else {
    return ctx.Unsupported(std::string(what) + " has dtype " + DTypeName(t.dtype()) + Dtypes());
  }
  return v;
}

// `t` broadcast (unidirectionally) to `target`, as a dense vector of T.
bool BroadcastsTo(const Tensor& t, const Shape& target) {
  bool ok = t.rank() <= static_cast<int>(target.size());
  for (int i = 0; ok && i < t.rank(); ++i) {
    int64_t d = t.dim(t.rank() - 1 - i), want = target[target.size() - 1 - i];
    ok = d == want || d == 1;
  }
  return ok;
}

template <typename T>
Result<std::vector<T>> ExpandTo(const KernelContext& ctx, const Tensor& t, const Shape& target,
                                const char* what) {
  if (!BroadcastsTo(t, target)) {
    return ctx.Error(std::string(what) + " has shape " + ShapeToString(t.shape()) +
                     ", which does not broadcast to the normalized shape " + ShapeToString(target));
  }
  IA_ASSIGN_OR_RETURN(std::vector<double> src, AsDoubles(ctx, t, what));
  std::vector<T> out(NumElements(target));
  std::vector<int64_t> strides = ops::BroadcastStrides(t.shape(), target);
  int rank = static_cast<int>(target.size());
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<T>(src[off]);
    for (int d = rank - 1; d >= 0; --d) {
      off += strides[d];
      if (++idx[d] < target[d]) break;
      off -= strides[d] * target[d];
      idx[d] = 0;
    }
  }
  return out;
}

// `t` broadcast to `target` as a row of T: t's own values when it holds one per element of
// target already (the usual scale and bias), else expanded into *storage.
template <typename T>
Result<const T*> ParamRow(const KernelContext& ctx, const Tensor& t, const Shape& target,
                          const char* what, std::vector<T>* storage) {
  constexpr DType kType = std::is_same_v<T, float> ? DType::kFloat32 : DType::kFloat64;
  if (t.dtype() == kType && t.numel() == NumElements(target) && BroadcastsTo(t, target)) {
    return t.data<T>();
  }
  IA_ASSIGN_OR_RETURN(*storage, ExpandTo<T>(ctx, t, target, what));
  return storage->data();
}

// ---- Row kernels: float32 in vectors of the widest ISA, float64 in plain loops ----

// Sums of d and d * d for d = x[i] - c over a row: float lanes over blocks of 1024 elements,
// added up in double (as LaneSum), so long rows stay accurate.
template <typename V>
IA_VEC_INLINE void DeviationSums(const float* x, int64_t n, float c, double* s1, double* s2) {
  constexpr int kL = vec::kLanesOf<V>;
  constexpr int64_t kBlock = 1024;
  double t1 = 0, t2 = 0;
  int64_t i = 0;
  const V vc = vec::Splat<V>(c);
  while (i + kL <= n) {
    V a1{}, a2{};
    const int64_t end = std::min(n, i + kBlock);
    for (; i + kL <= end; i += kL) {
      const V d = vec::Load<V>(x + i) - vc;
      a1 += d;
      a2 += d * d;
    }
    float f1 = 0, f2 = 0;
    for (int j = 0; j < kL; ++j) {
      f1 += a1[j];
      f2 += a2[j];
    }
    t1 += f1;
    t2 += f2;
  }
  for (; i < n; ++i) {
    const float d = x[i] - c;
    t1 += d;
    t2 += d * d;
  }
  *s1 = t1;
  *s2 = t2;
}

// Mean and 1/sqrt(variance + eps) of a float row: the mean, then the deviations from its float
// rounding, corrected for that rounding (a two-pass variance).
template <typename V>
IA_VEC_INLINE void MomentsLoop(const float* x, int64_t n, double eps, double* mean,
                               double* inv_std) {
  double s1, s2;
  DeviationSums<V>(x, n, 0.f, &s1, &s2);
  const float mf = static_cast<float>(s1 / n);
  DeviationSums<V>(x, n, mf, &s1, &s2);
  const double dm = s1 / n;
  *mean = mf + dm;
  *inv_std = 1.0 / std::sqrt(std::max(s2 / n - dm * dm, 0.0) + eps);
}

// y = (x - b) * a * scale + bias with scale and bias per element (a = 1/std, b = the mean), or,
// when scale is null, y = x * a + b.
template <typename V>
IA_VEC_INLINE void ApplyLoop(const float* __restrict x, float* __restrict y, int64_t n, float a,
                             float b, const float* __restrict scale, const float* __restrict bias) {
  constexpr int kL = vec::kLanesOf<V>;
  const V va = vec::Splat<V>(a), vb = vec::Splat<V>(b);
  int64_t i = 0;
  if (scale) {
    for (; i + kL <= n; i += kL) {
      const V t = (vec::Load<V>(x + i) - vb) * va;
      vec::Store(y + i, t * vec::Load<V>(scale + i) + vec::Load<V>(bias + i));
    }
    for (; i < n; ++i) y[i] = (x[i] - b) * a * scale[i] + bias[i];
  } else {
    for (; i + kL <= n; i += kL) vec::Store(y + i, vec::Load<V>(x + i) * va + vb);
    for (; i < n; ++i) y[i] = x[i] * a + b;
  }
}

IA_TARGET_AVX512 void MomentsAvx512(const float* x, int64_t n, double eps, double* m, double* s) {
  MomentsLoop<vec::F16>(x, n, eps, m, s);
}
IA_TARGET_AVX2 void MomentsAvx2(const float* x, int64_t n, double eps, double* m, double* s) {
  MomentsLoop<vec::F8>(x, n, eps, m, s);
}
IA_TARGET_AVX512 void ApplyAvx512(const float* x, float* y, int64_t n, float a, float b,
                                  const float* scale, const float* bias) {
  ApplyLoop<vec::F16>(x, y, n, a, b, scale, bias);
}
IA_TARGET_AVX2 void ApplyAvx2(const float* x, float* y, int64_t n, float a, float b,
                              const float* scale, const float* bias) {
  ApplyLoop<vec::F8>(x, y, n, a, b, scale, bias);
}

// Mean and 1/sqrt(variance + eps) of a contiguous row.
void RowMoments(const float* x, int64_t n, double eps, double* mean, double* inv_std) {
#if IA_VEC_HAS_TARGETS
  const vec::Isa isa = vec::BestIsa();
  if (isa == vec::Isa::kAvx512) return MomentsAvx512(x, n, eps, mean, inv_std);
  if (isa == vec::Isa::kAvx2) return MomentsAvx2(x, n, eps, mean, inv_std);
#endif
  MomentsLoop<vec::F4>(x, n, eps, mean, inv_std);
}
void RowMoments(const double* x, int64_t n, double eps, double* mean, double* inv_std) {
  const double m = LaneSum(x, n) / n;
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += (x[i] - m) * (x[i] - m);
  *mean = m;
  *inv_std = 1.0 / std::sqrt(std::max(acc / n, 0.0) + eps);
}

void ApplyFloat(const float* x, float* y, int64_t n, float a, float b, const float* scale,
                const float* bias) {
#if IA_VEC_HAS_TARGETS
  const vec::Isa isa = vec::BestIsa();
  if (isa == vec::Isa::kAvx512) return ApplyAvx512(x, y, n, a, b, scale, bias);
  if (isa == vec::Isa::kAvx2) return ApplyAvx2(x, y, n, a, b, scale, bias);
#endif
  ApplyLoop<vec::F4>(x, y, n, a, b, scale, bias);
}

// y = (x - mean) * inv_std * scale + bias, with per-element scale and bias.
void ApplyRow(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
              const float* bias) {
  ApplyFloat(x, y, n, inv_std, mean, scale, bias);
}
void ApplyRow(const double* __restrict x, double* __restrict y, int64_t n, double mean,
              double inv_std, const double* __restrict scale, const double* __restrict bias) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv_std * scale[i] + bias[i];
}

// y = x * a + b for scalar a and b.
void AffineRow(const float* x, float* y, int64_t n, float a, float b) {
  ApplyFloat(x, y, n, a, b, nullptr, nullptr);
}
void AffineRow(const double* __restrict x, double* __restrict y, int64_t n, double a, double b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

// ---- LayerNormalization (opset 17) ----

template <typename T>
Status LayerNormTyped(KernelContext& ctx, const Tensor& x, int axis) {
  const Shape& s = x.shape();
  int rank = x.rank();
  Shape norm_shape(s.begin() + axis, s.end());
  int64_t rows = Product(s, 0, axis), n = Product(s, axis, rank);
  IA_ASSIGN_OR_RETURN(const Tensor* scale_t, ctx.Required(1));
  std::vector<T> scale_storage, bias_storage;
  IA_ASSIGN_OR_RETURN(const T* scale,
                      ParamRow<T>(ctx, *scale_t, norm_shape, "Scale", &scale_storage));
  const T* bias = nullptr;
  if (const Tensor* b = ctx.input(2)) {
    IA_ASSIGN_OR_RETURN(bias, ParamRow<T>(ctx, *b, norm_shape, "B", &bias_storage));
  } else {
    bias_storage.assign(n, T(0));
    bias = bias_storage.data();
  }
  double eps = ctx.GetFloat("epsilon", 1e-5f);
  Tensor& y = ctx.Allocate(0, x.dtype(), s);
  Shape stat_shape(s.begin(), s.begin() + axis);
  stat_shape.resize(rank, 1);
  float* mean_out = nullptr;
  float* inv_out = nullptr;
  if (ctx.wants_output(1)) mean_out = ctx.Allocate(1, DType::kFloat32, stat_shape).data<float>();
  if (ctx.wants_output(2)) inv_out = ctx.Allocate(2, DType::kFloat32, stat_shape).data<float>();
  const T* px = x.data<T>();
  T* py = y.data<T>();
  if (n == 0) return Status::Ok();
  ParallelFor(ctx.pool(), rows, n * 4, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      double mean, inv;
      RowMoments(px + r * n, n, eps, &mean, &inv);
      ApplyRow(px + r * n, py + r * n, n, static_cast<T>(mean), static_cast<T>(inv), scale, bias);
      if (mean_out) mean_out[r] = static_cast<float>(mean);
      if (inv_out) inv_out[r] = static_cast<float>(inv);
    }
  });
  return Status::Ok();
}

Status LayerNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() == 0) return ctx.Error("input X must have rank >= 1");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", -1), x->rank()));
  switch (x->dtype()) {
    case DType::kFloat32:
      return LayerNormTyped<float>(ctx, *x, axis);
    case DType::kFloat64:
      return LayerNormTyped<double>(ctx, *x, axis);
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
}

// ---- BatchNormalization (inference) and InstanceNormalization ----

// Checks that per-channel input `i` holds `c` values (or `alt` values, when alt > 0).
Result<std::vector<double>> ChannelParam(const KernelContext& ctx, size_t i, const char* what,
                                         int64_t c, int64_t alt = 0) {
  IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
  if (t->numel() != c && (alt <= 0 || t->numel() != alt)) {
    return ctx.Error(std::string(what) + " has shape " + ShapeToString(t->shape()) + "; expected " +
                     std::to_string(c) + " values, one per channel");
  }
  return AsDoubles(ctx, *t, what);
}

// y[n, c, ...] = x[n, c, ...] * a[c * group + k] + b[...], over `inner` values per (n, c, k).
template <typename T>
void ApplyPerChannel(ThreadPool* pool, const T* x, T* y, int64_t batches, int64_t channels,
                     int64_t inner, const std::vector<double>& a, const std::vector<double>& b) {
  ParallelFor(pool, batches * channels, inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t c = r % channels;
      AffineRow(x + r * inner, y + r * inner, inner, static_cast<T>(a[c]), static_cast<T>(b[c]));
    }
  });
}

Status BatchNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() < 2)
    return ctx.Error("input X must be [N, C, ...], got shape " + ShapeToString(x->shape()));
  bool training = ctx.GetInt("training_mode", 0) != 0;
  if (ctx.node().opset < 14) {
    for (size_t k = 1; k < ctx.node().outputs.size(); ++k) {
      if (ctx.wants_output(k))
        return ctx.Unsupported("training outputs (mean, var, saved statistics)");
    }
  }
  int64_t batches = x->dim(0), channels = x->dim(1), inner = Product(x->shape(), 2, x->rank());
  // Opsets 7 and 8 with spatial=0 keep statistics per channel and position.
  bool per_position = ctx.node().opset < 9 && ctx.GetInt("spatial", 1) == 0;
  int64_t groups = per_position ? channels * inner : channels;
  IA_ASSIGN_OR_RETURN(std::vector<double> scale, ChannelParam(ctx, 1, "scale", groups));
  IA_ASSIGN_OR_RETURN(std::vector<double> bias, ChannelParam(ctx, 2, "B", groups));
  IA_ASSIGN_OR_RETURN(std::vector<double> mean, ChannelParam(ctx, 3, "input_mean", groups));
  IA_ASSIGN_OR_RETURN(std::vector<double> var, ChannelParam(ctx, 4, "input_var", groups));
  double eps = ctx.GetFloat("epsilon", 1e-5f);
  if (training) {
    // Batch statistics (population variance) normalise X; the running statistics are the
    // inputs moved toward them by 1 - momentum (outputs 1 and 2).
    if (per_position) return ctx.Unsupported("training_mode with spatial=0");
    if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kFloat64) {
      return ctx.Unsupported("training_mode for dtype " + DTypeName(x->dtype()));
    }
    std::vector<double> sum(channels, 0.0), sq(channels, 0.0);
    for (int64_t n = 0; n < batches; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        for (int64_t i = 0; i < inner; ++i) {
          int64_t at = (n * channels + c) * inner + i;
          double v = x->dtype() == DType::kFloat32 ? x->data<float>()[at] : x->data<double>()[at];
          sum[c] += v;
          sq[c] += v * v;
        }
      }
    }
    double count = static_cast<double>(batches * inner);
    double momentum = ctx.GetFloat("momentum", 0.9f);
    for (int64_t c = 0; c < channels; ++c) {
      double m = count > 0 ? sum[c] / count : 0.0;
      double v = count > 0 ? std::max(0.0, sq[c] / count - m * m) : 0.0;
      mean[c] = mean[c] * momentum + m * (1 - momentum);
      var[c] = var[c] * momentum + v * (1 - momentum);
      sum[c] = m;
      sq[c] = v;
    }
    for (int k = 1; k <= 2; ++k) {
      if (!ctx.wants_output(k)) continue;
      const Tensor* like = ctx.input(2 + k);
      Tensor& out = ctx.Allocate(k, like->dtype(), {channels});
      const std::vector<double>& src = k == 1 ? mean : var;
      for (int64_t c = 0; c < channels; ++c) {
        if (like->dtype() == DType::kFloat64) {
          out.data<double>()[c] = src[c];
        } else if (like->dtype() == DType::kFloat32) {
          out.data<float>()[c] = static_cast<float>(src[c]);
        } else {
          return ctx.Unsupported("training_mode for statistics of dtype " +
                                 DTypeName(like->dtype()));
        }
      }
    }
    mean = sum;  // normalise with the batch statistics
    var = sq;
  }
  std::vector<double> a(groups), b(groups);
  for (int64_t c = 0; c < groups; ++c) {
    a[c] = scale[c] / std::sqrt(var[c] + eps);
    b[c] = bias[c] - mean[c] * a[c];
  }
  if (per_position) {
    channels = groups;
    inner = 1;
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  switch (x->dtype()) {
    case DType::kFloat32:
      ApplyPerChannel(ctx.pool(), x->data<float>(), y.data<float>(), batches, channels, inner, a,
                      b);
      break;
    case DType::kFloat64:
      ApplyPerChannel(ctx.pool(), x->data<double>(), y.data<double>(), batches, channels, inner, a,
                      b);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
  return Status::Ok();
}

template <typename T>
void InstanceNormTyped(ThreadPool* pool, const T* x, T* y, int64_t batches, int64_t channels,
                       int64_t inner, const std::vector<double>& scale,
                       const std::vector<double>& bias, double eps) {
  ParallelFor(pool, batches * channels, inner * 3, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t c = r % channels;
      double mean, inv;
      RowMoments(x + r * inner, inner, eps, &mean, &inv);
      double a = inv * scale[c];
      AffineRow(x + r * inner, y + r * inner, inner, static_cast<T>(a),
                static_cast<T>(bias[c] - mean * a));
    }
  });
}

Status InstanceNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() < 3)
    return ctx.Error("input must be [N, C, D1, ...], got shape " + ShapeToString(x->shape()));
  int64_t batches = x->dim(0), channels = x->dim(1), inner = Product(x->shape(), 2, x->rank());
  IA_ASSIGN_OR_RETURN(std::vector<double> scale, ChannelParam(ctx, 1, "scale", channels));
  IA_ASSIGN_OR_RETURN(std::vector<double> bias, ChannelParam(ctx, 2, "B", channels));
  double eps = ctx.GetFloat("epsilon", 1e-5f);
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  if (inner == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      InstanceNormTyped(ctx.pool(), x->data<float>(), y.data<float>(), batches, channels, inner,
                        scale, bias, eps);
      break;
    case DType::kFloat64:
      InstanceNormTyped(ctx.pool(), x->data<double>(), y.data<double>(), batches, channels, inner,
                        scale, bias, eps);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
  return Status::Ok();
}

// ---- LpNormalization, MeanVarianceNormalization, LRN ----

template <typename T>
void LpNormTyped(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int p) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* xs = x + o * n * inner + i;
      T* ys = y + o * n * inner + i;
      double acc = 0;
      for (int64_t k = 0; k < n; ++k)
        acc += p == 1 ? std::fabs(xs[k * inner]) : double(xs[k * inner]) * xs[k * inner];
      double norm = p == 1 ? acc : std::sqrt(acc);
      for (int64_t k = 0; k < n; ++k)
        ys[k * inner] = norm == 0 ? T(0) : static_cast<T>(xs[k * inner] / norm);
    }
  }
}

Status LpNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() == 0) return ctx.Error("input must have rank >= 1");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", -1), x->rank()));
  int64_t p = ctx.GetInt("p", 2);
  if (p != 1 && p != 2) return ctx.Error("p must be 1 or 2, got " + std::to_string(p));
  const Shape& s = x->shape();
  int64_t outer = Product(s, 0, axis), n = s[axis], inner = Product(s, axis + 1, x->rank());
  Tensor& y = ctx.Allocate(0, x->dtype(), s);
  switch (x->dtype()) {
    case DType::kFloat32:
      LpNormTyped(x->data<float>(), y.data<float>(), outer, n, inner, p);
      break;
    case DType::kFloat64:
      LpNormTyped(x->data<double>(), y.data<double>(), outer, n, inner, p);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
  return Status::Ok();
}

// y = (x - mean) / (std + 1e-9) over `axes`, as the ONNX function body defines it.
template <typename T>
void MvnTyped(const T* x, T* y, const Shape& s, const std::vector<bool>& reduced) {
  int rank = static_cast<int>(s.size());
  // Each element's statistics group: its index with the reduced axes dropped.
  std::vector<int64_t> gstride(rank, 0);
  int64_t groups = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (!reduced[d]) {
      gstride[d] = groups;
      groups *= s[d];
    }
  }
  int64_t n = NumElements(s);
  std::vector<int64_t> group(n);
  std::vector<int64_t> idx(rank, 0);
  int64_t g = 0;
  for (int64_t i = 0; i < n; ++i) {
    group[i] = g;
    for (int d = rank - 1; d >= 0; --d) {
      g += gstride[d];
      if (++idx[d] < s[d]) break;
      g -= gstride[d] * s[d];
      idx[d] = 0;
    }
  }
  std::vector<double> sum(groups, 0), sq(groups, 0), count(groups, 0);
  for (int64_t i = 0; i < n; ++i) {
    sum[group[i]] += x[i];
    count[group[i]] += 1;
  }
  for (int64_t k = 0; k < groups; ++k) sum[k] /= count[k];
  for (int64_t i = 0; i < n; ++i) {
    double d = x[i] - sum[group[i]];
    sq[group[i]] += d * d;
  }
  for (int64_t k = 0; k < groups; ++k) sq[k] = std::sqrt(sq[k] / count[k]) + 1e-9;
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>((x[i] - sum[group[i]]) / sq[group[i]]);
}

Status MeanVarianceNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<bool> reduced(x->rank(), false);
  for (int64_t a : ctx.GetInts("axes", {0, 2, 3})) {
    IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, a, x->rank(), "axes entry"));
    reduced[axis] = true;
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  switch (x->dtype()) {
    case DType::kFloat32:
      MvnTyped(x->data<float>(), y.data<float>(), x->shape(), reduced);
      break;
    case DType::kFloat64:
      MvnTyped(x->data<double>(), y.data<double>(), x->shape(), reduced);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
  return Status::Ok();
}

template <typename T>
void LrnTyped(const T* x, T* y, int64_t batches, int64_t channels, int64_t inner, int64_t size,
              double alpha, double beta, double bias) {
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  std::vector<double> acc(inner);
  for (int64_t b = 0; b < batches; ++b) {
    const T* xb = x + b * channels * inner;
    T* yb = y + b * channels * inner;
    for (int64_t c = 0; c < channels; ++c) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after);
           ++k) {
        for (int64_t i = 0; i < inner; ++i) acc[i] += double(xb[k * inner + i]) * xb[k * inner + i];
      }
      for (int64_t i = 0; i < inner; ++i) {
        yb[c * inner + i] =
            static_cast<T>(xb[c * inner + i] / std::pow(bias + alpha / size * acc[i], beta));
      }
    }
  }
}

Status Lrn(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() < 2)
    return ctx.Error("input must be [N, C, ...], got shape " + ShapeToString(x->shape()));
  int64_t size = ctx.GetInt("size", 0);
  if (size < 1)
    return ctx.Error("attribute size must be a positive integer, got " + std::to_string(size));
  double alpha = ctx.GetFloat("alpha", 1e-4f), beta = ctx.GetFloat("beta", 0.75f),
         bias = ctx.GetFloat("bias", 1.0f);
  int64_t batches = x->dim(0), channels = x->dim(1), inner = Product(x->shape(), 2, x->rank());
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  switch (x->dtype()) {
    case DType::kFloat32:
      LrnTyped(x->data<float>(), y.data<float>(), batches, channels, inner, size, alpha, beta,
               bias);
      break;
    case DType::kFloat64:
      LrnTyped(x->data<double>(), y.data<double>(), batches, channels, inner, size, alpha, beta,
               bias);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + Dtypes());
  }
  return Status::Ok();
}

}  // namespace

void RegisterNormalizationKernels(KernelRegistry& r) {
  r.Add("BatchNormalization", BatchNormalization, 6).Types({DType::kFloat32, DType::kFloat64});
  r.Add("InstanceNormalization", InstanceNormalization).Types({DType::kFloat32, DType::kFloat64});
  r.Add("LayerNormalization", LayerNormalization, 17).Types({DType::kFloat32, DType::kFloat64});
  r.Add("LpNormalization", LpNormalization).Types({DType::kFloat32, DType::kFloat64});
  r.Add("MeanVarianceNormalization", MeanVarianceNormalization, 9)
      .Types({DType::kFloat32, DType::kFloat64});
  r.Add("LRN", Lrn).Types({DType::kFloat32, DType::kFloat64});
  RegisterSoftmaxKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
