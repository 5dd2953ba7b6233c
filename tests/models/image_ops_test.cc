#include "models/image_ops.h"

#include <gtest/gtest.h>

#include "ocr_builders.h"

namespace ipfs_accelerate::models {
namespace {

using test::Ramp;
using test::Rect;

RgbImage Solid(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage img;
  img.width = width;
  img.height = height;
  for (int i = 0; i < width * height; ++i) img.rgb.insert(img.rgb.end(), {r, g, b});
  return img;
}

RgbImage SubImage(const RgbImage& img, int x0, int y0, int w, int h) {
  RgbImage out;
  out.width = w;
  out.height = h;
  for (int y = y0; y < y0 + h; ++y) {
    out.rgb.insert(out.rgb.end(), img.Pixel(x0, y), img.Pixel(x0, y) + w * 3);
  }
  return out;
}

TEST(ResizeTest, SameSizeIsACopy) {
  const RgbImage img = Ramp(7, 5);
  EXPECT_EQ(ResizeBilinear(img, 7, 5).rgb, img.rgb);
  EXPECT_EQ(ResizeLanczos3(img, 7, 5).rgb, img.rgb);
  EXPECT_EQ(ResizeSharp(img, 7, 5, 1, 1).rgb, img.rgb);
}

TEST(ResizeTest, FlatColourStaysFlat) {
  const RgbImage img = Solid(9, 4, 200, 17, 90);
  for (auto [w, h] : {std::pair{27, 12}, std::pair{3, 2}, std::pair{40, 3}}) {
    EXPECT_EQ(ResizeLanczos3(img, w, h).rgb, Solid(w, h, 200, 17, 90).rgb);
    EXPECT_EQ(ResizeSharp(img, w, h, double(w) / 9, double(h) / 4).rgb,
              Solid(w, h, 200, 17, 90).rgb);
    EXPECT_EQ(ResizeBilinear(img, w, h).rgb, Solid(w, h, 200, 17, 90).rgb);
  }
}

TEST(ResizeTest, SharpEnlargesWithCatmullRomFromTheCorner) {
  // One row 0, 255: output x samples the input at x / 2 - 0.5 (vips_affine's convention).
  RgbImage img = Solid(2, 1, 0, 0, 0);
  img.rgb[3] = 255;
  const RgbImage out = ResizeSharp(img, 4, 1, 2, 1);
  // x = 1 samples at 0: the first pixel exactly; x = 2 at 0.5: halfway, Catmull-Rom's taps at
  // -1 and 2 clamp to the ends and cancel.
  EXPECT_EQ(out.Pixel(1, 0)[0], 0);
  EXPECT_EQ(out.Pixel(2, 0)[0], 128);
  EXPECT_EQ(out.Pixel(3, 0)[0], 255);  // at 1: the second pixel
}

TEST(ResizeTest, ShrinkingAverages) {
  // Alternating columns of 0 and 255 shrunk 4 times: Lanczos-3 widened averages them out, where
  // bilinear picks from two neighbours.
  RgbImage img = Solid(64, 2, 0, 0, 0);
  for (int x = 1; x < 64; x += 2) {
    for (int y = 0; y < 2; ++y) img.rgb[(y * 64 + x) * 3] = 255;
  }
  const RgbImage out = ResizeLanczos3(img, 16, 2);
  for (int x = 2; x < 14; ++x) EXPECT_NEAR(out.Pixel(x, 0)[0], 128, 2) << x;
}

TEST(PlaceOnCanvasTest, PadsAndCuts) {
  const RgbImage img = Ramp(3, 2);
  const RgbImage out = PlaceOnCanvas(img, 5, 4, 1, 2, 7);
  EXPECT_EQ(out.Pixel(0, 0)[0], 7);
  EXPECT_EQ(out.Pixel(1, 2)[0], 0);  // the image's (0, 0)
  EXPECT_EQ(out.Pixel(3, 3)[1], 1);  // the image's (2, 1)
  const RgbImage cut = PlaceOnCanvas(img, 2, 2, -1, 0, 0);
  EXPECT_EQ(cut.Pixel(0, 0)[0], 1);
}

TEST(RotateTest, QuarterAndHalfTurns) {
  const RgbImage img = Ramp(3, 2);  // pixel (x, y) has red x, green y
  const RgbImage q = Rotate90CounterClockwise(img);
  ASSERT_EQ(q.width, 2);
  ASSERT_EQ(q.height, 3);
  // The top row is the rightmost column, read downwards.
  EXPECT_EQ(q.Pixel(0, 0)[0], 2);
  EXPECT_EQ(q.Pixel(1, 0)[1], 1);
  EXPECT_EQ(q.Pixel(0, 2)[0], 0);
  const RgbImage h = Rotate180(img);
  EXPECT_EQ(h.Pixel(0, 0)[0], 2);
  EXPECT_EQ(h.Pixel(0, 0)[1], 1);
  EXPECT_EQ(Rotate180(h).rgb, img.rgb);
}

TEST(CropTextLineTest, AnAxisAlignedBoxIsTheSubImage) {
  const RgbImage img = Ramp(40, 30);
  const RgbImage line = CropTextLine(img, Rect(5, 7, 25, 15));
  ASSERT_EQ(line.width, 20);
  ASSERT_EQ(line.height, 8);
  EXPECT_EQ(line.rgb, SubImage(img, 5, 7, 20, 8).rgb);
}

TEST(CropTextLineTest, TallBoxesTurnAQuarter) {
  const RgbImage img = Ramp(40, 30);
  const RgbImage line = CropTextLine(img, Rect(5, 2, 10, 20));  // 5 x 18
  ASSERT_EQ(line.width, 18);
  ASSERT_EQ(line.height, 5);
  EXPECT_EQ(line.rgb, Rotate90CounterClockwise(SubImage(img, 5, 2, 5, 18)).rgb);
  EXPECT_EQ(CropTextLine(img, Rect(5, 2, 10, 9)).width, 5);  // 7 / 5 < 1.5: as it is
}

TEST(CropTextLineTest, ATiltedBoxIsStraightened) {
  // A dark bar tilted by atan(0.1): cut along its box, every row is dark.
  RgbImage img = Solid(120, 60, 255, 255, 255);
  for (int x = 10; x < 110; ++x) {
    const int y0 = 20 + (x - 10) / 10;
    for (int y = y0; y < y0 + 10; ++y) {
      uint8_t* p = &img.rgb[(y * 120 + x) * 3];
      p[0] = p[1] = p[2] = 0;
    }
  }
  const Quad box = {PointF{12, 21.2}, {108, 30.8}, {108, 37.8}, {12, 28.2}};
  const RgbImage line = CropTextLine(img, box);
  ASSERT_EQ(line.width, 96);
  ASSERT_EQ(line.height, 7);
  int dark = 0;
  for (size_t i = 0; i < line.rgb.size(); ++i) dark += line.rgb[i] < 64;
  EXPECT_GT(dark, static_cast<int>(line.rgb.size() * 0.9));
}

TEST(CropTextLineTest, DegenerateBoxesGiveNothing) {
  const RgbImage img = Ramp(10, 10);
  EXPECT_EQ(CropTextLine(img, Rect(2, 2, 2, 8)).width, 0);
  EXPECT_EQ(CropTextLine(img, Quad{PointF{0, 0}, {5, 5}, {9, 9}, {1, 1}}).width, 0);
}

}  // namespace
}  // namespace ipfs_accelerate::models
