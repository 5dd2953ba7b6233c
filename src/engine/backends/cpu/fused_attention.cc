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

Status Unfused(KernelContext& ctx, float scale, int64_t softmax_axis, int64_t softmax_opset) {
  const Tensor *q = ctx.input(0), *kt = ctx.input(1), *v = ctx.input(2);
  const Tensor *mask = Optional(ctx, 3), *cond = Optional(ctx, 4), *other = Optional(ctx, 5);
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
  IA_ASSIGN_OR_RETURN(
      s, RunOp(ctx, "Softmax", softmax_opset, {&s}, {{"axis", Attribute::Int(softmax_axis)}}));
  IA_ASSIGN_OR_RETURN(Tensor y, RunOp(ctx, "MatMul", 13, {&s, v}));
  ctx.SetOutput(0, std::move(y));
  return Status::Ok();
}

// Per batch of the scores: where each operand's matrix (or broadcast block) starts.
struct Offsets {
  std::vector<int64_t> q, k, v, mask, cond, other;
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
  const int64_t axis = attrs.softmax_axis, opset = attrs.softmax_opset;
  bool f32 = q->dtype() == DType::kFloat32 && kt->dtype() == DType::kFloat32 &&
             v->dtype() == DType::kFloat32 && (!mask || mask->dtype() == DType::kFloat32) &&
             (!cond || cond->dtype() == DType::kBool) &&
             (!other || other->dtype() == DType::kFloat32);
  if (!f32 || q->rank() < 2 || kt->rank() < 2 || v->rank() < 2)
    return Unfused(ctx, scale, axis, opset);
  int64_t S = q->dim(-2), D = q->dim(-1), T = kt->dim(-1), Dv = v->dim(-1);
  if (kt->dim(-2) != D || v->dim(-2) != T)
    return Unfused(ctx, scale, axis, opset);  // it names the error
  auto batch = [](const Tensor* t) { return Shape(t->shape().begin(), t->shape().end() - 2); };
  std::vector<Shape> shapes = {batch(q), batch(kt)};
  auto sb = ops::BroadcastShapes(shapes);
  if (!sb.ok()) return Unfused(ctx, scale, axis, opset);
  Shape scores = *sb;
  scores.push_back(S);
  scores.push_back(T);
  std::vector<Shape> all = {scores};
  for (const Tensor* t : {mask, cond, other}) {
    if (t) all.push_back(t->shape());
  }
  auto full_or = ops::BroadcastShapes(all);
  if (!full_or.ok()) return Unfused(ctx, scale, axis, opset);
  Shape full = *full_or;
  Shape fb(full.begin(), full.end() - 2);
  auto ob = ops::BroadcastShapes({fb, batch(v)});
  int64_t rank = static_cast<int64_t>(full.size());
  bool last_axis = axis == -1 || axis == rank - 1;
  if (!last_axis || full[rank - 2] != S || full.back() != T || !ob.ok() || *ob != fb) {
    return Unfused(ctx, scale, axis, opset);
  }
  Shape out_shape = fb;
  out_shape.push_back(S);
  out_shape.push_back(Dv);
  Tensor& y = ctx.Allocate(0, DType::kFloat32, out_shape);
  if (y.numel() == 0) return Status::Ok();
  // Offsets: Q, K^T and V by matrix (their own [S, D] etc. shapes given as "full" tails).
  Offsets off;
  int64_t unused_s, unused_t;
  auto matrix_offsets = [&](const Tensor* t, std::vector<int64_t>* base) {
    Shape own = batch(t);
    own.push_back(1);
    own.push_back(1);
    Shape f = fb;
    f.push_back(1);
    f.push_back(1);
    BatchOffsets(own, f, base, &unused_s, &unused_t);
    for (auto& o : *base) o *= t->dim(-2) * t->dim(-1);
  };
  matrix_offsets(q, &off.q);
  matrix_offsets(kt, &off.k);
  matrix_offsets(v, &off.v);
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
      const float* qb = pq + off.q[b] + i0 * D;
      const float* kb = pk + off.k[b];
      if (D == 0) {
        std::fill(buf.begin(), buf.begin() + nr * T, 0.f);
      } else if (!onednn::Sgemm(false, false, nr, T, D, scale, qb, D, kb, T, 0.f, buf.data(), T,
                                1)) {
        for (int64_t r = 0; r < nr; ++r) {
          for (int64_t j = 0; j < T; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < D; ++p) acc += double(qb[r * D + p]) * kb[p * T + j];
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
      float* yb = py + (b * S + i0) * Dv;
      const float* vb = pv + off.v[b];
      if (T == 0) {
        std::fill(yb, yb + nr * Dv, 0.f);
      } else if (!onednn::Sgemm(false, false, nr, Dv, T, 1.f, buf.data(), T, vb, Dv, 0.f, yb, Dv,
                                1)) {
        for (int64_t r = 0; r < nr; ++r) {
          for (int64_t j = 0; j < Dv; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < T; ++p) acc += double(buf[r * T + p]) * vb[p * Dv + j];
            yb[r * Dv + j] = static_cast<float>(acc);
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
