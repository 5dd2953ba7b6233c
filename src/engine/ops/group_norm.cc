#include "engine/ops/group_norm.h"

#include <string>

#include "engine/ops/attributes.h"

namespace ipfs_accelerate::engine::ops {

Result<GroupNormAttrs> ReadGroupNormAttrs(const Node& node) {
  GroupNormAttrs a;
  const Attribute* g = node.attr("num_groups");
  if (!g) return NodeError(node, "attribute num_groups is required");
  IA_ASSIGN_OR_RETURN(a.num_groups, IntAttrOr(node, "num_groups", 0));
  if (a.num_groups <= 0) {
    return NodeError(node, "num_groups must be positive, got " + std::to_string(a.num_groups));
  }
  IA_ASSIGN_OR_RETURN(a.epsilon, FloatAttrOr(node, "epsilon", 1e-5f));
  a.per_channel = node.opset >= 21;
  IA_ASSIGN_OR_RETURN(int64_t stash, IntAttrOr(node, "stash_type", 1));
  if (stash != 1) {
    return NodeError(node, "stash_type " + std::to_string(stash) +
                               " is not supported (only 1: statistics in float32 or wider)");
  }
  return a;
}

Result<GroupNormLayout> GroupNormLayoutOf(const Node& node, const GroupNormAttrs& a, const Shape& x,
                                          int64_t scale_n, int64_t bias_n) {
  if (x.size() < 2) {
    return NodeError(node, "X must be [N, C, ...], got rank " + std::to_string(x.size()));
  }
  GroupNormLayout l;
  l.batches = x[0];
  l.channels = x[1];
  l.inner = 1;
  for (size_t i = 2; i < x.size(); ++i) l.inner *= x[i];
  if (l.channels % a.num_groups != 0) {
    return NodeError(node, "the channels (" + std::to_string(l.channels) +
                               ") are not a multiple of num_groups (" +
                               std::to_string(a.num_groups) + ")");
  }
  const int64_t want = a.per_channel ? l.channels : a.num_groups;
  const char* per = a.per_channel ? "one per channel" : "one per group";
  if (scale_n != want || bias_n != want) {
    return NodeError(node, "scale and bias must hold " + std::to_string(want) + " values (" + per +
                               ", opset " + std::to_string(node.opset) + "), got " +
                               std::to_string(scale_n) + " and " + std::to_string(bias_n));
  }
  return l;
}

}  // namespace ipfs_accelerate::engine::ops
