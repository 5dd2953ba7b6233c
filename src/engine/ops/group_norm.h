// GroupNormalization (opsets 18 and 21): its attributes and shape rules, written once for every
// backend.
//
//   inputs:  X [N, C, D1, ...], scale, bias;  output: Y, X's shape and type
//   C is split into num_groups groups of C / num_groups channels; each (n, group) is normalised
//   over its channels and spatial values: (x - mean) / sqrt(var + epsilon), var the biased one.
//   opset 18: scale and bias hold one value per group; opset 21: one per channel (and stash_type,
//   whose only value onnxruntime takes, 1, means computing in float32 or wider).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

struct GroupNormAttrs {
  int64_t num_groups = 0;
  float epsilon = 1e-5f;
  bool per_channel = false;  // opset 21: scale and bias per channel, else per group
};

Result<GroupNormAttrs> ReadGroupNormAttrs(const Node& node);

// The layout of X for `a`: N, C and the values per channel (1 for a rank-2 X); an error naming
// what is wrong when X has rank below 2, C is not a multiple of num_groups, or scale and bias
// (`scale_n` and `bias_n` values) have the wrong size.
struct GroupNormLayout {
  int64_t batches = 0, channels = 0, inner = 0;
};
Result<GroupNormLayout> GroupNormLayoutOf(const Node& node, const GroupNormAttrs& a, const Shape& x,
                                          int64_t scale_n, int64_t bias_n);

}  // namespace ipfs_accelerate::engine::ops
