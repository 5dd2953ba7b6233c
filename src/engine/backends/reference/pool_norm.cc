// Reference kernels: Lp pooling (windowed and global) and LpNormalization. The window geometry
// comes from engine/ops/window.h, as the CPU's does.
#include <cmath>

#include "engine/backends/reference/reference_backend.h"
#include "engine/backends/reference/reference_util.h"
#include "engine/ops/axis.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::reference {
namespace {

// LpPool and GlobalLpPool: (sum over the window of |x|^p)^(1/p), padding counting as zeros.
Status LpPool(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(ops::WindowGeometry g, ops::PoolWindow(ctx.node(), x->shape()));
  const double p = static_cast<double>(ctx.GetInt("p", 2));
  const int nd = g.nd;
  const int64_t planes = x->dim(0) * x->dim(1);
  const int64_t in_size = NumElements(g.in), out_size = NumElements(g.out);
  const int64_t k_size = NumElements(g.kernel);
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), g.output);
    std::vector<int64_t> out_pos(nd), k_pos(nd);
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* px = x->data<T>() + plane * in_size;
      for (int64_t o = 0; o < out_size; ++o) {
        for (int64_t d = nd - 1, rest = o; d >= 0; --d) {
          out_pos[d] = rest % g.out[d], rest /= g.out[d];
        }
        double acc = 0;
        for (int64_t kk = 0; kk < k_size; ++kk) {
          for (int64_t d = nd - 1, rest = kk; d >= 0; --d) {
            k_pos[d] = rest % g.kernel[d], rest /= g.kernel[d];
          }
          int64_t at = 0;
          bool inside = true;
          for (int d = 0; d < nd && inside; ++d) {
            int64_t q = out_pos[d] * g.strides[d] - g.pads_begin[d] + k_pos[d] * g.dilations[d];
            inside = q >= 0 && q < g.in[d];
            at = at * g.in[d] + q;
          }
          if (inside) acc += std::pow(std::fabs(double(px[at])), p);
        }
        y.data<T>()[plane * out_size + o] = static_cast<T>(std::pow(acc, 1.0 / p));
      }
    }
    return Status::Ok();
  });
}

// LpNormalization: x / ||x||_p along `axis` (p 1 or 2); a zero norm leaves zeros.
Status LpNormalization(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(int axis, ops::NormalizeAxis(ctx.node(), ctx.GetInt("axis", -1), x->rank()));
  const int64_t p = ctx.GetInt("p", 2);
  if (p != 1 && p != 2) return ctx.Error("p must be 1 or 2, got " + std::to_string(p));
  int64_t outer = 1, n = x->rank() > 0 ? x->dim(axis) : 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->dim(d);
  for (int d = axis + 1; d < x->rank(); ++d) inner *= x->dim(d);
  return VisitFloat(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
        double norm = 0;
        for (int64_t k = 0; k < n; ++k) {
          double v = x->data<T>()[at(k)];
          norm += p == 1 ? std::fabs(v) : v * v;
        }
        if (p == 2) norm = std::sqrt(norm);
        for (int64_t k = 0; k < n; ++k) {
          y.data<T>()[at(k)] = static_cast<T>(norm == 0 ? 0.0 : x->data<T>()[at(k)] / norm);
        }
      }
    }
    return Status::Ok();
  });
}

constexpr DTypeSet kFloat = {DType::kFloat32, DType::kFloat64};

}  // namespace

void RegisterReferencePoolNorm(std::map<std::pair<std::string, std::string>, OpEntry>& ops) {
  ops[{"", "LpPool"}] = {LpPool, 11, 1000, kFloat};
  ops[{"", "GlobalLpPool"}] = {LpPool, 2, 1000, kFloat};
  ops[{"", "LpNormalization"}] = {LpNormalization, 1, 1000, kFloat};
}

}  // namespace ipfs_accelerate::engine::reference
