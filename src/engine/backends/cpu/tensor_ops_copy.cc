// Kernels that copy bytes into a new layout: transposes, concatenation, slices, padding, tiling.
// They are dtype-generic: everything goes through StridedCopy or memcpy by element size.
#include <algorithm>

#include "engine/backends/cpu/tensor_ops_util.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace tensor_ops;  // NOLINT: this file's own helpers

Status Transpose(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  int rank = x->rank();
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> perm,
                      ops::TransposePerm(ctx.node(), rank, ctx.GetInts("perm")));
  std::vector<int64_t> in_strides = ContiguousStrides(x->shape()), strides(rank);
  Shape shape = ops::TransposeShape(x->shape(), perm);
  for (int i = 0; i < rank; ++i) strides[i] = in_strides[perm[i]];
  Tensor& out = ctx.Allocate(0, x->dtype(), shape);
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), shape, strides, 0, ctx.pool());
  return Status::Ok();
}

Status Concat(KernelContext& ctx) {
  if (!ctx.HasAttr("axis")) return ctx.Error("the axis attribute is required");
  IA_ASSIGN_OR_RETURN(const Tensor* first, ctx.Required(0));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
    if (t->dtype() != first->dtype()) {
      return ctx.Error("input " + std::to_string(i) + " is " + DTypeName(t->dtype()) +
                       ", input 0 " + DTypeName(first->dtype()));
    }
    shapes.push_back(t->shape());
  }
  IA_ASSIGN_OR_RETURN(Shape shape, ops::ConcatShape(ctx.node(), shapes, ctx.GetInt("axis", 0)));
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), first->rank()));
  Tensor& out = ctx.Allocate(0, first->dtype(), shape);
  std::vector<const Tensor*> parts;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) parts.push_back(ctx.input(i));
  ConcatInto(out, parts, axis, ctx.pool());
  return Status::Ok();
}

Status Split(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), x->rank()));
  std::vector<int64_t> split;
  if (ctx.node().opset < 13) {
    split = ctx.GetInts("split");
  } else if (const Tensor* s = ctx.input(1)) {
    IA_ASSIGN_OR_RETURN(split, ReadInts(ctx, *s, "split"));
  }
  const int64_t n = static_cast<int64_t>(ctx.num_outputs()), dim = x->dim(axis);
  IA_ASSIGN_OR_RETURN(split,
                      ops::SplitSizes(ctx.node(), dim, split, n, ctx.GetInt("num_outputs", 0)));
  int64_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    Shape shape = x->shape();
    shape[axis] = split[i];
    CopyAlong(ctx.Allocate(i, x->dtype(), shape), *x, axis, start);
    start += split[i];
  }
  return Status::Ok();
}

Status Slice(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.node().opset < 10) {
    starts = ctx.GetInts("starts");
    ends = ctx.GetInts("ends");
    axes = ctx.GetInts("axes");
  } else {
    IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
    IA_ASSIGN_OR_RETURN(const Tensor* e, ctx.Required(2));
    IA_ASSIGN_OR_RETURN(starts, ReadInts(ctx, *s, "starts"));
    IA_ASSIGN_OR_RETURN(ends, ReadInts(ctx, *e, "ends"));
    if (const Tensor* a = ctx.input(3)) {
      IA_ASSIGN_OR_RETURN(axes, ReadInts(ctx, *a, "axes"));
    }
    if (const Tensor* st = ctx.input(4)) {
      IA_ASSIGN_OR_RETURN(steps, ReadInts(ctx, *st, "steps"));
    }
  }
  IA_ASSIGN_OR_RETURN(std::vector<ops::SliceAxis> cut,
                      ops::SliceAxes(ctx.node(), x->shape(), starts, ends, axes, steps));
  const Shape shape = ops::SliceShape(x->shape(), cut);
  std::vector<int64_t> in_strides = ContiguousStrides(x->shape()), strides = in_strides;
  int64_t offset = 0;
  for (const ops::SliceAxis& a : cut) {
    offset += a.start * in_strides[a.axis];
    strides[a.axis] = in_strides[a.axis] * a.step;
  }
  Tensor& out = ctx.Allocate(0, x->dtype(), shape);
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), shape, strides, offset, ctx.pool());
  return Status::Ok();
}

Status Expand(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(Shape target, ReadInts(ctx, *s, "shape"));
  auto shape = ops::ExpandShape(ctx.node(), x->shape(), target);
  if (!shape.ok()) return shape.status();
  IA_RETURN_IF_ERROR(CheckOutputSize(ctx, *shape, x->dtype()));
  Tensor& out = ctx.Allocate(0, x->dtype(), *shape);
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), *shape,
              ops::BroadcastStrides(x->shape(), *shape), 0, ctx.pool());
  return Status::Ok();
}

Status Tile(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, ReadInts(ctx, *r, "repeats"));
  if (static_cast<int>(repeats.size()) != x->rank()) {
    return ctx.Error("repeats has " + std::to_string(repeats.size()) +
                     " entries for an input of rank " + std::to_string(x->rank()));
  }
  // Output [r0*d0, r1*d1, ...] read as [r0, d0, r1, d1, ...] with stride 0 along each r.
  std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
  Shape shape, split_shape;
  std::vector<int64_t> strides;
  for (int i = 0; i < x->rank(); ++i) {
    if (repeats[i] < 0) return ctx.Error("repeats must not be negative");
    IA_RETURN_IF_ERROR(CheckOutputSize(ctx, {repeats[i], x->dim(i)}, x->dtype()));
    shape.push_back(repeats[i] * x->dim(i));
    split_shape.insert(split_shape.end(), {repeats[i], x->dim(i)});
    strides.insert(strides.end(), {0, in_strides[i]});
  }
  IA_RETURN_IF_ERROR(CheckOutputSize(ctx, shape, x->dtype()));
  Tensor& out = ctx.Allocate(0, x->dtype(), shape);
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), split_shape, strides, 0, ctx.pool());
  return Status::Ok();
}

// One element of `dtype` holding `v`, as bytes.
std::vector<uint8_t> ValueBytes(DType dtype, double v) {
  std::vector<uint8_t> b(DTypeSize(dtype));
  if (dtype == DType::kFloat16) {
    uint16_t h = FloatToHalf(static_cast<float>(v));
    std::memcpy(b.data(), &h, 2);
  } else if (dtype == DType::kBFloat16) {
    uint16_t h = FloatToBFloat16(static_cast<float>(v));
    std::memcpy(b.data(), &h, 2);
  } else {
    Dispatch<kAll>(dtype, [&](auto x) {
      auto t = static_cast<typename decltype(x)::type>(v);
      std::memcpy(b.data(), &t, sizeof(t));
    });
  }
  return b;
}

Status Pad(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  int rank = x->rank();
  size_t es = DTypeSize(x->dtype());
  std::string mode = ctx.GetString("mode", "constant");
  std::vector<int64_t> pads;
  std::vector<uint8_t> value(es, 0);
  if (ctx.node().opset < 11) {
    pads = ctx.HasAttr("pads") ? ctx.GetInts("pads") : ctx.GetInts("paddings");
    value = ValueBytes(x->dtype(), ctx.GetFloat("value", 0));
  } else {
    IA_ASSIGN_OR_RETURN(const Tensor* p, ctx.Required(1));
    IA_ASSIGN_OR_RETURN(pads, ReadInts(ctx, *p, "pads"));
    if (const Tensor* v = ctx.input(2); v && v->numel() > 0) {
      if (v->dtype() != x->dtype()) return ctx.Error("constant_value must have the input's dtype");
      std::memcpy(value.data(), v->raw(), es);
    }
    if (const Tensor* a = ctx.input(3)) {
      IA_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(ctx, *a, "axes"));
      if (pads.size() != 2 * axes.size())
        return ctx.Error("pads must have twice as many entries as axes");
      std::vector<int64_t> full(2 * rank, 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(ctx, axes[i], rank, "axes entry"));
        full[ax] = pads[i];
        full[ax + rank] = pads[i + axes.size()];
      }
      pads = full;
    }
  }
  if (static_cast<int>(pads.size()) != 2 * rank) {
    return ctx.Error("pads has " + std::to_string(pads.size()) + " entries for an input of rank " +
                     std::to_string(rank) + " (expected " + std::to_string(2 * rank) + ")");
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      !(mode == "wrap" && ctx.node().opset >= 19)) {
    return ctx.Unsupported("mode '" + mode + "'");
  }
  Shape shape(rank);
  for (int d = 0; d < rank; ++d) {
    int64_t dim = x->dim(d);
    if (pads[d] < -dim || pads[d + rank] < -dim) {
      return ctx.Error("pads " + ShapeToString(pads) + " remove more than dimension " +
                       std::to_string(d) + " holds (" + std::to_string(dim) + ")");
    }
    if (__builtin_add_overflow(dim, pads[d], &shape[d]) ||
        __builtin_add_overflow(shape[d], pads[d + rank], &shape[d])) {
      return ctx.Error("pads " + ShapeToString(pads) + " make dimension " + std::to_string(d) +
                       " larger than a 64-bit size holds");
    }
    if (shape[d] < 0) return ctx.Error("pads make dimension " + std::to_string(d) + " negative");
    if (mode != "constant" && dim == 0 && shape[d] > 0)
      return ctx.Error("cannot " + mode + "-pad an empty dimension");
    if (mode == "wrap" && shape[d] > 0 &&
        dim - std::max<int64_t>(0, -pads[d]) - std::max<int64_t>(0, -pads[d + rank]) <= 0) {
      return ctx.Error("pads " + ShapeToString(pads) + " leave nothing of dimension " +
                       std::to_string(d) + " to wrap");
    }
  }
  Tensor& out = ctx.Allocate(0, x->dtype(), shape);
  int64_t n = out.numel();
  if (n == 0) return Status::Ok();
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto* in = static_cast<const uint8_t*>(x->raw());
  if (rank == 0) {
    std::memcpy(dst, in, es);
    return Status::Ok();
  }
  // For each dim, the source index of each output index (-1: the constant); in tensors, which
  // the memory budget counts (a skinny output has about as many entries as elements).
  std::vector<Tensor> src_tables(rank);
  std::vector<const int64_t*> src(rank);
  for (int d = 0; d < rank; ++d) {
    int64_t dim = x->dim(d);
    src_tables[d] = Tensor::Empty(DType::kInt64, {shape[d]});
    int64_t* table = src_tables[d].data<int64_t>();
    src[d] = table;
    for (int64_t o = 0; o < shape[d]; ++o) {
      int64_t s = o - pads[d];  // pads[d] >= -dim: no overflow
      if (s < 0 || s >= dim) {
        if (mode == "constant") {
          s = -1;
        } else if (mode == "edge") {
          s = std::clamp<int64_t>(s, 0, dim - 1);
        } else if (mode == "wrap") {
          // Opset 19: the input repeated; what negative pads keep of it (as onnxruntime does).
          const int64_t lo = std::max<int64_t>(0, -pads[d]);
          const int64_t kept = dim - lo - std::max<int64_t>(0, -pads[d + rank]);
          s = lo + (((s - lo) % kept) + kept) % kept;
        } else if (dim == 1) {
          s = 0;
        } else {
          int64_t period = 2 * (dim - 1);
          s = ((s % period) + period) % period;
          if (s >= dim) s = period - s;
        }
      }
      table[o] = s;
    }
  }
  std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
  // Runs along the last dim: (output start, source start or -1, length), at most one per output
  // index, in a tensor for the same reason.
  struct Run {
    int64_t out, src, len;
  };
  static_assert(sizeof(Run) == 3 * sizeof(int64_t));
  Tensor run_buffer = Tensor::Empty(DType::kInt64, {shape[rank - 1], 3});
  Run* runs = reinterpret_cast<Run*>(run_buffer.data<int64_t>());
  int64_t n_runs = 0;
  const int64_t* last = src[rank - 1];
  for (int64_t o = 0; o < shape[rank - 1]; ++o) {
    Run* back = n_runs > 0 ? &runs[n_runs - 1] : nullptr;
    bool extend = back && ((last[o] < 0 && back->src < 0) ||
                           (last[o] >= 0 && back->src >= 0 && last[o] == back->src + back->len));
    if (extend)
      ++back->len;
    else
      runs[n_runs++] = {o, last[o], 1};
  }
  int64_t inner = shape[rank - 1], rows = n / inner;
  auto fill = [&](uint8_t* p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) std::memcpy(p + i * es, value.data(), es);
  };
  ParallelFor(ctx.pool(), rows, inner * static_cast<int64_t>(es), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      int64_t r = row, off = 0;
      bool constant = false;
      for (int d = rank - 2; d >= 0; --d) {
        int64_t s = src[d][r % shape[d]];
        r /= shape[d];
        if (s < 0)
          constant = true;
        else
          off += s * in_strides[d];
      }
      uint8_t* o = dst + row * inner * es;
      if (constant) {
        fill(o, inner);
        continue;
      }
      for (int64_t k = 0; k < n_runs; ++k) {
        const Run& run = runs[k];
        if (run.src < 0)
          fill(o + run.out * es, run.len);
        else
          std::memcpy(o + run.out * es, in + (off + run.src) * es, run.len * es);
      }
    }
  });
  return Status::Ok();
}

// DepthToSpace / SpaceToDepth: a reshape, a transpose and a reshape, done as one strided copy.
Status DepthToSpace(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() != 4) return ctx.Error("input must be 4-D, got " + ShapeToString(x->shape()));
  int64_t b = ctx.GetInt("blocksize", 0);
  int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), bb, oh, ow;
  if (b <= 0 || __builtin_mul_overflow(b, b, &bb) || c % bb != 0) {
    return ctx.Error("blocksize " + std::to_string(b) +
                     " must be positive and divide the channels " + std::to_string(c) +
                     " by its square");
  }
  if (__builtin_mul_overflow(h, b, &oh) || __builtin_mul_overflow(w, b, &ow)) {
    return ctx.Error("blocksize " + std::to_string(b) + " makes the output of " +
                     ShapeToString(x->shape()) + " larger than a 64-bit size holds");
  }
  int64_t oc = c / bb;
  bool crd = ctx.GetString("mode", "DCR") == "CRD";
  // Source layout: DCR [n, b1, b2, oc, h, w]; CRD [n, oc, b1, b2, h, w]. Output [n, oc, h, b1, w,
  // b2].
  int64_t sw = 1, sh = w, s_b2, s_b1, s_oc;
  if (crd) {
    s_b2 = h * w, s_b1 = b * h * w, s_oc = bb * h * w;
  } else {
    s_oc = h * w, s_b2 = oc * h * w, s_b1 = b * oc * h * w;
  }
  Shape split = {n, oc, h, b, w, b};
  std::vector<int64_t> strides = {c * h * w, s_oc, sh, s_b1, sw, s_b2};
  Tensor& out = ctx.Allocate(0, x->dtype(), {n, oc, oh, ow});
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), split, strides, 0, ctx.pool());
  return Status::Ok();
}

Status SpaceToDepth(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() != 4) return ctx.Error("input must be 4-D, got " + ShapeToString(x->shape()));
  int64_t b = ctx.GetInt("blocksize", 0);
  int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
  int64_t oc;
  if (b <= 0 || h % b != 0 || w % b != 0) {
    return ctx.Error("blocksize " + std::to_string(b) +
                     " must be positive and divide height and width");
  }
  if (__builtin_mul_overflow(c, b, &oc) || __builtin_mul_overflow(oc, b, &oc)) {
    return ctx.Error("blocksize " + std::to_string(b) + " makes the output of " +
                     ShapeToString(x->shape()) + " larger than a 64-bit size holds");
  }
  // Input [n, c, h/b, b1, w/b, b2] -> output [n, b1, b2, c, h/b, w/b].
  Shape split = {n, b, b, c, h / b, w / b};
  std::vector<int64_t> strides = {c * h * w, w, 1, h * w, b * w, b};
  Tensor& out = ctx.Allocate(0, x->dtype(), {n, oc, h / b, w / b});
  StridedCopy(out.raw(), x->raw(), DTypeSize(x->dtype()), split, strides, 0, ctx.pool());
  return Status::Ok();
}

Status ReverseSequence(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* l, ctx.Required(1));
  if (x->rank() < 2) return ctx.Error("input must have rank >= 2");
  int64_t batch_axis = ctx.GetInt("batch_axis", 1), time_axis = ctx.GetInt("time_axis", 0);
  if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0))) {
    return ctx.Error("batch_axis and time_axis must be 0 and 1 in some order");
  }
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInts(ctx, *l, "sequence_lens"));
  int64_t batch = x->dim(static_cast<int>(batch_axis)), time = x->dim(static_cast<int>(time_axis));
  if (static_cast<int64_t>(lens.size()) != batch)
    return ctx.Error("sequence_lens must have one entry per batch");
  size_t es = DTypeSize(x->dtype());
  int64_t rest = batch * time == 0 ? 0 : x->numel() / (batch * time);
  Tensor& out = ctx.Allocate(0, x->dtype(), x->shape());
  auto at = [&](int64_t b, int64_t t) {
    return (batch_axis == 0 ? b * time + t : t * batch + b) * rest * es;
  };
  const auto* in = static_cast<const uint8_t*>(x->raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t b = 0; b < batch; ++b) {
    if (lens[b] < 0 || lens[b] > time)
      return ctx.Error("sequence_lens entry " + std::to_string(lens[b]) + " is out of range");
    for (int64_t t = 0; t < time; ++t) {
      int64_t s = t < lens[b] ? lens[b] - 1 - t : t;
      std::memcpy(dst + at(b, t), in + at(b, s), rest * es);
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterCopyKernels(KernelRegistry& r) {
  r.Add("Transpose", Transpose);
  r.Add("Concat", Concat);
  r.Add("Split", Split, 2);
  r.Add("Slice", Slice);
  r.Add("Expand", Expand, 8);
  r.Add("Tile", Tile, 6);
  r.Add("Pad", Pad, 2);
  r.Add("DepthToSpace", DepthToSpace);
  r.Add("SpaceToDepth", SpaceToDepth);
  r.Add("ReverseSequence", ReverseSequence, 10);
}

}  // namespace ipfs_accelerate::engine::cpu
