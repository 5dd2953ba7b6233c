// FusedMatMul (domain ai.ipfs_accelerate): Y = act(alpha * A x op(B) + bias), B a 2-D weight.
// Rows are split in large blocks: each block runs the GEMM oneDNN runs for MatMul, then bias and
// activation over the pool while the block is still in cache. Also registers the other fused
// kernels.
#include <algorithm>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/fused_activation.h"
#include "engine/backends/cpu/onednn_util.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterGeluKernels(KernelRegistry& r);
void RegisterAttentionKernels(KernelRegistry& r);
Status LowPrecisionFusedMatMul(KernelContext& ctx, const Tensor& a, const Tensor& b,
                               const Tensor* bias, const ops::FusedMatMulAttrs& attrs,
                               const Shape& out_shape);

namespace {

// Rows per block: the block's output (rows x N floats) should stay within about 256 KiB.
int64_t BlockRows(int64_t n) {
  return std::clamp<int64_t>((64 << 10) / std::max<int64_t>(1, n), 8, 256);
}

// C[rows, n] = alpha * A[rows, k] x op(B) without oneDNN (its refusal is rare).
void ReferenceGemm(const float* a, const float* b, float* c, int64_t rows, int64_t n, int64_t k,
                   bool tb, float alpha) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += double(a[i * k + p]) * b[tb ? j * k + p : p * n + j];
      c[i * n + j] = static_cast<float>(alpha * acc);
    }
  }
}

Status FusedMatMul(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const Tensor* bias = ctx.input(2);
  if (bias && !bias->defined()) bias = nullptr;
  const bool low = b->dtype() == DType::kBFloat16 || b->dtype() == DType::kInt8;
  const bool quantized_a = b->dtype() == DType::kInt8 && a->dtype() == DType::kUInt8;
  if ((a->dtype() != DType::kFloat32 && !quantized_a) || (b->dtype() != DType::kFloat32 && !low) ||
      (bias && bias->dtype() != DType::kFloat32)) {
    return ctx.Unsupported(
        "A and bias must be float32 (A may be uint8 with int8 B) and B float32, bfloat16 or "
        "int8, got A " +
        DTypeName(a->dtype()) + ", B " + DTypeName(b->dtype()));
  }
  IA_ASSIGN_OR_RETURN(ops::FusedMatMulAttrs attrs, ops::ReadFusedMatMul(ctx.node()));
  IA_ASSIGN_OR_RETURN(Shape out_shape, ops::FusedMatMulShape(ctx.node(), a->shape(), b->shape()));
  if (bias && bias->numel() != out_shape.back()) {
    return ctx.Error("bias has " + std::to_string(bias->numel()) + " values; expected " +
                     std::to_string(out_shape.back()));
  }
  if (low) return LowPrecisionFusedMatMul(ctx, *a, *b, bias, attrs, out_shape);
  const bool tb = attrs.trans_b;
  const float alpha = attrs.alpha;
  const Activation& act = attrs.activation;
  const int64_t k = a->dim(-1), n = out_shape.back();
  int64_t rows = NumElements(Shape(a->shape().begin(), a->shape().end() - 1));
  const float* pbias = bias ? bias->data<float>() : nullptr;
  if (!tb && alpha == 1.f && ctx.backend()) {
    // The product is exactly MatMul's: run its kernel, then bias and activation in parallel.
    Node mm;
    mm.name = ctx.node().name + "/MatMul";
    mm.op_type = "MatMul";
    mm.opset = 13;
    mm.inputs = {"A", "B"};
    mm.outputs = {"Y"};
    std::vector<Value> outs(1);
    KernelContext sub(mm, std::vector<const Tensor*>{a, b}, &outs, ctx.pool(), ctx.backend(),
                      ctx.scope());
    IA_RETURN_IF_ERROR(ctx.backend()->Run(sub));
    float* py = outs[0].tensor().data<float>();
    if (pbias || act.kind != ActivationKind::kNone) {
      ParallelFor(ctx.pool(), rows, 4 * n,  // bias and activation
                  [&](int64_t r0, int64_t r1) {
                    for (int64_t r = r0; r < r1; ++r) BiasActivationRow(py + r * n, pbias, n, act);
                  });
    }
    ctx.SetOutput(0, std::move(outs[0]));
    return Status::Ok();
  }
  Tensor& y = ctx.Allocate(0, DType::kFloat32, out_shape);
  if (y.numel() == 0) return Status::Ok();
  const float* pa = a->data<float>();
  const float* pb = b->data<float>();
  float* py = y.data<float>();
  // Row blocks big enough that oneDNN's packing of B is amortised: each block is one GEMM on
  // all threads, then bias and activation on the block while it is still in cache.
  int64_t block = BlockRows(n);
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    int64_t nr = std::min(block, rows - r0);
    const float* ab = pa + r0 * k;
    float* yb = py + r0 * n;
    if (k == 0) {
      std::fill(yb, yb + nr * n, 0.f);
    } else if (!onednn::Sgemm(false, tb, nr, n, k, alpha, ab, k, pb, tb ? k : n, 0.f, yb, n,
                              ctx.pool())) {
      ReferenceGemm(ab, pb, yb, nr, n, k, tb, alpha);
    }
    if (!pbias && act.kind == ActivationKind::kNone) continue;
    ParallelFor(ctx.pool(), nr, 4 * n, [&](int64_t b0, int64_t b1) {
      for (int64_t r = b0; r < b1; ++r) BiasActivationRow(yb + r * n, pbias, n, act);
    });
  }
  return Status::Ok();
}

}  // namespace

void RegisterFusedKernels(KernelRegistry& r) {
  r.Add("FusedMatMul", FusedMatMul, 1, 1000, ops::kFusedDomain)
      .Types({DType::kFloat32, DType::kBFloat16, DType::kInt8}, 1);
  RegisterGeluKernels(r);
  RegisterAttentionKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
