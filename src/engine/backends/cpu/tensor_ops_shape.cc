// Kernels that change only a tensor's shape (sharing its buffer) or make small tensors from shapes.
#include <algorithm>
#include <cmath>

#include "engine/backends/cpu/tensor_ops_util.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace tensor_ops;  // NOLINT: this file's own helpers

// Any value: a tensor, a sequence, an optional (ops::TakesNonTensors).
Status Identity(KernelContext& ctx) {
  const Value* x = ctx.value(0);
  if (!x) return ctx.Error("input 0 is required");
  ctx.SetOutput(0, *x);
  return Status::Ok();
}

Status Reshape(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  Shape shape;
  if (ctx.node().opset < 5) {
    shape = ctx.GetInts("shape");
  } else {
    IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
    if (s->rank() != 1)
      return ctx.Error("shape must be a 1-D tensor, got " + ShapeToString(s->shape()));
    IA_ASSIGN_OR_RETURN(shape, ReadInts(ctx, *s, "shape"));
  }
  IA_ASSIGN_OR_RETURN(shape, ops::ReshapeShape(ctx.node(), x->shape(), std::move(shape),
                                               ctx.GetInt("allowzero", 0) != 0));
  ctx.SetOutput(0, x->Reshaped(shape));
  return Status::Ok();
}

Status Flatten(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(Shape shape,
                      ops::FlattenShape(ctx.node(), x->shape(), ctx.GetInt("axis", 1)));
  ctx.SetOutput(0, x->Reshaped(shape));
  return Status::Ok();
}

// Axes from the attribute (older opsets) or from input 1 (opset 13+); `present` false when absent.
Result<std::vector<int64_t>> AxesFrom(KernelContext& ctx, int64_t input_since, bool* present) {
  *present = false;
  if (ctx.node().opset < input_since) {
    *present = ctx.HasAttr("axes");
    return ctx.GetInts("axes");
  }
  const Tensor* a = ctx.input(1);
  if (!a) return std::vector<int64_t>{};
  *present = true;
  return ReadInts(ctx, *a, "axes");
}

Status Squeeze(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  bool present;
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesFrom(ctx, 13, &present));
  // An empty list squeezes every axis of size 1, as a missing one does.
  IA_ASSIGN_OR_RETURN(Shape shape,
                      ops::SqueezeShape(ctx.node(), x->shape(), axes.empty() ? nullptr : &axes));
  ctx.SetOutput(0, x->Reshaped(shape));
  return Status::Ok();
}

Status Unsqueeze(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  bool present;
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesFrom(ctx, 13, &present));
  if (!present) return ctx.Error("axes are required");
  IA_ASSIGN_OR_RETURN(Shape shape, ops::UnsqueezeShape(ctx.node(), x->shape(), axes));
  ctx.SetOutput(0, x->Reshaped(shape));
  return Status::Ok();
}

Status ShapeOp(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  int64_t r = x->rank();
  int64_t start = ctx.GetInt("start", 0), end = ctx.GetInt("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  int64_t n = std::max<int64_t>(end - start, 0);
  Tensor& out = ctx.Allocate(0, DType::kInt64, {n});
  for (int64_t i = 0; i < n; ++i) out.data<int64_t>()[i] = x->dim(static_cast<int>(start + i));
  return Status::Ok();
}

Status Size(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  ctx.SetOutput(0, Tensor::Scalar<int64_t>(DType::kInt64, x->numel()));
  return Status::Ok();
}

Status ConstantOfShape(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(Shape shape, ReadInts(ctx, *s, "shape"));
  const Attribute* a = ctx.node().attr("value");
  IA_RETURN_IF_ERROR(
      CheckOutputSize(ctx, shape, a && a->t.defined() ? a->t.dtype() : DType::kFloat32));
  if (!a || !a->t.defined()) {
    ctx.SetOutput(0, Tensor::Zeros(DType::kFloat32, shape));
    return Status::Ok();
  }
  if (a->t.numel() != 1) return ctx.Error("value must hold exactly one element");
  Tensor& out = ctx.Allocate(0, a->t.dtype(), shape);
  size_t es = DTypeSize(out.dtype());
  auto* d = static_cast<uint8_t*>(out.raw());
  for (int64_t i = 0, n = out.numel(); i < n; ++i) std::memcpy(d + i * es, a->t.raw(), es);
  return Status::Ok();
}

Status Range(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* l, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* d, ctx.Required(2));
  if (s->dtype() != l->dtype() || s->dtype() != d->dtype())
    return ctx.Error("start, limit and delta differ in dtype");
  IA_ASSIGN_OR_RETURN(double start, ReadScalar(ctx, *s, "start"));
  IA_ASSIGN_OR_RETURN(double limit, ReadScalar(ctx, *l, "limit"));
  IA_ASSIGN_OR_RETURN(double delta, ReadScalar(ctx, *d, "delta"));
  if (delta == 0) return ctx.Error("delta must not be 0");
  double count = std::ceil((limit - start) / delta);
  if (!(count < 1e12)) return ctx.Error("range is too long");
  int64_t n = std::max<int64_t>(static_cast<int64_t>(count), 0);
  IA_RETURN_IF_ERROR(CheckOutputSize(ctx, {n}, s->dtype()));
  Tensor& out = ctx.Allocate(0, s->dtype(), {n});
  bool ok = Dispatch<kAll>(s->dtype(), [&](auto x) {
    using T = typename decltype(x)::type;
    T v = *s->data<T>(), step = *d->data<T>();
    for (int64_t i = 0; i < n; ++i, v = static_cast<T>(v + step)) out.data<T>()[i] = v;
  });
  if (!ok) return ctx.Error("unsupported dtype " + DTypeName(s->dtype()));
  return Status::Ok();
}

// Writes the value 1 of `dtype` at element i.
void SetOne(Tensor& t, int64_t i) {
  if (t.dtype() == DType::kFloat16)
    t.data<uint16_t>()[i] = 0x3c00;
  else if (t.dtype() == DType::kBFloat16)
    t.data<uint16_t>()[i] = 0x3f80;
  else
    Dispatch<kAll>(t.dtype(), [&](auto x) {
      t.data<typename decltype(x)::type>()[i] = static_cast<typename decltype(x)::type>(1);
    });
}

Status EyeLike(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() != 2) return ctx.Error("input must be 2-D, got " + ShapeToString(x->shape()));
  DType dtype = x->dtype();
  if (ctx.HasAttr("dtype")) {
    dtype = DTypeFromOnnx(static_cast<int32_t>(ctx.GetInt("dtype", 1)));
    if (DTypeSize(dtype) == 0)
      return ctx.Error("unsupported dtype attribute " + std::to_string(ctx.GetInt("dtype", 0)));
  }
  Tensor out = Tensor::Zeros(dtype, x->shape());
  int64_t k = ctx.GetInt("k", 0), rows = x->dim(0), cols = x->dim(1);
  for (int64_t i = 0; i < rows; ++i) {
    int64_t j = i + k;
    if (j >= 0 && j < cols) SetOne(out, i * cols + j);
  }
  ctx.SetOutput(0, out);
  return Status::Ok();
}

Status Dropout(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (ctx.node().opset >= 12) {
    const Tensor* training = ctx.input(2);
    if (training && training->numel() == 1 && *training->data<uint8_t>() != 0) {
      double ratio = 0.5;
      if (ctx.input(1)) {
        IA_ASSIGN_OR_RETURN(ratio, ReadScalar(ctx, *ctx.input(1), "ratio"));
      }
      if (ratio != 0)
        return ctx.Unsupported("training-mode Dropout (random masks) is not supported");
    }
  }
  ctx.SetOutput(0, *x);
  if (ctx.wants_output(1)) {
    if (ctx.node().opset >= 10) {
      Tensor mask = Tensor::Empty(DType::kBool, x->shape());
      std::memset(mask.raw(), 1, mask.nbytes());
      ctx.SetOutput(1, mask);
    } else {
      Tensor mask = Tensor::Zeros(x->dtype(), x->shape());
      for (int64_t i = 0, n = mask.numel(); i < n; ++i) SetOne(mask, i);
      ctx.SetOutput(1, mask);
    }
  }
  return Status::Ok();
}

Status Trilu(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() < 2)
    return ctx.Error("input must have rank >= 2, got " + ShapeToString(x->shape()));
  int64_t k = 0;
  if (const Tensor* kt = ctx.input(1)) {
    IA_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(ctx, *kt, "k"));
    if (kv.size() != 1) return ctx.Error("k must be a scalar");
    k = kv[0];
  }
  bool upper = ctx.GetInt("upper", 1) != 0;
  Tensor& out = ctx.Allocate(0, x->dtype(), x->shape());
  std::memcpy(out.raw(), x->raw(), x->nbytes());
  int64_t rows = x->dim(-2), cols = x->dim(-1);
  int64_t mats = rows * cols == 0 ? 0 : x->numel() / (rows * cols);
  size_t es = DTypeSize(x->dtype());
  auto* d = static_cast<uint8_t*>(out.raw());
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      uint8_t* row = d + ((m * rows + i) * cols) * es;
      // upper keeps j >= i + k; lower keeps j <= i + k.
      int64_t b = upper ? 0 : std::clamp<int64_t>(i + k + 1, 0, cols);
      int64_t e = upper ? std::clamp<int64_t>(i + k, 0, cols) : cols;
      if (e > b) std::memset(row + b * es, 0, (e - b) * es);
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterShapeKernels(KernelRegistry& r) {
  r.Add("Identity", Identity);
  r.Add("Reshape", Reshape);
  r.Add("Flatten", Flatten);
  r.Add("Squeeze", Squeeze);
  r.Add("Unsqueeze", Unsqueeze);
  r.Add("Shape", ShapeOp);
  r.Add("Size", Size);
  r.Add("ConstantOfShape", ConstantOfShape, 9);
  r.Add("Range", Range, 11);
  r.Add("EyeLike", EyeLike, 9);
  r.Add("Dropout", Dropout);
  r.Add("Trilu", Trilu, 14);
}

}  // namespace ipfs_accelerate::engine::cpu
