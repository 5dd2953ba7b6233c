// Reference kernels: MatMul, Gemm, Conv and two reductions, as triple loops with double
// accumulators. The convolution geometry comes from engine/ops/window.h, as the CPU's does.
#include <cmath>
#include <set>

#include "engine/backends/reference/reference_backend.h"
#include "engine/backends/reference/reference_util.h"
#include "engine/ops/axis.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::reference {
namespace {

// numpy.matmul: 1-D operands get a dimension (removed again from the result), batch dimensions
// broadcast.
Status MatMul(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->rank() == 0 || b->rank() == 0) return ctx.Error("MatMul of a scalar");
  if (a->dtype() != b->dtype()) return ctx.Error("A and B differ in dtype");
  Shape as = a->shape(), bs = b->shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k) {
    return ctx.Error("A " + ShapeToString(a->shape()) + " and B " + ShapeToString(b->shape()) +
                     " do not multiply");
  }
  IA_ASSIGN_OR_RETURN(Shape batch, ops::BroadcastShapes({Shape(as.begin(), as.end() - 2),
                                                         Shape(bs.begin(), bs.end() - 2)}));
  Shape out = batch;
  if (a->rank() > 1) out.push_back(m);
  if (b->rank() > 1) out.push_back(n);
  std::vector<int64_t> sa = ops::BroadcastStrides(Shape(as.begin(), as.end() - 2), batch);
  std::vector<int64_t> sb = ops::BroadcastStrides(Shape(bs.begin(), bs.end() - 2), batch);
  return VisitFloat(ctx, a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, a->dtype(), out);
    const int64_t batches = NumElements(batch);
    for (int64_t p = 0; p < batches; ++p) {
      const T* pa = a->data<T>() + Offset(p, batch, sa) * m * k;
      const T* pb = b->data<T>() + Offset(p, batch, sb) * k * n;
      T* py = y.data<T>() + p * m * n;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (int64_t q = 0; q < k; ++q) acc += double(pa[i * k + q]) * double(pb[q * n + j]);
          py[i * n + j] = static_cast<T>(acc);
        }
      }
    }
    return Status::Ok();
  });
}

// Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N].
Status Gemm(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const Tensor* c = ctx.input(2);
  if (a->rank() != 2 || b->rank() != 2) return ctx.Error("A and B must be 2-D");
  const bool ta = ctx.GetInt("transA", 0) != 0, tb = ctx.GetInt("transB", 0) != 0;
  const double alpha = ctx.GetFloat("alpha", 1.f), beta = ctx.GetFloat("beta", 1.f);
  const int64_t m = ta ? a->dim(1) : a->dim(0), k = ta ? a->dim(0) : a->dim(1);
  const int64_t n = tb ? b->dim(0) : b->dim(1);
  if ((tb ? b->dim(1) : b->dim(0)) != k) return ctx.Error("A and B do not multiply");
  const Shape out = {m, n};
  if (c && !ops::BroadcastShapes({c->shape(), out}).ok()) {
    return ctx.Error("C " + ShapeToString(c->shape()) + " does not broadcast to [M, N]");
  }
  return VisitFloat(ctx, a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, a->dtype(), out);
    std::vector<int64_t> sc = c ? ops::BroadcastStrides(c->shape(), out) : std::vector<int64_t>();
    const T* pa = a->data<T>();
    const T* pb = b->data<T>();
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q) {
          acc += double(pa[ta ? q * m + i : i * k + q]) * double(pb[tb ? j * k + q : q * n + j]);
        }
        double v = alpha * acc;
        if (c) v += beta * double(c->data<T>()[Offset(i * n + j, out, sc)]);
        y.data<T>()[i * n + j] = static_cast<T>(v);
      }
    }
    return Status::Ok();
  });
}

// Conv over any number of spatial axes, with groups, strides, dilations and pads.
Status Conv(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* bias = ctx.input(2);
  IA_ASSIGN_OR_RETURN(ops::WindowGeometry g, ops::ConvWindow(ctx.node(), x->shape(), w->shape()));
  const int64_t group = ctx.GetInt("group", 1);
  const int64_t batch = x->dim(0), c_in = x->dim(1), m = w->dim(0);
  if (group < 1 || c_in % group != 0 || m % group != 0 || w->dim(1) != c_in / group) {
    return ctx.Error("group " + std::to_string(group) + " does not divide X's channels " +
                     std::to_string(c_in) + " and W's " + std::to_string(m) + " filters");
  }
  if (bias && (bias->rank() != 1 || bias->dim(0) != m)) return ctx.Error("B must be [M]");
  const int nd = g.nd;
  const int64_t in_size = NumElements(g.in), out_size = NumElements(g.out);
  const int64_t k_size = NumElements(g.kernel), cg = c_in / group, mg = m / group;
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), g.output);
    std::vector<int64_t> out_pos(nd), k_pos(nd);
    for (int64_t nb = 0; nb < batch; ++nb) {
      for (int64_t oc = 0; oc < m; ++oc) {
        const int64_t grp = oc / mg;
        for (int64_t o = 0; o < out_size; ++o) {
          for (int64_t d = nd - 1, rest = o; d >= 0; --d)
            out_pos[d] = rest % g.out[d], rest /= g.out[d];
          double acc = bias ? double(bias->data<T>()[oc]) : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const T* px = x->data<T>() + (nb * c_in + grp * cg + ic) * in_size;
            const T* pw = w->data<T>() + (oc * cg + ic) * k_size;
            for (int64_t kk = 0; kk < k_size; ++kk) {
              for (int64_t d = nd - 1, rest = kk; d >= 0; --d) {
                k_pos[d] = rest % g.kernel[d], rest /= g.kernel[d];
              }
              int64_t at = 0;
              bool inside = true;
              for (int d = 0; d < nd && inside; ++d) {
                int64_t p = out_pos[d] * g.strides[d] - g.pads_begin[d] + k_pos[d] * g.dilations[d];
                inside = p >= 0 && p < g.in[d];
                at = at * g.in[d] + p;
              }
              if (inside) acc += double(px[at]) * double(pw[kk]);
            }
          }
          y.data<T>()[(nb * m + oc) * out_size + o] = static_cast<T>(acc);
        }
      }
    }
    return Status::Ok();
  });
}

// ReduceSum and ReduceMean: axes from the attribute, or from input 1 (ReduceSum from opset 13,
// the others from 18); keepdims; noop_with_empty_axes.
template <bool kMean>
Status Reduce(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<int64_t> axes = ctx.GetInts("axes");
  if (const Tensor* t = ctx.input(1)) {
    if (t->dtype() != DType::kInt64 || t->rank() > 1) return ctx.Error("axes must be 1-D int64");
    axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  }
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  std::set<int> reduce;
  for (int64_t a : axes) {
    IA_ASSIGN_OR_RETURN(int ax, ops::NormalizeAxis(ctx.node(), a, x->rank(), "axes entry"));
    reduce.insert(ax);
  }
  if (axes.empty()) {
    if (ctx.GetInt("noop_with_empty_axes", 0) != 0) {
      ctx.SetOutput(0, *x);
      return Status::Ok();
    }
    for (int d = 0; d < x->rank(); ++d) reduce.insert(d);
  }
  Shape out, kept;  // out: the result's shape; kept: x's rank with reduced axes set to 1
  for (int d = 0; d < x->rank(); ++d) {
    bool r = reduce.count(d) > 0;
    kept.push_back(r ? 1 : x->dim(d));
    if (!r || keep) out.push_back(r ? 1 : x->dim(d));
  }
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t count = NumElements(kept);
    std::vector<double> acc(static_cast<size_t>(count), 0.0);
    std::vector<int64_t> to_kept = ops::BroadcastStrides(kept, kept);
    std::vector<int64_t> strides(x->rank());
    for (int d = 0; d < x->rank(); ++d) strides[d] = reduce.count(d) ? 0 : to_kept[d];
    for (int64_t i = 0; i < x->numel(); ++i) {
      acc[Offset(i, x->shape(), strides)] += double(x->data<T>()[i]);
    }
    const double per = count > 0 && x->numel() > 0 ? double(x->numel()) / double(count) : 0;
    Tensor& y = ctx.Allocate(0, x->dtype(), out);
    for (int64_t i = 0; i < count; ++i) {
      y.data<T>()[i] = static_cast<T>(kMean ? (per > 0 ? acc[i] / per : NAN) : acc[i]);
    }
    return Status::Ok();
  });
}

constexpr DTypeSet kFloat = {DType::kFloat32, DType::kFloat64};

}  // namespace

void RegisterReferenceLinalg(std::map<std::pair<std::string, std::string>, OpEntry>& ops) {
  ops[{"", "MatMul"}] = {MatMul, 1, 1000, kFloat};
  ops[{"", "Gemm"}] = {Gemm, 7, 1000, kFloat};
  ops[{"", "Conv"}] = {Conv, 1, 1000, kFloat};
  ops[{"", "ReduceSum"}] = {Reduce<false>, 1, 1000, kFloat};
  ops[{"", "ReduceMean"}] = {Reduce<true>, 1, 1000, kFloat};
}

}  // namespace ipfs_accelerate::engine::reference
