#include "engine/ops/shape_rules.h"

#include <string>

#include "engine/ops/axis.h"

namespace ipfs_accelerate::engine::ops {

Result<Shape> SqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>* axes) {
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<bool> drop(x.size(), false);
  if (!axes) {
    for (size_t i = 0; i < x.size(); ++i) drop[i] = x[i] == 1;
  } else {
    for (int64_t a : *axes) {
      IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, a, rank, "axes entry"));
      if (x[ax] != 1) {
        return Status::InvalidArgument(node.Describe() + ": cannot squeeze axis " +
                                       std::to_string(a) + " of shape " + ShapeToString(x) +
                                       ": its size is not 1");
      }
      drop[ax] = true;
    }
  }
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!drop[i]) out.push_back(x[i]);
  }
  return out;
}

Result<Shape> UnsqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>& axes) {
  const auto rank = static_cast<int64_t>(x.size() + axes.size());
  std::vector<bool> added(rank, false);
  for (int64_t a : axes) {
    IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, a, rank, "axes entry"));
    if (added[ax]) {
      return Status::InvalidArgument(node.Describe() + ": axes repeat axis " + std::to_string(a));
    }
    added[ax] = true;
  }
  Shape out;
  size_t k = 0;
  for (int64_t i = 0; i < rank; ++i) out.push_back(added[i] ? 1 : x[k++]);
  return out;
}

Result<Shape> FlattenShape(const Node& node, const Shape& x, int64_t axis) {
  const auto rank = static_cast<int64_t>(x.size());
  if (axis < -rank || axis > rank) {
    return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) +
                                   " is out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x[i];
  for (int64_t i = axis; i < rank; ++i) inner *= x[i];
  return Shape{outer, inner};
}

}  // namespace ipfs_accelerate::engine::ops
