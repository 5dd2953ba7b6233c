// Quantized matrix products: MatMulInteger (int32 out) and QLinearMatMul (requantized out).
// The int32 product runs through oneDNN's integer GEMM, the zero points folded in afterwards; a
// plain int32-accumulating loop spread over the pool is the fallback. Zero points and scales are
// per tensor, per row of A or per column of B.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/linalg_plan.h"
#include "engine/backends/cpu/onednn_util.h"

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

// ---- oneDNN fast path -------------------------------------------------------------------------
// The product runs through dnnl_gemm_u8s8s32 (uint8 A) or dnnl_gemm_s8s8s32 (int8 A) with no
// offsets, and the zero points are folded into the int32 result here, exactly (mod 2^32, as the
// loop's int32 accumulation):
//   sum_p (A_ip - az_i)(B_pj - bz_j) = A.B - az_i * colsum(B)_j - bz_j * rowsum(A)_i + K az_i bz_j
// oneDNN wants B as int8: uint8 B is shifted to B - 128 and the shift folded back as
// 128 * rowsum(A)_i. Without VNNI, oneDNN's kernels add pairs of uint8 x int8 products in int16
// with saturation; there B is split into 64 * (B >> 6) + (B & 63), whose halves cannot saturate (2
// * 255 * 64 < 32768), and the two products are recombined.

// y (m x n, row-major) = A (m x k) . B (k x n) in int32, on up to `threads` threads.
bool Gemm8(bool a_signed, const void* a, const int8_t* b, int64_t m, int64_t n, int64_t k,
           int32_t* y, int threads) {
  const int64_t macs = m * n * k;
  threads = static_cast<int>(
      std::clamp<int64_t>(macs / onednn::kMinMacsPerThread, 1, std::max(threads, 1)));
  onednn::SetThreads(threads);
  const int32_t co = 0;
  dnnl_status_t st =
      a_signed ? dnnl_gemm_s8s8s32('N', 'N', 'F', m, n, k, 1.f, static_cast<const int8_t*>(a), k, 0,
                                   b, n, 0, 0.f, y, n, &co)
               : dnnl_gemm_u8s8s32('N', 'N', 'F', m, n, k, 1.f, static_cast<const uint8_t*>(a), k,
                                   0, b, n, 0, 0.f, y, n, &co);
  return st == dnnl_success;
}

// B prepared for the integer GEMM: its int8 operand (B - 128 for uint8 B; high and low parts
// when split, see above) and its column sums, per matrix. Kept in the node's state when B is an
// initializer, so a dynamically quantized model's weights are prepared once.
struct PreparedB : KernelState {
  std::vector<int8_t> hi, lo;   // empty when B is read as it is (int8 B, no split)
  std::vector<int32_t> colsum;  // [matrix][column], of B's original values
};

std::shared_ptr<const PreparedB> PrepareB(KernelContext& ctx, const Tensor& b, int64_t b_count,
                                          int64_t k, int64_t n, bool b_direct, bool split) {
  auto prep = std::make_shared<PreparedB>();
  const bool b_unsigned = b.dtype() == DType::kUInt8;
  const int32_t shift = b_unsigned ? 128 : 0;
  if (!b_direct) {
    prep->hi.resize(b_count * k * n);
    if (split) prep->lo.resize(b_count * k * n);
  }
  prep->colsum.resize(b_count * n);
  int8_t* bhi = prep->hi.data();
  int8_t* blo = prep->lo.data();
  int32_t* colsum = prep->colsum.data();
  constexpr int64_t kBlock = 64;  // columns per item: rows of B are walked contiguously
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ParallelFor(
      ctx.pool(), b_count * blocks, k * kBlock * cost::kCheap * 2, [&](int64_t begin, int64_t end) {
        int32_t sums[kBlock];
        for (int64_t item = begin; item < end; ++item) {
          const int64_t mat = item / blocks, j0 = (item % blocks) * kBlock;
          const int64_t width = std::min(kBlock, n - j0);
          std::fill(sums, sums + width, 0);
          for (int64_t q = 0; q < k; ++q) {
            const int64_t row = mat * k * n + q * n + j0;
            for (int64_t j = 0; j < width; ++j) {
              const int32_t v = b_unsigned ? static_cast<int32_t>(b.data<uint8_t>()[row + j])
                                           : static_cast<int32_t>(b.data<int8_t>()[row + j]);
              sums[j] += v;
              if (b_direct) continue;
              const int32_t s = v - shift;  // in [-128, 127]
              if (split) {
                bhi[row + j] = static_cast<int8_t>(s >> 6);  // floor: in [-2, 1]
                blo[row + j] = static_cast<int8_t>(s & 63);
              } else {
                bhi[row + j] = static_cast<int8_t>(s);
              }
            }
          }
          std::copy(sums, sums + width, colsum + mat * n + j0);
        }
      });
  return prep;
}

// The product through oneDNN into y (the output's layout); false when it did not run (the caller
// then uses the loop). B is the node's input `b_input`.
bool GemmProduct(KernelContext& ctx, const Tensor& a, const Tensor& b, size_t b_input,
                 const PerAxis& azp, const PerAxis& bzp, const MatMulPlan& p, int32_t* y) {
  const int64_t m = p.m, n = p.n, k = p.k;
  const int64_t batches = static_cast<int64_t>(p.a.size());
  if (m <= 0 || n <= 0 || k <= 0 || batches == 0) return false;
  const bool b_unsigned = b.dtype() == DType::kUInt8;
  const bool split = !onednn::HasVnni();
  // Without VNNI, int8 A goes in as uint8 A + 128 (its zero points moved by 128 too): oneDNN's
  // int8 x int8 kernels may shift B instead, where the split above does not keep them exact.
  const int32_t a_move = split && a.dtype() == DType::kInt8 ? 128 : 0;
  const bool a_signed = a.dtype() == DType::kInt8 && a_move == 0;
  const int threads = ctx.pool() ? ctx.pool()->size() : 1;

  std::vector<int32_t> az(azp.t ? azp.count : 0), bz(bzp.t ? bzp.count : 0);
  for (size_t i = 0; i < az.size(); ++i) az[i] = LoadQ(*azp.t, static_cast<int64_t>(i));
  for (size_t j = 0; j < bz.size(); ++j) bz[j] = LoadQ(*bzp.t, static_cast<int64_t>(j));
  if (a_move != 0 && az.empty()) az.push_back(0);
  for (int32_t& v : az) v += a_move;
  const bool any_az = std::any_of(az.begin(), az.end(), [](int32_t v) { return v != 0; });
  const bool any_bz = std::any_of(bz.begin(), bz.end(), [](int32_t v) { return v != 0; });
  const int32_t shift = b_unsigned ? 128 : 0;

  // B as the GEMM reads it, from the node's state when B is an initializer (prepared once).
  int64_t b_count = 0;
  for (int64_t off : p.b) b_count = std::max(b_count, off + 1);
  const bool b_direct = !b_unsigned && !split;
  StateSlot* slot = ctx.is_constant(b_input) ? ctx.state() : nullptr;
  std::shared_ptr<const PreparedB> prep =
      slot ? std::dynamic_pointer_cast<const PreparedB>(slot->Get()) : nullptr;
  if (!prep || prep->colsum.size() != static_cast<size_t>(b_count * n)) {
    prep = PrepareB(ctx, b, b_count, k, n, b_direct, split);
    if (slot) slot->Set(prep);
  }
  const std::vector<int32_t>& colsum = prep->colsum;
  const int8_t* bmain = b_direct ? b.data<int8_t>() : prep->hi.data();

  // The raw products, batch by batch (one GEMM when B is shared and A's batches are contiguous).
  const uint8_t* abytes = static_cast<const uint8_t*>(a.raw());
  std::vector<uint8_t> moved;
  if (a_move != 0) {
    moved.resize(a.numel());
    const int8_t* src = a.data<int8_t>();
    for (int64_t e = 0; e < a.numel(); ++e) moved[e] = static_cast<uint8_t>(src[e] + a_move);
    abytes = moved.data();
  }
  std::vector<int32_t> low(split ? m * n * (p.b_single && p.a_contiguous ? batches : 1) : 0);
  auto run = [&](int64_t a_off, int64_t b_mat, int64_t rows, int32_t* out) {
    const void* pa = abytes + a_off * m * k;
    if (!Gemm8(a_signed, pa, bmain + b_mat * k * n, rows, n, k, out, threads)) return false;
    if (!split) return true;
    if (!Gemm8(a_signed, pa, prep->lo.data() + b_mat * k * n, rows, n, k, low.data(), threads))
      return false;
    for (int64_t e = 0; e < rows * n; ++e) {
      out[e] =
          static_cast<int32_t>(static_cast<uint32_t>(out[e]) * 64u + static_cast<uint32_t>(low[e]));
    }
    return true;
  };
  if (p.b_single && p.a_contiguous) {
    if (!run(0, p.b[0], batches * m, y)) return false;
  } else {
    for (int64_t t = 0; t < batches; ++t) {
      if (!run(p.a[t], p.b[t], m, y + t * m * n)) return false;
    }
  }

  // Fold the zero points and the shift in.
  if (!any_az && !any_bz && shift == 0) return true;
  const bool need_rowsum = any_bz || shift != 0;
  ParallelFor(ctx.pool(), batches * m, n * cost::kCheap + (need_rowsum ? k : 0),
              [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                  const int64_t t = r / m, i = r % m;
                  int64_t rowsum = a_move * k;
                  if (need_rowsum) {
                    const int64_t abase = (p.a[t] * m + i) * k;
                    for (int64_t q = 0; q < k; ++q) rowsum += LoadQ(a, abase + q);
                  }
                  const int64_t a_zero = az.empty() ? 0 : az[az.size() == 1 ? 0 : i];
                  const int32_t* cs = any_az ? colsum.data() + p.b[t] * n : nullptr;
                  int32_t* row = y + r * n;
                  const int64_t base = shift * rowsum;
                  for (int64_t j = 0; j < n; ++j) {
                    const int64_t b_zero = bz.empty() ? 0 : bz[bz.size() == 1 ? 0 : j];
                    int64_t fix = base - b_zero * rowsum + k * a_zero * b_zero;
                    if (cs) fix -= a_zero * cs[j];
                    row[j] = static_cast<int32_t>(static_cast<uint32_t>(row[j]) +
                                                  static_cast<uint32_t>(fix));
                  }
                }
              });
  return true;
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
  if (GemmProduct(ctx, *a, *b, 1, azp, bzp, p, y)) return Status::Ok();
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
  auto store = [&](int64_t t, int64_t i, int64_t j, int32_t v) {
    float scale = as.At(i, LoadF) * bs.At(j, LoadF) / y_scale;
    float q = std::nearbyint(static_cast<float>(v) * scale) + static_cast<float>(y_zero);
    int32_t r = static_cast<int32_t>(std::clamp(q, static_cast<float>(lo), static_cast<float>(hi)));
    int64_t o = (t * p.m + i) * p.n + j;
    if (yt == DType::kUInt8) {
      out.data<uint8_t>()[o] = static_cast<uint8_t>(r);
    } else {
      out.data<int8_t>()[o] = static_cast<int8_t>(r);
    }
  };
  Tensor acc = Tensor::Empty(DType::kInt32, p.out_shape);
  if (GemmProduct(ctx, a, b, 3, azp, bzp, p, acc.data<int32_t>())) {
    const int32_t* v = acc.data<int32_t>();
    const int64_t rows = static_cast<int64_t>(p.a.size()) * p.m;
    ParallelFor(ctx.pool(), rows, p.n * cost::kScalarMac, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        for (int64_t j = 0; j < p.n; ++j) store(r / p.m, r % p.m, j, v[r * p.n + j]);
      }
    });
    return Status::Ok();
  }
  IntegerProduct(ctx, a, b, azp, bzp, p, store);
  return Status::Ok();
}

}  // namespace

void RegisterQuantizedMatMulKernels(KernelRegistry& r) {
  r.Add("MatMulInteger", MatMulInteger, 10);
  r.Add("QLinearMatMul", QLinearMatMul, 10);
}

}  // namespace ipfs_accelerate::engine::cpu
