// Attention (its schema: engine/ops/fused.h), as the unfused graph computes it: the tiled path
// runs when the softmax is over the last axis, else the unfused ops run. Works per (batch,
// block of query rows): the scores of a block are the only intermediate, never the whole [S, T]
// matrix of every head.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/backends/cpu/reduce_util.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/fused.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// Query rows per tile: the tile's scores (rows x T floats) stay within about 256 KiB, and tiles
// are not so small that per-call GEMM overhead dominates.
int64_t BlockRows(int64_t s, int64_t t) {
  return std::max<int64_t>(
      1, std::min(s, std::max<int64_t>(32, (64 << 10) / std::max<int64_t>(1, t))));
}

const Tensor* Optional(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

// Runs one default-domain op through the backend: the path for shapes and types the tiled
// kernel does not take, computing exactly what the unfused nodes compute.
Result<Tensor> RunOp(KernelContext& ctx, const std::string& op, int64_t opset,
                     std::vector<const Tensor*> ins, std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.name = ctx.node().name + "/" + op;
  n.op_type = op;
  n.opset = opset;
  n.attributes = std::move(attrs);
  for (size_t i = 0; i < ins.size(); ++i) n.inputs.push_back("in" + std::to_string(i));
  n.outputs = {"out"};
  std::vector<Value> outs(1);
  KernelContext sub(n, ins, &outs, ctx.pool(), ctx.backend(), ctx.scope());
  if (!ctx.backend()) return ctx.Unsupported("no backend to run the unfused path");
  IA_RETURN_IF_ERROR(ctx.backend()->Run(sub));
  return outs[0].tensor();
}

// The unfused ops on Q, K and V as the schema gives them; with heads_last, Transposes first put
// the heads first and the last one puts them back.
Status Unfused(KernelContext& ctx, const ops::AttentionAttrs& attrs) {
  const float scale = attrs.scale;
  const Tensor *q = ctx.input(0), *kt = ctx.input(1), *v = ctx.input(2);
  const Tensor *mask = Optional(ctx, 3), *cond = Optional(ctx, 4), *other = Optional(ctx, 5);
  const std::vector<int64_t> swap = {0, 2, 1, 3};
  Tensor q_first, k_first, v_first;
  if (attrs.heads_last) {
    auto perm = [](std::vector<int64_t> p) {
      return std::map<std::string, Attribute>{{"perm", Attribute::Ints(std::move(p))}};
    };
    IA_ASSIGN_OR_RETURN(q_first, RunOp(ctx, "Transpose", 13, {q}, perm(swap)));
    IA_ASSIGN_OR_RETURN(k_first, RunOp(ctx, "Transpose", 13, {kt}, perm({0, 2, 3, 1})));
    IA_ASSIGN_OR_RETURN(v_first, RunOp(ctx, "Transpose", 13, {v}, perm(swap)));
    q = &q_first;
    kt = &k_first;
    v = &v_first;
  }
  IA_ASSIGN_OR_RETURN(Tensor s, RunOp(ctx, "MatMul", 13, {q, kt}));
  if (scale != 1.f) {
    Tensor c = Tensor::Scalar<float>(DType::kFloat32, scale);
    IA_ASSIGN_OR_RETURN(s, RunOp(ctx, "Mul", 14, {&s, &c}));
  }
  if (mask) {
    IA_ASSIGN_OR_RETURN(s, RunOp(ctx, "Add", 14, {&s, mask}));
  }
  if (cond) {
    IA_ASSIGN_OR_RETURN(s, RunOp(ctx, "Where", 16, {cond, &s, other}));
  }
  IA_ASSIGN_OR_RETURN(s, RunOp(ctx, "Softmax", attrs.softmax_opset, {&s},
                               {{"axis", Attribute::Int(attrs.softmax_axis)}}));
  IA_ASSIGN_OR_RETURN(Tensor y, RunOp(ctx, "MatMul", 13, {&s, v}));
  if (attrs.heads_last) {
    IA_ASSIGN_OR_RETURN(y, RunOp(ctx, "Transpose", 13, {&y}, {{"perm", Attribute::Ints(swap)}}));
  }
  ctx.SetOutput(0, std::move(y));
  return Status::Ok();
}

// Per batch of the scores: where each operand's matrix (or broadcast block) starts, and the
// row strides of Q, K, V and Y (K is read as K^T [D, T], or as K [T, D] when k_rows).
struct Offsets {
  std::vector<int64_t> q, k, v, y, mask, cond, other;
  int64_t ldq = 0, ldk = 0, ldv = 0, ldy = 0;
  bool k_rows = false;
};

// Element offsets of `shape` (broadcast to full shape `full` = batch + [S, T]) at each batch
// index, plus its strides along S and T.
void BatchOffsets(const Shape& shape, const Shape& full, std::vector<int64_t>* base,
                  int64_t* stride_s, int64_t* stride_t) {
  std::vector<int64_t> st = ops::BroadcastStrides(shape, full);
  size_t nb = full.size() - 2;
  *stride_s = st[nb];
  *stride_t = st[nb + 1];
  int64_t batches = NumElements(Shape(full.begin(), full.begin() + nb));
  base->assign(batches, 0);
  std::vector<int64_t> idx(nb, 0);
  for (int64_t b = 0; b < batches; ++b) {
    int64_t off = 0;
    for (size_t d = 0; d < nb; ++d) off += idx[d] * st[d];
    (*base)[b] = off;
    for (int d = static_cast<int>(nb) - 1; d >= 0; --d) {
      if (++idx[d] < full[d]) break;
      idx[d] = 0;
    }
  }
}

Status Attention(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* q, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* kt, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* v, ctx.Required(2));
  const Tensor *mask = Optional(ctx, 3), *cond = Optional(ctx, 4), *other = Optional(ctx, 5);
  if (cond && !other) return ctx.Error("where_condition needs where_other");
  IA_ASSIGN_OR_RETURN(ops::AttentionAttrs attrs, ops::ReadAttention(ctx.node()));
  const float scale = attrs.scale;
  const int64_t axis = attrs.softmax_axis;
  bool f32 = q->dtype() == DType::kFloat32 && kt->dtype() == DType::kFloat32 &&
             v->dtype() == DType::kFloat32 && (!mask || mask->dtype() == DType::kFloat32) &&
             (!cond || cond->dtype() == DType::kBool) &&
             (!other || other->dtype() == DType::kFloat32);
  if (!f32 || q->rank() < 2 || kt->rank() < 2 || v->rank() < 2) return Unfused(ctx, attrs);
  Offsets off;
  int64_t S, D, T, Dv;
  Shape fb;  // the scores' batch dimensions
  if (attrs.heads_last) {
    // Q [B, S, H, D], K [B, T, H, D], V [B, T, H, Dv], Y [B, S, H, Dv]: no broadcasting.
    if (q->rank() != 4 || kt->rank() != 4 || v->rank() != 4) return Unfused(ctx, attrs);
    const int64_t B = q->dim(0), H = q->dim(2);
    S = q->dim(1), D = q->dim(3), T = kt->dim(1), Dv = v->dim(3);
    if (kt->shape() != Shape{B, T, H, D} || v->shape() != Shape{B, T, H, Dv}) {
      return Unfused(ctx, attrs);  // it names the error
    }
    fb = {B, H};
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        off.q.push_back((b * S * H + h) * D);
        off.k.push_back((b * T * H + h) * D);
        off.v.push_back((b * T * H + h) * Dv);
        off.y.push_back((b * S * H + h) * Dv);
      }
    }
    off.ldq = off.ldk = H * D;
    off.ldv = off.ldy = H * Dv;
    off.k_rows = true;
  } else {
    S = q->dim(-2), D = q->dim(-1), T = kt->dim(-1), Dv = v->dim(-1);
    if (kt->dim(-2) != D || v->dim(-2) != T) return Unfused(ctx, attrs);  // it names the error
    auto batch = [](const Tensor* t) { return Shape(t->shape().begin(), t->shape().end() - 2); };
    auto sb = ops::BroadcastShapes({batch(q), batch(kt)});
    if (!sb.ok()) return Unfused(ctx, attrs);
    fb = *sb;
    auto ob = ops::BroadcastShapes({fb, batch(v)});
    if (!ob.ok() || *ob != fb) return Unfused(ctx, attrs);
    // Q, K^T and V by matrix (their own [S, D] etc. shapes given as "full" tails).
    auto matrix_offsets = [&](const Tensor* t, std::vector<int64_t>* base) {
      Shape own = batch(t), f = fb;
      own.insert(own.end(), {1, 1});
      f.insert(f.end(), {1, 1});
      int64_t unused_s, unused_t;
      BatchOffsets(own, f, base, &unused_s, &unused_t);
      for (auto& o : *base) o *= t->dim(-2) * t->dim(-1);
    };
    matrix_offsets(q, &off.q);
    matrix_offsets(kt, &off.k);
    matrix_offsets(v, &off.v);
    for (int64_t b = 0; b < NumElements(fb); ++b) off.y.push_back(b * S * Dv);
    off.ldq = D;
    off.ldk = T;
    off.ldv = off.ldy = Dv;
  }
  Shape scores = fb;
  scores.insert(scores.end(), {S, T});
  std::vector<Shape> all = {scores};
  for (const Tensor* t : {mask, cond, other}) {
    if (t) all.push_back(t->shape());
  }
  auto full_or = ops::BroadcastShapes(all);
  const int64_t rank = static_cast<int64_t>(scores.size());
  const bool last_axis = axis == -1 || axis == rank - 1;
  // The masks may not add batch dimensions (the output would broadcast with them).
  if (!full_or.ok() || *full_or != scores || !last_axis) return Unfused(ctx, attrs);
  const Shape& full = scores;
  Shape out_shape = fb;
  out_shape.insert(out_shape.end(), {S, Dv});
  if (attrs.heads_last) std::swap(out_shape[1], out_shape[2]);
  Tensor& y = ctx.Allocate(0, DType::kFloat32, out_shape);
  if (y.numel() == 0) return Status::Ok();
  int64_t ms = 0, mt = 0, cs = 0, ct = 0, os = 0, ot = 0;
  if (mask) BatchOffsets(mask->shape(), full, &off.mask, &ms, &mt);
  if (cond) BatchOffsets(cond->shape(), full, &off.cond, &cs, &ct);
  if (other) BatchOffsets(other->shape(), full, &off.other, &os, &ot);
  const float *pq = q->data<float>(), *pk = kt->data<float>(), *pv = v->data<float>();
  const float* pm = mask ? mask->data<float>() : nullptr;
  const bool* pc = cond ? cond->data<bool>() : nullptr;
  const float* po = other ? other->data<float>() : nullptr;
  float* py = y.data<float>();
  int64_t batches = NumElements(fb);
  const int64_t kBlockRows = BlockRows(S, T);
  int64_t blocks = (S + kBlockRows - 1) / kBlockRows;
  ParallelFor(ctx.pool(), batches * blocks, kBlockRows * T * (D + Dv), [&](int64_t w0, int64_t w1) {
    std::vector<float> buf(kBlockRows * T);
    for (int64_t w = w0; w < w1; ++w) {
      int64_t b = w / blocks, i0 = (w % blocks) * kBlockRows, nr = std::min(kBlockRows, S - i0);
      const float* qb = pq + off.q[b] + i0 * off.ldq;
      const float* kb = pk + off.k[b];
      if (D == 0) {
        std::fill(buf.begin(), buf.begin() + nr * T, 0.f);
      } else if (!onednn::Sgemm(false, off.k_rows, nr, T, D, scale, qb, off.ldq, kb, off.ldk, 0.f,
                                buf.data(), T, 1)) {
        for (int64_t r = 0; r < nr; ++r) {
          for (int64_t j = 0; j < T; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < D; ++p) {
              acc +=
                  double(qb[r * off.ldq + p]) * kb[off.k_rows ? j * off.ldk + p : p * off.ldk + j];
            }
            buf[r * T + j] = static_cast<float>(acc * scale);
          }
        }
      }
      for (int64_t r = 0; r < nr; ++r) {
        float* row = buf.data() + r * T;
        int64_t i = i0 + r;
        if (pm) {
          const float* m = pm + off.mask[b] + i * ms;
          if (mt == 1) {
            for (int64_t j = 0; j < T; ++j) row[j] += m[j];
          } else {
            for (int64_t j = 0; j < T; ++j) row[j] += m[j * mt];
          }
        }
        if (pc) {
          const bool* c = pc + off.cond[b] + i * cs;
          const float* o = po + off.other[b] + i * os;
          for (int64_t j = 0; j < T; ++j) row[j] = c[j * ct] ? row[j] : o[j * ot];
        }
      }
      SoftmaxRows(buf.data(), buf.data(), nr, T);
      float* yb = py + off.y[b] + i0 * off.ldy;
      const float* vb = pv + off.v[b];
      if (T == 0) {
        for (int64_t r = 0; r < nr; ++r) std::fill(yb + r * off.ldy, yb + r * off.ldy + Dv, 0.f);
      } else if (!onednn::Sgemm(false, false, nr, Dv, T, 1.f, buf.data(), T, vb, off.ldv, 0.f, yb,
                                off.ldy, 1)) {
        for (int64_t r = 0; r < nr; ++r) {
          for (int64_t j = 0; j < Dv; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < T; ++p) acc += double(buf[r * T + p]) * vb[p * off.ldv + j];
            yb[r * off.ldy + j] = static_cast<float>(acc);
          }
        }
      }
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterAttentionKernels(KernelRegistry& r) {
  r.Add("Attention", Attention, 1, 1000, ops::kFusedDomain);
}

}  // namespace ipfs_accelerate::engine::cpu
