// Matrix products: MatMul and Gemm. float32 goes to oneDNN's sgemm; other dtypes take a plain
// loop. The quantized products live in linalg_quantized.cc, Einsum in linalg_einsum.cc.
#include <atomic>
#include <cstring>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/linalg_plan.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterEinsumKernels(KernelRegistry& r);
void RegisterQuantizedMatMulKernels(KernelRegistry& r);

namespace {

// C[m,n] = sum_k A[m,k] * B[k,n] (row-major, contiguous), accumulating in T.
template <typename T>
void NaiveMatMul(const T* A, const T* B, T* C, int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    T* c = C + i * n;
    for (int64_t j = 0; j < n; ++j) c[j] = T(0);
    for (int64_t p = 0; p < k; ++p) {
      T av = A[i * k + p];
      const T* b = B + p * n;
      for (int64_t j = 0; j < n; ++j) c[j] += av * b[j];
    }
  }
}

template <typename T>
void MatMulLoop(KernelContext& ctx, const T* pa, const T* pb, T* po, const MatMulPlan& plan,
                int64_t m, int64_t n, int64_t k) {
  int64_t batches = static_cast<int64_t>(plan.a.size());
  ParallelFor(ctx.pool(), batches * m, n * k * cost::kScalarMac, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t t = r / m, i = r % m;
      NaiveMatMul(pa + (plan.a[t] * m + i) * k, pb + plan.b[t] * k * n, po + (t * m + i) * n, 1, n,
                  k);
    }
  });
}

// float32: one sgemm when B has no batch of its own (A's batches fold into rows); otherwise one
// sgemm per batch, spread over the pool when the matrices are small.
Status MatMulF32(KernelContext& ctx, const float* pa, const float* pb, float* po,
                 const MatMulPlan& plan) {
  int64_t m = plan.m, n = plan.n, k = plan.k;
  int threads = ctx.pool() ? ctx.pool()->size() : 1;
  int64_t batches = static_cast<int64_t>(plan.a.size());
  if (k == 0) {
    std::memset(po, 0, sizeof(float) * batches * m * n);
    return Status::Ok();
  }
  if (plan.b_single && plan.a_contiguous) {
    if (onednn::Sgemm(false, false, batches * m, n, k, 1.f, pa, k, pb, n, 0.f, po, n, ctx.pool()))
      return Status::Ok();
    MatMulLoop(ctx, pa, pb, po, plan, m, n, k);
    return Status::Ok();
  }
  double flops = 2.0 * m * n * k;
  bool spread = threads > 1 && batches >= threads && flops < 4e7;
  bool ok = true;
  if (spread) {
    std::atomic<bool> all_ok{true};
    ParallelFor(ctx.pool(), batches, kWholeTask, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        if (!onednn::Sgemm(false, false, m, n, k, 1.f, pa + plan.a[t] * m * k, k,
                           pb + plan.b[t] * k * n, n, 0.f, po + t * m * n, n, 1)) {
          all_ok = false;
        }
      }
    });
    ok = all_ok;
  } else {
    for (int64_t t = 0; t < batches && ok; ++t) {
      ok = onednn::Sgemm(false, false, m, n, k, 1.f, pa + plan.a[t] * m * k, k,
                         pb + plan.b[t] * k * n, n, 0.f, po + t * m * n, n, ctx.pool());
    }
  }
  if (!ok) MatMulLoop(ctx, pa, pb, po, plan, m, n, k);
  return Status::Ok();
}

// MatMul with numpy semantics: 1-D operands promoted, batch dimensions broadcast.
Status MatMul(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->dtype() != b->dtype()) {
    return ctx.Error("input dtypes differ: " + DTypeName(a->dtype()) + " and " +
                     DTypeName(b->dtype()));
  }
  auto plan_or = PlanMatMul(ctx.node(), a->shape(), b->shape());
  if (!plan_or.ok()) return plan_or.status();
  const MatMulPlan& plan = *plan_or;
  int64_t m = plan.m, n = plan.n, k = plan.k;
  DType dt = a->dtype();
  Tensor& out = ctx.Allocate(0, dt, plan.out_shape);
  if (out.numel() == 0) return Status::Ok();
  switch (dt) {
    case DType::kFloat32:
      return MatMulF32(ctx, a->data<float>(), b->data<float>(), out.data<float>(), plan);
    case DType::kFloat64:
      MatMulLoop(ctx, a->data<double>(), b->data<double>(), out.data<double>(), plan, m, n, k);
      return Status::Ok();
    case DType::kInt32:
      MatMulLoop(ctx, a->data<int32_t>(), b->data<int32_t>(), out.data<int32_t>(), plan, m, n, k);
      return Status::Ok();
    case DType::kInt64:
      MatMulLoop(ctx, a->data<int64_t>(), b->data<int64_t>(), out.data<int64_t>(), plan, m, n, k);
      return Status::Ok();
    case DType::kUInt32:
      MatMulLoop(ctx, a->data<uint32_t>(), b->data<uint32_t>(), out.data<uint32_t>(), plan, m, n,
                 k);
      return Status::Ok();
    case DType::kUInt64:
      MatMulLoop(ctx, a->data<uint64_t>(), b->data<uint64_t>(), out.data<uint64_t>(), plan, m, n,
                 k);
      return Status::Ok();
    default:
      return ctx.Unsupported("MatMul of dtype " + DTypeName(dt));
  }
}

// Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N].
template <typename T>
Status GemmTyped(KernelContext& ctx, const Tensor& a, const Tensor& b, const Tensor* c, bool ta,
                 bool tb, float alpha, float beta, int64_t M, int64_t N, int64_t K, Tensor& out) {
  T* y = out.data<T>();
  bool use_c = c && beta != 0.f && c->numel() > 0;
  if (use_c) {
    auto st = ops::BroadcastStrides(c->shape(), {M, N});
    const T* pc = c->data<T>();
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j)
        y[i * N + j] = static_cast<T>(beta * pc[i * st[0] + j * st[1]]);
    }
  }
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  if constexpr (std::is_same_v<T, float>) {
    if (K > 0 && onednn::Sgemm(ta, tb, M, N, K, alpha, pa, ta ? M : K, pb, tb ? K : N,
                               use_c ? 1.f : 0.f, y, N, ctx.pool())) {
      return Status::Ok();
    }
  }
  ParallelFor(ctx.pool(), M, N * K * cost::kScalarMac, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < K; ++p) {
          acc += static_cast<double>(pa[ta ? p * M + i : i * K + p]) *
                 static_cast<double>(pb[tb ? j * K + p : p * N + j]);
        }
        double prev = use_c ? static_cast<double>(y[i * N + j]) : 0.0;
        y[i * N + j] = static_cast<T>(alpha * acc + prev);
      }
    }
  });
  return Status::Ok();
}

Status Gemm(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const Tensor* c = ctx.input(2);
  if (c && !c->defined()) c = nullptr;
  if (a->dtype() != b->dtype() || (c && c->dtype() != a->dtype())) {
    return ctx.Error("input dtypes differ: " + DTypeName(a->dtype()) + ", " +
                     DTypeName(b->dtype()) + (c ? ", " + DTypeName(c->dtype()) : ""));
  }
  bool ta = ctx.GetInt("transA", 0) != 0, tb = ctx.GetInt("transB", 0) != 0;
  float alpha = ctx.GetFloat("alpha", 1.f), beta = ctx.GetFloat("beta", 1.f);
  IA_ASSIGN_OR_RETURN(Shape mn, ops::GemmShape(ctx.node(), a->shape(), b->shape(), ta, tb));
  const int64_t M = mn[0], N = mn[1], K = ta ? a->dim(0) : a->dim(1);
  if (c) {
    if (c->rank() > 2) return ctx.Error("C must have rank <= 2, got " + ShapeToString(c->shape()));
    auto shape = ops::BroadcastShapes({c->shape(), Shape{M, N}});
    if (!shape.ok() || *shape != Shape{M, N}) {
      return ctx.Error("C of shape " + ShapeToString(c->shape()) + " does not broadcast to [" +
                       std::to_string(M) + ", " + std::to_string(N) + "]");
    }
  }
  Tensor& out = ctx.Allocate(0, a->dtype(), {M, N});
  if (out.numel() == 0) return Status::Ok();
  switch (a->dtype()) {
    case DType::kFloat32:
      return GemmTyped<float>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    case DType::kFloat64:
      return GemmTyped<double>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    case DType::kInt32:
      return GemmTyped<int32_t>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    case DType::kInt64:
      return GemmTyped<int64_t>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    case DType::kUInt32:
      return GemmTyped<uint32_t>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    case DType::kUInt64:
      return GemmTyped<uint64_t>(ctx, *a, *b, c, ta, tb, alpha, beta, M, N, K, out);
    default:
      return ctx.Unsupported("Gemm of dtype " + DTypeName(a->dtype()));
  }
}

}  // namespace

// MatMul and Gemm: oneDNN's sgemm for float32, plain loops for the rest.
constexpr DTypeSet kGemmTypes = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                 DType::kInt64,   DType::kUInt32,  DType::kUInt64};

void RegisterLinalgKernels(KernelRegistry& r) {
  r.Add("MatMul", MatMul).Types(kGemmTypes);
  r.Add("Gemm", Gemm).Types(kGemmTypes);
  RegisterEinsumKernels(r);
  RegisterQuantizedMatMulKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
