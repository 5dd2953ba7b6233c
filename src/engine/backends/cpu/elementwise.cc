// Element-wise kernels with multidirectional broadcasting: arithmetic, comparison, logic, the
// variadic Sum/Mean/Max/Min, Where and PRelu. Unary ops and Cast live in elementwise_*.cc.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/backends/cpu/elementwise_common.h"
#include "engine/backends/cpu/vec_math.h"
#include "engine/ops/broadcast.h"

// GCC's -O2 cost model vectorises almost no loop with a run-time trip count; ask for the -O3
// model here (clang vectorises these loops at -O2 already).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace elementwise;

// One row of a broadcast binary op: each operand is either contiguous or a single value.
template <typename A, typename B, typename R, typename F>
void BinaryRow(const A* a, bool ca, const B* b, bool cb, R* out, int64_t n, const F& f) {
  if (ca && cb) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(f(a[i], b[i]));
  } else if (ca) {
    const B y = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(f(a[i], y));
  } else if (cb) {
    const A x = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(f(x, b[i]));
  } else {
    const R v = static_cast<R>(f(*a, *b));
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  }
}

// out = f(a, b) with a and b broadcast to out's shape.
template <typename A, typename B, typename R, typename F>
void Broadcast2(ThreadPool* pool, const Tensor& a, const Tensor& b, Tensor& out, int64_t item_cost,
                const F& f) {
  const auto plan = MakePlan<2>(out.shape(), {&a.shape(), &b.shape()});
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  R* po = out.data<R>();
  ParallelFor(pool, out.numel(), item_cost, [&](int64_t begin, int64_t end) {
    ForEachRow(plan, begin, end, [&](const std::array<int64_t, 2>& off, int64_t o, int64_t n) {
      BinaryRow(pa + off[0], plan.inner_contiguous[0], pb + off[1], plan.inner_contiguous[1],
                po + o, n, f);
    });
  });
}

// One broadcast row of float arithmetic in vectors of V. One IEEE operation per element, so the
// result is the scalar loop's whatever the vector width.
template <typename V, typename Op>
IA_VEC_INLINE void FloatRow(const float* a, bool ca, const float* b, bool cb, float* out, int64_t n,
                            Op op) {
  constexpr int kL = vec::kLanesOf<V>;
  int64_t i = 0;
  if (ca && cb) {
    for (; i + kL <= n; i += kL) vec::Store(out + i, op(vec::Load<V>(a + i), vec::Load<V>(b + i)));
  } else if (ca) {
    const V y = vec::Splat<V>(*b);
    for (; i + kL <= n; i += kL) vec::Store(out + i, op(vec::Load<V>(a + i), y));
  } else if (cb) {
    const V x = vec::Splat<V>(*a);
    for (; i + kL <= n; i += kL) vec::Store(out + i, op(x, vec::Load<V>(b + i)));
  }
  for (; i < n; ++i) out[i] = op(ca ? a[i] : *a, cb ? b[i] : *b);
}

template <typename Op>
struct FloatRows {
  const BroadcastPlan<2>& plan;
  const float* a;
  const float* b;
  float* out;
  Op op;
  template <typename V>
  IA_VEC_INLINE void Run(int64_t begin, int64_t end) const {
    const bool ca = plan.inner_contiguous[0], cb = plan.inner_contiguous[1];
    ForEachRow(
        plan, begin, end,
        [&](const std::array<int64_t, 2>& off, int64_t o, int64_t n) __attribute__((
            always_inline)) { FloatRow<V>(a + off[0], ca, b + off[1], cb, out + o, n, op); });
  }
};

template <typename Op>
IA_TARGET_AVX512 void FloatRowsAvx512(const FloatRows<Op>& r, int64_t begin, int64_t end) {
  r.template Run<vec::F16>(begin, end);
}
template <typename Op>
IA_TARGET_AVX2 void FloatRowsAvx2(const FloatRows<Op>& r, int64_t begin, int64_t end) {
  r.template Run<vec::F8>(begin, end);
}

// out = op(a, b) for float32 a and b broadcast to out's shape, in the widest vectors the CPU has.
template <typename Op>
void FloatBroadcast2(ThreadPool* pool, const Tensor& a, const Tensor& b, Tensor& out, Op op) {
  const auto plan = MakePlan<2>(out.shape(), {&a.shape(), &b.shape()});
  const FloatRows<Op> rows{plan, a.data<float>(), b.data<float>(), out.data<float>(), op};
  const vec::Isa isa = vec::BestIsa();
  ParallelFor(pool, out.numel(), cost::kCheap, [&](int64_t begin, int64_t end) {
#if IA_VEC_HAS_TARGETS
    if (isa == vec::Isa::kAvx512) return FloatRowsAvx512(rows, begin, end);
    if (isa == vec::Isa::kAvx2) return FloatRowsAvx2(rows, begin, end);
#endif
    rows.template Run<vec::F4>(begin, end);
  });
}

// Float arithmetic functors for FloatBroadcast2 (called on vectors and on floats).
#define IA_FLOAT_OP(Name, expr)                  \
  struct Name {                                  \
    template <typename V>                        \
    IA_VEC_INLINE V operator()(V x, V y) const { \
      return expr;                               \
    }                                            \
  };
IA_FLOAT_OP(AddOp, x + y)
IA_FLOAT_OP(SubOp, x - y)
IA_FLOAT_OP(MulOp, x* y)
IA_FLOAT_OP(DivOp, x / y)
#undef IA_FLOAT_OP
struct NoVecOp {};

// The broadcast output shape of a and b, with the node named in the error.
Result<Shape> OutputShape(const KernelContext& ctx, const std::vector<Shape>& shapes) {
  auto shape = ops::BroadcastShapes(shapes);
  if (!shape.ok()) return ctx.Error(shape.status().message());
  return shape;
}

// Before opset 7, B broadcast to A only with broadcast=1, its dims aligned at `axis` (default:
// trailing). Returns B reshaped for numpy-style broadcasting.
Result<Tensor> LegacyOperand(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (ctx.node().opset >= 7 || a.shape() == b.shape()) return b;
  if (ctx.GetInt("broadcast", 0) == 0) {
    return ctx.Error("shapes " + ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()) +
                     " differ and attribute broadcast is 0");
  }
  if (!ctx.HasAttr("axis")) return b;
  int64_t axis = ctx.GetInt("axis", 0);
  if (axis < 0) axis += a.rank();
  if (axis < 0 || axis + b.rank() > a.rank()) return ctx.Error("attribute axis is out of range");
  Shape s = b.shape();
  s.resize(a.rank() - axis, 1);
  return b.Reshaped(s);
}

enum class Out { kSame, kBool };

// A binary op over dtypes kSet, both inputs of one dtype. f is called with two T values; float32
// goes through VecOp instead when there is one.
template <unsigned kSet, Out kOut = Out::kSame, typename VecOp = NoVecOp, typename F>
Status Binary(KernelContext& ctx, F f, int64_t item_cost = cost::kCheap) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Required(1));
  if (a->dtype() != b_in->dtype()) {
    return ctx.Error("inputs have different dtypes: " + DTypeName(a->dtype()) + " and " +
                     DTypeName(b_in->dtype()));
  }
  IA_ASSIGN_OR_RETURN(Tensor b, LegacyOperand(ctx, *a, *b_in));
  IA_ASSIGN_OR_RETURN(Shape shape, OutputShape(ctx, {a->shape(), b.shape()}));
  return Visit<kSet>(ctx, a->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    using R = std::conditional_t<kOut == Out::kBool, uint8_t, T>;
    Tensor& out = ctx.Allocate(0, kOut == Out::kBool ? DType::kBool : a->dtype(), shape);
    if constexpr (std::is_same_v<T, float> && !std::is_same_v<VecOp, NoVecOp>) {
      FloatBroadcast2(ctx.pool(), *a, b, out, VecOp{});
    } else {
      Broadcast2<T, T, R>(ctx.pool(), *a, b, out, item_cost, f);
    }
    return Status::Ok();
  });
}

// Integer arithmetic wraps modulo 2^bits instead of overflowing (UB for signed types).
template <typename T>
using Wide = std::conditional_t<sizeof(T) < 4, uint32_t, std::make_unsigned_t<T>>;
template <typename T>
T WrapAdd(T x, T y) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<Wide<T>>(x) + static_cast<Wide<T>>(y));
  else
    return x + y;
}
template <typename T>
T WrapSub(T x, T y) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<Wide<T>>(x) - static_cast<Wide<T>>(y));
  else
    return x - y;
}
template <typename T>
T WrapMul(T x, T y) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<Wide<T>>(x) * static_cast<Wide<T>>(y));
  else
    return x * y;
}

// Integer division by zero traps; reject it with a message instead.
Status CheckNoZeroDivisor(KernelContext& ctx) {
  const Tensor* b = ctx.input(1);
  if (!b) return Status::Ok();
  Status found = Status::Ok();
  Visit<kInts>(ctx, b->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = b->data<T>();
    if (std::find(p, p + b->numel(), T(0)) != p + b->numel()) {
      found = ctx.Error("integer division by zero (the divisor input holds a 0)");
    }
    return Status::Ok();
  });
  return found;
}

Status Add(KernelContext& ctx) {
  return Binary<kNumeric, Out::kSame, AddOp>(ctx, [](auto x, auto y) { return WrapAdd(x, y); });
}
Status Sub(KernelContext& ctx) {
  return Binary<kNumeric, Out::kSame, SubOp>(ctx, [](auto x, auto y) { return WrapSub(x, y); });
}
Status Mul(KernelContext& ctx) {
  return Binary<kNumeric, Out::kSame, MulOp>(ctx, [](auto x, auto y) { return WrapMul(x, y); });
}
Status Div(KernelContext& ctx) {
  IA_RETURN_IF_ERROR(CheckNoZeroDivisor(ctx));
  return Binary<kNumeric, Out::kSame, DivOp>(ctx, [](auto x, auto y) {
    using T = decltype(x);
    if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) {
      if (y == T(-1)) return WrapSub(T(0), x);  // INT_MIN / -1 traps
    }
    return static_cast<T>(x / y);
  });
}

Status Mod(KernelContext& ctx) {
  const bool fmod = ctx.GetInt("fmod", 0) != 0;
  IA_RETURN_IF_ERROR(CheckNoZeroDivisor(ctx));
  return Binary<kNumeric>(ctx, [fmod](auto x, auto y) {
    using T = decltype(x);
    T r;
    if constexpr (std::is_floating_point_v<T>) {
      r = std::fmod(x, y);
    } else if constexpr (std::is_signed_v<T>) {
      r = y == T(-1) ? T(0) : static_cast<T>(x % y);
    } else {
      return static_cast<T>(x % y);
    }
    // fmod=0: the result takes the divisor's sign, as Python's % does.
    if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
    return r;
  });
}

// x^y with x an integer type and y integral: exact, by squaring.
template <typename T, typename U>
T IntPow(T x, U y) {
  if (y < 0) return x == 1 ? T(1) : x == T(-1) ? ((y & 1) ? T(-1) : T(1)) : T(0);
  Wide<T> base = static_cast<Wide<T>>(x), r = 1;
  for (auto e = static_cast<std::make_unsigned_t<U>>(y); e; e >>= 1) {
    if (e & 1) r *= base;
    base *= base;
  }
  return static_cast<T>(r);
}

// b's values as E (int64 or double): a Pow exponent of another type than the base is read once
// in one of these two, so the base × exponent dtype pairs compile to a few loops, not 144.
template <typename E>
Result<Tensor> ExponentAs(const KernelContext& ctx, const Tensor& b) {
  Tensor e = Tensor::Empty(std::is_same_v<E, double> ? DType::kFloat64 : DType::kInt64, b.shape());
  E* out = e.data<E>();
  IA_RETURN_IF_ERROR(Visit<kNumeric>(ctx, b.dtype(), [&](auto tag) -> Status {
    using U = typename decltype(tag)::type;
    const U* in = b.data<U>();
    for (int64_t i = 0; i < b.numel(); ++i) out[i] = static_cast<E>(in[i]);
    return Status::Ok();
  }));
  return e;
}

// Pow: base and exponent may have different types (opset 12+); the result has the base's type.
// Integer bases with integer exponents are exact (IntPow); every other mixed pair goes through
// double, as the float path of a mixed pair always did.
Status Pow(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(Tensor b, LegacyOperand(ctx, *a, *b_in));
  IA_ASSIGN_OR_RETURN(Shape shape, OutputShape(ctx, {a->shape(), b.shape()}));
  const bool int_exponent = b.dtype() != DType::kFloat32 && b.dtype() != DType::kFloat64;
  return Visit<kNumeric>(ctx, a->dtype(), [&](auto base_tag) -> Status {
    using T = typename decltype(base_tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      if (b.dtype() == a->dtype()) {
        Tensor& out = ctx.Allocate(0, a->dtype(), shape);
        // Common exponents (squares in normalisation, cubes in GELU's tanh form) without a pow
        // call per element.
        const T e = b.numel() == 1 ? *b.data<T>() : T(0);
        auto run = [&](auto f) {
          Broadcast2<T, T, T>(ctx.pool(), *a, b, out, cost::kCheap, f);
          return Status::Ok();
        };
        if (e == T(1)) return run([](T x, T) { return x; });
        if (e == T(2)) return run([](T x, T) { return x * x; });
        if (e == T(3)) return run([](T x, T) { return x * x * x; });
        if (e == T(4)) return run([](T x, T) { return (x * x) * (x * x); });
        if (e == T(0.5)) return run([](T x, T) { return std::sqrt(x); });
        Broadcast2<T, T, T>(ctx.pool(), *a, b, out, cost::kTranscendental,
                            [](T x, T y) { return std::pow(x, y); });
        return Status::Ok();
      }
    } else if (int_exponent) {
      IA_ASSIGN_OR_RETURN(Tensor e, ExponentAs<int64_t>(ctx, b));
      Tensor& out = ctx.Allocate(0, a->dtype(), shape);
      Broadcast2<T, int64_t, T>(ctx.pool(), *a, e, out, cost::kCheap,
                                [](T x, int64_t y) { return IntPow(x, y); });
      return Status::Ok();
    }
    IA_ASSIGN_OR_RETURN(Tensor e, ExponentAs<double>(ctx, b));
    Tensor& out = ctx.Allocate(0, a->dtype(), shape);
    Broadcast2<T, double, T>(ctx.pool(), *a, e, out, cost::kTranscendental, [](T x, double y) {
      double r = std::pow(static_cast<double>(x), y);
      if constexpr (std::is_integral_v<T>) {
        if (!(r >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
              r <= static_cast<double>(std::numeric_limits<T>::max()))) {
          return T(0);  // out of range or NaN: undefined in ONNX; avoid C++ UB
        }
      }
      return static_cast<T>(r);
    });
    return Status::Ok();
  });
}

Status BitShift(KernelContext& ctx) {
  const std::string dir = ctx.GetString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") {
    return ctx.Error("attribute direction must be \"LEFT\" or \"RIGHT\", got \"" + dir + "\"");
  }
  const bool left = dir == "LEFT";
  return Binary<kUnsigned>(ctx, [left](auto x, auto y) {
    using T = decltype(x);
    if (y >= sizeof(T) * 8) return T(0);  // shifting by the width is UB in C++
    return static_cast<T>(left ? x << y : x >> y);
  });
}

template <typename T>
bool IsNan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return v != v;
  else
    return false;
}

Status Equal(KernelContext& ctx) {
  return Binary<kAll, Out::kBool>(ctx, [](auto x, auto y) { return x == y; });
}
Status Less(KernelContext& ctx) {
  return Binary<kNumeric, Out::kBool>(ctx, [](auto x, auto y) { return x < y; });
}
Status LessOrEqual(KernelContext& ctx) {
  return Binary<kNumeric, Out::kBool>(ctx, [](auto x, auto y) { return x <= y; });
}
Status Greater(KernelContext& ctx) {
  return Binary<kNumeric, Out::kBool>(ctx, [](auto x, auto y) { return x > y; });
}
Status GreaterOrEqual(KernelContext& ctx) {
  return Binary<kNumeric, Out::kBool>(ctx, [](auto x, auto y) { return x >= y; });
}
Status And(KernelContext& ctx) {
  return Binary<kBool>(ctx,
                       [](auto x, auto y) { return static_cast<uint8_t>((x != 0) & (y != 0)); });
}
Status Or(KernelContext& ctx) {
  return Binary<kBool>(ctx,
                       [](auto x, auto y) { return static_cast<uint8_t>((x != 0) | (y != 0)); });
}
Status Xor(KernelContext& ctx) {
  return Binary<kBool>(ctx,
                       [](auto x, auto y) { return static_cast<uint8_t>((x != 0) ^ (y != 0)); });
}
Status BitwiseAnd(KernelContext& ctx) {
  return Binary<kInts>(ctx, [](auto x, auto y) { return static_cast<decltype(x)>(x & y); });
}
Status BitwiseOr(KernelContext& ctx) {
  return Binary<kInts>(ctx, [](auto x, auto y) { return static_cast<decltype(x)>(x | y); });
}
Status BitwiseXor(KernelContext& ctx) {
  return Binary<kInts>(ctx, [](auto x, auto y) { return static_cast<decltype(x)>(x ^ y); });
}

// PRelu: slope broadcasts to X (unidirectionally).
Status PRelu(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* slope, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(Shape shape, OutputShape(ctx, {x->shape(), slope->shape()}));
  if (shape != x->shape()) {
    return ctx.Error("slope of shape " + ShapeToString(slope->shape()) +
                     " does not broadcast to the input's shape " + ShapeToString(x->shape()));
  }
  return Binary<kFloats | kSigned>(ctx, [](auto v, auto s) { return v < 0 ? WrapMul(v, s) : v; });
}

// Sum, Mean, Max, Min: any number of inputs, broadcast together, folded left to right.
template <unsigned kSet, typename F>
Status Variadic(KernelContext& ctx, F f, bool mean) {
  if (ctx.num_inputs() == 0) return ctx.Error("needs at least one input");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
    if (t->dtype() != ctx.input(0)->dtype()) {
      return ctx.Error("input " + std::to_string(i) + " has dtype " + DTypeName(t->dtype()) +
                       ", input 0 has " + DTypeName(ctx.input(0)->dtype()));
    }
    shapes.push_back(t->shape());
  }
  IA_ASSIGN_OR_RETURN(Shape shape, OutputShape(ctx, shapes));
  const Tensor& first = *ctx.input(0);
  return Visit<kSet>(ctx, first.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    Tensor& out = ctx.Allocate(0, first.dtype(), shape);
    if (ctx.num_inputs() == 1) {
      Broadcast2<T, T, T>(ctx.pool(), first, first, out, cost::kCheap, [](T x, T) { return x; });
    } else {
      Broadcast2<T, T, T>(ctx.pool(), first, *ctx.input(1), out, cost::kCheap, f);
      for (size_t i = 2; i < ctx.num_inputs(); ++i) {
        Broadcast2<T, T, T>(ctx.pool(), out, *ctx.input(i), out, cost::kCheap, f);
      }
    }
    if (mean) {
      const T n = static_cast<T>(ctx.num_inputs());
      T* p = out.data<T>();
      for (int64_t i = 0, e = out.numel(); i < e; ++i) p[i] = static_cast<T>(p[i] / n);
    }
    return Status::Ok();
  });
}

// Max and Min propagate NaN, as numpy's maximum/minimum do.
Status Max(KernelContext& ctx) {
  return Variadic<kNumeric>(
      ctx, [](auto x, auto y) { return (x > y || IsNan(x)) ? x : y; }, false);
}
Status Min(KernelContext& ctx) {
  return Variadic<kNumeric>(
      ctx, [](auto x, auto y) { return (x < y || IsNan(x)) ? x : y; }, false);
}
Status Sum(KernelContext& ctx) {
  return Variadic<kNumeric>(
      ctx, [](auto x, auto y) { return WrapAdd(x, y); }, false);
}
Status Mean(KernelContext& ctx) {
  return Variadic<kFloats>(
      ctx, [](auto x, auto y) { return x + y; }, true);
}

// One row of Where with each operand contiguous (stride 1) or a single value (stride 0).
template <int kC, int kX, int kY, typename T>
void WhereRow(const uint8_t* c, const T* x, const T* y, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = c[i * kC] ? x[i * kX] : y[i * kY];
}

// Where: condition, X and Y broadcast together.
Status Where(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* c, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* y, ctx.Required(2));
  if (c->dtype() != DType::kBool) {
    return ctx.Error("condition must be bool, got " + DTypeName(c->dtype()));
  }
  if (x->dtype() != y->dtype()) {
    return ctx.Error("X and Y have different dtypes: " + DTypeName(x->dtype()) + " and " +
                     DTypeName(y->dtype()));
  }
  IA_ASSIGN_OR_RETURN(Shape shape, OutputShape(ctx, {c->shape(), x->shape(), y->shape()}));
  return Visit<kAll>(ctx, x->dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    Tensor& out = ctx.Allocate(0, x->dtype(), shape);
    const auto plan = MakePlan<3>(shape, {&c->shape(), &x->shape(), &y->shape()});
    const uint8_t* pc = c->data<uint8_t>();
    const T* px = x->data<T>();
    const T* py = y->data<T>();
    T* po = out.data<T>();
    const int64_t sc = plan.inner_contiguous[0], sx = plan.inner_contiguous[1],
                  sy = plan.inner_contiguous[2];
    ParallelFor(ctx.pool(), out.numel(), cost::kCheap, [&](int64_t begin, int64_t end) {
      ForEachRow(plan, begin, end, [&](const std::array<int64_t, 3>& off, int64_t o, int64_t n) {
        const uint8_t* rc = pc + off[0];
        const T* rx = px + off[1];
        const T* ry = py + off[2];
        T* ro = po + o;
        switch (sc * 4 + sx * 2 + sy) {  // strides as constants, so each loop vectorises
          case 7:
            return WhereRow<1, 1, 1>(rc, rx, ry, ro, n);
          case 6:
            return WhereRow<1, 1, 0>(rc, rx, ry, ro, n);
          case 5:
            return WhereRow<1, 0, 1>(rc, rx, ry, ro, n);
          case 4:
            return WhereRow<1, 0, 0>(rc, rx, ry, ro, n);
          default:
            for (int64_t i = 0; i < n; ++i) ro[i] = rc[i * sc] ? rx[i * sx] : ry[i * sy];
        }
      });
    });
    return Status::Ok();
  });
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  r.Add("Add", Half<Add>).Types(kNumericTypes);
  r.Add("Sub", Half<Sub>).Types(kNumericTypes);
  r.Add("Mul", Half<Mul>).Types(kNumericTypes);
  r.Add("Div", Half<Div>).Types(kNumericTypes);
  r.Add("Mod", Half<Mod>, 10);
  r.Add("Pow", Half<Pow>);
  r.Add("BitShift", BitShift, 11);
  r.Add("Equal", Half<Equal>);
  r.Add("Less", Half<Less>);
  r.Add("LessOrEqual", Half<LessOrEqual>, 12);
  r.Add("Greater", Half<Greater>);
  r.Add("GreaterOrEqual", Half<GreaterOrEqual>, 12);
  r.Add("And", And);
  r.Add("Or", Or);
  r.Add("Xor", Xor);
  r.Add("BitwiseAnd", BitwiseAnd, 18);
  r.Add("BitwiseOr", BitwiseOr, 18);
  r.Add("BitwiseXor", BitwiseXor, 18);
  r.Add("PRelu", Half<PRelu>);
  r.Add("Max", Half<Max>);
  r.Add("Min", Half<Min>);
  r.Add("Sum", Half<Sum>);
  r.Add("Mean", Half<Mean>);
  r.Add("Where", Half<Where, 1>, 9);
  RegisterUnaryKernels(r);
  RegisterCastKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
