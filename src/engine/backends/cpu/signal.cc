// The signal operators (their rules: engine/ops/signal.h): the windows, DFT, STFT and
// MelWeightMatrix. A DFT of a power-of-two size n runs an iterative radix-2 FFT, O(n log n); any
// other size runs Bluestein's chirp z-transform over a power-of-two FFT of size m >= 2n - 1, also
// O(n log n). Every transform computes in double (twiddles from cos and sin of each angle, no
// recurrence) and rounds once when it stores; the lines (DFT) or frames (STFT) are split over
// the pool in blocks, each with its own scratch.
#include "engine/ops/signal.h"

#include <algorithm>
#include <complex>
#include <type_traits>

#include "core/half.h"
#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/elementwise_common.h"
#include "engine/backends/cpu/tensor_ops_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using Cx = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

// a * b without the NaN and infinity recovery of std::complex's operator* (a library call).
inline Cx Mul(Cx a, Cx b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// Input `i`, or null when the node leaves it out.
const Tensor* OptionalInput(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

// Input `i` (named `what`): one int32 or int64 value.
Result<int64_t> IntScalar(const KernelContext& ctx, size_t i, const char* what) {
  IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
  if (t->dtype() != DType::kInt32 && t->dtype() != DType::kInt64)
    return ctx.Error(std::string(what) + " must be int32 or int64, got " + DTypeName(t->dtype()));
  if (t->numel() != 1) {
    return ctx.Error(std::string(what) + " must hold one value, got shape " +
                     ShapeToString(t->shape()));
  }
  return t->dtype() == DType::kInt32 ? int64_t{*t->data<int32_t>()} : *t->data<int64_t>();
}

// Fills `out` (a numeric dtype) with value(i) for each element i: float16 and bfloat16 through
// float32, integers by C++ conversion (toward zero).
template <typename F>
Status Fill(const KernelContext& ctx, Tensor& out, const F& value) {
  const int64_t count = out.numel();
  if (out.dtype() == DType::kFloat16 || out.dtype() == DType::kBFloat16) {
    uint16_t* dst = out.data<uint16_t>();
    const bool half = out.dtype() == DType::kFloat16;
    for (int64_t i = 0; i < count; ++i) {
      const float v = static_cast<float>(value(i));
      dst[i] = half ? FloatToHalf(v) : FloatToBFloat16(v);
    }
    return Status::Ok();
  }
  return Visit<kNumeric>(ctx, out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = out.data<T>();
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<T>(value(i));
    return Status::Ok();
  });
}

// ---- windows ----

// HannWindow, HammingWindow, BlackmanWindow: [size] samples of output_datatype.
Status Window(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(ops::WindowAttrs a, ops::ReadWindow(ctx.node()));
  IA_ASSIGN_OR_RETURN(int64_t size, IntScalar(ctx, 0, "size"));
  IA_ASSIGN_OR_RETURN(Shape shape, ops::WindowShape(ctx.node(), size));
  IA_RETURN_IF_ERROR(tensor_ops::CheckOutputSize(ctx, shape, a.output));
  Tensor& out = ctx.Allocate(0, a.output, shape);
  return Fill(ctx, out, [&](int64_t k) { return ops::WindowValue(a, size, k); });
}

// ---- the FFT ----

// DFTs of one size n, unscaled: X_k = sum_j x_j e^(-+2 pi i jk / n), the sign + for the inverse.
// Its tables live in tensors, so a size past the memory budget fails as an allocation does.
class FftPlan {
 public:
  // Builds the tables; throws AllocationError past the budget (construct outside parallel loops).
  explicit FftPlan(int64_t n) : n_(n) {
    pow2_ = (n & (n - 1)) == 0;
    m_ = 1;
    while (m_ < (pow2_ ? n : 2 * n - 1)) m_ <<= 1;
    // Twiddles of the radix-2 FFT of size m: e^(-2 pi i k / m), k < m / 2.
    twiddles_ = Tensor::Empty(DType::kFloat64, {std::max<int64_t>(m_ / 2, 1), 2});
    Cx* tw = Complex(twiddles_);
    for (int64_t k = 0; k < m_ / 2; ++k) {
      const double angle = 2 * kPi * static_cast<double>(k) / static_cast<double>(m_);
      tw[k] = {std::cos(angle), -std::sin(angle)};
    }
    if (pow2_) return;
    // Bluestein: x_k w_k convolved with conj(w), then times w_k, where w_k = e^(-pi i k^2 / n);
    // k^2 is taken mod 2n (exact in integers) so that the angle stays small and accurate.
    chirp_ = Tensor::Empty(DType::kFloat64, {n, 2});
    kernel_ = Tensor::Zeros(DType::kFloat64, {m_, 2});
    Cx* w = Complex(chirp_);
    Cx* b = Complex(kernel_);
    for (int64_t k = 0, k2 = 0; k < n; ++k) {
      const double angle = kPi * static_cast<double>(k2) / static_cast<double>(n);
      w[k] = {std::cos(angle), -std::sin(angle)};
      b[k] = std::conj(w[k]);
      if (k > 0) b[m_ - k] = b[k];
      k2 += 2 * k + 1;  // (k + 1)^2 mod 2n
      while (k2 >= 2 * n) k2 -= 2 * n;
    }
    Radix2(b, false);  // the kernel's transform, once
  }

  int64_t size() const { return n_; }
  // Complex values of scratch Run needs beside the data.
  int64_t scratch() const { return pow2_ ? 0 : m_; }
  // Whether the size is a power of two (radix-2 alone) rather than Bluestein's.
  bool radix2() const { return pow2_; }

  // x[0, n) := its DFT (the inverse: the sign +, unscaled); `scratch` holds scratch() values.
  void Run(Cx* x, Cx* scratch, bool inverse) const {
    if (pow2_) return Radix2(x, inverse);
    const Cx* w = Complex(chirp_);
    const Cx* b = Complex(kernel_);
    // The inverse is conj(DFT(conj(x))).
    for (int64_t k = 0; k < n_; ++k) scratch[k] = Mul(inverse ? std::conj(x[k]) : x[k], w[k]);
    std::fill(scratch + n_, scratch + m_, Cx(0, 0));
    Radix2(scratch, false);
    for (int64_t k = 0; k < m_; ++k) scratch[k] = Mul(scratch[k], b[k]);
    Radix2(scratch, true);
    const double scale = 1.0 / static_cast<double>(m_);
    for (int64_t k = 0; k < n_; ++k) {
      const Cx v = Mul(scratch[k], w[k]) * scale;
      x[k] = inverse ? std::conj(v) : v;
    }
  }

 private:
  static Cx* Complex(Tensor& t) { return reinterpret_cast<Cx*>(t.data<double>()); }
  static const Cx* Complex(const Tensor& t) {
    return reinterpret_cast<const Cx*>(t.data<double>());
  }

  // In-place radix-2 FFT of x[0, m) (unscaled; the inverse conjugates the twiddles): the
  // bit-reversal permutation, then log2(m) stages of butterflies.
  void Radix2(Cx* x, bool inverse) const {
    const int64_t m = m_;
    for (int64_t i = 1, j = 0; i < m; ++i) {
      int64_t bit = m >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(x[i], x[j]);
    }
    const Cx* tw = Complex(twiddles_);
    const double sign = inverse ? -1.0 : 1.0;
    for (int64_t len = 2; len <= m; len <<= 1) {
      const int64_t half = len / 2, step = m / len;
      for (int64_t i = 0; i < m; i += len) {
        Cx* lo = x + i;
        Cx* hi = x + i + half;
        for (int64_t j = 0; j < half; ++j) {
          const Cx t = tw[j * step];
          const Cx v = Mul(hi[j], Cx(t.real(), sign * t.imag()));
          hi[j] = lo[j] - v;
          lo[j] += v;
        }
      }
    }
  }

  int64_t n_ = 0, m_ = 1;
  bool pow2_ = true;
  Tensor twiddles_, chirp_, kernel_;  // [count, 2] float64: complex values
};

// Runs `lines` transforms of `plan`'s size: load(line, x) fills x[0, n), the DFT runs in place,
// store(line, x) writes the result. The lines are split over the pool in contiguous blocks, each
// block with its own scratch (allocated here, before the parallel loop).
template <typename Load, typename Store>
void TransformLines(const KernelContext& ctx, const FftPlan& plan, int64_t lines, bool inverse,
                    const Load& load, const Store& store) {
  if (lines <= 0) return;
  const int64_t n = plan.size(), per = n + plan.scratch();
  const int64_t threads = ctx.pool() ? ctx.pool()->size() : 1;
  const int64_t blocks = threads > 1 ? std::min(lines, threads * kChunksPerThread) : 1;
  Tensor scratch = Tensor::Empty(DType::kFloat64, {blocks, per, 2});
  Cx* base = reinterpret_cast<Cx*>(scratch.data<double>());
  int64_t log2m = 1;
  for (int64_t m = plan.radix2() ? n : plan.scratch(); m > 1; m >>= 1) ++log2m;
  // One line: loads, stores and (radix-2 twice more for Bluestein) butterflies.
  const int64_t line_cost = (plan.radix2() ? n : 3 * plan.scratch()) * log2m * cost::kScalarMac;
  const int64_t per_block = (lines + blocks - 1) / blocks;
  const int64_t block_cost =
      line_cost > kWholeTask / std::max<int64_t>(per_block, 1) ? kWholeTask : line_cost * per_block;
  ParallelFor(ctx.pool(), blocks, block_cost, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      Cx* x = base + b * per;
      Cx* s = x + n;
      const int64_t begin = (lines / blocks) * b + std::min(b, lines % blocks);
      const int64_t end = begin + lines / blocks + (b < lines % blocks ? 1 : 0);
      for (int64_t line = begin; line < end; ++line) {
        load(line, x);
        plan.Run(x, s, inverse);
        store(line, x);
      }
    }
  });
}

// ---- DFT ----

template <typename T>
Status DftRun(KernelContext& ctx, const ops::DftAttrs& a, const ops::DftGeometry& g) {
  const Tensor& x = *ctx.input(0);
  const Shape& shape = x.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < g.axis; ++d) outer *= shape[d];
  for (int64_t d = g.axis + 1; d < rank - 1; ++d) inner *= shape[d];
  const int64_t c = g.complex ? 2 : 1;
  Tensor& out = ctx.Allocate(0, x.dtype(), g.output);
  if (out.numel() == 0) return Status::Ok();
  const FftPlan plan(g.n);
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const int64_t n = g.n, copied = std::min(g.length, n), bins = g.bins;
  const double scale = a.inverse ? 1.0 / static_cast<double>(n) : 1.0;
  auto load = [&](int64_t line, Cx* v) {
    const int64_t o = line / inner, i = line % inner;
    const T* p = src + (o * g.length * inner + i) * c;
    const int64_t stride = inner * c;
    if (g.complex) {
      for (int64_t k = 0; k < copied; ++k)
        v[k] = Cx(static_cast<double>(p[k * stride]), static_cast<double>(p[k * stride + 1]));
    } else {
      for (int64_t k = 0; k < copied; ++k) v[k] = Cx(static_cast<double>(p[k * stride]), 0.0);
    }
    std::fill(v + copied, v + n, Cx(0, 0));
  };
  auto store = [&](int64_t line, const Cx* v) {
    const int64_t o = line / inner, i = line % inner;
    T* p = dst + (o * bins * inner + i) * 2;
    const int64_t stride = inner * 2;
    for (int64_t k = 0; k < bins; ++k) {
      p[k * stride] = static_cast<T>(v[k].real() * scale);
      p[k * stride + 1] = static_cast<T>(v[k].imag() * scale);
    }
  };
  TransformLines(ctx, plan, outer * inner, a.inverse, load, store);
  return Status::Ok();
}

// DFT (opsets 17 and 20; 20 reads the axis from input 2).
Status Dft(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(ops::DftAttrs a, ops::ReadDft(ctx.node()));
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  int64_t dft_length = 0, axis_value = 0;
  const bool has_length = OptionalInput(ctx, 1) != nullptr;
  if (has_length) {
    IA_ASSIGN_OR_RETURN(dft_length, IntScalar(ctx, 1, "dft_length"));
  }
  const bool has_axis = ctx.node().opset >= 20 && OptionalInput(ctx, 2) != nullptr;
  if (has_axis) {
    IA_ASSIGN_OR_RETURN(axis_value, IntScalar(ctx, 2, "axis"));
  }
  const int64_t rank = static_cast<int64_t>(x->shape().size());
  IA_ASSIGN_OR_RETURN(int axis, ops::DftAxis(ctx.node(), rank, has_axis ? &axis_value : nullptr));
  IA_ASSIGN_OR_RETURN(ops::DftGeometry g, ops::DftShape(ctx.node(), a, x->shape(), axis,
                                                        has_length ? &dft_length : nullptr));
  IA_RETURN_IF_ERROR(tensor_ops::CheckOutputSize(ctx, g.output, x->dtype()));
  return Visit<kFloats>(ctx, x->dtype(),
                        [&](auto tag) { return DftRun<typename decltype(tag)::type>(ctx, a, g); });
}

// ---- STFT ----

template <typename T>
Status StftRun(KernelContext& ctx, const ops::StftGeometry& g, const Tensor* window) {
  const Tensor& signal = *ctx.input(0);
  Tensor& out = ctx.Allocate(0, signal.dtype(), g.output);
  if (out.numel() == 0) return Status::Ok();
  const FftPlan plan(g.frame_length);
  const T* src = signal.data<T>();
  const T* win = window ? window->data<T>() : nullptr;
  T* dst = out.data<T>();
  const int64_t c = g.complex ? 2 : 1, n = g.frame_length, bins = g.bins;
  auto load = [&](int64_t line, Cx* v) {
    const int64_t b = line / g.frames, f = line % g.frames;
    const T* p = src + (b * g.length + f * g.frame_step) * c;
    for (int64_t k = 0; k < n; ++k) {
      const double w = win ? static_cast<double>(win[k]) : 1.0;
      const double re = static_cast<double>(p[k * c]);
      const double im = g.complex ? static_cast<double>(p[k * c + 1]) : 0.0;
      v[k] = Cx(re * w, im * w);
    }
  };
  auto store = [&](int64_t line, const Cx* v) {
    T* p = dst + line * bins * 2;
    for (int64_t k = 0; k < bins; ++k) {
      p[2 * k] = static_cast<T>(v[k].real());
      p[2 * k + 1] = static_cast<T>(v[k].imag());
    }
  };
  TransformLines(ctx, plan, g.batch * g.frames, false, load, store);
  return Status::Ok();
}

// STFT (opset 17): signal, frame_step, window (optional), frame_length (optional).
Status Stft(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* signal, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(int64_t frame_step, IntScalar(ctx, 1, "frame_step"));
  const Tensor* window = OptionalInput(ctx, 2);
  if (window && window->dtype() != signal->dtype()) {
    return ctx.Error("window is " + DTypeName(window->dtype()) + "; expected " +
                     DTypeName(signal->dtype()) + " (the signal's dtype)");
  }
  int64_t frame_length = 0;
  const bool has_length = OptionalInput(ctx, 3) != nullptr;
  if (has_length) {
    IA_ASSIGN_OR_RETURN(frame_length, IntScalar(ctx, 3, "frame_length"));
  }
  IA_ASSIGN_OR_RETURN(ops::StftGeometry g, ops::StftShape(ctx.node(), signal->shape(), frame_step,
                                                          window ? &window->shape() : nullptr,
                                                          has_length ? &frame_length : nullptr));
  IA_RETURN_IF_ERROR(tensor_ops::CheckOutputSize(ctx, g.output, signal->dtype()));
  return Visit<kFloats>(ctx, signal->dtype(), [&](auto tag) {
    return StftRun<typename decltype(tag)::type>(ctx, g, window);
  });
}

// ---- MelWeightMatrix ----

Status MelWeightMatrix(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(int64_t mel_bins, IntScalar(ctx, 0, "num_mel_bins"));
  IA_ASSIGN_OR_RETURN(int64_t dft_length, IntScalar(ctx, 1, "dft_length"));
  IA_ASSIGN_OR_RETURN(int64_t sample_rate, IntScalar(ctx, 2, "sample_rate"));
  IA_ASSIGN_OR_RETURN(const Tensor* lower, ctx.Required(3));
  IA_ASSIGN_OR_RETURN(const Tensor* upper, ctx.Required(4));
  for (const Tensor* t : {lower, upper}) {
    if (!tensor_ops::IsFloatType(t->dtype())) {
      return ctx.Error(std::string(t == lower ? "lower_edge_hertz" : "upper_edge_hertz") +
                       " must be a floating-point scalar, got " + DTypeName(t->dtype()));
    }
  }
  IA_ASSIGN_OR_RETURN(double lower_hz, tensor_ops::ReadScalar(ctx, *lower, "lower_edge_hertz"));
  IA_ASSIGN_OR_RETURN(double upper_hz, tensor_ops::ReadScalar(ctx, *upper, "upper_edge_hertz"));
  IA_ASSIGN_OR_RETURN(ops::MelGeometry g, ops::MelShape(ctx.node(), mel_bins, dft_length,
                                                        sample_rate, lower_hz, upper_hz));
  IA_RETURN_IF_ERROR(tensor_ops::CheckOutputSize(ctx, g.shape, g.output));
  Tensor& out = ctx.Allocate(0, g.output, g.shape);
  const std::vector<double> w = ops::MelWeights(g);
  return Fill(ctx, out, [&](int64_t i) { return w[static_cast<size_t>(i)]; });
}

}  // namespace

void RegisterSignalKernels(KernelRegistry& r) {
  constexpr DTypeSet kSizes = {DType::kInt32, DType::kInt64};
  constexpr DTypeSet kSignals = {DType::kFloat32, DType::kFloat64, DType::kFloat16,
                                 DType::kBFloat16};
  r.Add("HannWindow", Window, 17).Types(kSizes);
  r.Add("HammingWindow", Window, 17).Types(kSizes);
  r.Add("BlackmanWindow", Window, 17).Types(kSizes);
  // float16 and bfloat16 signals run in float32 (elementwise::Half), stored back narrowed.
  r.Add("DFT", elementwise::Half<Dft>, 17).Types(kSignals);
  r.Add("STFT", elementwise::Half<Stft>, 17).Types(kSignals);
  r.Add("MelWeightMatrix", MelWeightMatrix, 17).Types(kSizes);
}

}  // namespace ipfs_accelerate::engine::cpu
