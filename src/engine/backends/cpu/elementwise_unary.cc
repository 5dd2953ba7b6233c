// Unary element-wise kernels: math functions, activations, predicates and Clip.
#include <cmath>
#include <limits>

#include "engine/backends/cpu/elementwise_common.h"
#include "engine/backends/cpu/vec_math.h"

// GCC's -O2 cost model vectorises almost no loop with a run-time trip count; these loops are the
// hot path, so ask for the -O3 model here (clang vectorises them at -O2 already).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace elementwise;

template <typename T, typename R, typename F>
void MapLoop(const T* __restrict x, R* __restrict y, int64_t n, const F& f) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<R>(f(x[i]));
}

// y = f(x) for every element, y of dtype `out` (the input's when kUndefined) and C++ type R
// (T when void). f is called with a T.
template <unsigned kSet, typename R = void, typename F>
Status Map(KernelContext& ctx, int64_t item_cost, F f, DType out = DType::kUndefined) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  return Visit<kSet>(ctx, x->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    using Out = std::conditional_t<std::is_void_v<R>, T, R>;
    Tensor& y = ctx.Allocate(0, out == DType::kUndefined ? x->dtype() : out, x->shape());
    const T* px = x->data<T>();
    Out* py = y.data<Out>();
    ParallelFor(ctx.pool(), x->numel(), item_cost, [&](int64_t begin, int64_t end) {
      MapLoop(px + begin, py + begin, end - begin, f);
    });
    return Status::Ok();
  });
}

// Float-only math through std:: (float overloads for float).
template <typename F>
Status FloatMap(KernelContext& ctx, F f) {
  return Map<kFloats>(ctx, cost::kTranscendental, f);
}

// The cost of an element in the vec:: functions (vectorised exp, tanh, erf): about 2 cheap ops.
constexpr int64_t kVecCost = 2;

// float32 through the vectorised `op` (vec_math.h), float64 through the scalar f. The result of an
// element does not depend on how the work is split.
template <typename VecOp, typename F>
Status VecFloatMap(KernelContext& ctx, VecOp op, F f) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kFloat32) return FloatMap(ctx, f);
  const float* px = x->data<float>();
  float* py = ctx.Allocate(0, x->dtype(), x->shape()).data<float>();
  ParallelFor(ctx.pool(), x->numel(), kVecCost, [&](int64_t begin, int64_t end) {
    vec::Map(px + begin, py + begin, end - begin, op);
  });
  return Status::Ok();
}

template <typename T>
T WrapNeg(T v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(0u - static_cast<std::make_unsigned_t<T>>(v));
  } else {
    return -v;
  }
}

Status Abs(KernelContext& ctx) {
  return Map<kNumeric>(ctx, cost::kCheap, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_unsigned_v<T>)
      return v;
    else if constexpr (std::is_floating_point_v<T>)
      return std::fabs(v);
    else
      return v < 0 ? WrapNeg(v) : v;
  });
}
Status Neg(KernelContext& ctx) {
  return Map<kFloats | kSigned>(ctx, cost::kCheap, [](auto v) { return WrapNeg(v); });
}
Status Sign(KernelContext& ctx) {
  return Map<kNumeric>(ctx, cost::kCheap, [](auto v) {
    using T = decltype(v);
    return static_cast<T>((T(0) < v) - (v < T(0)));
  });
}
Status Exp(KernelContext& ctx) {
  return VecFloatMap(ctx, vec::ExpOp{}, [](auto v) { return std::exp(v); });
}
Status Log(KernelContext& ctx) {
  return VecFloatMap(ctx, vec::LogOp{}, [](auto v) { return std::log(v); });
}
Status Sqrt(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::sqrt(v); });
}
Status Reciprocal(KernelContext& ctx) {
  return Map<kFloats>(ctx, cost::kCheap, [](auto v) { return decltype(v)(1) / v; });
}
Status Floor(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::floor(v); });
}
Status Ceil(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::ceil(v); });
}
// Halves go to the even neighbour (the default rounding mode), as ONNX specifies.
Status Round(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::nearbyint(v); });
}
Status Sin(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::sin(v); });
}
Status Cos(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::cos(v); });
}
Status Tan(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::tan(v); });
}
Status Asin(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::asin(v); });
}
Status Acos(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::acos(v); });
}
Status Atan(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::atan(v); });
}
Status Sinh(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::sinh(v); });
}
Status Cosh(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::cosh(v); });
}
Status Asinh(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::asinh(v); });
}
Status Acosh(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::acosh(v); });
}
Status Atanh(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return std::atanh(v); });
}
Status Tanh(KernelContext& ctx) {
  return VecFloatMap(ctx, vec::TanhOp{}, [](auto v) { return std::tanh(v); });
}
Status Erf(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() == DType::kFloat32) {
    return VecFloatMap(ctx, vec::ErfOp{}, [](auto v) { return std::erf(v); });
  }
  return Map<kNumeric>(ctx, cost::kTranscendental, [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>)
      return std::erf(v);
    else
      return std::erf(static_cast<double>(v));
  });
}

Status IsNaN(KernelContext& ctx) {
  return Map<kFloats, uint8_t>(
      ctx, cost::kCheap, [](auto v) { return static_cast<uint8_t>(v != v); }, DType::kBool);
}
Status IsInf(KernelContext& ctx) {
  const bool neg = ctx.GetInt("detect_negative", 1) != 0;
  const bool pos = ctx.GetInt("detect_positive", 1) != 0;
  return Map<kFloats, uint8_t>(
      ctx, cost::kCheap,
      [=](auto v) {
        using T = decltype(v);
        constexpr T kInf = std::numeric_limits<T>::infinity();
        return static_cast<uint8_t>((pos && v == kInf) || (neg && v == -kInf));
      },
      DType::kBool);
}
Status Not(KernelContext& ctx) {
  return Map<kBool>(ctx, cost::kCheap, [](auto v) { return static_cast<uint8_t>(v == 0); });
}
Status BitwiseNot(KernelContext& ctx) {
  return Map<kInts>(ctx, cost::kCheap, [](auto v) { return static_cast<decltype(v)>(~v); });
}

// Activations. Parameters are float attributes; arithmetic runs in the input's type.
Status Relu(KernelContext& ctx) {
  return Map<kFloats | kSigned>(ctx, cost::kCheap, [](auto v) {
    return v < decltype(v)(0) ? decltype(v)(0) : v;  // keeps NaN
  });
}
Status LeakyRelu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 0.01f);
  return Map<kFloats>(ctx, cost::kCheap, [=](auto v) { return v < 0 ? v * alpha : v; });
}
Status Elu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 1.0f);
  return FloatMap(ctx, [=](auto v) { return v < 0 ? alpha * (std::exp(v) - 1) : v; });
}
Status Selu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.GetFloat("gamma", 1.05070102214813232421875f);
  return FloatMap(
      ctx, [=](auto v) { return v > 0 ? gamma * v : gamma * (alpha * std::exp(v) - alpha); });
}
Status Celu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 1.0f);
  return FloatMap(ctx, [=](auto v) { return v > 0 ? v : alpha * (std::exp(v / alpha) - 1); });
}
Status Sigmoid(KernelContext& ctx) {
  return VecFloatMap(ctx, vec::SigmoidOp{}, [](auto v) {
    using T = decltype(v);
    return T(1) / (T(1) + std::exp(-v));
  });
}
Status HardSigmoid(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 0.2f), beta = ctx.GetFloat("beta", 0.5f);
  return Map<kFloats>(ctx, cost::kCheap, [=](auto v) {
    using T = decltype(v);
    return std::max(T(0), std::min(T(1), T(alpha) * v + T(beta)));
  });
}
Status HardSwish(KernelContext& ctx) {
  return Map<kFloats>(ctx, cost::kCheap, [](auto v) {
    using T = decltype(v);
    return v * std::max(T(0), std::min(T(1), v / T(6) + T(0.5)));
  });
}
template <typename T>
T SoftplusOf(T v) {
  // log(1 + e^v) without overflowing for large v.
  return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}
Status Softplus(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return SoftplusOf(v); });
}
Status Softsign(KernelContext& ctx) {
  return Map<kFloats>(ctx, cost::kCheap,
                      [](auto v) { return v / (decltype(v)(1) + std::fabs(v)); });
}
Status ThresholdedRelu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 1.0f);
  return Map<kFloats>(ctx, cost::kCheap, [=](auto v) { return v > alpha ? v : decltype(v)(0); });
}
Status Mish(KernelContext& ctx) {
  return FloatMap(ctx, [](auto v) { return v * std::tanh(SoftplusOf(v)); });
}
Status Shrink(KernelContext& ctx) {
  const double bias = ctx.GetFloat("bias", 0.0f), lambd = ctx.GetFloat("lambd", 0.5f);
  return Map<kNumeric>(ctx, cost::kCheap, [=](auto v) {
    using T = decltype(v);
    const double d = static_cast<double>(v);
    return d < -lambd ? static_cast<T>(d + bias) : d > lambd ? static_cast<T>(d - bias) : T(0);
  });
}

// Clip: bounds are attributes up to opset 10, optional scalar inputs from opset 11.
Status Clip(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (ctx.node().opset < 11) {
    const float lo = ctx.GetFloat("min", std::numeric_limits<float>::lowest());
    const float hi = ctx.GetFloat("max", std::numeric_limits<float>::max());
    return Map<kFloats>(ctx, cost::kCheap, [=](auto v) {
      using T = decltype(v);
      return std::min(std::max(v, T(lo)), T(hi));
    });
  }
  const Tensor* min_t = ctx.input(1);
  const Tensor* max_t = ctx.input(2);
  for (const Tensor* b : {min_t, max_t}) {
    if (!b) continue;
    if (b->dtype() != x->dtype()) {
      return ctx.Error("min/max have dtype " + DTypeName(b->dtype()) + " but the input has " +
                       DTypeName(x->dtype()));
    }
    if (b->numel() != 1) {
      return ctx.Error("min/max must be scalars, got shape " + ShapeToString(b->shape()));
    }
  }
  return Visit<kNumeric>(ctx, x->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T lo = min_t ? *min_t->data<T>() : std::numeric_limits<T>::lowest();
    const T hi = max_t ? *max_t->data<T>() : std::numeric_limits<T>::max();
    const T* px = x->data<T>();
    T* py = ctx.Allocate(0, x->dtype(), x->shape()).data<T>();
    ParallelFor(ctx.pool(), x->numel(), cost::kCheap, [&](int64_t begin, int64_t end) {
      MapLoop(px + begin, py + begin, end - begin,
              [=](T v) { return std::min(std::max(v, lo), hi); });
    });
    return Status::Ok();
  });
}

}  // namespace

void RegisterUnaryKernels(KernelRegistry& r) {
  r.Add("Abs", Half<Abs>);
  r.Add("Neg", Half<Neg>);
  r.Add("Sign", Half<Sign>, 9);
  r.Add("Exp", Half<Exp>);
  r.Add("Log", Half<Log>);
  r.Add("Sqrt", Half<Sqrt>);
  r.Add("Reciprocal", Half<Reciprocal>);
  r.Add("Floor", Half<Floor>);
  r.Add("Ceil", Half<Ceil>);
  r.Add("Round", Half<Round>, 11);
  r.Add("Sin", Half<Sin>, 7);
  r.Add("Cos", Half<Cos>, 7);
  r.Add("Tan", Half<Tan>, 7);
  r.Add("Asin", Half<Asin>, 7);
  r.Add("Acos", Half<Acos>, 7);
  r.Add("Atan", Half<Atan>, 7);
  r.Add("Sinh", Half<Sinh>, 9);
  r.Add("Cosh", Half<Cosh>, 9);
  r.Add("Asinh", Half<Asinh>, 9);
  r.Add("Acosh", Half<Acosh>, 9);
  r.Add("Atanh", Half<Atanh>, 9);
  r.Add("Tanh", Half<Tanh>);
  r.Add("Erf", Half<Erf>, 9);
  r.Add("IsNaN", Half<IsNaN>, 9);
  r.Add("IsInf", Half<IsInf>, 10);
  r.Add("Not", Not);
  r.Add("BitwiseNot", BitwiseNot, 18);
  r.Add("Relu", Half<Relu>);
  r.Add("LeakyRelu", Half<LeakyRelu>);
  r.Add("Elu", Half<Elu>);
  r.Add("Selu", Half<Selu>);
  r.Add("Celu", Half<Celu>, 12);
  r.Add("Sigmoid", Half<Sigmoid>);
  r.Add("HardSigmoid", Half<HardSigmoid>);
  r.Add("HardSwish", Half<HardSwish>, 14);
  r.Add("Softplus", Half<Softplus>);
  r.Add("Softsign", Half<Softsign>);
  r.Add("ThresholdedRelu", Half<ThresholdedRelu>, 10);
  r.Add("Mish", Half<Mish>, 18);
  r.Add("Shrink", Half<Shrink>, 9);
  r.Add("Clip", Half<Clip>);
}

}  // namespace ipfs_accelerate::engine::cpu
