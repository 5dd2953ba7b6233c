// CenterCropPad (opset 18), Col2Im (opset 18) and AffineGrid (opset 20): their attributes and shape
// rules, written once for every backend, every size from the inputs checked before it is used.
//
//   CenterCropPad(X, shape; axes): each listed axis (default all) cropped about its centre to
//     shape[i], or zero-padded about it; the window starts at (dim - shape[i]) / 2, rounded down
//     (a pad puts the extra value at the end).
//   Col2Im(X [N, C * prod(block), L], image_shape, block_shape; dilations, pads, strides): the
//     sum of every block column into the image [N, C, image...]; L must be the number of sliding
//     blocks the image, pads, strides and dilations give.
//   AffineGrid(theta [N, 2, 3] or [N, 3, 4], size [N, C, H, W] or [N, C, D, H, W]; align_corners):
//     the grid [N, H, W, 2] or [N, D, H, W, 3] of theta times (x, y[, z], 1), the coordinates of
//     each output position in [-1, 1] (pixel centres, or corners with align_corners).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

struct CenterCropPadPlan {
  Shape out;
  std::vector<int64_t> offset;  // per dim: input index of output index 0 (negative: padding)
};
Result<CenterCropPadPlan> CenterCropPadShape(const Node& node, const Shape& x,
                                             const std::vector<int64_t>& shape);

struct Col2ImPlan {
  Shape out;  // [N, C, image...]
  int64_t channels = 0, block_size = 0, blocks = 0;
  std::vector<int64_t> image, block, dilations, pads_begin, strides, positions;  // per spatial dim
};
Result<Col2ImPlan> Col2ImShape(const Node& node, const Shape& x, const std::vector<int64_t>& image,
                               const std::vector<int64_t>& block);

struct AffineGridPlan {
  Shape out;        // [N, H, W, 2] or [N, D, H, W, 3]
  int spatial = 2;  // 2 or 3
  Shape sizes;      // the spatial sizes: H, W or D, H, W
  bool align_corners = false;
};
Result<AffineGridPlan> AffineGridShape(const Node& node, const Shape& theta,
                                       const std::vector<int64_t>& size);

}  // namespace ipfs_accelerate::engine::ops
