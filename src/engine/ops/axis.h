// Axis attributes, as ONNX defines them: negative values count from the end.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// `axis` made non-negative for an input of `rank`, or kInvalidArgument naming the node, the
// attribute (`what`) and the range [-rank, rank).
inline Result<int> NormalizeAxis(const Node& node, int64_t axis, int64_t rank,
                                 const char* what = "axis") {
  if (axis < -rank || axis >= rank) {
    return Status::InvalidArgument(node.Describe() + ": " + what + " " + std::to_string(axis) +
                                   " is out of range for rank " + std::to_string(rank) +
                                   " (expected [" + std::to_string(-rank) + ", " +
                                   std::to_string(rank) + "))");
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace ipfs_accelerate::engine::ops
