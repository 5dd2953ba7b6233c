#include "models/text_detection.h"

#include <gtest/gtest.h>

#include "ocr_builders.h"

namespace ipfs_accelerate::models {
namespace {

using test::RectMap;

TEST(DetectorInputTest, LikeSharpsContainOnMultiplesOf32) {
  // The demo line: 1096 x 54 on 1120 x 64, scaled by 1120/1096, 55 rows high, 4 rows down.
  DetectorInput line = PlanDetectorInput(1096, 54, {});
  EXPECT_EQ(line.width, 1120);
  EXPECT_EQ(line.height, 64);
  EXPECT_DOUBLE_EQ(line.scale, 1120.0 / 1096);
  EXPECT_EQ(line.scaled_width, 1120);
  EXPECT_EQ(line.scaled_height, 55);
  EXPECT_EQ(line.left, 0);
  EXPECT_EQ(line.top, 4);
  EXPECT_TRUE(line.resized());

  // A page that needs no scaling: padded on the sides, 8 columns each.
  DetectorInput page = PlanDetectorInput(720, 512, {});
  EXPECT_EQ(page.width, 736);
  EXPECT_EQ(page.height, 512);
  EXPECT_EQ(page.scale, 1);
  EXPECT_EQ(page.left, 8);
  EXPECT_EQ(page.top, 0);
  EXPECT_FALSE(page.resized());
  EXPECT_EQ(page.ToImage({108, 50}), (PointF{100, 50}));

  DetectorInput tiny = PlanDetectorInput(5, 3, {});
  EXPECT_EQ(tiny.width, 32);
  EXPECT_EQ(tiny.height, 32);
  EXPECT_EQ(tiny.scaled_width, 32);
  EXPECT_EQ(tiny.scaled_height, 19);
}

TEST(DetectorInputTest, SideLimits) {
  DetectionOptions max;
  max.limit_type = SideLimit::kMax;
  max.limit_side_len = 960;
  DetectorInput big = PlanDetectorInput(4000, 3000, max);
  EXPECT_EQ(big.width, 960);
  EXPECT_EQ(big.height, 736);  // 720 rounded up
  EXPECT_DOUBLE_EQ(big.scale, 960.0 / 4000);
  DetectionOptions min;
  min.limit_type = SideLimit::kMin;
  min.limit_side_len = 64;
  DetectorInput small = PlanDetectorInput(100, 32, min);
  EXPECT_EQ(small.height, 64);
  EXPECT_EQ(small.width, 224);  // 200 rounded up
}

TEST(DetectorInputTest, PreprocessIsBgrOverTheBlackCanvas) {
  RgbImage img;
  img.width = 2;
  img.height = 1;
  img.rgb = {255, 0, 51, 255, 0, 51};
  DetectionOptions opts;
  const DetectorInput plan = PlanDetectorInput(2, 1, opts);  // 32 x 32, scaled 16 times
  Tensor t = PreprocessForDetection(img, plan, opts);
  ASSERT_EQ(t.shape(), (Shape{1, 3, 32, 32}));
  const float* d = t.data<float>();
  const size_t plane = 32 * 32;
  EXPECT_FLOAT_EQ(d[0], 0.0f);                                // row 0 lies in the padding: black
  const size_t mid = static_cast<size_t>(plan.top + 2) * 32;  // a row of the image, left end
  EXPECT_FLOAT_EQ(d[2 * plane + mid], 1.0f);                  // red, in plane 2
  EXPECT_FLOAT_EQ(d[0 * plane + mid], 0.2f);                  // blue, in plane 0
  DetectionOptions imagenet = opts;
  imagenet.mean = {0.485f, 0.456f, 0.406f};
  imagenet.std = {0.229f, 0.224f, 0.225f};
  Tensor n = PreprocessForDetection(img, plan, imagenet);
  EXPECT_NEAR(n.data<float>()[2 * plane + mid], (1 - 0.485f) / 0.229f, 1e-5);
}

TEST(BoxScoreTest, MeanInsideTheQuad) {
  std::vector<float> map = RectMap(20, 10, 2, 2, 12, 6, 0.8f);
  map = RectMap(20, 10, 12, 2, 17, 6, 0.2f, map);
  EXPECT_FLOAT_EQ(BoxScore(map, 20, 10, test::Rect(2, 2, 11, 5)), 0.8f);
  EXPECT_NEAR(BoxScore(map, 20, 10, test::Rect(7, 2, 16, 5)), 0.5f, 1e-6);  // half and half
  EXPECT_NEAR(BoxScore(map, 20, 10, test::Rect(-5, -5, 30, 30)), (0.8 * 40 + 0.2 * 20) / 200, 1e-6);
}

TEST(DbPostprocessTest, OneRegionOneUnclippedBox) {
  // Pixels 10..49 x 10..19: the tight box is 39 x 9 (pixel centres), unclip distance 5.484,
  // the grown box's corners rounded (see UnclipTest).
  std::vector<float> map = RectMap(64, 40, 10, 10, 50, 20, 0.9f);
  auto boxes = DbPostprocess(map, 64, 40, {});
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_FLOAT_EQ(boxes[0].score, 0.9f);
  EXPECT_EQ(boxes[0].box, test::Rect(5, 5, 54, 24));
}

TEST(DbPostprocessTest, ThresholdsAndSizes) {
  std::vector<float> map = RectMap(64, 64, 5, 2, 45, 12, 0.5f);
  map = RectMap(64, 64, 5, 30, 45, 40, 0.02f, map);  // under the 0.03 threshold: background
  map = RectMap(64, 64, 50, 50, 52, 62, 0.9f, map);  // 1 pixel short side (2 wide): dropped
  auto boxes = DbPostprocess(map, 64, 64, {});
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_EQ(boxes[0].box[0].y, 0);  // grown past the top: clipped to the map

  DetectionOptions strict;
  strict.box_threshold = 0.6f;  // PaddleOCR's: the 0.5 region goes
  EXPECT_TRUE(DbPostprocess(map, 64, 64, strict).empty());
  strict.threshold = 0.6f;
  strict.box_threshold = 0;
  EXPECT_TRUE(DbPostprocess(map, 64, 64, strict).empty());
}

TEST(DbPostprocessTest, AHoleGivesABoxOfItsOwnLikeRetrList) {
  // A thick ring around a background hole: the reference (OpenCV RETR_LIST) boxes the hole too.
  std::vector<float> map = RectMap(80, 60, 10, 10, 70, 50, 0.9f);
  map = RectMap(80, 60, 20, 20, 60, 40, 0.0f, map);
  auto boxes = DbPostprocess(map, 80, 60, {});
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_LT(boxes[1].box[0].x, 21);  // the hole's border pixels at 19..60, grown
  EXPECT_GT(boxes[1].box[0].x, boxes[0].box[0].x);
}

TEST(DbPostprocessTest, EmptyOrShortMaps) {
  EXPECT_TRUE(DbPostprocess(std::vector<float>(64 * 32, 0.0f), 64, 32, {}).empty());
  EXPECT_TRUE(DbPostprocess(std::vector<float>(10, 0.9f), 64, 32, {}).empty());
}

}  // namespace
}  // namespace ipfs_accelerate::models
