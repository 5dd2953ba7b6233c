// QuantizeLinear, DequantizeLinear (opsets 10 to 21: per tensor, per axis, blocked; int8, uint8,
// int16, uint16, and int32 into DequantizeLinear) and DynamicQuantizeLinear (opset 11), whose
// rules live in engine/ops/quantize.h. float16/bfloat16 x and scales are widened to float32 and
// DequantizeLinear's result narrowed back to the scale's type, as onnxruntime computes them.
//
// The element loops are plain scalar code that GCC vectorises (the -O3 cost model is asked for
// below), compiled once per instruction set (AVX-512, AVX2, the SSE2 baseline) and split over the
// session's threads for large tensors. Every lane computes exactly what the scalar formula does:
//   quantize:   v = x / scale (one IEEE division, never a reciprocal), clamped to +-2^22 (any
//               value past it saturates anyway; NaN becomes the type's least value, as in
//               onnxruntime), rounded half to even by adding and subtracting 1.5 * 2^23 (the
//               default rounding mode; exact for |v| <= 2^22), plus the zero point, saturated;
//   dequantize: (float(x) - float(zero_point)) * scale, where the difference is exact for the
//               8- and 16-bit types and the zero point of int32 is 0.
#include "engine/ops/quantize.h"

#include <algorithm>
#include <mutex>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/elementwise_common.h"
#include "engine/backends/cpu/low_precision.h"
#include "engine/backends/cpu/vec_math.h"

// GCC's -O2 cost model vectorises almost no loop with a run-time trip count; these loops run on
// whole activations, so ask for the -O3 model here (clang vectorises them at -O2 already).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

namespace ipfs_accelerate::engine::cpu {
namespace {

using ops::QuantGranularity;
using ops::QuantLayout;

constexpr float kRoundMagic = 12582912.f;  // 1.5 * 2^23: v + it - it rounds v to an integer
constexpr float kPreClamp = 4194304.f;     // 2^22: past every saturation bound plus zero point

// One quantized value: saturate(round_half_even(x / scale) + zero_point) in [qmin, qmax].
template <typename Q>
IA_VEC_INLINE Q QuantizeOne(float x, float scale, float zero_point, float qmin, float qmax) {
  float v = x / scale;
  v = v > -kPreClamp ? v : -kPreClamp;  // NaN: -2^22, so qmin below
  v = v < kPreClamp ? v : kPreClamp;
  v = (v + kRoundMagic) - kRoundMagic;
  v += zero_point;
  v = v > qmin ? v : qmin;
  v = v < qmax ? v : qmax;
  return static_cast<Q>(static_cast<int32_t>(v));
}

// n elements that share one scale and zero point (kVarying false: s[0], zp[0]) or take one each
// (kVarying: s[i], zp[i]).
template <bool kVarying, typename X, typename Q>
IA_VEC_INLINE void QuantizeRow(const X* __restrict x, Q* __restrict y, int64_t n,
                               const float* __restrict s, const float* __restrict zp, float qmin,
                               float qmax) {
  if constexpr (kVarying) {
    for (int64_t i = 0; i < n; ++i)
      y[i] = QuantizeOne<Q>(static_cast<float>(x[i]), s[i], zp[i], qmin, qmax);
  } else {
    const float scale = s[0], zero = zp[0];
    for (int64_t i = 0; i < n; ++i)
      y[i] = QuantizeOne<Q>(static_cast<float>(x[i]), scale, zero, qmin, qmax);
  }
}

template <bool kVarying, typename Q>
IA_VEC_INLINE void DequantizeRow(const Q* __restrict x, float* __restrict y, int64_t n,
                                 const float* __restrict s, const float* __restrict zp) {
  if constexpr (kVarying) {
    for (int64_t i = 0; i < n; ++i) y[i] = (static_cast<float>(x[i]) - zp[i]) * s[i];
  } else {
    const float scale = s[0], zero = zp[0];
    for (int64_t i = 0; i < n; ++i) y[i] = (static_cast<float>(x[i]) - zero) * scale;
  }
}

// Calls fn(pos, count, param, varying) for the runs of elements [begin, end) of x that take their
// parameters alike: elements pos .. pos + count - 1 all use parameter entry `param` (varying
// false) or entries param, param + 1, ... one each (varying true). Entries index the scale (and
// the zero point, of the same shape) in row-major order.
template <typename Fn>
IA_VEC_INLINE void ForEachParamRun(const QuantLayout& l, int64_t begin, int64_t end, Fn&& fn) {
  if (l.granularity == QuantGranularity::kPerTensor) {
    fn(begin, end - begin, int64_t{0}, false);
    return;
  }
  const bool blocked = l.granularity == QuantGranularity::kBlocked;
  int64_t pos = begin;
  if (l.inner > 1) {
    // Rows of `inner` elements at (o, a): per axis, one entry a; blocked, a row of entries.
    while (pos < end) {
      const int64_t row = pos / l.inner, i0 = pos % l.inner;
      const int64_t count = std::min(l.inner - i0, end - pos);
      const int64_t o = row / l.axis_dim, a = row % l.axis_dim;
      if (blocked) {
        fn(pos, count, (o * l.scale_axis_dim + a / l.block_size) * l.inner + i0, true);
      } else {
        fn(pos, count, a, false);
      }
      pos += count;
    }
  } else {
    // The axis is innermost: per axis, a row of entries; blocked, one entry per block.
    while (pos < end) {
      const int64_t o = pos / l.axis_dim, a0 = pos % l.axis_dim;
      if (blocked) {
        const int64_t count =
            std::min({l.block_size - a0 % l.block_size, l.axis_dim - a0, end - pos});
        fn(pos, count, o * l.scale_axis_dim + a0 / l.block_size, false);
        pos += count;
      } else {
        const int64_t count = std::min(l.axis_dim - a0, end - pos);
        fn(pos, count, a0, true);
        pos += count;
      }
    }
  }
}

// What a chunk of QuantizeLinear or DequantizeLinear needs: the layout, the scale as float32 and
// the zero point as float (zeros when absent), one entry per scale entry.
struct QuantJob {
  QuantLayout layout;
  const float* scale = nullptr;
  const float* zero_point = nullptr;
  float qmin = 0, qmax = 0;
};

template <typename X, typename Q>
struct QuantizeChunk {
  const QuantJob& job;
  const X* x;
  Q* y;
  IA_VEC_INLINE void Run(int64_t begin, int64_t end) const {
    const float qmin = job.qmin, qmax = job.qmax;
    auto run = [&](int64_t pos, int64_t n, int64_t p, bool varying) __attribute__((always_inline)) {
      if (varying) {
        QuantizeRow<true>(x + pos, y + pos, n, job.scale + p, job.zero_point + p, qmin, qmax);
      } else {
        QuantizeRow<false>(x + pos, y + pos, n, job.scale + p, job.zero_point + p, qmin, qmax);
      }
    };
    ForEachParamRun(job.layout, begin, end, run);
  }
};

template <typename Q>
struct DequantizeChunk {
  const QuantJob& job;
  const Q* x;
  float* y;
  IA_VEC_INLINE void Run(int64_t begin, int64_t end) const {
    auto run = [&](int64_t pos, int64_t n, int64_t p, bool varying) __attribute__((always_inline)) {
      if (varying) {
        DequantizeRow<true>(x + pos, y + pos, n, job.scale + p, job.zero_point + p);
      } else {
        DequantizeRow<false>(x + pos, y + pos, n, job.scale + p, job.zero_point + p);
      }
    };
    ForEachParamRun(job.layout, begin, end, run);
  }
};

// Runs chunk.Run(begin, end) compiled for the widest instruction set the CPU has.
template <typename Chunk>
IA_TARGET_AVX512 void RunAvx512(const Chunk& c, int64_t begin, int64_t end) {
  c.Run(begin, end);
}
template <typename Chunk>
IA_TARGET_AVX2 void RunAvx2(const Chunk& c, int64_t begin, int64_t end) {
  c.Run(begin, end);
}
template <typename Chunk>
void RunBase(const Chunk& c, int64_t begin, int64_t end) {
  c.Run(begin, end);
}

// The chunk over all n elements, split over the pool (cost per element in ParallelFor's units).
template <typename Chunk>
void RunSplit(ThreadPool* pool, int64_t n, int64_t cost, const Chunk& c) {
  const vec::Isa isa = vec::BestIsa();
  ParallelFor(pool, n, cost, [&](int64_t begin, int64_t end) {
#if IA_VEC_HAS_TARGETS
    if (isa == vec::Isa::kAvx512) return RunAvx512(c, begin, end);
    if (isa == vec::Isa::kAvx2) return RunAvx2(c, begin, end);
#endif
    RunBase(c, begin, end);
  });
}

// A division per element, a few times an add.
constexpr int64_t kQuantizeCost = 4;
constexpr int64_t kDequantizeCost = 2;

// Element i of an integer tensor of the quantized types, as float.
float IntAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kUInt16:
      return t.data<uint16_t>()[i];
    case DType::kInt32:
      return static_cast<float>(t.data<int32_t>()[i]);
    default:
      return 0.f;
  }
}

// The zero point as float, one per scale entry (zeros when absent).
std::vector<float> ZeroPoints(const Tensor* zp, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count), 0.f);
  if (zp) {
    for (int64_t i = 0; i < count; ++i) out[i] = IntAt(*zp, i);
  }
  return out;
}

// Calls fn(T{}) with T the C++ type of the quantized integer dtype `t`.
template <typename Fn>
void VisitQuantType(DType t, const Fn& fn) {
  switch (t) {
    case DType::kInt8:
      return fn(int8_t{});
    case DType::kUInt8:
      return fn(uint8_t{});
    case DType::kInt16:
      return fn(int16_t{});
    case DType::kUInt16:
      return fn(uint16_t{});
    case DType::kInt32:
      return fn(int32_t{});
    default:
      return;
  }
}

const Tensor* OptionalInput(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

Status CheckScale(const KernelContext& ctx, const Tensor& scale, const char* name) {
  if (scale.dtype() != DType::kFloat32) {
    return ctx.Unsupported(std::string(name) + " of type " + DTypeName(scale.dtype()) +
                           " is not supported (float32, float16, bfloat16)");
  }
  return Status::Ok();
}

Status QuantizeLinear(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* zp = OptionalInput(ctx, 2);
  IA_ASSIGN_OR_RETURN(ops::QuantAttrs attrs, ops::ReadQuantAttrs(ctx.node()));
  if (x->dtype() != DType::kFloat32 && x->dtype() != DType::kInt32) {
    return ctx.Unsupported("x of type " + DTypeName(x->dtype()) +
                           " is not supported (float32, float16, bfloat16, int32)");
  }
  IA_RETURN_IF_ERROR(CheckScale(ctx, *scale, "y_scale"));
  IA_ASSIGN_OR_RETURN(
      DType yt, ops::QuantizeOutputType(ctx.node(), attrs, zp ? zp->dtype() : DType::kUndefined));
  IA_ASSIGN_OR_RETURN(QuantLayout layout,
                      ops::PlanQuantLayout(ctx.node(), attrs, x->shape(), scale->shape(),
                                           zp ? &zp->shape() : nullptr));
  const std::vector<float> zero_points = ZeroPoints(zp, scale->numel());
  const ops::QuantRange range = ops::QuantRangeOf(yt);
  const QuantJob job{layout, scale->data<float>(), zero_points.data(), static_cast<float>(range.lo),
                     static_cast<float>(range.hi)};
  Tensor& y = ctx.Allocate(0, yt, x->shape());
  const int64_t n = x->numel();
  VisitQuantType(yt, [&](auto q) {
    using Q = decltype(q);
    if (x->dtype() == DType::kFloat32) {
      RunSplit(ctx.pool(), n, kQuantizeCost,
               QuantizeChunk<float, Q>{job, x->data<float>(), y.data<Q>()});
    } else {
      RunSplit(ctx.pool(), n, kQuantizeCost,
               QuantizeChunk<int32_t, Q>{job, x->data<int32_t>(), y.data<Q>()});
    }
  });
  return Status::Ok();
}

Status DequantizeLinear(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* zp = OptionalInput(ctx, 2);
  IA_ASSIGN_OR_RETURN(ops::QuantAttrs attrs, ops::ReadQuantAttrs(ctx.node()));
  const DType xt = x->dtype();
  if (!ops::IsQuantizedIntType(xt) && xt != DType::kInt32) {
    return ctx.Unsupported("x of type " + DTypeName(xt) +
                           " is not supported (int8, uint8, int16, uint16, int32; the engine has "
                           "no float8 or 4-bit tensors)");
  }
  IA_RETURN_IF_ERROR(CheckScale(ctx, *scale, "x_scale"));
  if (zp && zp->dtype() != xt) {
    return ctx.Error("x_zero_point must have x's type " + DTypeName(xt) + ", got " +
                     DTypeName(zp->dtype()));
  }
  IA_ASSIGN_OR_RETURN(QuantLayout layout,
                      ops::PlanQuantLayout(ctx.node(), attrs, x->shape(), scale->shape(),
                                           zp ? &zp->shape() : nullptr));
  const std::vector<float> zero_points = ZeroPoints(zp, scale->numel());
  if (xt == DType::kInt32 &&
      std::any_of(zero_points.begin(), zero_points.end(), [](float z) { return z != 0.f; })) {
    return ctx.Error("x_zero_point must be 0 for int32 x (int32 is dequantized without one)");
  }
  const QuantJob job{layout, scale->data<float>(), zero_points.data(), 0.f, 0.f};
  Tensor& y = ctx.Allocate(0, DType::kFloat32, x->shape());
  VisitQuantType(xt, [&](auto q) {
    using Q = decltype(q);
    RunSplit(ctx.pool(), x->numel(), kDequantizeCost,
             DequantizeChunk<Q>{job, x->data<Q>(), y.data<float>()});
  });
  return Status::Ok();
}

// The least and greatest of n floats, in vectors of V (NaN is not looked for: which one a
// reduction keeps depends on where it sits, as in onnxruntime).
template <typename V>
IA_VEC_INLINE void MinMaxLoop(const float* x, int64_t n, float* lo, float* hi) {
  constexpr int kL = vec::kLanesOf<V>;
  float mn = *lo, mx = *hi;
  int64_t i = 0;
  if (n >= 2 * kL) {
    // Two independent accumulators each way (named: GCC keeps an array of them in memory), so
    // a step does not wait on the previous one's latency.
    V min0 = vec::Load<V>(x), min1 = vec::Load<V>(x + kL);
    V max0 = min0, max1 = min1;
    for (i = 2 * kL; i + 2 * kL <= n; i += 2 * kL) {
      const V a = vec::Load<V>(x + i), b = vec::Load<V>(x + i + kL);
      min0 = vec::Min(min0, a);
      max0 = vec::Max(max0, a);
      min1 = vec::Min(min1, b);
      max1 = vec::Max(max1, b);
    }
    min0 = vec::Min(min0, min1);
    max0 = vec::Max(max0, max1);
    for (int j = 0; j < kL; ++j) {
      mn = min0[j] < mn ? min0[j] : mn;
      mx = max0[j] > mx ? max0[j] : mx;
    }
  }
  for (; i < n; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  *lo = mn;
  *hi = mx;
}
IA_TARGET_AVX512 void MinMaxAvx512(const float* x, int64_t n, float* lo, float* hi) {
  MinMaxLoop<vec::F16>(x, n, lo, hi);
}
IA_TARGET_AVX2 void MinMaxAvx2(const float* x, int64_t n, float* lo, float* hi) {
  MinMaxLoop<vec::F8>(x, n, lo, hi);
}

}  // namespace

ops::DynamicQuantParams QuantizeDynamicUInt8(ThreadPool* pool, const float* px, int64_t n,
                                             uint8_t* py, float qmax) {
  // The range over chunks, each combined under the lock (a handful per run).
  float lo = 0.f, hi = 0.f;  // the range includes 0 whatever x holds
  std::mutex mu;
  const vec::Isa isa = vec::BestIsa();
  ParallelFor(pool, n, cost::kCheap, [&](int64_t begin, int64_t end) {
    float mn = 0.f, mx = 0.f;
#if IA_VEC_HAS_TARGETS
    if (isa == vec::Isa::kAvx512) {
      MinMaxAvx512(px + begin, end - begin, &mn, &mx);
    } else if (isa == vec::Isa::kAvx2) {
      MinMaxAvx2(px + begin, end - begin, &mn, &mx);
    } else {
      MinMaxLoop<vec::F4>(px + begin, end - begin, &mn, &mx);
    }
#else
    MinMaxLoop<vec::F4>(px + begin, end - begin, &mn, &mx);
#endif
    std::lock_guard<std::mutex> lock(mu);
    lo = std::min(lo, mn);
    hi = std::max(hi, mx);
  });
  const ops::DynamicQuantParams p = ops::DynamicQuantizeParams(lo, hi, qmax);
  const float zero = p.zero_point;
  QuantJob job;
  job.scale = &p.scale;
  job.zero_point = &zero;
  job.qmin = 0.f;
  job.qmax = qmax;
  job.layout.axis_dim = n;
  RunSplit(pool, n, kQuantizeCost, QuantizeChunk<float, uint8_t>{job, px, py});
  return p;
}

namespace {

Status DynamicQuantizeLinear(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kFloat32) {
    return ctx.Unsupported("x of type " + DTypeName(x->dtype()) + " is not supported (float32)");
  }
  Tensor& y = ctx.Allocate(0, DType::kUInt8, x->shape());
  Tensor& scale = ctx.Allocate(1, DType::kFloat32, {});
  Tensor& zero_point = ctx.Allocate(2, DType::kUInt8, {});
  const ops::DynamicQuantParams p =
      QuantizeDynamicUInt8(ctx.pool(), x->data<float>(), x->numel(), y.data<uint8_t>(), 255.f);
  scale.data<float>()[0] = p.scale;
  zero_point.data<uint8_t>()[0] = p.zero_point;
  return Status::Ok();
}

}  // namespace

void RegisterQuantizeKernels(KernelRegistry& r) {
  using elementwise::Half;
  // Opsets 10 to 22 share the semantics above (opset 23 adds scale types and `precision`).
  r.Add("QuantizeLinear", Half<QuantizeLinear>, 10, 22)
      .Types({DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kInt32});
  // float16/bfloat16 scales give a result of their type (the scale is input 1).
  r.Add("DequantizeLinear", Half<DequantizeLinear, 1>, 10, 22)
      .Types({DType::kInt8, DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32});
  r.Add("DynamicQuantizeLinear", DynamicQuantizeLinear, 11).Types({DType::kFloat32});
}

}  // namespace ipfs_accelerate::engine::cpu
