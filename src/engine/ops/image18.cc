#include "engine/ops/image18.h"

#include <string>

#include "engine/ops/attributes.h"
#include "engine/ops/axis.h"

namespace ipfs_accelerate::engine::ops {
namespace {

Result<std::vector<int64_t>> IntsAttrOr(const Node& n, const char* name, size_t count,
                                        int64_t fallback) {
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, name, Attribute::Kind::kInts));
  if (!a) return std::vector<int64_t>(count, fallback);
  return a->ints;
}

}  // namespace

Result<CenterCropPadPlan> CenterCropPadShape(const Node& n, const Shape& x,
                                             const std::vector<int64_t>& shape) {
  const int64_t rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> axes;
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, "axes", Attribute::Kind::kInts));
  if (a) {
    axes = a->ints;
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (shape.size() != axes.size()) {
    return NodeError(n, "shape " + ShapeToString(shape) + " must have one entry per axis (" +
                            std::to_string(axes.size()) + ")");
  }
  CenterCropPadPlan p;
  p.out = x;
  p.offset.assign(x.size(), 0);
  std::vector<bool> seen(x.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    IA_ASSIGN_OR_RETURN(int d, NormalizeAxis(n, axes[i], rank, "axes entry"));
    if (seen[d]) return NodeError(n, "axes lists axis " + std::to_string(d) + " twice");
    seen[d] = true;
    if (shape[i] < 0) return NodeError(n, "shape " + ShapeToString(shape) + " has a negative size");
    p.out[d] = shape[i];
    // Crop: the window starts at (dim - s) / 2; pad: (s - dim) / 2 zeros before.
    p.offset[d] = x[d] >= shape[i] ? (x[d] - shape[i]) / 2 : -((shape[i] - x[d]) / 2);
  }
  return p;
}

Result<Col2ImPlan> Col2ImShape(const Node& n, const Shape& x, const std::vector<int64_t>& image,
                               const std::vector<int64_t>& block) {
  const size_t k = image.size();
  if (k == 0 || block.size() != k) {
    return NodeError(n, "image_shape " + ShapeToString(image) + " and block_shape " +
                            ShapeToString(block) + " must be non-empty and of one length");
  }
  if (x.size() != 3) {
    return NodeError(n, "input must be [N, C * prod(block_shape), L], got " + ShapeToString(x));
  }
  Col2ImPlan p;
  p.image = image;
  p.block = block;
  IA_ASSIGN_OR_RETURN(p.dilations, IntsAttrOr(n, "dilations", k, 1));
  IA_ASSIGN_OR_RETURN(p.strides, IntsAttrOr(n, "strides", k, 1));
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> pads, IntsAttrOr(n, "pads", 2 * k, 0));
  if (p.dilations.size() != k || p.strides.size() != k || pads.size() != 2 * k) {
    return NodeError(n, "dilations and strides need " + std::to_string(k) + " entries and pads " +
                            std::to_string(2 * k));
  }
  p.block_size = 1;
  p.blocks = 1;
  for (size_t d = 0; d < k; ++d) {
    if (image[d] <= 0 || block[d] <= 0 || p.dilations[d] <= 0 || p.strides[d] <= 0 || pads[d] < 0 ||
        pads[d + k] < 0 || image[d] > (int64_t{1} << 32) || block[d] > (int64_t{1} << 32) ||
        p.dilations[d] > (int64_t{1} << 32) || pads[d] > (int64_t{1} << 32) ||
        pads[d + k] > (int64_t{1} << 32)) {
      return NodeError(n,
                       "image_shape, block_shape, dilations and strides must be positive and "
                       "pads non-negative (and below 2^32)");
    }
    const int64_t span = p.dilations[d] * (block[d] - 1) + 1;
    const int64_t padded = image[d] + pads[d] + pads[d + k];
    if (padded < span) {
      return NodeError(n, "block " + std::to_string(d) + " (" + std::to_string(span) +
                              " wide with dilations) does not fit the padded image (" +
                              std::to_string(padded) + ")");
    }
    p.positions.push_back((padded - span) / p.strides[d] + 1);
    p.pads_begin.push_back(pads[d]);
    if (__builtin_mul_overflow(p.block_size, block[d], &p.block_size) ||
        __builtin_mul_overflow(p.blocks, p.positions.back(), &p.blocks)) {
      return NodeError(n, "block_shape or image_shape too large");
    }
  }
  if (x[1] % p.block_size != 0) {
    return NodeError(n, "input dimension 1 (" + std::to_string(x[1]) +
                            ") is not a multiple of prod(block_shape) (" +
                            std::to_string(p.block_size) + ")");
  }
  if (x[2] != p.blocks) {
    return NodeError(n, "input dimension 2 (" + std::to_string(x[2]) + ") must be the " +
                            std::to_string(p.blocks) +
                            " sliding blocks that image_shape, block_shape, pads, strides and "
                            "dilations give");
  }
  p.channels = x[1] / p.block_size;
  p.out = {x[0], p.channels};
  int64_t count = x[0] * p.channels;
  for (int64_t v : image) {
    if (__builtin_mul_overflow(count, v, &count)) return NodeError(n, "image_shape too large");
    p.out.push_back(v);
  }
  return p;
}

Result<AffineGridPlan> AffineGridShape(const Node& n, const Shape& theta,
                                       const std::vector<int64_t>& size) {
  AffineGridPlan p;
  if (size.size() != 4 && size.size() != 5) {
    return NodeError(n, "size must be [N, C, H, W] or [N, C, D, H, W], got " + ShapeToString(size));
  }
  p.spatial = static_cast<int>(size.size()) - 2;
  const int64_t rows = p.spatial, cols = p.spatial + 1;
  if (theta.size() != 3 || theta[0] != size[0] || theta[1] != rows || theta[2] != cols) {
    return NodeError(n, "theta must be [N, " + std::to_string(rows) + ", " + std::to_string(cols) +
                            "] for size " + ShapeToString(size) + ", got " + ShapeToString(theta));
  }
  IA_ASSIGN_OR_RETURN(int64_t align, IntAttrOr(n, "align_corners", 0));
  p.align_corners = align != 0;
  p.out = {size[0]};
  int64_t count = size[0] * rows;
  for (size_t d = 2; d < size.size(); ++d) {
    if (size[d] < 0) return NodeError(n, "size " + ShapeToString(size) + " has a negative entry");
    if (__builtin_mul_overflow(count, size[d], &count)) return NodeError(n, "size too large");
    p.out.push_back(size[d]);
    p.sizes.push_back(size[d]);
  }
  p.out.push_back(rows);
  return p;
}

}  // namespace ipfs_accelerate::engine::ops
