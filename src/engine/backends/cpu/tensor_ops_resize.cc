// Resize (opset 10+) and Upsample: separable interpolation, following the ONNX reference
// implementation (resize.py) for coordinates, neighbor choice and coefficients.
#include <algorithm>
#include <cmath>

#include "engine/backends/cpu/tensor_ops_util.h"
#include "engine/ops/resize.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace tensor_ops;  // NOLINT: this file's own helpers

struct ResizeParams {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest_mode = "round_prefer_floor";  // "simple": ORT's opset-10 rule
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;  // opset 18
  double extrapolation = 0;
  std::vector<double> scales;  // per dim
  Shape out_shape;
  std::vector<double> roi;  // [starts..., ends...] or empty
};

// One output index along one dim: the source taps and their weights; `outside` for extrapolation.
struct Taps {
  std::vector<int64_t> idx;
  std::vector<double> w;
  bool outside = false;
};

std::vector<double> CubicCoeffs(double r, double a) {
  double r1 = r + 1, r2 = 1 - r, r3 = 2 - r;
  return {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * r2 - (a + 3)) * r2 * r2 + 1, ((a * r3 - 5 * a) * r3 + 8 * a) * r3 - 4 * a};
}

// The input coordinate of output index x along dim d (coordinate_transformation_mode); sets
// *outside where tf_crop_and_resize maps it outside the input.
double OriginalCoord(const ResizeParams& p, int d, int64_t x, int64_t in, int64_t out,
                     bool* outside) {
  double scale = p.scales[d], out_w = scale * static_cast<double>(in), xo = 0;
  const std::string& c = p.coord;
  if (c == "align_corners") {
    xo = out_w == 1 ? 0 : x * static_cast<double>(in - 1) / (out_w - 1);
  } else if (c == "asymmetric") {
    xo = x / scale;
  } else if (c == "tf_crop_and_resize") {
    double s = p.roi.empty() ? 0 : p.roi[d], e = p.roi.empty() ? 1 : p.roi[d + p.scales.size()];
    xo = out_w == 1 ? (e - s) * (in - 1) / 2.0 : x * (e - s) * (in - 1) / (out_w - 1);
    xo += s * (in - 1);
    if (!(xo >= 0 && xo <= in - 1)) *outside = true;  // NaN from a NaN roi is outside too
  } else if (c == "pytorch_half_pixel") {
    xo = out_w == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  } else if (c == "half_pixel_symmetric") {  // opset 19: half_pixel about the input's centre
    double offset = static_cast<double>(in) / 2 * (1 - static_cast<double>(out) / out_w);
    xo = offset + (x + 0.5) / scale - 0.5;
  } else if (c == "tf_half_pixel_for_nn") {
    xo = (x + 0.5) / scale;
  } else {  // half_pixel
    xo = (x + 0.5) / scale - 0.5;
  }
  return xo;
}

Taps ComputeTaps(const ResizeParams& p, int d, int64_t x, int64_t in, int64_t out) {
  const double scale = p.scales[d];
  Taps t;
  const double xo = OriginalCoord(p, d, x, in, out, &t.outside);
  if (t.outside) return t;
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  if (p.mode == "nearest" && p.nearest_mode == "simple") {
    t.idx = {clamp(static_cast<int64_t>(scale < 1 ? std::ceil(xo) : std::floor(xo)))};
    t.w = {1};
    return t;
  }
  // base and ratio in (0, 1]: the reference prefers the pixel left of xo.
  double fl = std::floor(xo);
  bool integer = fl == xo;
  int64_t base = static_cast<int64_t>(fl) - (integer ? 1 : 0);
  double ratio = integer ? 1 : xo - fl;
  if (p.mode == "nearest") {
    bool right;
    if (integer)
      right = true;
    else if (p.nearest_mode == "round_prefer_ceil")
      right = ratio >= 0.5;
    else if (p.nearest_mode == "floor")
      right = false;
    else if (p.nearest_mode == "ceil")
      right = true;
    else
      right = ratio > 0.5;
    t.idx = {clamp(base + (right ? 1 : 0))};
    t.w = {1};
    return t;
  }
  std::vector<double> w;
  int64_t first;
  if (p.mode == "linear") {
    w = {1 - ratio, ratio};
    first = base;
  } else {
    w = CubicCoeffs(ratio, p.cubic_a);
    first = base - 1;
  }
  if (p.exclude_outside) {
    double sum = 0;
    for (size_t k = 0; k < w.size(); ++k) {
      int64_t i = first + static_cast<int64_t>(k);
      if (i < 0 || i >= in) w[k] = 0;
      sum += w[k];
    }
    for (double& v : w) v /= sum;
  }
  for (size_t k = 0; k < w.size(); ++k) {
    if (w[k] == 0) continue;
    t.idx.push_back(clamp(first + static_cast<int64_t>(k)));
    t.w.push_back(w[k]);
  }
  return t;
}

// Opset 18's antialias (linear and cubic): the filter widened by 1 / scale when shrinking, over a
// window of AntialiasWidth taps about the input coordinate, its weights normalised to sum 1 (as
// Pillow and onnxruntime do). Taps before 0 or past the end read the edge, or are dropped with
// exclude_outside.
double AntialiasSupport(const ResizeParams& p, int d) {
  const double half = p.mode == "cubic" ? 2.0 : 1.0;  // the filter's half width
  const double inv = 1.0 / p.scales[d];
  return inv >= 1 ? half * inv : half;
}
int64_t AntialiasWidth(const ResizeParams& p, int d) {
  return static_cast<int64_t>(std::ceil(AntialiasSupport(p, d))) * 2 + 1;
}

Taps AntialiasTaps(const ResizeParams& p, int d, int64_t x, int64_t in, int64_t out) {
  Taps t;
  if (p.scales[d] == 1) {  // unchanged: the filter is 1 at the centre, 0 at every other tap
    t.idx = {x};
    t.w = {1};
    return t;
  }
  const double center = OriginalCoord(p, d, x, in, out, &t.outside) + 0.5;
  if (t.outside) return t;
  const double support = AntialiasSupport(p, d);
  const double inv = p.scales[d] < 1 ? p.scales[d] : 1.0;
  const double a = p.cubic_a;
  auto filter = [&](double v) {
    v = std::fabs(v);
    if (p.mode == "linear") return v < 1 ? 1 - v : 0.0;
    if (v < 1) return ((a + 2) * v - (a + 3)) * v * v + 1;
    if (v < 2) return (((v - 5) * v + 8) * v - 4) * a;
    return 0.0;
  };
  int64_t lo = static_cast<int64_t>(std::floor(center - support + 0.5));
  int64_t hi = static_cast<int64_t>(std::floor(center + support + 0.5));
  hi = lo + std::clamp<int64_t>(hi - lo, 0, AntialiasWidth(p, d));
  if (p.exclude_outside) {
    lo = std::clamp<int64_t>(lo, 0, in);
    hi = std::clamp<int64_t>(hi, 0, in);
  }
  double total = 0;
  for (int64_t i = lo; i < hi; ++i) {
    double w = filter((static_cast<double>(i) - center + 0.5) * inv);
    t.idx.push_back(std::clamp<int64_t>(i, 0, in - 1));
    t.w.push_back(w);
    total += w;
  }
  if (total != 0) {
    for (double& w : t.w) w /= total;
  }
  return t;
}

// Converts a float value to an element of `dtype` (rounding and saturating integers).
void StoreValue(DType dtype, double v, void* dst) {
  if (dtype == DType::kFloat16) {
    uint16_t h = FloatToHalf(static_cast<float>(v));
    std::memcpy(dst, &h, 2);
  } else if (dtype == DType::kBFloat16) {
    uint16_t h = FloatToBFloat16(static_cast<float>(v));
    std::memcpy(dst, &h, 2);
  } else {
    Dispatch<kAll>(dtype, [&](auto x) {
      using T = typename decltype(x)::type;
      T r;
      if constexpr (std::is_floating_point_v<T>) {
        r = static_cast<T>(v);
      } else {
        double lo = static_cast<double>(std::numeric_limits<T>::lowest());
        double hi = static_cast<double>(std::numeric_limits<T>::max());
        r = static_cast<T>(std::clamp(std::nearbyint(v), lo, hi));
      }
      std::memcpy(dst, &r, sizeof(T));
    });
  }
}

// dst[i] = src[idx[i]] for elements of es bytes; false when es is not 1, 2, 4 or 8.
template <typename T>
void GatherTyped(T* dst, const T* src, const int64_t* idx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[idx[i]];
}
bool GatherRow(uint8_t* dst, const uint8_t* src, size_t es, const int64_t* idx, int64_t n) {
  switch (es) {
    case 1:
      GatherTyped(dst, src, idx, n);
      return true;
    case 2:
      GatherTyped(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), idx, n);
      return true;
    case 4:
      GatherTyped(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), idx, n);
      return true;
    case 8:
      GatherTyped(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), idx, n);
      return true;
    default:
      return false;
  }
}

// The taps of every output index along one dim, flat in tensors (so that the memory budget
// counts them: a skinny output has about as many taps as elements): `width` slots per index.
struct AxisTaps {
  int64_t width = 1;
  Tensor idx, w;  // int64 and float64 [out, width]; idx 0 where unused
  Tensor count;   // uint8 [out]: the taps used, or kOutside (extrapolation_value)
  static constexpr uint8_t kOutside = 255;

  bool outside(int64_t o) const { return count.data<uint8_t>()[o] == kOutside; }
  size_t size(int64_t o) const { return outside(o) ? 0 : count.data<uint8_t>()[o]; }
  const int64_t* idx_at(int64_t o) const { return idx.data<int64_t>() + o * width; }
  const double* w_at(int64_t o) const { return w.data<double>() + o * width; }
};

AxisTaps ComputeAxisTaps(const ResizeParams& p, int d, int64_t in, int64_t out) {
  AxisTaps a;
  const bool antialias = p.antialias && p.mode != "nearest";
  a.width = antialias ? AntialiasWidth(p, d) : p.mode == "nearest" ? 1 : p.mode == "linear" ? 2 : 4;
  a.idx = Tensor::Zeros(DType::kInt64, {out, a.width});
  a.w = Tensor::Zeros(DType::kFloat64, {out, a.width});
  a.count = Tensor::Empty(DType::kUInt8, {out});
  for (int64_t o = 0; o < out; ++o) {
    Taps t = antialias ? AntialiasTaps(p, d, o, in, out) : ComputeTaps(p, d, o, in, out);
    a.count.data<uint8_t>()[o] =
        t.outside ? AxisTaps::kOutside : static_cast<uint8_t>(t.idx.size());
    std::copy(t.idx.begin(), t.idx.end(), a.idx.data<int64_t>() + o * a.width);
    std::copy(t.w.begin(), t.w.end(), a.w.data<double>() + o * a.width);
  }
  return a;
}

Status RunResize(KernelContext& ctx, const Tensor& x, const ResizeParams& p) {
  int rank = x.rank();
  size_t es = DTypeSize(x.dtype());
  for (int d = 0; d < rank; ++d) {
    if (x.dim(d) == 0 && p.out_shape[d] > 0) return ctx.Error("cannot resize an empty dimension");
  }
  // The output first: the memory budget refuses a huge one before any work is done for it.
  Tensor& out = ctx.Allocate(0, x.dtype(), p.out_shape);
  int64_t n = out.numel();
  if (n == 0) return Status::Ok();
  if (rank == 0) {
    std::memcpy(out.raw(), x.raw(), es);
    return Status::Ok();
  }
  if (p.antialias && p.mode != "nearest") {
    for (int d = 0; d < rank; ++d) {
      if (AntialiasWidth(p, d) >= AxisTaps::kOutside) {
        return ctx.Unsupported("antialias shrinking dimension " + std::to_string(d) + " by " +
                               std::to_string(1 / p.scales[d]) +
                               " (more taps per output than this kernel holds)");
      }
    }
  }
  std::vector<AxisTaps> taps(rank);
  for (int d = 0; d < rank; ++d) taps[d] = ComputeAxisTaps(p, d, x.dim(d), p.out_shape[d]);
  std::vector<int64_t> strides = ContiguousStrides(x.shape());
  std::vector<uint8_t> extrap(es);
  StoreValue(x.dtype(), p.extrapolation, extrap.data());
  bool nearest = p.mode == "nearest";
  std::vector<float> in_f;
  if (!nearest) {
    if (x.dtype() == DType::kFloat32) {
      // read in place
    } else if (IsFloatType(x.dtype())) {
      in_f = ToFloats(x);
    } else {
      in_f.resize(x.numel());
      bool ok = x.dtype() != DType::kBool && Dispatch<kAll>(x.dtype(), [&](auto z) {
                  for (size_t i = 0; i < in_f.size(); ++i)
                    in_f[i] = static_cast<float>(x.data<typename decltype(z)::type>()[i]);
                });
      if (!ok)
        return ctx.Error(p.mode + " resize needs a numeric input, got " + DTypeName(x.dtype()));
    }
  }
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const float* src_f = x.dtype() == DType::kFloat32 ? x.data<float>() : in_f.data();
  const int64_t inner = p.out_shape[rank - 1], rows = n / inner;
  const AxisTaps& last = taps[rank - 1];
  bool last_outside = false;
  for (int64_t i = 0; i < inner; ++i) last_outside |= last.outside(i);
  // For nearest (one tap, 0 where outside): the source index of every output index.
  const int64_t* last_idx = last.idx.data<int64_t>();
  ParallelFor(ctx.pool(), rows, inner * (nearest ? 4 : 16), [&](int64_t b, int64_t e) {
    std::vector<int64_t> pos(rank, 0);
    std::vector<std::pair<int64_t, double>> row_taps;  // outer dims: source row offset, weight
    std::vector<size_t> k(rank, 0);
    int64_t prev_off = -1;
    for (int64_t row = b; row < e; ++row) {
      int64_t r = row;
      for (int d = rank - 2; d >= 0; --d) {
        pos[d] = r % p.out_shape[d];
        r /= p.out_shape[d];
      }
      bool outside = false;
      for (int d = 0; d < rank - 1; ++d) outside |= taps[d].outside(pos[d]);
      uint8_t* orow = dst + row * inner * es;
      if (outside) {
        for (int64_t i = 0; i < inner; ++i) std::memcpy(orow + i * es, extrap.data(), es);
        prev_off = -1;
        continue;
      }
      if (nearest) {
        int64_t off = 0;
        for (int d = 0; d < rank - 1; ++d) off += taps[d].idx_at(pos[d])[0] * strides[d];
        if (off == prev_off && row > b) {  // same source row as the previous output row
          std::memcpy(orow, orow - inner * es, inner * es);
          continue;
        }
        prev_off = off;
        const uint8_t* srow = src + off * es;
        if (!last_outside && GatherRow(orow, srow, es, last_idx, inner)) continue;
        for (int64_t i = 0; i < inner; ++i) {
          const uint8_t* from = last.outside(i) ? extrap.data() : srow + last_idx[i] * es;
          std::memcpy(orow + i * es, from, es);
        }
        continue;
      }
      // The product of the outer dims' taps (most have one), in row-major order of the tap
      // indices, with weights multiplied in dim order: the same sum, term for term, as a walk
      // over the taps of every dim.
      row_taps.clear();
      std::fill(k.begin(), k.end(), 0);
      while (true) {
        double w = 1;
        int64_t off = 0;
        for (int d = 0; d < rank - 1; ++d) {
          w *= taps[d].w_at(pos[d])[k[d]];
          off += taps[d].idx_at(pos[d])[k[d]] * strides[d];
        }
        row_taps.emplace_back(off, w);
        int d = rank - 2;
        for (; d >= 0; --d) {
          if (++k[d] < taps[d].size(pos[d])) break;
          k[d] = 0;
        }
        if (d < 0) break;
      }
      for (int64_t i = 0; i < inner; ++i) {
        uint8_t* o = orow + i * es;
        if (last.outside(i)) {
          std::memcpy(o, extrap.data(), es);
          continue;
        }
        const int64_t* ti = last.idx_at(i);
        const double* tw = last.w_at(i);
        size_t nt = last.size(i);
        double acc = 0;
        for (const auto& [off, w] : row_taps) {
          const float* s = src_f + off;
          for (size_t q = 0; q < nt; ++q) acc += (w * tw[q]) * s[ti[q]];
        }
        if (x.dtype() == DType::kFloat32) {
          *reinterpret_cast<float*>(o) = static_cast<float>(acc);
        } else {
          StoreValue(x.dtype(), acc, o);
        }
      }
    }
  });
  return Status::Ok();
}

// Output shape and per-dim scales from scales or sizes (see ops::ResizeOutputShape).
Status SetScales(const KernelContext& ctx, const Tensor& x, const Tensor* scales,
                 const Tensor* sizes, ResizeParams* p) {
  std::vector<int64_t> size_values;
  std::vector<float> scale_values;
  if (sizes && sizes->numel() > 0) {
    IA_ASSIGN_OR_RETURN(size_values, ReadInts(ctx, *sizes, "sizes"));
  } else if (scales && scales->numel() > 0) {
    if (!IsFloatType(scales->dtype())) return ctx.Error("scales must be a float tensor");
    scale_values = ToFloats(*scales);
  }
  IA_ASSIGN_OR_RETURN(ops::ResizeShape r,
                      ops::ResizeOutputShape(ctx.node(), x.shape(), scale_values, size_values));
  p->out_shape = std::move(r.out);
  p->scales = std::move(r.scales);
  return Status::Ok();
}

Status CheckMode(const KernelContext& ctx, const ResizeParams& p) {
  if (p.mode != "nearest" && p.mode != "linear" && p.mode != "cubic")
    return ctx.Unsupported("mode '" + p.mode + "'");
  static const char* kCoords[] = {
      "half_pixel",           "pytorch_half_pixel", "align_corners",       "asymmetric",
      "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
  if (std::find(std::begin(kCoords), std::end(kCoords), p.coord) == std::end(kCoords)) {
    return ctx.Unsupported("coordinate_transformation_mode '" + p.coord + "'");
  }
  static const char* kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                   "simple"};
  if (std::find(std::begin(kNearest), std::end(kNearest), p.nearest_mode) == std::end(kNearest)) {
    return ctx.Unsupported("nearest_mode '" + p.nearest_mode + "'");
  }
  return Status::Ok();
}

Status Resize(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  ResizeParams p;
  p.mode = ctx.GetString("mode", "nearest");
  if (ctx.node().opset < 11) {
    p.coord = "asymmetric";
    p.nearest_mode = "simple";
    IA_RETURN_IF_ERROR(SetScales(ctx, *x, ctx.input(1), nullptr, &p));
  } else {
    p.coord = ctx.GetString("coordinate_transformation_mode", "half_pixel");
    p.nearest_mode = ctx.GetString("nearest_mode", "round_prefer_floor");
    p.cubic_a = ctx.GetFloat("cubic_coeff_a", -0.75f);
    p.exclude_outside = ctx.GetInt("exclude_outside", 0) != 0;
    p.extrapolation = ctx.GetFloat("extrapolation_value", 0);
    p.antialias = ctx.node().opset >= 18 && ctx.GetInt("antialias", 0) != 0;
    IA_RETURN_IF_ERROR(SetScales(ctx, *x, ctx.input(2), ctx.input(3), &p));
    if (p.coord == "tf_crop_and_resize") {
      const Tensor* roi = ctx.input(1);
      if (!roi || roi->numel() != 2 * x->rank() || !IsFloatType(roi->dtype())) {
        return ctx.Error("tf_crop_and_resize needs a float roi with 2 entries per input dimension");
      }
      std::vector<float> r = ToFloats(*roi);
      p.roi.assign(r.begin(), r.end());
    }
  }
  if (p.mode == "bilinear") p.mode = "linear";
  IA_RETURN_IF_ERROR(CheckMode(ctx, p));
  return RunResize(ctx, *x, p);
}

Status Upsample(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  ResizeParams p;
  p.mode = ctx.GetString("mode", "nearest");
  if (p.mode == "bilinear") p.mode = "linear";
  p.coord = "asymmetric";
  p.nearest_mode = "simple";
  if (ctx.node().opset < 9) {
    std::vector<float> s = ctx.GetFloats("scales");
    Tensor t = Tensor::Empty(DType::kFloat32, {static_cast<int64_t>(s.size())});
    std::copy(s.begin(), s.end(), t.data<float>());
    IA_RETURN_IF_ERROR(SetScales(ctx, *x, &t, nullptr, &p));
  } else {
    IA_RETURN_IF_ERROR(SetScales(ctx, *x, ctx.input(1), nullptr, &p));
  }
  IA_RETURN_IF_ERROR(CheckMode(ctx, p));
  return RunResize(ctx, *x, p);
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Add("Resize", Resize, 10);
  r.Add("Upsample", Upsample, 7, 9);
}

}  // namespace ipfs_accelerate::engine::cpu
