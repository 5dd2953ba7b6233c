// Kernels that move data without arithmetic: shapes, copies, gathers.
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

Status Identity(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  ctx.SetOutput(0, *x);
  return Status::Ok();
}

Status Reshape(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
  if (s->dtype() != DType::kInt64 || s->rank() != 1) return ctx.Error("shape must be a 1-D int64 tensor");
  bool allowzero = ctx.GetInt("allowzero", 0) != 0;
  Shape shape(s->data<int64_t>(), s->data<int64_t>() + s->numel());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (static_cast<int>(i) >= x->rank()) return ctx.Error("0 in shape refers past the input's rank");
      shape[i] = x->dim(static_cast<int>(i));
    }
    if (shape[i] == -1) {
      if (infer >= 0) return ctx.Error("shape has more than one -1");
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      return ctx.Error("invalid dimension " + std::to_string(shape[i]) + " in shape");
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x->numel() % known != 0) {
      return ctx.Error("cannot reshape " + ShapeToString(x->shape()) + " to " + ShapeToString(shape));
    }
    shape[infer] = x->numel() / known;
  }
  if (NumElements(shape) != x->numel()) {
    return ctx.Error("cannot reshape " + ShapeToString(x->shape()) + " to " + ShapeToString(shape));
  }
  ctx.SetOutput(0, x->Reshaped(shape));
  return Status::Ok();
}

}  // namespace

void RegisterTensorKernels(KernelRegistry& r) {
  r.Add("Identity", Identity);
  r.Add("Reshape", Reshape, 5);
}

}  // namespace ipfs_accelerate::engine::cpu
