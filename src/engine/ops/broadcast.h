// Numpy-style (multidirectional) broadcasting, as ONNX defines it: the shape rule, written once.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace ipfs_accelerate::engine::ops {

// The broadcast shape of `shapes`, or an error naming the two that disagree.
Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes);

// Strides (in elements) for reading a tensor of `shape` as if it had `out_shape`: 0 along
// broadcast dimensions. The result has out_shape.size() entries.
std::vector<int64_t> BroadcastStrides(const Shape& shape, const Shape& out_shape);

}  // namespace ipfs_accelerate::engine::ops
