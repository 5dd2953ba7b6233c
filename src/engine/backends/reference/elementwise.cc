// Reference kernels: element-wise ops with broadcasting, Softmax, LayerNormalization, Transpose,
// Identity. One thread, one element at a time, arithmetic in the input's type.
#include <cmath>
#include <cstring>

#include "engine/backends/reference/reference_backend.h"
#include "engine/backends/reference/reference_util.h"
#include "engine/ops/axis.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::reference {
namespace {

template <typename Op>
Status Binary(KernelContext& ctx, Op op) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->dtype() != b->dtype()) {
    return ctx.Error("inputs differ in dtype: " + DTypeName(a->dtype()) + " and " +
                     DTypeName(b->dtype()));
  }
  IA_ASSIGN_OR_RETURN(Shape shape, ops::BroadcastShapes({a->shape(), b->shape()}));
  return VisitFloat(ctx, a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, a->dtype(), shape);
    std::vector<int64_t> sa = ops::BroadcastStrides(a->shape(), shape);
    std::vector<int64_t> sb = ops::BroadcastStrides(b->shape(), shape);
    const T* pa = a->data<T>();
    const T* pb = b->data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < y.numel(); ++i) {
      py[i] = static_cast<T>(op(pa[Offset(i, shape, sa)], pb[Offset(i, shape, sb)]));
    }
    return Status::Ok();
  });
}

template <typename Op>
Status Unary(KernelContext& ctx, Op op) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
    for (int64_t i = 0; i < x->numel(); ++i) y.data<T>()[i] = static_cast<T>(op(x->data<T>()[i]));
    return Status::Ok();
  });
}

// Softmax and LogSoftmax. From opset 13 over one axis; before, over the input flattened to 2-D
// at `axis` (every dimension from it on).
template <bool kLog>
Status Softmax(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const bool one_axis = ctx.node().opset >= 13;
  IA_ASSIGN_OR_RETURN(
      int axis, ops::NormalizeAxis(ctx.node(), ctx.GetInt("axis", one_axis ? -1 : 1), x->rank()));
  int64_t outer = 1, n = 1, inner = 1;
  for (int d = 0; d < x->rank(); ++d) {
    int64_t s = x->dim(d);
    if (d < axis) {
      outer *= s;
    } else if (d == axis || !one_axis) {
      n *= s;
    } else {
      inner *= s;
    }
  }
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
    const T* px = x->data<T>();
    T* py = y.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) {
        auto at = [&](int64_t k) { return (o * n + k) * inner + in; };
        double max = -INFINITY;
        for (int64_t k = 0; k < n; ++k) max = std::max<double>(max, px[at(k)]);
        double sum = 0;
        for (int64_t k = 0; k < n; ++k) sum += std::exp(px[at(k)] - max);
        for (int64_t k = 0; k < n; ++k) {
          double v = px[at(k)] - max;
          py[at(k)] = static_cast<T>(kLog ? v - std::log(sum) : std::exp(v) / sum);
        }
      }
    }
    return Status::Ok();
  });
}

// LayerNormalization (opset 17): normalizes over the dimensions from `axis` on, then scales and
// shifts. Only output Y; the statistics outputs are left to other backends (see SupportsOp).
Status LayerNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* bias = ctx.input(2);
  if (ctx.wants_output(1) || ctx.wants_output(2)) {
    return ctx.Unsupported("the mean and inverse standard deviation outputs");
  }
  IA_ASSIGN_OR_RETURN(int axis, ops::NormalizeAxis(ctx.node(), ctx.GetInt("axis", -1), x->rank()));
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  int64_t outer = 1, n = 1;
  for (int d = 0; d < x->rank(); ++d) (d < axis ? outer : n) *= x->dim(d);
  Shape norm_shape(x->shape().begin() + axis, x->shape().end());
  for (const Tensor* p : {scale, bias}) {
    if (p && p->dtype() != x->dtype()) return ctx.Error("scale and bias must have X's dtype");
    if (p && !ops::BroadcastShapes({p->shape(), norm_shape}).ok()) {
      return ctx.Error("scale or bias " + ShapeToString(p->shape()) + " does not broadcast to " +
                       ShapeToString(norm_shape));
    }
  }
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
    std::vector<int64_t> ss = ops::BroadcastStrides(scale->shape(), norm_shape);
    std::vector<int64_t> sb =
        bias ? ops::BroadcastStrides(bias->shape(), norm_shape) : std::vector<int64_t>();
    const T* px = x->data<T>();
    T* py = y.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      double mean = 0, var = 0;
      for (int64_t k = 0; k < n; ++k) mean += px[o * n + k];
      mean /= static_cast<double>(n);
      for (int64_t k = 0; k < n; ++k) var += (px[o * n + k] - mean) * (px[o * n + k] - mean);
      var /= static_cast<double>(n);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t k = 0; k < n; ++k) {
        double v = (px[o * n + k] - mean) * inv * scale->data<T>()[Offset(k, norm_shape, ss)];
        if (bias) v += bias->data<T>()[Offset(k, norm_shape, sb)];
        py[o * n + k] = static_cast<T>(v);
      }
    }
    return Status::Ok();
  });
}

Status Transpose(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int rank = x->rank();
  std::vector<int64_t> perm = ctx.GetInts("perm");
  if (perm.empty()) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  std::vector<bool> seen(rank, false);
  if (static_cast<int>(perm.size()) != rank) return ctx.Error("perm must have one entry per axis");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) return ctx.Error("perm is not a permutation of the axes");
    seen[p] = true;
  }
  Shape shape(rank);
  for (int d = 0; d < rank; ++d) shape[d] = x->dim(static_cast<int>(perm[d]));
  std::vector<int64_t> in_strides = ContiguousStrides(x->shape()), strides(rank);
  for (int d = 0; d < rank; ++d) strides[d] = in_strides[perm[d]];
  Tensor& y = ctx.Allocate(0, x->dtype(), shape);
  const size_t size = DTypeSize(x->dtype());
  const auto* px = static_cast<const uint8_t*>(x->raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::memcpy(py + i * size, px + Offset(i, shape, strides) * size, size);
  }
  return Status::Ok();
}

// BitwiseAnd, BitwiseOr, BitwiseXor (same-shape or broadcast integer operands).
template <typename Op>
Status Bitwise(KernelContext& ctx, Op op) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->dtype() != b->dtype() || DTypeSize(a->dtype()) == 0) {
    return ctx.Error("operands must share one integer dtype");
  }
  IA_ASSIGN_OR_RETURN(Shape shape, ops::BroadcastShapes({a->shape(), b->shape()}));
  Tensor& y = ctx.Allocate(0, a->dtype(), shape);
  std::vector<int64_t> sa = ops::BroadcastStrides(a->shape(), shape);
  std::vector<int64_t> sb = ops::BroadcastStrides(b->shape(), shape);
  const size_t size = DTypeSize(a->dtype());
  const auto* pa = static_cast<const uint8_t*>(a->raw());
  const auto* pb = static_cast<const uint8_t*>(b->raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  // Bitwise ops act on the bytes alike whatever the integer type.
  for (int64_t i = 0; i < y.numel(); ++i) {
    const uint8_t* ea = pa + Offset(i, shape, sa) * size;
    const uint8_t* eb = pb + Offset(i, shape, sb) * size;
    for (size_t k = 0; k < size; ++k) py[i * size + k] = op(ea[k], eb[k]);
  }
  return Status::Ok();
}

Status BitwiseNot(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  const auto* px = static_cast<const uint8_t*>(x->raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  for (size_t i = 0; i < x->nbytes(); ++i) py[i] = static_cast<uint8_t>(~px[i]);
  return Status::Ok();
}

Status Identity(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  ctx.SetOutput(0, *x);
  return Status::Ok();
}

constexpr DTypeSet kFloat = {DType::kFloat32, DType::kFloat64};
constexpr DTypeSet kFixedSize = kNumericTypes | DTypeSet{DType::kBool};

}  // namespace

void RegisterReferenceElementwise(std::map<std::pair<std::string, std::string>, OpEntry>& ops) {
  auto add = [&](const char* op, KernelFn fn, DTypeSet types = kFloat, int64_t min_opset = 1,
                 int64_t max_opset = 1000) {
    ops[{"", op}] = {fn, min_opset, max_opset, types};
  };
  add(
      "Add", [](KernelContext& c) { return Binary(c, [](double a, double b) { return a + b; }); },
      kFloat, 7);
  add(
      "Sub", [](KernelContext& c) { return Binary(c, [](double a, double b) { return a - b; }); },
      kFloat, 7);
  add(
      "Mul", [](KernelContext& c) { return Binary(c, [](double a, double b) { return a * b; }); },
      kFloat, 7);
  add(
      "Div", [](KernelContext& c) { return Binary(c, [](double a, double b) { return a / b; }); },
      kFloat, 7);
  add(
      "Pow",
      [](KernelContext& c) { return Binary(c, [](double a, double b) { return std::pow(a, b); }); },
      kFloat, 12);
  add("Relu", [](KernelContext& c) { return Unary(c, [](double x) { return x > 0 ? x : 0.0; }); });
  add("Neg", [](KernelContext& c) { return Unary(c, [](double x) { return -x; }); });
  add("Abs", [](KernelContext& c) { return Unary(c, [](double x) { return std::fabs(x); }); });
  add("Exp", [](KernelContext& c) { return Unary(c, [](double x) { return std::exp(x); }); });
  add("Log", [](KernelContext& c) { return Unary(c, [](double x) { return std::log(x); }); });
  add("Sqrt", [](KernelContext& c) { return Unary(c, [](double x) { return std::sqrt(x); }); });
  add("Tanh", [](KernelContext& c) { return Unary(c, [](double x) { return std::tanh(x); }); });
  add(
      "Erf", [](KernelContext& c) { return Unary(c, [](double x) { return std::erf(x); }); },
      kFloat, 9);
  add("Sigmoid", [](KernelContext& c) {
    return Unary(c, [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
  });
  add("Reciprocal", [](KernelContext& c) { return Unary(c, [](double x) { return 1.0 / x; }); });
  add("Floor", [](KernelContext& c) { return Unary(c, [](double x) { return std::floor(x); }); });
  add("Ceil", [](KernelContext& c) { return Unary(c, [](double x) { return std::ceil(x); }); });
  add(
      "Mish",
      [](KernelContext& c) {
        return Unary(c, [](double x) { return x * std::tanh(std::log1p(std::exp(x))); });
      },
      kFloat, 18);
  add(
      "BitwiseAnd",
      [](KernelContext& c) {
        return Bitwise(c, [](uint8_t a, uint8_t b) { return uint8_t(a & b); });
      },
      kIntTypes, 18);
  add(
      "BitwiseOr",
      [](KernelContext& c) {
        return Bitwise(c, [](uint8_t a, uint8_t b) { return uint8_t(a | b); });
      },
      kIntTypes, 18);
  add(
      "BitwiseXor",
      [](KernelContext& c) {
        return Bitwise(c, [](uint8_t a, uint8_t b) { return uint8_t(a ^ b); });
      },
      kIntTypes, 18);
  add("BitwiseNot", BitwiseNot, kIntTypes, 18);
  add("Softmax", Softmax<false>);
  add("LogSoftmax", Softmax<true>);
  add("LayerNormalization", LayerNormalization, kFloat, 17);
  add("Transpose", Transpose, kFixedSize);
  add("Identity", Identity, kFixedSize);
}

}  // namespace ipfs_accelerate::engine::reference
