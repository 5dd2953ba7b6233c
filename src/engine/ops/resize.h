// Resize (opset 10+) and Upsample: the output shape from scales or sizes, written once for the
// kernel and the optimizer's shape inference, with every size checked before it is used.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

struct ResizeShape {
  Shape out;
  std::vector<double> scales;  // per dim; out / in when sizes gave the shape (1 for empty dims)
};

// The output of resizing X of shape `x`: `sizes` when not empty (one non-negative entry per
// dimension), else floor(x[d] * scales[d]) (one positive, finite entry per dimension). From
// opset 18, attribute `axes` makes them one entry per listed axis (the others unchanged), and
// keep_aspect_ratio_policy not_larger / not_smaller gives every such axis the one scale
// min / max(sizes / x) and the size round(scale * x[d]) (as the operator document says). Errors
// name the node and `sizes` or `scales`: a wrong count, a bad value, or an output whose size or
// element count passes 64 bits (scales of 1e30 are an error here; 1e9 is the memory budget's).
Result<ResizeShape> ResizeOutputShape(const Node& node, const Shape& x,
                                      const std::vector<float>& scales,
                                      const std::vector<int64_t>& sizes);

}  // namespace ipfs_accelerate::engine::ops
