// Reductions along axes: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare. Arg-reductions, TopK and CumSum are in
// reduce_arg.cc, the losses in reduce_loss.cc.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/reduce_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// How to walk the input for one reduction. Adjacent axes that are both reduced (or both kept)
// are merged, so the innermost merged group is either reduced (each output reads runs of
// `inner` contiguous values) or kept (`inner` consecutive outputs read side by side).
struct Plan {
  bool inner_reduced = true;
  int64_t inner = 1;
  std::vector<int64_t> rows;     // input offset of each output row
  std::vector<int64_t> reduced;  // offsets of the reduced positions, outside the inner group
  int64_t count = 1;             // values reduced into each output
};

// All offsets of an odometer over (size, stride) pairs.
std::vector<int64_t> Offsets(const std::vector<std::pair<int64_t, int64_t>>& dims) {
  std::vector<int64_t> out{0};
  for (const auto& [size, stride] : dims) {
    std::vector<int64_t> next;
    next.reserve(out.size() * size);
    for (int64_t base : out) {
      for (int64_t k = 0; k < size; ++k) next.push_back(base + k * stride);
    }
    out.swap(next);
  }
  return out;
}

Plan MakePlan(const Shape& s, const std::vector<bool>& is_reduced) {
  struct Group {
    int64_t size, stride;
    bool reduced;
  };
  std::vector<Group> groups;  // outermost first
  int64_t stride = 1;
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    if (s[d] != 1) {
      if (!groups.empty() && groups.back().reduced == is_reduced[d] &&
          groups.back().stride * groups.back().size == stride) {
        groups.back().size *= s[d];
      } else {
        groups.push_back({s[d], stride, is_reduced[d]});
      }
    }
    stride *= s[d];
  }
  // groups is innermost first here.
  Plan p;
  p.count = 1;
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    if (is_reduced[d]) p.count *= s[d];
  }
  std::vector<std::pair<int64_t, int64_t>> kept, red;
  size_t first = 0;
  if (!groups.empty()) {
    p.inner_reduced = groups[0].reduced;
    p.inner = groups[0].size;
    first = 1;
  }
  for (size_t g = groups.size(); g-- > first;) {
    (groups[g].reduced ? red : kept).push_back({groups[g].size, groups[g].stride});
  }
  p.rows = Offsets(kept);
  p.reduced = Offsets(red);
  return p;
}

enum class Combine { kAdd, kMul, kMax, kMin };

template <Combine C, typename A>
inline A Step(A a, A v) {
  if constexpr (C == Combine::kAdd) return a + v;
  if constexpr (C == Combine::kMul) return a * v;
  // NaN wins, as numpy's max and min propagate it.
  if constexpr (C == Combine::kMax) return (v > a || v != v) ? v : a;
  if constexpr (C == Combine::kMin) return (v < a || v != v) ? v : a;
}

template <Combine C, typename A>
A Init() {
  if constexpr (C == Combine::kAdd) return A(0);
  if constexpr (C == Combine::kMul) return A(1);
  if constexpr (C == Combine::kMax) {
    return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::lowest();
  }
  if constexpr (C == Combine::kMin) {
    return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity()
                                                : std::numeric_limits<A>::max();
  }
}

// Reduces x by plan into out: out[o] = fin(combine over the reduced values v of map(v, o), o).
template <typename T, typename A, Combine C, typename Map, typename Fin>
void RunPlan(ThreadPool* pool, const T* x, T* out, const Plan& p, Map map, Fin fin) {
  const int64_t inner = p.inner;
  if (p.inner_reduced) {
    ParallelFor(pool, static_cast<int64_t>(p.rows.size()), p.count, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        A a = Init<C, A>();
        for (int64_t r : p.reduced) {
          const T* q = x + p.rows[o] + r;
          if constexpr (C == Combine::kAdd && std::is_same_v<T, float>) {
            a += LaneSum(q, inner, [&](float v) { return static_cast<float>(map(v, o)); });
          } else {
            for (int64_t j = 0; j < inner; ++j)
              a = Step<C, A>(a, static_cast<A>(map(static_cast<A>(q[j]), o)));
          }
        }
        out[o] = fin(a, o);
      }
    });
    return;
  }
  ParallelFor(
      pool, static_cast<int64_t>(p.rows.size()), p.count * inner, [&](int64_t b, int64_t e) {
        std::vector<A> acc(inner);
        for (int64_t row = b; row < e; ++row) {
          std::fill(acc.begin(), acc.end(), Init<C, A>());
          const int64_t o0 = row * inner;
          for (int64_t r : p.reduced) {
            const T* q = x + p.rows[row] + r;
            for (int64_t j = 0; j < inner; ++j)
              acc[j] = Step<C, A>(acc[j], static_cast<A>(map(static_cast<A>(q[j]), o0 + j)));
          }
          for (int64_t j = 0; j < inner; ++j) out[o0 + j] = fin(acc[j], o0 + j);
        }
      });
}

enum class Op { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// The accumulator: double for floating types, int64 for integers (uint64 for uint64), T itself
// for max and min.
template <typename T, Op O>
using AccOf = std::conditional_t<
    O == Op::kMax || O == Op::kMin, T,
    std::conditional_t<std::is_floating_point_v<T>, double,
                       std::conditional_t<std::is_same_v<T, uint64_t>, uint64_t, int64_t>>>;

template <typename T, Op O>
void ReduceTyped(ThreadPool* pool, const T* x, T* out, const Plan& p) {
  using A = AccOf<T, O>;
  const int64_t count = p.count;
  auto id = [](auto v, int64_t) { return v; };
  auto cast = [](A a, int64_t) { return static_cast<T>(a); };
  auto fp = [](double v) { return static_cast<T>(v); };
  if constexpr (O == Op::kSum) RunPlan<T, A, Combine::kAdd>(pool, x, out, p, id, cast);
  if constexpr (O == Op::kMean) {
    RunPlan<T, A, Combine::kAdd>(pool, x, out, p, id, [count](A a, int64_t) {
      if constexpr (std::is_floating_point_v<A>) return static_cast<T>(a / static_cast<A>(count));
      return static_cast<T>(count ? a / static_cast<A>(count) : A(0));
    });
  }
  if constexpr (O == Op::kMax) RunPlan<T, A, Combine::kMax>(pool, x, out, p, id, cast);
  if constexpr (O == Op::kMin) RunPlan<T, A, Combine::kMin>(pool, x, out, p, id, cast);
  if constexpr (O == Op::kProd) RunPlan<T, A, Combine::kMul>(pool, x, out, p, id, cast);
  if constexpr (O == Op::kL1) {
    RunPlan<T, A, Combine::kAdd>(
        pool, x, out, p, [](auto v, int64_t) { return v < 0 ? -v : v; }, cast);
  }
  if constexpr (O == Op::kSumSquare)
    RunPlan<T, A, Combine::kAdd>(
        pool, x, out, p, [](auto v, int64_t) { return v * v; }, cast);
  if constexpr (O == Op::kL2) {
    RunPlan<T, A, Combine::kAdd>(
        pool, x, out, p, [](auto v, int64_t) { return v * v; },
        [fp](A a, int64_t) { return fp(std::sqrt(static_cast<double>(a))); });
  }
  if constexpr (O == Op::kLogSum) {
    RunPlan<T, A, Combine::kAdd>(
        pool, x, out, p, id, [fp](A a, int64_t) { return fp(std::log(static_cast<double>(a))); });
  }
  if constexpr (O == Op::kLogSumExp) {
    // Stable: log(sum(exp(x - max))) + max, with the max from a first pass.
    std::vector<T> m(p.rows.size() * (p.inner_reduced ? 1 : p.inner));
    RunPlan<T, T, Combine::kMax>(pool, x, m.data(), p, id, [](T a, int64_t) { return a; });
    std::vector<double> shift(m.size());
    for (size_t i = 0; i < m.size(); ++i)
      shift[i] = std::isfinite(static_cast<double>(m[i])) ? m[i] : 0.0;
    if constexpr (std::is_same_v<T, float>) {
      auto map = [&shift](auto v, int64_t o) {
        if constexpr (std::is_same_v<decltype(v), float>)
          return FastExp(v - static_cast<float>(shift[o]));
        else
          return std::exp(static_cast<double>(v) - shift[o]);
      };
      RunPlan<T, double, Combine::kAdd>(pool, x, out, p, map, [&shift](double a, int64_t o) {
        return static_cast<T>(std::log(a) + shift[o]);
      });
    } else {
      auto map = [&shift](auto v, int64_t o) {
        return std::exp(static_cast<double>(v) - shift[o]);
      };
      RunPlan<T, double, Combine::kAdd>(pool, x, out, p, map, [&shift](double a, int64_t o) {
        return static_cast<T>(std::log(a) + shift[o]);
      });
    }
  }
}

template <Op O>
Status Reduce(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<int64_t> axes;
  if (ctx.HasAttr("axes")) {
    axes = ctx.GetInts("axes");
  } else if (const Tensor* a = ctx.input(1)) {
    if (a->rank() > 1)
      return ctx.Error("axes must be a 1-D tensor, got shape " + ShapeToString(a->shape()));
    if (a->dtype() == DType::kInt64) {
      axes.assign(a->data<int64_t>(), a->data<int64_t>() + a->numel());
    } else if (a->dtype() == DType::kInt32) {
      axes.assign(a->data<int32_t>(), a->data<int32_t>() + a->numel());
    } else {
      return ctx.Error("axes must be int64, got " + DTypeName(a->dtype()));
    }
  }
  const int rank = x->rank();
  std::vector<bool> is_reduced(rank, axes.empty());
  if (axes.empty() && ctx.GetInt("noop_with_empty_axes", 0) != 0) {
    ctx.SetOutput(0, *x);
    return Status::Ok();
  }
  std::vector<bool> seen(rank, false);
  for (int64_t a : axes) {
    IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, a, rank, "axes entry"));
    if (rank == 0) continue;
    if (seen[axis]) return ctx.Error("axes lists axis " + std::to_string(axis) + " twice");
    seen[axis] = is_reduced[axis] = true;
  }
  bool keepdims = ctx.GetInt("keepdims", 1) != 0;
  Shape out_shape;
  for (int d = 0; d < rank; ++d) {
    if (!is_reduced[d])
      out_shape.push_back(x->dim(d));
    else if (keepdims)
      out_shape.push_back(1);
  }
  Plan plan = MakePlan(x->shape(), is_reduced);
  if (x->numel() == 0) {
    // Nothing to read: each output is the reduction of an empty set (or there are no outputs).
    plan.rows.assign(NumElements(out_shape), 0);
    plan.reduced.clear();
    plan.inner_reduced = true;
    plan.inner = 0;
    plan.count = 0;
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), out_shape);
  ThreadPool* pool = ctx.pool();
  switch (x->dtype()) {
    case DType::kFloat32:
      ReduceTyped<float, O>(pool, x->data<float>(), y.data<float>(), plan);
      break;
    case DType::kFloat64:
      ReduceTyped<double, O>(pool, x->data<double>(), y.data<double>(), plan);
      break;
    case DType::kInt32:
      ReduceTyped<int32_t, O>(pool, x->data<int32_t>(), y.data<int32_t>(), plan);
      break;
    case DType::kInt64:
      ReduceTyped<int64_t, O>(pool, x->data<int64_t>(), y.data<int64_t>(), plan);
      break;
    case DType::kUInt32:
      ReduceTyped<uint32_t, O>(pool, x->data<uint32_t>(), y.data<uint32_t>(), plan);
      break;
    case DType::kUInt64:
      ReduceTyped<uint64_t, O>(pool, x->data<uint64_t>(), y.data<uint64_t>(), plan);
      break;
    case DType::kInt8:
      ReduceTyped<int8_t, O>(pool, x->data<int8_t>(), y.data<int8_t>(), plan);
      break;
    case DType::kUInt8:
      ReduceTyped<uint8_t, O>(pool, x->data<uint8_t>(), y.data<uint8_t>(), plan);
      break;
    case DType::kBool:
      // Opset 20: ReduceMax is any, ReduceMin all (bytes 0 and 1; an empty min is true).
      if constexpr (O == Op::kMax || O == Op::kMin) {
        if (ctx.node().opset >= 20) {
          auto* out = static_cast<uint8_t*>(y.raw());
          ReduceTyped<uint8_t, O>(pool, static_cast<const uint8_t*>(x->raw()), out, plan);
          for (int64_t i = 0; i < y.numel(); ++i) out[i] = out[i] != 0;
          break;
        }
      }
      return ctx.Unsupported("dtype bool" +
                             std::string(O == Op::kMax || O == Op::kMin ? " (from opset 20)" : ""));
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()));
  }
  return Status::Ok();
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  r.Add("ReduceSum", Reduce<Op::kSum>);
  r.Add("ReduceMean", Reduce<Op::kMean>);
  r.Add("ReduceMax", Reduce<Op::kMax>);
  r.Add("ReduceMin", Reduce<Op::kMin>);
  r.Add("ReduceProd", Reduce<Op::kProd>);
  r.Add("ReduceL1", Reduce<Op::kL1>);
  r.Add("ReduceL2", Reduce<Op::kL2>);
  r.Add("ReduceLogSum", Reduce<Op::kLogSum>);
  r.Add("ReduceLogSumExp", Reduce<Op::kLogSumExp>);
  r.Add("ReduceSumSquare", Reduce<Op::kSumSquare>);
  RegisterArgKernels(r);
  RegisterLossKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
