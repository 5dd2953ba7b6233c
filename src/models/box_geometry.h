// Plane geometry of text boxes: convex hull, minimum-area rotated rectangle, the DB "unclip"
// (a polygon grown by a round-joined offset, as Clipper does it), point ordering and the
// perspective transform that straightens a box into a line image.
#pragma once

#include <array>
#include <span>
#include <vector>

namespace ipfs_accelerate::models {

struct PointF {
  double x = 0;
  double y = 0;
  bool operator==(const PointF&) const = default;
};

// Four corners; for a text box: top-left, top-right, bottom-right, bottom-left of the text.
using Quad = std::array<PointF, 4>;

// The convex hull of `points` in order around it (Andrew's monotone chain), without collinear
// points or repeats; fewer than 3 points when they all lie on one line.
std::vector<PointF> ConvexHull(std::vector<PointF> points);

struct RotatedRect {
  Quad corners;       // in order around the rectangle
  double width = 0;   // the side along corners[0] -> corners[1]
  double height = 0;  // the side along corners[1] -> corners[2]
  double ShortSide() const { return width < height ? width : height; }
};

// The rectangle of least area that holds every point (rotating calipers over the hull's edges, as
// OpenCV's minAreaRect): a side of it lies on an edge of the hull. Collinear points give a
// rectangle of height 0; no points, all corners at the origin.
RotatedRect MinAreaRect(std::span<const PointF> points);

// The minimum-area rectangle of `points` with its corners ordered as PaddleOCR's get_mini_boxes
// does: of the two leftmost corners the upper one first, then the upper and the lower of the two
// rightmost, then the lower leftmost (top-left, top-right, bottom-right, bottom-left for a box
// tilted less than 45°). `short_side` is the rectangle's shorter side.
struct MiniBox {
  Quad box;
  double short_side = 0;
};
MiniBox GetMiniBox(std::span<const PointF> points);

// Signed area (the shoelace formula; positive when the corners go clockwise as shown) and
// perimeter of a closed polygon.
double PolygonArea(std::span<const PointF> polygon);
double PolygonPerimeter(std::span<const PointF> polygon);

// DB's unclip: the polygon grown outwards by distance = |area| * ratio / perimeter, corners
// rounded, the result on the integer grid. This is Clipper's ClipperOffset with jtRound and
// etClosedPolygon (arc tolerance 0.25), which PaddleOCR (pyclipper) and @gutenye/ocr (js-clipper)
// call. Empty when the polygon has fewer than 3 distinct points or no perimeter.
std::vector<PointF> UnclipPolygon(std::span<const PointF> polygon, double ratio);

// The corners as top-left, top-right, bottom-right, bottom-left by their coordinates: the least
// x+y first, the greatest x+y third, and of the other two the one with the lesser y-x second.
Quad OrderClockwise(const Quad& quad);

// The plane projective transform (3x3, row-major, [2][2] = 1) that takes from[i] to to[i], as
// OpenCV's getPerspectiveTransform. False when three of the points are collinear.
bool PerspectiveTransform(const Quad& from, const Quad& to, std::array<double, 9>* matrix);

double Distance(const PointF& a, const PointF& b);

}  // namespace ipfs_accelerate::models
