// The detection and sampling operators GridSample (opsets 16 and 20), NonMaxSuppression (10, 11)
// and RoiAlign (10, 16): their attributes, shape rules and the per-element geometry that
// defines them, written once for every backend. MaxUnpool's window is in ops/window.h, Det's
// shape in ops/shape_rules.h.
//
// Where the spec is silent the choices are ONNX Runtime's, which the ONNX reference
// implementation follows:
// - GridSample: nearest rounds half to even before padding applies; border clamps and reflection
//   reflects a coordinate that falls outside [x_min, x_max] (the corner centres with
//   align_corners, else the outer edges), and each tap of the interpolation is then padded
//   again by itself (zeros: a tap outside the input reads 0). Cubic uses A = -0.75.
// - NonMaxSuppression: boxes are taken in descending score, ties by the lower box index; a box
//   is suppressed by a kept one whose IoU with it is strictly greater than iou_threshold; a
//   score must be strictly greater than score_threshold; a NaN score is never selected.
// - RoiAlign: a sample outside [-1, size] reads 0; sampling_ratio 0 takes ceil(roi size / output
//   size) samples per bin; max mode keeps the largest weighted corner of every sample.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// ---- GridSample ----------------------------------------------------------------------------

enum class GridSampleMode { kLinear, kNearest, kCubic };
enum class GridSamplePadding { kZeros, kBorder, kReflection };

struct GridSampleAttrs {
  GridSampleMode mode = GridSampleMode::kLinear;
  GridSamplePadding padding = GridSamplePadding::kZeros;
  bool align_corners = false;
};

// The attributes of GridSample node `n`: mode bilinear/linear, nearest or bicubic/cubic (both
// opsets' names are accepted at either), padding_mode zeros, border or reflection,
// align_corners 0 or 1; an error naming the attribute otherwise.
Result<GridSampleAttrs> ReadGridSample(const Node& n);

// X [N, C, D1, ..., Dr] and grid [N, O1, ..., Or, r] (r >= 1; r = 2 at opset 16 in the spec,
// any here) give Y [N, C, O1, ..., Or].
Result<Shape> GridSampleShape(const Node& n, const Shape& x, const Shape& grid);

// Grid coordinate `v` in [-1, 1] as a position along an axis of `size` elements.
template <typename T>
T GridSampleDenormalize(T v, int64_t size, bool align_corners) {
  const T s = static_cast<T>(size);
  return align_corners ? (v + T(1)) / T(2) * (s - T(1)) : ((v + T(1)) * s - T(1)) / T(2);
}

// The bounds [lo, hi] beyond which a position along an axis of `size` is padded: the corner
// centres with align_corners, else the outer edges of the corner elements.
template <typename T>
T GridSampleLow(int64_t size, bool align_corners) {
  return align_corners ? T(0) : T(-0.5);
}
template <typename T>
T GridSampleHigh(int64_t size, bool align_corners) {
  return align_corners ? static_cast<T>(size - 1) : static_cast<T>(size) - T(0.5);
}

// `x` reflected at lo and hi until it lies in [lo, hi] (lo when hi == lo); x when finite and
// inside already. NaN stays NaN.
template <typename T>
T GridSampleReflect(T x, T lo, T hi) {
  const T range = hi - lo;
  if (!(x < lo || x > hi)) return x;
  if (range <= T(0)) return lo;
  const bool below = x < lo;
  const T d = below ? lo - x : x - hi;
  const T n = std::floor(d / range);
  const T r = d - n * range;
  const bool even = std::fmod(n, T(2)) == T(0);
  return below == even ? lo + r : hi - r;
}

// The weights of the four taps floor(t) - 1 ... floor(t) + 2 of cubic interpolation at fractional
// offset `t` in [0, 1) from floor(t) (A = -0.75, as ONNX Runtime and PyTorch).
template <typename T>
void GridSampleCubicWeights(T t, T w[4]) {
  constexpr T a = T(-0.75);
  const T x = std::fabs(t);
  w[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  w[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  w[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

// ---- NonMaxSuppression -----------------------------------------------------------------------

struct NmsSizes {
  int64_t batches = 0, classes = 0, boxes = 0;
};

// center_point_box of NonMaxSuppression node `n` (0: [y1, x1, y2, x2] corners; 1: [x_center,
// y_center, width, height]), or an error for another value.
Result<bool> ReadCenterPointBox(const Node& n);

// boxes [batches, boxes, 4] and scores [batches, classes, boxes] (checked against each other);
// the output is [selected, 3], its length known only once run.
Result<NmsSizes> NonMaxSuppressionShape(const Node& n, const Shape& boxes, const Shape& scores);

// Checks that optional input `name` of shape `shape` holds one value (a scalar or [1]).
Status CheckNmsScalar(const Node& n, const char* name, const Shape& shape);

// Checks that iou_threshold lies in [0, 1].
Status CheckIouThreshold(const Node& n, float iou_threshold);

// A box as the suppression test reads it: its extent on each axis and its area.
struct NmsBox {
  float x_min = 0, x_max = 0, y_min = 0, y_max = 0, area = 0;
};

// The four values of a box in the format center_point_box says.
inline NmsBox ReadNmsBox(const float* b, bool center_point_box) {
  NmsBox r;
  if (center_point_box) {
    const float half_w = b[2] / 2, half_h = b[3] / 2;
    r.x_min = b[0] - half_w;
    r.x_max = b[0] + half_w;
    r.y_min = b[1] - half_h;
    r.y_max = b[1] + half_h;
  } else {
    r.y_min = std::fmin(b[0], b[2]);
    r.y_max = std::fmax(b[0], b[2]);
    r.x_min = std::fmin(b[1], b[3]);
    r.x_max = std::fmax(b[1], b[3]);
  }
  r.area = (r.x_max - r.x_min) * (r.y_max - r.y_min);
  return r;
}

// Whether kept box `a` suppresses candidate `b`: their IoU is greater than `iou_threshold`.
// Boxes that do not overlap, or of no area, never do.
inline bool NmsSuppresses(const NmsBox& a, const NmsBox& b, float iou_threshold) {
  const float ix_min = std::fmax(a.x_min, b.x_min), ix_max = std::fmin(a.x_max, b.x_max);
  if (!(ix_max > ix_min)) return false;
  const float iy_min = std::fmax(a.y_min, b.y_min), iy_max = std::fmin(a.y_max, b.y_max);
  if (!(iy_max > iy_min)) return false;
  const float inter = (ix_max - ix_min) * (iy_max - iy_min);
  if (!(inter > 0.f)) return false;
  const float uni = a.area + b.area - inter;
  if (!(a.area > 0.f) || !(b.area > 0.f) || !(uni > 0.f)) return false;
  return inter / uni > iou_threshold;
}

// ---- RoiAlign --------------------------------------------------------------------------------

enum class RoiAlignMode { kAvg, kMax };

struct RoiAlignAttrs {
  RoiAlignMode mode = RoiAlignMode::kAvg;
  int64_t output_height = 1, output_width = 1;
  int64_t sampling_ratio = 0;  // samples per bin and axis; 0: adaptive
  float spatial_scale = 1.f;
  // coordinate_transformation_mode half_pixel (opset 16's default): ROI corners shift by -0.5
  // and a ROI may be smaller than one pixel; output_half_pixel (opset 10's only behaviour)
  // neither.
  bool half_pixel = false;
};

// The attributes of RoiAlign node `n` with its opset's defaults, or an error naming the
// attribute (unknown mode or coordinate_transformation_mode, output sizes below 1, negative
// sampling_ratio).
Result<RoiAlignAttrs> ReadRoiAlign(const Node& n);

// X [N, C, H, W], rois [num_rois, 4] ([x1, y1, x2, y2]) and batch_indices [num_rois] give
// Y [num_rois, C, output_height, output_width].
Result<Shape> RoiAlignShape(const Node& n, const RoiAlignAttrs& a, const Shape& x,
                            const Shape& rois, const Shape& batch_indices);

}  // namespace ipfs_accelerate::engine::ops
