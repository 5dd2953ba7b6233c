#include "engine/ops/detection.h"

#include <algorithm>

#include "engine/ops/attributes.h"

namespace ipfs_accelerate::engine::ops {
namespace {

std::string S(const Shape& s) { return ShapeToString(s); }

// Whether `s` has more elements than a 64-bit count holds (never when a dimension is 0).
bool TooManyElements(const Shape& s) {
  if (std::find(s.begin(), s.end(), 0) != s.end()) return false;
  int64_t count = 1;
  for (int64_t d : s) {
    if (__builtin_mul_overflow(count, d, &count)) return true;
  }
  return false;
}

// The largest spatial rank GridSample takes (the kernels keep per-axis taps on the stack).
constexpr size_t kMaxGridSampleRank = 8;

}  // namespace

Result<GridSampleAttrs> ReadGridSample(const Node& n) {
  GridSampleAttrs a;
  IA_ASSIGN_OR_RETURN(std::string mode,
                      StringAttrOr(n, "mode", n.opset >= 20 ? "linear" : "bilinear"));
  if (mode == "bilinear" || mode == "linear") {
    a.mode = GridSampleMode::kLinear;
  } else if (mode == "nearest") {
    a.mode = GridSampleMode::kNearest;
  } else if (mode == "bicubic" || mode == "cubic") {
    a.mode = GridSampleMode::kCubic;
  } else {
    return NodeError(n, "mode '" + mode + "' is not linear (bilinear), nearest or cubic (bicubic)");
  }
  IA_ASSIGN_OR_RETURN(std::string padding, StringAttrOr(n, "padding_mode", "zeros"));
  if (padding == "zeros") {
    a.padding = GridSamplePadding::kZeros;
  } else if (padding == "border") {
    a.padding = GridSamplePadding::kBorder;
  } else if (padding == "reflection") {
    a.padding = GridSamplePadding::kReflection;
  } else {
    return NodeError(n, "padding_mode '" + padding + "' is not zeros, border or reflection");
  }
  IA_ASSIGN_OR_RETURN(int64_t align, IntAttrOr(n, "align_corners", 0));
  if (align != 0 && align != 1)
    return NodeError(n, "align_corners must be 0 or 1, got " + std::to_string(align));
  a.align_corners = align == 1;
  return a;
}

Result<Shape> GridSampleShape(const Node& n, const Shape& x, const Shape& grid) {
  if (x.size() < 3 || x.size() - 2 > kMaxGridSampleRank) {
    return NodeError(n, "X must be [N, C, D1, ..., Dr] with 1 <= r <= " +
                            std::to_string(kMaxGridSampleRank) + ", got " + S(x));
  }
  const size_t r = x.size() - 2;
  if (grid.size() != r + 2 || grid.back() != static_cast<int64_t>(r)) {
    return NodeError(n, "grid must be [N, O1, ..., O" + std::to_string(r) + ", " +
                            std::to_string(r) + "] for X " + S(x) + ", got " + S(grid));
  }
  if (grid[0] != x[0]) {
    return NodeError(n, "grid's batch " + std::to_string(grid[0]) + " differs from X's " +
                            std::to_string(x[0]) + " (X " + S(x) + ", grid " + S(grid) + ")");
  }
  Shape y = {x[0], x[1]};
  y.insert(y.end(), grid.begin() + 1, grid.end() - 1);
  if (TooManyElements(y))
    return NodeError(n, "Y of shape " + S(y) + " has more elements than a 64-bit count holds");
  const bool empty_output = std::find(y.begin(), y.end(), 0) != y.end();
  for (size_t i = 2; i < x.size() && !empty_output; ++i) {
    if (x[i] == 0) return NodeError(n, "X " + S(x) + " has an empty spatial axis to sample from");
  }
  return y;
}

Result<bool> ReadCenterPointBox(const Node& n) {
  IA_ASSIGN_OR_RETURN(int64_t c, IntAttrOr(n, "center_point_box", 0));
  if (c != 0 && c != 1)
    return NodeError(n, "center_point_box must be 0 or 1, got " + std::to_string(c));
  return c == 1;
}

Result<NmsSizes> NonMaxSuppressionShape(const Node& n, const Shape& boxes, const Shape& scores) {
  if (boxes.size() != 3 || boxes[2] != 4)
    return NodeError(n, "boxes must be [num_batches, spatial_dimension, 4], got " + S(boxes));
  if (scores.size() != 3)
    return NodeError(
        n, "scores must be [num_batches, num_classes, spatial_dimension], got " + S(scores));
  if (scores[0] != boxes[0] || scores[2] != boxes[1]) {
    return NodeError(n, "scores " + S(scores) + " does not match boxes " + S(boxes) +
                            " (expected [" + std::to_string(boxes[0]) + ", num_classes, " +
                            std::to_string(boxes[1]) + "])");
  }
  return NmsSizes{boxes[0], scores[1], boxes[1]};
}

Status CheckNmsScalar(const Node& n, const char* name, const Shape& shape) {
  if (NumElements(shape) != 1 || shape.size() > 1) {
    return NodeError(
        n, std::string(name) + " must hold one value (a scalar or [1]), got shape " + S(shape));
  }
  return Status::Ok();
}

Status CheckIouThreshold(const Node& n, float iou_threshold) {
  if (!(iou_threshold >= 0.f && iou_threshold <= 1.f)) {
    return NodeError(n, "iou_threshold must lie in [0, 1], got " + std::to_string(iou_threshold));
  }
  return Status::Ok();
}

Result<RoiAlignAttrs> ReadRoiAlign(const Node& n) {
  RoiAlignAttrs a;
  IA_ASSIGN_OR_RETURN(std::string mode, StringAttrOr(n, "mode", "avg"));
  if (mode == "avg") {
    a.mode = RoiAlignMode::kAvg;
  } else if (mode == "max") {
    a.mode = RoiAlignMode::kMax;
  } else {
    return NodeError(n, "mode '" + mode + "' is not avg or max");
  }
  IA_ASSIGN_OR_RETURN(a.output_height, IntAttrOr(n, "output_height", 1));
  IA_ASSIGN_OR_RETURN(a.output_width, IntAttrOr(n, "output_width", 1));
  if (a.output_height < 1 || a.output_width < 1) {
    return NodeError(n, "output_height and output_width must be positive, got " +
                            std::to_string(a.output_height) + " and " +
                            std::to_string(a.output_width));
  }
  IA_ASSIGN_OR_RETURN(a.sampling_ratio, IntAttrOr(n, "sampling_ratio", 0));
  if (a.sampling_ratio < 0) {
    return NodeError(n, "sampling_ratio must not be negative (0: adaptive), got " +
                            std::to_string(a.sampling_ratio));
  }
  IA_ASSIGN_OR_RETURN(a.spatial_scale, FloatAttrOr(n, "spatial_scale", 1.f));
  if (!std::isfinite(a.spatial_scale)) return NodeError(n, "spatial_scale must be finite");
  // Opset 10 has no coordinate_transformation_mode: it behaves as output_half_pixel.
  IA_ASSIGN_OR_RETURN(std::string ctm,
                      StringAttrOr(n, "coordinate_transformation_mode",
                                   n.opset >= 16 ? "half_pixel" : "output_half_pixel"));
  if (ctm == "half_pixel") {
    a.half_pixel = true;
  } else if (ctm != "output_half_pixel") {
    return NodeError(
        n, "coordinate_transformation_mode '" + ctm + "' is not half_pixel or output_half_pixel");
  }
  return a;
}

Result<Shape> RoiAlignShape(const Node& n, const RoiAlignAttrs& a, const Shape& x,
                            const Shape& rois, const Shape& batch_indices) {
  if (x.size() != 4) return NodeError(n, "X must be [N, C, H, W], got " + S(x));
  if (rois.size() != 2 || rois[1] != 4)
    return NodeError(n, "rois must be [num_rois, 4], got " + S(rois));
  if (batch_indices != Shape{rois[0]}) {
    return NodeError(n, "batch_indices must be [num_rois] = [" + std::to_string(rois[0]) +
                            "] for rois " + S(rois) + ", got " + S(batch_indices));
  }
  Shape y = {rois[0], x[1], a.output_height, a.output_width};
  if (TooManyElements(y))
    return NodeError(n, "Y of shape " + S(y) + " has more elements than a 64-bit count holds");
  return y;
}

}  // namespace ipfs_accelerate::engine::ops
