#include "engine/ops/shape_rules.h"

#include <algorithm>
#include <string>

#include "engine/ops/attributes.h"
#include "engine/ops/axis.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::ops {
namespace {

std::string Ints(const std::vector<int64_t>& v) { return ShapeToString(v); }

}  // namespace

Result<Shape> SqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>* axes) {
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<bool> drop(x.size(), false);
  if (!axes) {
    for (size_t i = 0; i < x.size(); ++i) drop[i] = x[i] == 1;
  } else {
    for (int64_t a : *axes) {
      IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, a, rank, "axes entry"));
      if (x[ax] != 1) {
        return NodeError(node, "cannot squeeze axis " + std::to_string(a) + " of shape " +
                                   ShapeToString(x) + ": its size is not 1");
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
      return NodeError(node, "axes repeat axis " + std::to_string(a));
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
    return NodeError(
        node, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x[i];
  for (int64_t i = axis; i < rank; ++i) inner *= x[i];
  return Shape{outer, inner};
}

Result<std::vector<int64_t>> TransposePerm(const Node& node, int64_t rank,
                                           std::vector<int64_t> perm) {
  if (perm.empty()) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return NodeError(node, "perm has " + std::to_string(perm.size()) +
                               " entries for an input of rank " + std::to_string(rank));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : perm) {
    IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, p, rank, "perm entry"));
    if (seen[ax]) {
      return NodeError(node, "perm is not a permutation (axis " + std::to_string(ax) + " repeats)");
    }
    seen[ax] = true;
    p = ax;
  }
  return perm;
}

Shape TransposeShape(const Shape& x, const std::vector<int64_t>& perm) {
  Shape out;
  for (int64_t p : perm) out.push_back(x[p]);
  return out;
}

Result<Shape> ReshapeShape(const Node& node, const Shape& x, Shape target, bool allowzero) {
  const int64_t numel = NumElements(x);
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowzero) {
      if (i >= x.size()) return NodeError(node, "0 in shape refers past the input's rank");
      target[i] = x[i];
    }
    if (target[i] == -1) {
      if (infer >= 0) return NodeError(node, "shape has more than one -1");
      infer = static_cast<int>(i);
    } else if (target[i] < 0) {
      return NodeError(node, "invalid dimension " + std::to_string(target[i]) + " in shape");
    } else if (__builtin_mul_overflow(known, target[i], &known)) {
      return NodeError(node, "shape " + Ints(target) + " has too many elements");
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) {
      return NodeError(node, "cannot reshape " + ShapeToString(x) + " to " + Ints(target));
    }
    target[infer] = numel / known;
  } else if (known != numel) {
    return NodeError(node, "cannot reshape " + ShapeToString(x) + " to " + Ints(target));
  }
  return target;
}

Result<Shape> ExpandShape(const Node& node, const Shape& x, const Shape& target) {
  for (int64_t d : target) {
    if (d < 0) return NodeError(node, "shape " + Ints(target) + " has a negative dimension");
  }
  auto out = BroadcastShapes({x, target});
  if (!out.ok()) return NodeError(node, out.status().message());
  return out;
}

Result<Shape> GatherShape(const Node& node, const Shape& data, const Shape& indices, int64_t axis) {
  if (data.empty()) return NodeError(node, "data must have rank >= 1");
  IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, axis, static_cast<int64_t>(data.size())));
  Shape out(data.begin(), data.begin() + ax);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + ax + 1, data.end());
  return out;
}

Result<Shape> ConcatShape(const Node& node, const std::vector<Shape>& inputs, int64_t axis) {
  if (inputs.empty()) return NodeError(node, "needs at least one input");
  const Shape& first = inputs[0];
  IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, axis, static_cast<int64_t>(first.size())));
  Shape out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i];
    bool ok = s.size() == first.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = static_cast<int>(d) == ax || s[d] == first[d];
    if (!ok) {
      return NodeError(node, "input " + std::to_string(i) + " " + ShapeToString(s) +
                                 " does not match input 0 " + ShapeToString(first) +
                                 " outside axis " + std::to_string(ax));
    }
    if (__builtin_add_overflow(out[ax], s[ax], &out[ax])) {
      return NodeError(node, "the concatenated axis is too long");
    }
  }
  return out;
}

Result<std::vector<SliceAxis>> SliceAxes(const Node& node, const Shape& x,
                                         const std::vector<int64_t>& starts,
                                         const std::vector<int64_t>& ends,
                                         std::vector<int64_t> axes, std::vector<int64_t> steps) {
  if (starts.size() != ends.size()) return NodeError(node, "starts and ends differ in length");
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return NodeError(node, "starts, ends, axes and steps must have the same length");
  }
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<bool> seen(x.size(), false);
  std::vector<SliceAxis> out;
  for (size_t i = 0; i < starts.size(); ++i) {
    IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(node, axes[i], rank, "axes entry"));
    if (seen[ax]) return NodeError(node, "axes repeat axis " + std::to_string(ax));
    seen[ax] = true;
    const int64_t dim = x[ax], step = steps[i];
    if (step == 0) return NodeError(node, "steps must not be 0");
    int64_t start = starts[i], end = ends[i];
    if (start < 0) start = start < -dim ? -1 : start + dim;
    if (end < 0) end = end < -dim ? -1 : end + dim;
    int64_t count = 0;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start - 1) / step + 1 : 0;
    } else if (dim > 0) {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - 1) / -step + 1 : 0;
    }
    out.push_back({ax, count > 0 ? start : 0, step, count});
  }
  return out;
}

Shape SliceShape(const Shape& x, const std::vector<SliceAxis>& axes) {
  Shape out = x;
  for (const SliceAxis& a : axes) out[a.axis] = a.count;
  return out;
}

Result<std::vector<int64_t>> SplitSizes(const Node& node, int64_t dim,
                                        const std::vector<int64_t>& split, int64_t outputs,
                                        int64_t num_outputs) {
  if (outputs <= 0) return NodeError(node, "names no outputs");
  if (!split.empty() && num_outputs > 0) {
    return NodeError(node, "gives both the split input and the num_outputs attribute");
  }
  if (num_outputs > 0 && num_outputs != outputs) {
    return NodeError(node, "num_outputs is " + std::to_string(num_outputs) + " but the node has " +
                               std::to_string(outputs) + " outputs");
  }
  std::vector<int64_t> sizes = split;
  if (sizes.empty() && num_outputs > 0) {
    const int64_t chunk = (dim + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i) {
      sizes.push_back(std::clamp<int64_t>(dim - chunk * i, 0, chunk));
    }
  } else if (sizes.empty()) {
    if (dim % outputs != 0) {
      return NodeError(node, "cannot split dimension " + std::to_string(dim) + " into " +
                                 std::to_string(outputs) + " equal parts");
    }
    sizes.assign(outputs, dim / outputs);
  }
  if (static_cast<int64_t>(sizes.size()) != outputs) {
    return NodeError(node, "split has " + std::to_string(sizes.size()) + " entries for " +
                               std::to_string(outputs) + " outputs");
  }
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (s < 0) return NodeError(node, "split has a negative entry");
    if (__builtin_add_overflow(sum, s, &sum)) return NodeError(node, "split's sum overflows");
  }
  if (sum != dim) {
    return NodeError(node, "split " + Ints(sizes) + " sums to " + std::to_string(sum) +
                               " but the axis has size " + std::to_string(dim));
  }
  return sizes;
}

Result<Shape> MatMulShape(const Node& node, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) {
    return NodeError(
        node, "inputs must have rank >= 1, got " + ShapeToString(a) + " x " + ShapeToString(b));
  }
  Shape as = a, bs = b;
  if (a.size() == 1) as.insert(as.begin(), 1);
  if (b.size() == 1) bs.push_back(1);
  if (as.back() != bs[bs.size() - 2]) {
    return NodeError(node,
                     "inner dimensions differ: " + ShapeToString(a) + " x " + ShapeToString(b));
  }
  auto batch = BroadcastShapes({Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2)});
  if (!batch.ok()) {
    return NodeError(
        node, "batch dimensions do not broadcast: " + ShapeToString(a) + " x " + ShapeToString(b));
  }
  Shape out = *batch;
  if (a.size() > 1) out.push_back(as[as.size() - 2]);
  if (b.size() > 1) out.push_back(bs.back());
  return out;
}

Result<Shape> GemmShape(const Node& node, const Shape& a, const Shape& b, bool trans_a,
                        bool trans_b) {
  if (a.size() != 2 || b.size() != 2) {
    return NodeError(node,
                     "A and B must be 2-D, got " + ShapeToString(a) + " and " + ShapeToString(b));
  }
  const int64_t k = trans_a ? a[0] : a[1], k2 = trans_b ? b[1] : b[0];
  if (k != k2) {
    return NodeError(node, "inner dimensions differ: " + ShapeToString(a) + (trans_a ? "^T" : "") +
                               " x " + ShapeToString(b) + (trans_b ? "^T" : ""));
  }
  return Shape{trans_a ? a[1] : a[0], trans_b ? b[0] : b[1]};
}

Result<Shape> DetShape(const Node& node, const Shape& x) {
  if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2]) {
    return NodeError(node,
                     "X must be [..., M, M] (square matrices in its last two dimensions), got " +
                         ShapeToString(x));
  }
  return Shape(x.begin(), x.end() - 2);
}

}  // namespace ipfs_accelerate::engine::ops
