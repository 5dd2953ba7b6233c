// Element-wise kernels: arithmetic with broadcasting, activations.
#include <algorithm>
#include <cmath>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

template <typename T, typename F>
Status BinaryOp(KernelContext& ctx, F f) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(Shape shape, ops::BroadcastShapes({a->shape(), b->shape()}));
  Tensor& out = ctx.Allocate(0, a->dtype(), shape);
  auto sa = ops::BroadcastStrides(a->shape(), shape);
  auto sb = ops::BroadcastStrides(b->shape(), shape);
  const T* pa = a->data<T>();
  const T* pb = b->data<T>();
  T* po = out.data<T>();
  int64_t n = out.numel();
  int rank = static_cast<int>(shape.size());
  std::vector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    po[i] = f(pa[ia], pb[ib]);
    for (int d = rank - 1; d >= 0; --d) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return Status::Ok();
}

template <typename F>
Status Arithmetic(KernelContext& ctx, F f) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->dtype() != b->dtype()) return ctx.Error("inputs have different dtypes");
  switch (a->dtype()) {
    case DType::kFloat32: return BinaryOp<float>(ctx, f);
    case DType::kFloat64: return BinaryOp<double>(ctx, f);
    case DType::kInt64: return BinaryOp<int64_t>(ctx, f);
    case DType::kInt32: return BinaryOp<int32_t>(ctx, f);
    default: return ctx.Unsupported("dtype " + DTypeName(a->dtype()));
  }
}

Status Add(KernelContext& ctx) { return Arithmetic(ctx, [](auto x, auto y) { return x + y; }); }
Status Sub(KernelContext& ctx) { return Arithmetic(ctx, [](auto x, auto y) { return x - y; }); }
Status Mul(KernelContext& ctx) { return Arithmetic(ctx, [](auto x, auto y) { return x * y; }); }
Status Div(KernelContext& ctx) { return Arithmetic(ctx, [](auto x, auto y) { return x / y; }); }

Status Relu(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kFloat32) return ctx.Unsupported("dtype " + DTypeName(x->dtype()));
  Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
  const float* px = x->data<float>();
  float* py = y.data<float>();
  for (int64_t i = 0, n = x->numel(); i < n; ++i) py[i] = std::max(px[i], 0.0f);
  return Status::Ok();
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  r.Add("Add", Add);
  r.Add("Sub", Sub);
  r.Add("Mul", Mul);
  r.Add("Div", Div);
  r.Add("Relu", Relu);
}

}  // namespace ipfs_accelerate::engine::cpu
