// Matrix products.
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// MatMul with numpy semantics (1-D operands promoted, batch dimensions broadcast), float32.
Status MatMul(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32) {
    return ctx.Unsupported("dtype " + DTypeName(a->dtype()));
  }
  Shape as = a->shape(), bs = b->shape();
  if (as.empty() || bs.empty()) return ctx.Error("MatMul inputs must have rank >= 1");
  bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), k2 = bs[bs.size() - 2], n = bs.back();
  if (k != k2) return ctx.Error("inner dimensions differ: " + ShapeToString(a->shape()) + " x " + ShapeToString(b->shape()));
  Shape abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
  IA_ASSIGN_OR_RETURN(Shape batch, ops::BroadcastShapes({abatch, bbatch}));
  Shape out_shape = batch;
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  Tensor& out = ctx.Allocate(0, DType::kFloat32, out_shape);
  auto sa = ops::BroadcastStrides(abatch, batch);
  auto sb = ops::BroadcastStrides(bbatch, batch);
  int64_t batches = NumElements(batch);
  const float* pa = a->data<float>();
  const float* pb = b->data<float>();
  float* po = out.data<float>();
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t t = 0; t < batches; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    const float* A = pa + oa * m * k;
    const float* B = pb + ob * k * n;
    float* C = po + t * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) C[i * n + j] = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = A[i * k + p];
        for (int64_t j = 0; j < n; ++j) C[i * n + j] += av * B[p * n + j];
      }
    }
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterLinalgKernels(KernelRegistry& r) { r.Add("MatMul", MatMul); }

}  // namespace ipfs_accelerate::engine::cpu
