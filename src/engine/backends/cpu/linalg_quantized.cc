// Quantized matrix products: MatMulInteger (int32 out) and QLinearMatMul (requantized out).
// Plain int32-accumulating loops spread over the pool; zero points and scales are per tensor,
// per row of A or per column of B.
#include <algorithm>
#include <cmath>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/linalg_plan.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

bool IsQuantType(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// Element i of a uint8/int8 tensor as int32.
int32_t LoadQ(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUInt8 ? static_cast<int32_t>(t.data<uint8_t>()[i])
                                    : static_cast<int32_t>(t.data<int8_t>()[i]);
}

// A per-tensor or per-row/column parameter (zero point or scale): its value at `index`.
struct PerAxis {
  const Tensor* t = nullptr;
  int64_t count = 0;
  template <typename Fn>
  auto At(int64_t index, const Fn& load) const {
    return load(*t, count == 1 ? 0 : index);
  }
};

Status CheckPerAxis(KernelContext& ctx, const Tensor* t, int64_t allowed, const char* what,
                    PerAxis* out) {
  out->t = t;
  out->count = t ? t->numel() : 0;
  if (t && out->count != 1 && out->count != allowed) {
    return ctx.Error(std::string(what) + " must hold 1 or " + std::to_string(allowed) +
                     " values, got shape " + ShapeToString(t->shape()));
  }
  return Status::Ok();
}

// acc[i][j] = sum_p (A[i,p] - azp_i) * (B[p,j] - bzp_j) for every batch; fn(batch, i, j, acc)
// stores it.
template <typename Store>
void IntegerProduct(KernelContext& ctx, const Tensor& a, const Tensor& b, const PerAxis& azp,
                    const PerAxis& bzp, const MatMulPlan& p, const Store& store) {
  int64_t batches = static_cast<int64_t>(p.a.size());
  ParallelFor(ctx.pool(), batches * p.m, p.n * p.k * cost::kScalarMac,
              [&](int64_t begin, int64_t end) {
                std::vector<int32_t> arow(p.k), acc(p.n);
                std::vector<int32_t> bzero(p.n, 0);
                if (bzp.t) {
                  for (int64_t j = 0; j < p.n; ++j) bzero[j] = bzp.At(j, LoadQ);
                }
                for (int64_t r = begin; r < end; ++r) {
                  int64_t t = r / p.m, i = r % p.m;
                  int32_t az = azp.t ? azp.At(i, LoadQ) : 0;
                  int64_t abase = (p.a[t] * p.m + i) * p.k, bbase = p.b[t] * p.k * p.n;
                  for (int64_t q = 0; q < p.k; ++q) arow[q] = LoadQ(a, abase + q) - az;
                  std::fill(acc.begin(), acc.end(), 0);
                  for (int64_t q = 0; q < p.k; ++q) {
                    int32_t av = arow[q];
                    if (av == 0) continue;
                    int64_t row = bbase + q * p.n;
                    if (b.dtype() == DType::kUInt8) {
                      const uint8_t* pb = b.data<uint8_t>() + row;
                      for (int64_t j = 0; j < p.n; ++j)
                        acc[j] += av * (static_cast<int32_t>(pb[j]) - bzero[j]);
                    } else {
                      const int8_t* pb = b.data<int8_t>() + row;
                      for (int64_t j = 0; j < p.n; ++j)
                        acc[j] += av * (static_cast<int32_t>(pb[j]) - bzero[j]);
                    }
                  }
                  for (int64_t j = 0; j < p.n; ++j) store(t, i, j, acc[j]);
                }
              });
}

Status MatMulInteger(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (!IsQuantType(a->dtype()) || !IsQuantType(b->dtype())) {
    return ctx.Error("A and B must be uint8 or int8, got " + DTypeName(a->dtype()) + " and " +
                     DTypeName(b->dtype()));
  }
  auto plan = PlanMatMul(ctx.node(), a->shape(), b->shape());
  if (!plan.ok()) return plan.status();
  const Tensor* azp_t = ctx.input(2);
  const Tensor* bzp_t = ctx.input(3);
  PerAxis azp, bzp;
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, azp_t && azp_t->defined() ? azp_t : nullptr, plan->m,
                                  "a_zero_point", &azp));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, bzp_t && bzp_t->defined() ? bzp_t : nullptr, plan->n,
                                  "b_zero_point", &bzp));
  Tensor& out = ctx.Allocate(0, DType::kInt32, plan->out_shape);
  int32_t* y = out.data<int32_t>();
  const MatMulPlan& p = *plan;
  IntegerProduct(ctx, *a, *b, azp, bzp, p, [&](int64_t t, int64_t i, int64_t j, int32_t v) {
    y[(t * p.m + i) * p.n + j] = v;
  });
  return Status::Ok();
}

float LoadF(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

Status QLinearMatMul(KernelContext& ctx) {
  const Tensor* in[8];
  for (int i = 0; i < 8; ++i) {
    IA_ASSIGN_OR_RETURN(in[i], ctx.Required(i));
  }
  const Tensor &a = *in[0], &b = *in[3];
  if (!IsQuantType(a.dtype()) || !IsQuantType(b.dtype()) || !IsQuantType(in[7]->dtype())) {
    return ctx.Error("a, b and y_zero_point must be uint8 or int8");
  }
  for (int i : {1, 4, 6}) {
    if (in[i]->dtype() != DType::kFloat32)
      return ctx.Error("scales must be float32, got " + DTypeName(in[i]->dtype()));
  }
  auto plan = PlanMatMul(ctx.node(), a.shape(), b.shape());
  if (!plan.ok()) return plan.status();
  const MatMulPlan& p = *plan;
  PerAxis as, azp, bs, bzp, ys, yzp;
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[1], p.m, "a_scale", &as));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[2], p.m, "a_zero_point", &azp));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[4], p.n, "b_scale", &bs));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[5], p.n, "b_zero_point", &bzp));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[6], 1, "y_scale", &ys));
  IA_RETURN_IF_ERROR(CheckPerAxis(ctx, in[7], 1, "y_zero_point", &yzp));
  DType yt = in[7]->dtype();
  Tensor& out = ctx.Allocate(0, yt, p.out_shape);
  float y_scale = ys.At(0, LoadF);
  int32_t y_zero = yzp.At(0, LoadQ);
  int32_t lo = yt == DType::kUInt8 ? 0 : -128, hi = yt == DType::kUInt8 ? 255 : 127;
  IntegerProduct(ctx, a, b, azp, bzp, p, [&](int64_t t, int64_t i, int64_t j, int32_t v) {
    float scale = as.At(i, LoadF) * bs.At(j, LoadF) / y_scale;
    float q = std::nearbyint(static_cast<float>(v) * scale) + static_cast<float>(y_zero);
    int32_t r = static_cast<int32_t>(std::clamp(q, static_cast<float>(lo), static_cast<float>(hi)));
    int64_t o = (t * p.m + i) * p.n + j;
    if (yt == DType::kUInt8) {
      out.data<uint8_t>()[o] = static_cast<uint8_t>(r);
    } else {
      out.data<int8_t>()[o] = static_cast<int8_t>(r);
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterQuantizedMatMulKernels(KernelRegistry& r) {
  r.Add("MatMulInteger", MatMulInteger, 10);
  r.Add("QLinearMatMul", QLinearMatMul, 10);
}

}  // namespace ipfs_accelerate::engine::cpu
