// The sequence and optional operators: sequences of tensors (engine::Value) built, read, split
// and concatenated; optionals made, tested and opened. SequenceMap, which runs a body, is with the
// control flow (tensor_ops_control.cc). Items are shared between sequences, never modified.
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/tensor_ops_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using tensor_ops::CheckOutputSize;
using tensor_ops::ConcatInto;
using tensor_ops::CopyAlong;
using tensor_ops::NormalizeAxis;
using tensor_ops::ReadInts;

Result<const Value*> RequiredSequence(const KernelContext& ctx, size_t i) {
  const Value* v = ctx.value(i);
  if (!v || !v->is_sequence()) {
    return ctx.Error("input " + std::to_string(i) + " must be a sequence, got " +
                     (v ? v->Describe() : std::string("nothing")));
  }
  return v;
}

// The position input `i` (a scalar int32/int64) in [-n, n + extra), as an index in [0, n + extra).
Result<int64_t> Position(const KernelContext& ctx, size_t i, int64_t n, int64_t extra) {
  IA_ASSIGN_OR_RETURN(const Tensor* p, ctx.Required(i));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, *p, "position"));
  if (v.size() != 1) return ctx.Error("position must be a scalar");
  int64_t pos = v[0];
  if (pos < -n || pos >= n + extra) {
    return ctx.Error("position " + std::to_string(pos) + " is out of range for a sequence of " +
                     std::to_string(n));
  }
  return pos < 0 ? pos + n : pos;
}

Status CheckItemType(const KernelContext& ctx, DType want, const Tensor& t) {
  if (want != DType::kUndefined && t.dtype() != want) {
    return ctx.Error("a " + DTypeName(t.dtype()) + " tensor cannot join a sequence of " +
                     DTypeName(want));
  }
  return Status::Ok();
}

Status SequenceEmpty(KernelContext& ctx) {
  DType dtype = DTypeFromOnnx(static_cast<int32_t>(ctx.GetInt("dtype", 1)));
  if (dtype == DType::kUndefined) return ctx.Error("dtype names no tensor type this engine holds");
  ctx.SetOutput(0, Value::Sequence(dtype, {}));
  return Status::Ok();
}

Status SequenceConstruct(KernelContext& ctx) {
  std::vector<Tensor> items;
  DType dtype = DType::kUndefined;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
    if (i == 0) dtype = t->dtype();
    IA_RETURN_IF_ERROR(CheckItemType(ctx, dtype, *t));
    items.push_back(*t);
  }
  if (items.empty()) return ctx.Error("needs at least one tensor");
  ctx.SetOutput(0, Value::Sequence(dtype, std::move(items)));
  return Status::Ok();
}

Status SequenceInsert(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Value* seq, RequiredSequence(ctx, 0));
  IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(1));
  DType dtype = seq->sequence_dtype();
  if (seq->items().empty() && dtype == DType::kUndefined) dtype = t->dtype();
  IA_RETURN_IF_ERROR(CheckItemType(ctx, dtype, *t));
  std::vector<Tensor> items = seq->items();
  const int64_t n = static_cast<int64_t>(items.size());
  int64_t pos = n;
  if (ctx.input(2)) {
    IA_ASSIGN_OR_RETURN(pos, Position(ctx, 2, n, 1));
  }
  items.insert(items.begin() + pos, *t);
  ctx.SetOutput(0, Value::Sequence(dtype, std::move(items)));
  return Status::Ok();
}

Status SequenceAt(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Value* seq, RequiredSequence(ctx, 0));
  const int64_t n = static_cast<int64_t>(seq->items().size());
  IA_ASSIGN_OR_RETURN(int64_t pos, Position(ctx, 1, n, 0));
  ctx.SetOutput(0, seq->items()[pos]);
  return Status::Ok();
}

Status SequenceErase(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Value* seq, RequiredSequence(ctx, 0));
  std::vector<Tensor> items = seq->items();
  const int64_t n = static_cast<int64_t>(items.size());
  if (n == 0) return ctx.Error("cannot erase from an empty sequence");
  int64_t pos = n - 1;
  if (ctx.input(1)) {
    IA_ASSIGN_OR_RETURN(pos, Position(ctx, 1, n, 0));
  }
  items.erase(items.begin() + pos);
  ctx.SetOutput(0, Value::Sequence(seq->sequence_dtype(), std::move(items)));
  return Status::Ok();
}

Status SequenceLength(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Value* seq, RequiredSequence(ctx, 0));
  ctx.SetOutput(0,
                Tensor::Scalar<int64_t>(DType::kInt64, static_cast<int64_t>(seq->items().size())));
  return Status::Ok();
}

Status SplitToSequence(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() == 0) return ctx.Error("cannot split a scalar");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), x->rank()));
  const int64_t dim = x->dim(axis);
  std::vector<int64_t> sizes;
  bool keepdims = true;
  if (const Tensor* split = ctx.input(1)) {
    IA_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, *split, "split"));
    if (split->rank() == 0) {
      if (v[0] <= 0) return ctx.Error("split must be positive, got " + std::to_string(v[0]));
      for (int64_t at = 0; at < dim; at += v[0]) sizes.push_back(std::min(v[0], dim - at));
    } else {
      int64_t total = 0;
      for (int64_t s : v) {
        if (s < 0) return ctx.Error("split sizes must not be negative");
        total += s;
      }
      if (total != dim) {
        return ctx.Error("split sizes add up to " + std::to_string(total) + ", the axis has " +
                         std::to_string(dim));
      }
      sizes = v;
    }
  } else {
    sizes.assign(dim, 1);
    keepdims = ctx.GetInt("keepdims", 1) != 0;
  }
  std::vector<Tensor> items;
  int64_t start = 0;
  for (int64_t len : sizes) {
    Shape shape = x->shape();
    shape[axis] = len;
    Tensor part = Tensor::Empty(x->dtype(), shape);
    CopyAlong(part, *x, axis, start);
    if (!keepdims) {
      shape.erase(shape.begin() + axis);
      part = part.Reshaped(shape);
    }
    items.push_back(std::move(part));
    start += len;
  }
  ctx.SetOutput(0, Value::Sequence(x->dtype(), std::move(items)));
  return Status::Ok();
}

Status ConcatFromSequence(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Value* seq, RequiredSequence(ctx, 0));
  const std::vector<Tensor>& items = seq->items();
  if (items.empty()) return ctx.Error("cannot concatenate an empty sequence");
  const bool new_axis = ctx.GetInt("new_axis", 0) != 0;
  if (!ctx.HasAttr("axis")) return ctx.Error("needs the attribute 'axis'");
  const Tensor& first = items[0];
  const int rank = first.rank() + (new_axis ? 1 : 0);
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), rank));
  // Each item as a slab along `axis` (a new axis of 1 when stacking).
  Shape out_shape = first.shape();
  if (new_axis) out_shape.insert(out_shape.begin() + axis, 0);
  if (!new_axis) out_shape[axis] = 0;
  std::vector<Tensor> slabs;  // the items, with the new axis of 1 when stacking
  for (size_t i = 0; i < items.size(); ++i) {
    Shape s = items[i].shape();
    if (new_axis) s.insert(s.begin() + axis, 1);
    bool same = items[i].dtype() == first.dtype() && static_cast<int>(s.size()) == rank;
    for (int d = 0; same && d < rank; ++d) same = d == axis || s[d] == out_shape[d];
    if (!same) {
      return ctx.Error("item " + std::to_string(i) + " is " + DTypeName(items[i].dtype()) + " " +
                       ShapeToString(items[i].shape()) + "; it does not fit item 0, " +
                       DTypeName(first.dtype()) + " " + ShapeToString(first.shape()));
    }
    out_shape[axis] += s[axis];
    slabs.push_back(items[i].Reshaped(std::move(s)));
  }
  IA_RETURN_IF_ERROR(CheckOutputSize(ctx, out_shape, first.dtype()));
  Tensor& out = ctx.Allocate(0, first.dtype(), out_shape);
  std::vector<const Tensor*> parts;
  for (const Tensor& t : slabs) parts.push_back(&t);
  ConcatInto(out, parts, axis, ctx.pool());
  return Status::Ok();
}

// Optional(x) is x; Optional() with no input is an empty optional.
Status Optional(KernelContext& ctx) {
  const Value* v = ctx.value(0);
  ctx.SetOutput(0, v ? *v : Value::None());
  return Status::Ok();
}

Status OptionalHasElement(KernelContext& ctx) {
  const Value* v = ctx.value(0);
  ctx.SetOutput(0, Tensor::Scalar<uint8_t>(DType::kBool, v && !v->is_none() ? 1 : 0));
  return Status::Ok();
}

Status OptionalGetElement(KernelContext& ctx) {
  const Value* v = ctx.value(0);
  if (!v || v->is_none()) return ctx.Error("the optional is empty");
  ctx.SetOutput(0, *v);
  return Status::Ok();
}

}  // namespace

void RegisterSequenceKernels(KernelRegistry& r) {
  r.Add("SequenceEmpty", SequenceEmpty, 11);
  r.Add("SequenceConstruct", SequenceConstruct, 11);
  r.Add("SequenceInsert", SequenceInsert, 11);
  r.Add("SequenceAt", SequenceAt, 11);
  r.Add("SequenceErase", SequenceErase, 11);
  r.Add("SequenceLength", SequenceLength, 11);
  r.Add("SplitToSequence", SplitToSequence, 11);
  r.Add("ConcatFromSequence", ConcatFromSequence, 11);
  r.Add("Optional", Optional, 15);
  r.Add("OptionalHasElement", OptionalHasElement, 15);
  r.Add("OptionalGetElement", OptionalGetElement, 15);
}

}  // namespace ipfs_accelerate::engine::cpu
