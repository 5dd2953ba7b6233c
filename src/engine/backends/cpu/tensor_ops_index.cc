// Kernels driven by index tensors: gathers, scatters, one-hot, nonzero, compress, unique.
// Every index is checked against its dimension before any byte moves.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/backends/cpu/tensor_ops_util.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace tensor_ops;  // NOLINT: this file's own helpers

// Indices (int32 or int64) with negatives wrapped by `dim`; an error names the first out of [-dim,
// dim).
Result<std::vector<int64_t>> ReadIndices(const KernelContext& ctx, const Tensor& t, int64_t dim,
                                         const char* what) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32) {
    return ctx.Error(std::string(what) + " must be int32 or int64, got " + DTypeName(t.dtype()));
  }
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, t, what));
  for (int64_t& i : v) {
    if (i < -dim || i >= dim) {
      return ctx.Error(std::string(what) + " value " + std::to_string(i) +
                       " is out of range for a dimension of size " + std::to_string(dim) +
                       " (expected [" + std::to_string(-dim) + ", " + std::to_string(dim) + "))");
    }
    if (i < 0) i += dim;
  }
  return v;
}

Status Gather(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(Shape shape, ops::GatherShape(ctx.node(), data->shape(), ind->shape(),
                                                    ctx.GetInt("axis", 0)));
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), data->rank()));
  int64_t dim = data->dim(axis);
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(ctx, *ind, dim, "indices"));
  int64_t outer = 1, inner = DTypeSize(data->dtype());
  for (int d = 0; d < axis; ++d) outer *= data->dim(d);
  for (int d = axis + 1; d < data->rank(); ++d) inner *= data->dim(d);
  Tensor& out = ctx.Allocate(0, data->dtype(), shape);
  int64_t n = static_cast<int64_t>(idx.size());
  const auto* src = static_cast<const uint8_t*>(data->raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  // One memcpy per gathered row: an embedding lookup is n row copies.
  ParallelFor(ctx.pool(), outer * n, inner, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / n, k = r % n;
      std::memcpy(dst + r * inner, src + (o * dim + idx[k]) * inner, inner);
    }
  });
  return Status::Ok();
}

// Offsets into `data` for each position of `ind` (same rank), with the index value on `axis`.
Result<std::vector<int64_t>> ElementOffsets(const KernelContext& ctx, const Tensor& data,
                                            const Tensor& ind, int axis) {
  if (ind.rank() != data.rank()) return ctx.Error("indices must have the same rank as data");
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(ctx, ind, data.dim(axis), "indices"));
  std::vector<int64_t> strides = ContiguousStrides(data.shape());
  int rank = ind.rank();
  std::vector<int64_t> pos(rank, 0);
  for (size_t i = 0; i < idx.size(); ++i) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) off += (d == axis ? idx[i] : pos[d]) * strides[d];
    idx[i] = off;
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < ind.dim(d)) break;
      pos[d] = 0;
    }
  }
  for (int d = 0; d < rank; ++d) {
    if (d != axis && ind.dim(d) > data.dim(d) && idx.size() > 0) {
      return ctx.Error("indices shape " + ShapeToString(ind.shape()) + " exceeds data shape " +
                       ShapeToString(data.shape()) + " on axis " + std::to_string(d));
    }
  }
  return idx;
}

Status GatherElements(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), data->rank()));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> offs, ElementOffsets(ctx, *data, *ind, axis));
  Tensor& out = ctx.Allocate(0, data->dtype(), ind->shape());
  size_t es = DTypeSize(data->dtype());
  for (size_t i = 0; i < offs.size(); ++i) {
    std::memcpy(static_cast<uint8_t*>(out.raw()) + i * es,
                static_cast<const uint8_t*>(data->raw()) + offs[i] * es, es);
  }
  return Status::Ok();
}

// dst[i] = reduce(dst[i], src[i]) for n elements; `reduction` is none/add/mul/max/min.
Status Combine(const KernelContext& ctx, DType dtype, const std::string& reduction, void* dst,
               const void* src, int64_t n) {
  size_t es = DTypeSize(dtype);
  if (reduction == "none") {
    std::memcpy(dst, src, n * es);
    return Status::Ok();
  }
  if (reduction != "add" && reduction != "mul" && reduction != "max" && reduction != "min") {
    return ctx.Error("unknown reduction '" + reduction + "'");
  }
  bool ok = dtype != DType::kBool && Dispatch<kAll>(dtype, [&](auto x) {
              using T = typename decltype(x)::type;
              T* d = static_cast<T*>(dst);
              const T* s = static_cast<const T*>(src);
              for (int64_t i = 0; i < n; ++i) {
                if (reduction == "add")
                  d[i] = static_cast<T>(d[i] + s[i]);
                else if (reduction == "mul")
                  d[i] = static_cast<T>(d[i] * s[i]);
                else if (reduction == "max")
                  d[i] = std::max(d[i], s[i]);
                else
                  d[i] = std::min(d[i], s[i]);
              }
            });
  if (!ok) return ctx.Unsupported("reduction '" + reduction + "' on " + DTypeName(dtype));
  return Status::Ok();
}

Status ScatterElements(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* upd, ctx.Required(2));
  if (upd->shape() != ind->shape()) return ctx.Error("updates must have the shape of indices");
  if (upd->dtype() != data->dtype()) return ctx.Error("updates must have the dtype of data");
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), data->rank()));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> offs, ElementOffsets(ctx, *data, *ind, axis));
  Tensor out = data->Clone();
  std::string reduction = ctx.GetString("reduction", "none");
  size_t es = DTypeSize(data->dtype());
  for (size_t i = 0; i < offs.size(); ++i) {
    IA_RETURN_IF_ERROR(Combine(ctx, data->dtype(), reduction,
                               static_cast<uint8_t*>(out.raw()) + offs[i] * es,
                               static_cast<const uint8_t*>(upd->raw()) + i * es, 1));
  }
  ctx.SetOutput(0, out);
  return Status::Ok();
}

// For GatherND/ScatterND: the element offset in `data` of each index tuple (last dim of `ind`),
// within batch `b` of `batch_dims` leading dims. `slice` receives the elements per tuple.
Result<std::vector<int64_t>> TupleOffsets(const KernelContext& ctx, const Tensor& data,
                                          const Tensor& ind, int64_t batch_dims, int64_t* slice) {
  if (ind.rank() < 1) return ctx.Error("indices must have rank >= 1");
  int64_t k = ind.dim(-1);
  if (batch_dims < 0 || batch_dims >= ind.rank() || k + batch_dims > data.rank()) {
    return ctx.Error("indices shape " + ShapeToString(ind.shape()) + " does not fit data shape " +
                     ShapeToString(data.shape()) + " with batch_dims " +
                     std::to_string(batch_dims));
  }
  int64_t batch = 1;
  for (int64_t d = 0; d < batch_dims; ++d) {
    if (ind.dim(static_cast<int>(d)) != data.dim(static_cast<int>(d)))
      return ctx.Error("batch dimensions differ");
    batch *= data.dim(static_cast<int>(d));
  }
  if (ind.dtype() != DType::kInt64 && ind.dtype() != DType::kInt32)
    return ctx.Error("indices must be int32 or int64");
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInts(ctx, ind, "indices"));
  std::vector<int64_t> strides = ContiguousStrides(data.shape());
  *slice = 1;
  for (int64_t d = batch_dims + k; d < data.rank(); ++d) *slice *= data.dim(static_cast<int>(d));
  int64_t batch_stride = batch_dims > 0 ? strides[batch_dims - 1] : 0;
  int64_t tuples = k == 0 ? NumElements(ind.shape()) : static_cast<int64_t>(raw.size()) / k;
  if (k == 0) tuples = NumElements(Shape(ind.shape().begin(), ind.shape().end() - 1));
  int64_t per_batch = batch == 0 ? 0 : tuples / batch;
  std::vector<int64_t> offs(tuples);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = per_batch ? (t / per_batch) * batch_stride : 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t dim = data.dim(static_cast<int>(batch_dims + j)), v = raw[t * k + j];
      if (v < -dim || v >= dim) {
        return ctx.Error("indices value " + std::to_string(v) +
                         " is out of range for data dimension " + std::to_string(batch_dims + j) +
                         " of size " + std::to_string(dim));
      }
      off += (v < 0 ? v + dim : v) * strides[batch_dims + j];
    }
    offs[t] = off;
  }
  return offs;
}

Status GatherND(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(1));
  int64_t batch_dims = ctx.GetInt("batch_dims", 0), slice;
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> offs,
                      TupleOffsets(ctx, *data, *ind, batch_dims, &slice));
  Shape shape(ind->shape().begin(), ind->shape().end() - 1);
  shape.insert(shape.end(), data->shape().begin() + batch_dims + ind->dim(-1), data->shape().end());
  Tensor& out = ctx.Allocate(0, data->dtype(), shape);
  size_t row = slice * DTypeSize(data->dtype());
  for (size_t t = 0; t < offs.size(); ++t) {
    std::memcpy(static_cast<uint8_t*>(out.raw()) + t * row,
                static_cast<const uint8_t*>(data->raw()) + offs[t] * DTypeSize(data->dtype()), row);
  }
  return Status::Ok();
}

Status ScatterND(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* upd, ctx.Required(2));
  int64_t slice;
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> offs, TupleOffsets(ctx, *data, *ind, 0, &slice));
  Shape want(ind->shape().begin(), ind->shape().end() - 1);
  want.insert(want.end(), data->shape().begin() + ind->dim(-1), data->shape().end());
  if (upd->shape() != want || upd->dtype() != data->dtype()) {
    return ctx.Error("updates must be " + DTypeName(data->dtype()) + " " + ShapeToString(want) +
                     ", got " + DTypeName(upd->dtype()) + " " + ShapeToString(upd->shape()));
  }
  Tensor out = data->Clone();
  std::string reduction = ctx.GetString("reduction", "none");
  size_t es = DTypeSize(data->dtype());
  for (size_t t = 0; t < offs.size(); ++t) {
    IA_RETURN_IF_ERROR(Combine(ctx, data->dtype(), reduction,
                               static_cast<uint8_t*>(out.raw()) + offs[t] * es,
                               static_cast<const uint8_t*>(upd->raw()) + t * slice * es, slice));
  }
  ctx.SetOutput(0, out);
  return Status::Ok();
}

// A numeric tensor's values as double.
Result<std::vector<double>> ReadDoubles(const KernelContext& ctx, const Tensor& t,
                                        const char* what) {
  if (t.dtype() == DType::kFloat16 || t.dtype() == DType::kBFloat16) {
    std::vector<float> f = ToFloats(t);
    return std::vector<double>(f.begin(), f.end());
  }
  std::vector<double> v(t.numel());
  bool ok = Dispatch<kAll>(t.dtype(), [&](auto x) {
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<double>(t.data<typename decltype(x)::type>()[i]);
  });
  if (!ok) return ctx.Error(std::string(what) + " must be numeric");
  return v;
}

Status OneHot(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* ind, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* dep, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* vals, ctx.Required(2));
  if (vals->numel() != 2) return ctx.Error("values must hold [off_value, on_value]");
  IA_ASSIGN_OR_RETURN(double depth_d, ReadScalar(ctx, *dep, "depth"));
  if (!(depth_d >= 1 && depth_d < 1e12))
    return ctx.Error("depth must be in [1, 1e12), got " + std::to_string(depth_d));
  int64_t depth = static_cast<int64_t>(depth_d);
  if (depth <= 0) return ctx.Error("depth must be positive, got " + std::to_string(depth));
  IA_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx, ctx.GetInt("axis", -1), ind->rank() + 1));
  IA_ASSIGN_OR_RETURN(std::vector<double> idx, ReadDoubles(ctx, *ind, "indices"));
  Shape shape(ind->shape().begin(), ind->shape().begin() + axis);
  shape.push_back(depth);
  shape.insert(shape.end(), ind->shape().begin() + axis, ind->shape().end());
  int64_t inner = 1;
  for (int d = axis; d < ind->rank(); ++d) inner *= ind->dim(d);
  IA_RETURN_IF_ERROR(CheckOutputSize(ctx, shape, vals->dtype()));
  Tensor& out = ctx.Allocate(0, vals->dtype(), shape);
  size_t es = DTypeSize(vals->dtype());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto* off = static_cast<const uint8_t*>(vals->raw());
  for (int64_t i = 0, n = out.numel(); i < n; ++i) std::memcpy(dst + i * es, off, es);
  for (size_t i = 0; i < idx.size(); ++i) {
    if (!(std::fabs(idx[i]) < 1e15)) continue;  // NaN or far out of range: all off
    int64_t v = static_cast<int64_t>(idx[i]);
    if (v < 0) v += depth;
    if (v < 0 || v >= depth) continue;
    int64_t o = static_cast<int64_t>(i) / inner, in = static_cast<int64_t>(i) % inner;
    std::memcpy(dst + ((o * depth + v) * inner + in) * es, off + es, es);
  }
  return Status::Ok();
}

// Whether each element is nonzero (by value: -0.0 is zero).
std::vector<bool> NonZeroMask(const Tensor& t) {
  std::vector<bool> m(t.numel());
  if (t.dtype() == DType::kFloat16 || t.dtype() == DType::kBFloat16) {
    for (size_t i = 0; i < m.size(); ++i) m[i] = (t.data<uint16_t>()[i] & 0x7fff) != 0;
    return m;
  }
  Dispatch<kAll>(t.dtype(), [&](auto x) {
    for (size_t i = 0; i < m.size(); ++i)
      m[i] = t.data<typename decltype(x)::type>()[i] != typename decltype(x)::type{};
  });
  return m;
}

Status NonZero(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<bool> m = NonZeroMask(*x);
  int64_t nnz = std::count(m.begin(), m.end(), true);
  int rank = x->rank();
  if (rank == 0) {  // a scalar reads as one element of a 1-D tensor
    ctx.SetOutput(0, Tensor::Zeros(DType::kInt64, {1, nnz}));
    return Status::Ok();
  }
  Tensor& out = ctx.Allocate(0, DType::kInt64, {rank, nnz});
  std::vector<int64_t> pos(rank, 0);
  int64_t k = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i]) {
      for (int d = 0; d < rank; ++d) out.data<int64_t>()[d * nnz + k] = pos[d];
      ++k;
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < x->dim(d)) break;
      pos[d] = 0;
    }
  }
  return Status::Ok();
}

Status Compress(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* c, ctx.Required(1));
  if (c->dtype() != DType::kBool || c->rank() != 1)
    return ctx.Error("condition must be a 1-D bool tensor");
  Tensor in = *x;
  int axis = 0;
  if (ctx.HasAttr("axis")) {
    IA_ASSIGN_OR_RETURN(axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), x->rank()));
  } else {
    in = x->Reshaped({x->numel()});
  }
  int64_t dim = in.dim(axis), len = std::min(dim, c->numel());
  if (c->numel() > dim) {
    return ctx.Error("condition has " + std::to_string(c->numel()) +
                     " entries but the axis has size " + std::to_string(dim));
  }
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < len; ++i) {
    if (c->data<uint8_t>()[i]) keep.push_back(i);
  }
  int64_t outer = 1, inner = DTypeSize(x->dtype());
  for (int d = 0; d < axis; ++d) outer *= in.dim(d);
  for (int d = axis + 1; d < in.rank(); ++d) inner *= in.dim(d);
  Shape shape = in.shape();
  shape[axis] = static_cast<int64_t>(keep.size());
  Tensor& out = ctx.Allocate(0, x->dtype(), shape);
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  int64_t n = static_cast<int64_t>(keep.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(dst + (o * n + k) * inner, src + (o * dim + keep[k]) * inner, inner);
  }
  return Status::Ok();
}

Status Unique(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  bool sorted = ctx.GetInt("sorted", 1) != 0;
  Tensor in = *x;
  int axis = 0;
  if (ctx.HasAttr("axis")) {
    IA_ASSIGN_OR_RETURN(axis, NormalizeAxis(ctx, ctx.GetInt("axis", 0), x->rank()));
  } else {
    in = x->Reshaped({x->numel()});
  }
  int64_t dim = in.dim(axis), outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= in.dim(d);
  for (int d = axis + 1; d < in.rank(); ++d) inner *= in.dim(d);
  // Slice j holds elements (o, j, i); compare slices element by element.
  auto compare = [&](int64_t a, int64_t b) -> int {
    int r = 0;
    auto cmp = [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = in.data<T>();
      for (int64_t o = 0; o < outer && r == 0; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          T va = p[(o * dim + a) * inner + i], vb = p[(o * dim + b) * inner + i];
          if (va < vb) {
            r = -1;
            break;
          }
          if (vb < va) {
            r = 1;
            break;
          }
        }
      }
    };
    if (!Dispatch<kAll>(in.dtype(), cmp)) cmp(Tag<uint16_t>{});
    return r;
  };
  if (in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16) {
    return ctx.Unsupported("Unique on " + DTypeName(in.dtype()));
  }
  std::vector<int64_t> order(dim);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
  // Groups of equal slices, each named by its first occurrence.
  std::vector<int64_t> group_of(dim);
  std::vector<int64_t> first, count;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || compare(order[i - 1], order[i]) != 0) {
      first.push_back(order[i]);
      count.push_back(0);
    }
    group_of[order[i]] = static_cast<int64_t>(first.size()) - 1;
    ++count.back();
  }
  int64_t u = static_cast<int64_t>(first.size());
  std::vector<int64_t> rank_of(u);  // output position of each group
  std::vector<int64_t> groups(u);
  std::iota(groups.begin(), groups.end(), 0);
  if (!sorted)
    std::sort(groups.begin(), groups.end(),
              [&](int64_t a, int64_t b) { return first[a] < first[b]; });
  for (int64_t p = 0; p < u; ++p) rank_of[groups[p]] = p;
  Shape shape = in.shape();
  shape[axis] = u;
  Tensor& y = ctx.Allocate(0, in.dtype(), shape);
  size_t row = inner * DTypeSize(in.dtype());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t p = 0; p < u; ++p) {
      std::memcpy(static_cast<uint8_t*>(y.raw()) + (o * u + p) * row,
                  static_cast<const uint8_t*>(in.raw()) + (o * dim + first[groups[p]]) * row, row);
    }
  }
  if (ctx.wants_output(1)) {
    Tensor& t = ctx.Allocate(1, DType::kInt64, {u});
    for (int64_t p = 0; p < u; ++p) t.data<int64_t>()[p] = first[groups[p]];
  }
  if (ctx.wants_output(2)) {
    Tensor& t = ctx.Allocate(2, DType::kInt64, {dim});
    for (int64_t j = 0; j < dim; ++j) t.data<int64_t>()[j] = rank_of[group_of[j]];
  }
  if (ctx.wants_output(3)) {
    Tensor& t = ctx.Allocate(3, DType::kInt64, {u});
    for (int64_t p = 0; p < u; ++p) t.data<int64_t>()[p] = count[groups[p]];
  }
  return Status::Ok();
}

}  // namespace

void RegisterIndexKernels(KernelRegistry& r) {
  r.Add("Gather", Gather);
  r.Add("GatherElements", GatherElements, 11);
  r.Add("GatherND", GatherND, 11);
  r.Add("ScatterElements", ScatterElements, 11);
  r.Add("Scatter", ScatterElements, 9, 10);
  r.Add("ScatterND", ScatterND, 11);
  r.Add("OneHot", OneHot, 9);
  r.Add("NonZero", NonZero, 9);
  r.Add("Compress", Compress, 9);
  r.Add("Unique", Unique, 11);
}

}  // namespace ipfs_accelerate::engine::cpu
