#include "models/contours.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "ocr_builders.h"

namespace ipfs_accelerate::models {
namespace {

using test::Draw;

std::vector<Contour> Find(const std::vector<std::string>& rows) {
  test::Drawn d = Draw(rows);
  return FindContours(d.mask, d.width, d.height);
}

std::set<std::pair<int, int>> PointSet(const Contour& c) {
  std::set<std::pair<int, int>> s;
  for (const PixelPoint& p : c.points) s.insert({p.x, p.y});
  return s;
}

TEST(ContoursTest, EmptyMapHasNone) {
  EXPECT_TRUE(Find({".....", "....."}).empty());
  EXPECT_TRUE(FindContours({}, 0, 0).empty());
}

TEST(ContoursTest, ABlockIsOneOuterBorderOfItsEdgePixels) {
  auto cs = Find({
      "......",
      ".####.",
      ".####.",
      ".####.",
      "......",
  });
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_FALSE(cs[0].hole);
  // Every pixel of the block but the two inner ones, each once.
  std::set<std::pair<int, int>> want;
  for (int x = 1; x <= 4; ++x) want.insert({x, 1}), want.insert({x, 3});
  want.insert({1, 2});
  want.insert({4, 2});
  EXPECT_EQ(PointSet(cs[0]), want);
  EXPECT_EQ(cs[0].points.size(), want.size());
  EXPECT_EQ(cs[0].points[0], (PixelPoint{1, 1}));  // found by the raster scan
}

TEST(ContoursTest, RegionsTouchingTheEdgeOfTheMapAreClosed) {
  auto cs = Find({
      "###",
      "###",
  });
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(PointSet(cs[0]),
            (std::set<std::pair<int, int>>{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}}));
}

TEST(ContoursTest, DiagonalNeighboursAreOneRegion) {
  auto cs = Find({
      "#...",
      ".#..",
      "..#.",
  });
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(PointSet(cs[0]), (std::set<std::pair<int, int>>{{0, 0}, {1, 1}, {2, 2}}));
}

TEST(ContoursTest, SeparateRegionsInScanOrder) {
  auto cs = Find({
      "....##",
      "##..##",
      "##....",
      "......",
      "..#...",
  });
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].points[0], (PixelPoint{4, 0}));
  EXPECT_EQ(cs[1].points[0], (PixelPoint{0, 1}));
  EXPECT_EQ(cs[2].points, (std::vector<PixelPoint>{{2, 4}}));  // a lone pixel: one point
}

TEST(ContoursTest, ARingHasAnOuterBorderAndAHole) {
  auto cs = Find({
      ".......",
      ".#####.",
      ".#...#.",
      ".#...#.",
      ".#####.",
      ".......",
  });
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_FALSE(cs[0].hole);
  EXPECT_TRUE(cs[1].hole);
  // The outer border takes all 14 pixels of the ring; the hole's border only those beside the
  // hole, cutting the corners diagonally.
  EXPECT_EQ(PointSet(cs[0]).size(), 14u);
  std::set<std::pair<int, int>> inner = PointSet(cs[0]);
  for (auto corner : {std::pair{1, 1}, {5, 1}, {1, 4}, {5, 4}}) inner.erase(corner);
  EXPECT_EQ(PointSet(cs[1]), inner);
}

TEST(ContoursTest, HolesAreFourConnected) {
  // The two background pixels inside touch only diagonally: two holes (the foreground is
  // 8-connected, the background 4-connected).
  auto cs = Find({
      "#####",
      "#.###",
      "##.##",
      "#####",
  });
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_FALSE(cs[0].hole);
  EXPECT_TRUE(cs[1].hole);
  EXPECT_TRUE(cs[2].hole);
  EXPECT_EQ(PointSet(cs[1]).count({1, 0}), 1u);  // the pixels around (1, 1)
  EXPECT_EQ(PointSet(cs[2]).count({2, 3}), 1u);  // the pixels around (2, 2)
}

TEST(ContoursTest, ARegionInsideAHoleIsFoundToo) {
  auto cs = Find({
      "#######",
      "#.....#",
      "#..#..#",
      "#.....#",
      "#######",
  });
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_FALSE(cs[0].hole);
  EXPECT_TRUE(cs[1].hole);
  EXPECT_FALSE(cs[2].hole);
  EXPECT_EQ(cs[2].points, (std::vector<PixelPoint>{{3, 2}}));
}

TEST(ContoursTest, ThinShapesFollowEveryPixel) {
  // A one-pixel-wide "L": the border goes out and back along it.
  auto cs = Find({
      "#...",
      "#...",
      "####",
  });
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(PointSet(cs[0]).size(), 6u);
  // Out along it and back, the way back cutting the corner diagonally: (0, 2) once.
  EXPECT_EQ(cs[0].points,
            (std::vector<PixelPoint>{
                {0, 0}, {0, 1}, {0, 2}, {1, 2}, {2, 2}, {3, 2}, {2, 2}, {1, 2}, {0, 1}}));
}

TEST(ContoursTest, ShortSpanIsRefused) {
  std::vector<uint8_t> two = {1, 1};
  EXPECT_TRUE(FindContours(two, 2, 2).empty());
}

}  // namespace
}  // namespace ipfs_accelerate::models
