// The output shapes of the ops that only rearrange dimensions (Squeeze, Unsqueeze, Flatten),
// written once for the kernels and the optimizer's shape inference, so the two cannot disagree.
// Errors name the node and what is wrong.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// Squeeze of `x`: the listed axes (each of size 1), or, with `axes` null, every axis of size 1.
Result<Shape> SqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>* axes);

// Unsqueeze of `x`: a 1 inserted at each of `axes` (in the output's rank; none repeated).
Result<Shape> UnsqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>& axes);

// Flatten of `x` at `axis` (in [-rank, rank]): [product of dims before, product of the rest].
Result<Shape> FlattenShape(const Node& node, const Shape& x, int64_t axis);

}  // namespace ipfs_accelerate::engine::ops
