#include "models/box_geometry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ocr_builders.h"

namespace ipfs_accelerate::models {
namespace {

using test::Rect;

std::vector<PointF> Grid(int x0, int y0, int x1, int y1) {  // every pixel of a block
  std::vector<PointF> pts;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) pts.push_back({double(x), double(y)});
  }
  return pts;
}

void ExpectNear(const PointF& got, const PointF& want, double tol = 1e-9) {
  EXPECT_NEAR(got.x, want.x, tol);
  EXPECT_NEAR(got.y, want.y, tol);
}

// A hull in a fixed order, to compare.
std::vector<PointF> SortedHull(std::vector<PointF> pts) {
  auto hull = ConvexHull(std::move(pts));
  std::sort(hull.begin(), hull.end(),
            [](auto a, auto b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  return hull;
}

TEST(ConvexHullTest, DropsInnerAndCollinearPoints) {
  EXPECT_EQ(SortedHull(Grid(0, 0, 4, 2)), (std::vector<PointF>{{0, 0}, {0, 2}, {4, 0}, {4, 2}}));
  EXPECT_EQ(ConvexHull({{1, 1}, {1, 1}}).size(), 1u);
  EXPECT_EQ(ConvexHull({{0, 0}, {1, 1}, {2, 2}}).size(), 2u);  // a line: its two ends
}

TEST(MinAreaRectTest, AxisAlignedBlockSpansPixelCentres) {
  RotatedRect r = MinAreaRect(Grid(10, 20, 49, 29));
  EXPECT_NEAR(std::max(r.width, r.height), 39, 1e-9);
  EXPECT_NEAR(r.ShortSide(), 9, 1e-9);
}

TEST(MinAreaRectTest, FindsATiltedRectangle) {
  // The corners of a 40 x 10 rectangle turned by 30 degrees, plus points inside it.
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  std::vector<PointF> pts;
  for (double u = 0; u <= 40; u += 5) {
    for (double v = 0; v <= 10; v += 2.5) pts.push_back({100 + u * c - v * s, 50 + u * s + v * c});
  }
  RotatedRect r = MinAreaRect(pts);
  EXPECT_NEAR(r.width * r.height, 400, 1e-6);
  EXPECT_NEAR(r.ShortSide(), 10, 1e-6);
  // Its axis-aligned bounding box would be far larger.
  EXPECT_NEAR(Distance(r.corners[0], r.corners[2]), std::hypot(40, 10), 1e-6);
}

TEST(MinAreaRectTest, DegenerateInputs) {
  EXPECT_EQ(MinAreaRect(std::vector<PointF>{}).ShortSide(), 0);
  RotatedRect one = MinAreaRect(std::vector<PointF>{{3, 4}});
  EXPECT_EQ(one.corners[2], (PointF{3, 4}));
  RotatedRect line = MinAreaRect(std::vector<PointF>{{0, 0}, {3, 4}, {6, 8}});
  EXPECT_NEAR(std::max(line.width, line.height), 10, 1e-9);
  EXPECT_NEAR(line.ShortSide(), 0, 1e-9);
}

TEST(GetMiniBoxTest, CornersGoTopLeftTopRightBottomRightBottomLeft) {
  MiniBox b = GetMiniBox(Grid(10, 20, 49, 29));
  ExpectNear(b.box[0], {10, 20});
  ExpectNear(b.box[1], {49, 20});
  ExpectNear(b.box[2], {49, 29});
  ExpectNear(b.box[3], {10, 29});
  EXPECT_NEAR(b.short_side, 9, 1e-9);

  // Tilted up to the right by a little: the left corners are still first.
  std::vector<PointF> tilted = {{0, 10}, {100, 0}, {102, 20}, {2, 30}};
  MiniBox t = GetMiniBox(tilted);
  ExpectNear(t.box[0], {0, 10}, 1e-6);
  ExpectNear(t.box[1], {100, 0}, 1e-6);
  ExpectNear(t.box[2], {102, 20}, 1e-6);
  ExpectNear(t.box[3], {2, 30}, 1e-6);
}

TEST(PolygonTest, AreaAndPerimeter) {
  const Quad r = Rect(0, 0, 4, 3);
  EXPECT_DOUBLE_EQ(PolygonArea(r), 12);  // clockwise as shown (y down): positive
  const Quad ccw = {r[3], r[2], r[1], r[0]};
  EXPECT_DOUBLE_EQ(PolygonArea(ccw), -12);
  EXPECT_DOUBLE_EQ(PolygonPerimeter(r), 14);
}

// Expected points from js-clipper 1.0.1 (ClipperOffset, jtRound, etClosedPolygon), as
// @gutenye/ocr calls it with distance = area * 1.5 / perimeter.
TEST(UnclipTest, MatchesClipperOnAnAxisAlignedBox) {
  auto grown = UnclipPolygon(Rect(10, 10, 49, 19), 1.5);  // distance 5.484375
  std::vector<PointF> clipper = {{54, 8}, {54, 22}, {51, 24}, {7, 24},
                                 {5, 21}, {5, 7},   {8, 5},   {52, 5}};
  EXPECT_EQ(SortedHull(grown), SortedHull(clipper));
  for (const PointF& p : grown) EXPECT_EQ(p.x, std::round(p.x));  // on the integer grid
}

TEST(UnclipTest, MatchesClipperOnFractionalAndTiltedBoxes) {
  auto a = UnclipPolygon(Quad{PointF{10.5, 20.25}, {110, 20}, {110, 40.5}, {10, 40}}, 1.5);
  std::vector<PointF> ca = {{115, 8},  {119, 11}, {122, 15}, {123, 20}, {123, 41},
                            {122, 45}, {119, 50}, {115, 52}, {110, 53}, {10, 53},
                            {5, 52},   {1, 49},   {-2, 45},  {-3, 40},  {-2, 20},
                            {-1, 15},  {2, 11},   {6, 8},    {10, 8},   {110, 7}};
  EXPECT_EQ(SortedHull(a), SortedHull(ca));
  auto b = UnclipPolygon(Quad{PointF{36, 283}, {421, 256}, {424, 288}, {39, 315}}, 1.5);
  std::vector<PointF> cb = {{432, 237}, {437, 241}, {441, 247}, {443, 254}, {446, 286}, {446, 293},
                            {443, 299}, {439, 304}, {434, 308}, {426, 310}, {41, 337},  {34, 337},
                            {28, 334},  {23, 330},  {19, 324},  {17, 317},  {14, 285},  {14, 278},
                            {17, 272},  {21, 267},  {26, 263},  {34, 261},  {419, 234}, {426, 234}};
  EXPECT_EQ(SortedHull(b), SortedHull(cb));
}

TEST(UnclipTest, EitherOrientationGrowsOutwards) {
  const Quad r = Rect(0, 0, 40, 10);
  const Quad reversed = {r[3], r[2], r[1], r[0]};
  EXPECT_EQ(SortedHull(UnclipPolygon(r, 1.5)), SortedHull(UnclipPolygon(reversed, 1.5)));
  MiniBox grown = GetMiniBox(UnclipPolygon(r, 1.5));  // distance 6: 52 x 22
  EXPECT_NEAR(grown.short_side, 22, 1e-9);
}

TEST(UnclipTest, DegeneratePolygonsGiveNothing) {
  EXPECT_TRUE(UnclipPolygon(std::vector<PointF>{{0, 0}, {5, 5}}, 1.5).empty());
  EXPECT_TRUE(UnclipPolygon(Quad{PointF{1, 1}, {1, 1}, {1, 1}, {1, 1}}, 1.5).empty());
}

TEST(OrderClockwiseTest, BySumsAndDifferences) {
  const Quad shuffled = {PointF{10, 5}, {0, 5}, {10, 0}, {0, 0}};
  const Quad o = OrderClockwise(shuffled);
  EXPECT_EQ(o[0], (PointF{0, 0}));
  EXPECT_EQ(o[1], (PointF{10, 0}));
  EXPECT_EQ(o[2], (PointF{10, 5}));
  EXPECT_EQ(o[3], (PointF{0, 5}));
}

TEST(PerspectiveTransformTest, MapsTheCorners) {
  const Quad from = Rect(0, 0, 100, 20);
  const Quad to = {PointF{10, 30}, {108, 12}, {112, 33}, {13, 52}};
  std::array<double, 9> m;
  ASSERT_TRUE(PerspectiveTransform(from, to, &m));
  for (int i = 0; i < 4; ++i) {
    const double w = m[6] * from[i].x + m[7] * from[i].y + m[8];
    ExpectNear({(m[0] * from[i].x + m[1] * from[i].y + m[2]) / w,
                (m[3] * from[i].x + m[4] * from[i].y + m[5]) / w},
               to[i], 1e-9);
  }
  EXPECT_FALSE(PerspectiveTransform(from, Quad{PointF{0, 0}, {1, 1}, {2, 2}, {3, 3}}, &m));
}

}  // namespace
}  // namespace ipfs_accelerate::models
