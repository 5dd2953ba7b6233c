// Gelu (its schema: engine/ops/fused.h; also ai.onnx's Gelu of opset 20, the same op), float32.
#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/fused_activation.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

Status Gelu(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kFloat32) {
    return ctx.Unsupported("only float32 is supported, got " + DTypeName(x->dtype()));
  }
  IA_ASSIGN_OR_RETURN(const bool tanh, ops::ReadGeluTanh(ctx.node()));
  Tensor& y = ctx.Allocate(0, DType::kFloat32, x->shape());
  const float* px = x->data<float>();
  float* py = y.data<float>();
  ParallelFor(ctx.pool(), x->numel(), cost::kTranscendental, [&](int64_t b, int64_t e) {
    if (tanh) {
      vec::Map(px + b, py + b, e - b, GeluTanhOp{});
    } else {
      vec::Map(px + b, py + b, e - b, GeluErfOp{});
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterGeluKernels(KernelRegistry& r) {
  r.Add("Gelu", Gelu, 1, 1000, ops::kFusedDomain).Types({DType::kFloat32});
  r.Add("Gelu", Gelu, 20).Types({DType::kFloat32});  // ai.onnx Gelu 20: the same op
}

}  // namespace ipfs_accelerate::engine::cpu
