#include "models/text_layout.h"

#include <gtest/gtest.h>

#include "ocr_builders.h"

namespace ipfs_accelerate::models {
namespace {

using test::Rect;

TEST(ReadingOrderTest, TopToBottomThenLeftToRight) {
  std::vector<Quad> boxes = {
      Rect(10, 100, 200, 120),  // third line
      Rect(300, 52, 400, 70),   // second line, right: its top is 4 px above the left one's
      Rect(10, 10, 300, 30),    // first line
      Rect(10, 56, 250, 74),    // second line, left
  };
  EXPECT_EQ(ReadingOrder(boxes), (std::vector<size_t>{2, 3, 1, 0}));
}

TEST(ReadingOrderTest, TenPixelsApartIsAnotherLine) {
  std::vector<Quad> boxes = {Rect(300, 50, 400, 70), Rect(10, 60, 250, 80)};
  EXPECT_EQ(ReadingOrder(boxes), (std::vector<size_t>{0, 1}));  // |dy| = 10: not swapped
  boxes[1] = Rect(10, 59, 250, 80);
  EXPECT_EQ(ReadingOrder(boxes), (std::vector<size_t>{1, 0}));
}

TEST(ReadingOrderTest, AWholeLineBubblesBack) {
  // Three boxes of one line, found right to left and slightly stepped.
  std::vector<Quad> boxes = {Rect(400, 50, 450, 70), Rect(200, 52, 300, 72), Rect(10, 54, 100, 74)};
  EXPECT_EQ(ReadingOrder(boxes), (std::vector<size_t>{2, 1, 0}));
  EXPECT_TRUE(ReadingOrder(std::vector<Quad>{}).empty());
}

TEST(MergeLinesTest, BoxesOnOneMidlineJoinLeftToRight) {
  std::vector<TextLine> pieces = {
      {"Name: Ada", 0.9f, Rect(30, 110, 270, 135)},
      {"Date: 2026", 0.7f, Rect(430, 112, 635, 134)},
      {"Order form", 1.0f, Rect(30, 30, 230, 66)},
  };
  auto lines = MergeLines(pieces);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "Order form");  // by the top-left y
  EXPECT_EQ(lines[1].text, "Name: Ada Date: 2026");
  EXPECT_FLOAT_EQ(lines[1].confidence, 0.8f);
  // From the left box's left side to the right box's right side.
  EXPECT_EQ(lines[1].box[0], (PointF{30, 110}));
  EXPECT_EQ(lines[1].box[1], (PointF{635, 112}));
  EXPECT_EQ(lines[1].box[2], (PointF{635, 134}));
  EXPECT_EQ(lines[1].box[3], (PointF{30, 135}));
}

TEST(MergeLinesTest, HalfTheMeanHeightDecides) {
  // Mean height 20: midlines closer than 10 join.
  std::vector<TextLine> near = {{"a", 1, Rect(0, 0, 50, 20)}, {"b", 1, Rect(60, 9, 110, 29)}};
  EXPECT_EQ(MergeLines(near).size(), 1u);
  std::vector<TextLine> far = {{"a", 1, Rect(0, 0, 50, 20)}, {"b", 1, Rect(60, 10, 110, 30)}};
  auto lines = MergeLines(far);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_TRUE(MergeLines({}).empty());
}

TEST(MergeLinesTest, ALineKeepsItsFirstBoxAsTheReference) {
  // "c" is within half a height of "b" but not of "a", the line's first box: a line of its own.
  std::vector<TextLine> pieces = {{"a", 1, Rect(0, 0, 50, 20)},
                                  {"b", 1, Rect(60, 8, 110, 28)},
                                  {"c", 1, Rect(120, 16, 170, 36)}};
  auto lines = MergeLines(pieces);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a b");
  EXPECT_EQ(lines[1].text, "c");
}

}  // namespace
}  // namespace ipfs_accelerate::models
