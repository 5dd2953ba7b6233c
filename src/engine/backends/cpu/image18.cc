// CenterCropPad (opset 18, every dtype), Col2Im (opset 18) and AffineGrid (opset 20), float32 and
// float64; rules in engine/ops/image18.h.
#include "engine/ops/image18.h"

#include <cstring>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/tensor_ops_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using tensor_ops::ReadInts;

Status CenterCropPad(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadInts(ctx, *s, "shape"));
  IA_ASSIGN_OR_RETURN(ops::CenterCropPadPlan p,
                      ops::CenterCropPadShape(ctx.node(), x->shape(), shape));
  Tensor& y = ctx.Allocate(0, x->dtype(), p.out);
  const int64_t n = y.numel();
  if (n == 0) return Status::Ok();
  const size_t es = DTypeSize(x->dtype());
  const int rank = x->rank();
  auto* dst = static_cast<uint8_t*>(y.raw());
  std::memset(dst, 0, n * es);  // the padding (0, 0.0 and false are all-zero bytes)
  if (x->numel() == 0 || rank == 0) {
    if (rank == 0) std::memcpy(dst, x->raw(), es);
    return Status::Ok();
  }
  const auto* src = static_cast<const uint8_t*>(x->raw());
  const std::vector<int64_t> in_strides = tensor_ops::ContiguousStrides(x->shape());
  // Along the last dim one contiguous run per row: output [o0, o1) from input o0 + offset.
  const int64_t last = rank - 1, inner = p.out[last], off = p.offset[last];
  const int64_t o0 = std::max<int64_t>(0, -off), o1 = std::min<int64_t>(inner, x->dim(last) - off);
  const int64_t rows = n / inner;
  ParallelFor(ctx.pool(), rows, inner * static_cast<int64_t>(es), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      int64_t r = row, in_off = 0;
      bool inside = true;
      for (int d = rank - 2; d >= 0; --d) {
        const int64_t i = r % p.out[d] + p.offset[d];
        r /= p.out[d];
        if (i < 0 || i >= x->dim(d)) inside = false;
        in_off += i * in_strides[d];
      }
      if (!inside || o1 <= o0) continue;
      std::memcpy(dst + (row * inner + o0) * es, src + (in_off + o0 + off) * es, (o1 - o0) * es);
    }
  });
  return Status::Ok();
}

template <typename T>
void Col2ImTyped(ThreadPool* pool, const T* x, T* y, const ops::Col2ImPlan& p, int64_t batches) {
  const size_t k = p.image.size();
  int64_t image_size = 1;
  for (int64_t v : p.image) image_size *= v;
  // One (batch, channel) image per task: its block columns summed in a fixed order.
  ParallelFor(pool, batches * p.channels, p.block_size * p.blocks, [&](int64_t b, int64_t e) {
    std::vector<int64_t> kb(k), pos(k);
    for (int64_t bc = b; bc < e; ++bc) {
      T* out = y + bc * image_size;
      std::fill(out, out + image_size, T(0));
      const T* in = x + bc * p.block_size * p.blocks;
      for (int64_t kf = 0; kf < p.block_size; ++kf) {
        int64_t r = kf;
        for (size_t d = k; d-- > 0;) {
          kb[d] = r % p.block[d];
          r /= p.block[d];
        }
        const T* col = in + kf * p.blocks;
        for (int64_t l = 0; l < p.blocks; ++l) {
          int64_t q = l, at = 0;
          bool inside = true;
          for (size_t d = k; d-- > 0;) {
            pos[d] = q % p.positions[d];
            q /= p.positions[d];
          }
          for (size_t d = 0; d < k; ++d) {
            const int64_t i = pos[d] * p.strides[d] - p.pads_begin[d] + kb[d] * p.dilations[d];
            if (i < 0 || i >= p.image[d]) {
              inside = false;
              break;
            }
            at = at * p.image[d] + i;
          }
          if (inside) out[at] += col[l];
        }
      }
    }
  });
}

Status Col2Im(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* img, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* blk, ctx.Required(2));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> image, ReadInts(ctx, *img, "image_shape"));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> block, ReadInts(ctx, *blk, "block_shape"));
  IA_ASSIGN_OR_RETURN(ops::Col2ImPlan p, ops::Col2ImShape(ctx.node(), x->shape(), image, block));
  Tensor& y = ctx.Allocate(0, x->dtype(), p.out);
  if (y.numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      Col2ImTyped(ctx.pool(), x->data<float>(), y.data<float>(), p, x->dim(0));
      break;
    case DType::kFloat64:
      Col2ImTyped(ctx.pool(), x->data<double>(), y.data<double>(), p, x->dim(0));
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) + " (float32 and float64 only)");
  }
  return Status::Ok();
}

// The normalised coordinate of index i of `n`: pixel centres, or corners with align_corners.
double GridCoord(int64_t i, int64_t n, bool align_corners) {
  if (align_corners) return n == 1 ? -1.0 : -1.0 + 2.0 * static_cast<double>(i) / double(n - 1);
  return (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(n) - 1.0;
}

template <typename T>
void AffineGridTyped(ThreadPool* pool, const T* theta, T* grid, const ops::AffineGridPlan& p) {
  const int s = p.spatial;
  int64_t points = 1;
  for (int64_t v : p.sizes) points *= v;
  const int64_t batches = p.out[0];
  ParallelFor(pool, batches * points, 3 * s, [&](int64_t b, int64_t e) {
    double c[4];
    for (int64_t q = b; q < e; ++q) {
      const int64_t n = q / points;
      int64_t r = q % points;
      // sizes are (D,) H, W; the coordinates x (W), y (H)[, z (D)], 1
      for (int d = s - 1; d >= 0; --d) {
        c[s - 1 - d] = GridCoord(r % p.sizes[d], p.sizes[d], p.align_corners);
        r /= p.sizes[d];
      }
      c[s] = 1;
      const T* th = theta + n * s * (s + 1);
      T* g = grid + q * s;
      for (int i = 0; i < s; ++i) {
        double acc = 0;
        for (int j = 0; j <= s; ++j) acc += double(th[i * (s + 1) + j]) * c[j];
        g[i] = static_cast<T>(acc);
      }
    }
  });
}

Status AffineGrid(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* theta, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* size, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ReadInts(ctx, *size, "size"));
  IA_ASSIGN_OR_RETURN(ops::AffineGridPlan p,
                      ops::AffineGridShape(ctx.node(), theta->shape(), sizes));
  Tensor& y = ctx.Allocate(0, theta->dtype(), p.out);
  if (y.numel() == 0) return Status::Ok();
  switch (theta->dtype()) {
    case DType::kFloat32:
      AffineGridTyped(ctx.pool(), theta->data<float>(), y.data<float>(), p);
      break;
    case DType::kFloat64:
      AffineGridTyped(ctx.pool(), theta->data<double>(), y.data<double>(), p);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(theta->dtype()) + " (float32 and float64 only)");
  }
  return Status::Ok();
}

}  // namespace

void RegisterImage18Kernels(KernelRegistry& r) {
  r.Add("CenterCropPad", CenterCropPad, 18);
  r.Add("Col2Im", Col2Im, 18).Types({DType::kFloat32, DType::kFloat64});
  r.Add("AffineGrid", AffineGrid, 20).Types({DType::kFloat32, DType::kFloat64});
}

}  // namespace ipfs_accelerate::engine::cpu
