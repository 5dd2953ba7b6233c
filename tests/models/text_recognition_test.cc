#include "models/text_recognition.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "../test_util.h"

namespace ipfs_accelerate::models {
namespace {

using test_util::HasSubstr;

CharDictionary Abc(bool space) {
  auto d = CharDictionary::Parse("a\nb\nc\n");
  EXPECT_TRUE(d.ok());
  EXPECT_TRUE(d->MatchClasses(space ? 5 : 4).ok());
  return std::move(d).value();
}

// N x T x C scores where step t of entry n puts `p` on classes[n][t] and spreads the rest evenly.
Tensor Scores(const std::vector<std::vector<int>>& classes, int num_classes, float p = 0.9f) {
  const int64_t n = classes.size(), steps = classes[0].size();
  Tensor t = Tensor::Empty(DType::kFloat32, {n, steps, num_classes});
  float* d = t.data<float>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t s = 0; s < steps; ++s) {
      for (int c = 0; c < num_classes; ++c) {
        d[(b * steps + s) * num_classes + c] = c == classes[b][s] ? p : (1 - p) / (num_classes - 1);
      }
    }
  }
  return t;
}

TEST(CharDictionaryTest, OneEntryPerLine) {
  auto d = CharDictionary::Parse("x\r\ny\n\xe4\xb8\xad\n'\n");  // CRLF, a 3-byte UTF-8 character
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->lines(), 4u);
  ASSERT_TRUE(d->MatchClasses(6).ok());
  EXPECT_EQ(d->Label(1), "x");
  EXPECT_EQ(d->Label(2), "y");
  EXPECT_EQ(d->Label(3), "\xe4\xb8\xad");
  EXPECT_EQ(d->Label(4), "'");
  EXPECT_EQ(d->Label(5), " ");
  auto no_final_newline = CharDictionary::Parse("x\ny");
  ASSERT_TRUE(no_final_newline.ok());
  EXPECT_EQ(no_final_newline->lines(), 2u);
  EXPECT_FALSE(CharDictionary::Parse("").ok());
}

// PaddleOCR's use_space_char is not in the model file: the class count tells it.
TEST(CharDictionaryTest, ClassCountDecidesTheSpaceClass) {
  auto d = CharDictionary::Parse("a\nb\nc\n");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->MatchClasses(5).ok());
  EXPECT_TRUE(d->space_class());
  EXPECT_EQ(d->num_classes(), 5);
  ASSERT_TRUE(d->MatchClasses(4).ok());
  EXPECT_FALSE(d->space_class());
  Status s = d->MatchClasses(6625);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasSubstr(s.message(), "6625 classes"));
  EXPECT_TRUE(HasSubstr(s.message(), "3 lines"));
}

TEST(CtcDecodeTest, MergesRepeatsAndDropsBlanks) {
  // a a _ a b b _ _ space c c  ->  "aab c"
  auto r = CtcGreedyDecode(Scores({{1, 1, 0, 1, 2, 2, 0, 0, 4, 3, 3}}, 5), Abc(true));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].text, "aab c");
  EXPECT_NEAR((*r)[0].confidence, 0.9f, 1e-6);
}

TEST(CtcDecodeTest, BlankSeparatesDoubledLetters) {
  auto r = CtcGreedyDecode(Scores({{3, 0, 3, 3, 0, 0, 3}, {0, 0, 0, 0, 0, 0, 0}}, 4), Abc(false));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].text, "ccc");
  EXPECT_EQ((*r)[1].text, "");
  EXPECT_EQ((*r)[1].confidence, 0.0f);
}

TEST(CtcDecodeTest, TiesGoToTheLowerClass) {
  Tensor t = Tensor::Zeros(DType::kFloat32, {1, 2, 4});
  float* d = t.data<float>();
  d[1] = d[2] = 0.5f;  // step 0: a and b tie -> a
  d[4] = d[7] = 0.5f;  // step 1: blank and c tie -> blank
  auto r = CtcGreedyDecode(t, Abc(false));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].text, "a");
}

TEST(CtcDecodeTest, RejectsScoresThatDoNotFit) {
  EXPECT_FALSE(CtcGreedyDecode(Scores({{1, 2}}, 6), Abc(true)).ok());  // class count
  EXPECT_FALSE(CtcGreedyDecode(Tensor::Zeros(DType::kFloat32, {2, 5}), Abc(true)).ok());   // rank
  EXPECT_FALSE(CtcGreedyDecode(Tensor::Zeros(DType::kInt64, {1, 2, 5}), Abc(true)).ok());  // dtype
}

RgbImage Solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage im{w, h, {}};
  for (int i = 0; i < w * h; ++i) im.rgb.insert(im.rgb.end(), {r, g, b});
  return im;
}

TEST(PreprocessTest, WidthFollowsPaddleOcr) {
  // Short line: padded to the minimum width 320; 100x20 resizes to 240x48.
  Tensor t = PreprocessTextLine(Solid(100, 20, 255, 255, 255));
  EXPECT_EQ(t.shape(), (Shape{1, 3, 48, 320}));
  const float* d = t.data<float>();
  EXPECT_EQ(d[239], 1.0f);  // white, normalized
  EXPECT_EQ(d[240], 0.0f);  // padding
  // Long line: as wide as the aspect ratio asks (floor(48 * 1000 / 20) = 2400).
  EXPECT_EQ(PreprocessTextLine(Solid(1000, 20, 0, 0, 0)).shape(), (Shape{1, 3, 48, 2400}));
  // A model with a fixed width squeezes the line into it; max_width caps the others.
  EXPECT_EQ(PreprocessTextLine(Solid(1000, 20, 0, 0, 0), {.fixed_width = 320}).shape(),
            (Shape{1, 3, 48, 320}));
  EXPECT_EQ(PreprocessTextLine(Solid(100000, 1, 0, 0, 0), {.max_width = 1000}).shape(),
            (Shape{1, 3, 48, 1000}));
  // A tall, narrow image still has at least one column of content.
  Tensor tall = PreprocessTextLine(Solid(1, 1000, 0, 0, 0));
  EXPECT_EQ(tall.shape(), (Shape{1, 3, 48, 320}));
  EXPECT_EQ(tall.data<float>()[0], -1.0f);
}

TEST(PreprocessTest, BgrOrderAndNormalization) {
  Tensor t = PreprocessTextLine(Solid(48, 48, 255, 51, 0));
  const float* d = t.data<float>();
  const size_t plane = 48 * 320;
  EXPECT_EQ(d[0], -1.0f);                                     // B = 0
  EXPECT_FLOAT_EQ(d[plane], (51.0f / 255.0f - 0.5f) / 0.5f);  // G
  EXPECT_EQ(d[2 * plane], 1.0f);                              // R = 255
}

TEST(PreprocessTest, BilinearLikeOpenCv) {
  // 96x96 -> 48x48: every output pixel is the rounded mean of a 2x2 block (half-pixel centres).
  RgbImage im{96, 96, {}};
  for (int y = 0; y < 96; ++y) {
    for (int x = 0; x < 96; ++x) {
      uint8_t v = static_cast<uint8_t>((x * 7 + y * 13) % 256);
      im.rgb.insert(im.rgb.end(), {v, v, v});
    }
  }
  Tensor t = PreprocessTextLine(im);
  ASSERT_EQ(t.shape(), (Shape{1, 3, 48, 320}));
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 48; ++x) {
      int sum = 0;
      for (int dy = 0; dy < 2; ++dy) {
        for (int dx = 0; dx < 2; ++dx) sum += im.Pixel(2 * x + dx, 2 * y + dy)[0];
      }
      float want = (static_cast<float>((sum + 2) / 4) / 255.0f - 0.5f) / 0.5f;
      ASSERT_EQ(t.data<float>()[y * 320 + x], want) << x << "," << y;
    }
  }
}

TEST(PreprocessTest, ABatchTakesItsWidestLinesWidth) {
  std::vector<RgbImage> lines = {Solid(100, 20, 255, 255, 255), Solid(400, 20, 0, 0, 0)};
  std::vector<const RgbImage*> batch = {&lines[0], &lines[1]};
  Tensor t = PreprocessTextLines(batch, {});
  ASSERT_EQ(t.shape(), (Shape{2, 3, 48, 960}));  // 48 * 400 / 20
  const float* d = t.data<float>();
  EXPECT_EQ(d[239], 1.0f);  // the short line's 240 columns, then padding
  EXPECT_EQ(d[240], 0.0f);
  Tensor alone = PreprocessTextLine(lines[0], {.fixed_width = 960});
  EXPECT_TRUE(std::equal(alone.data<float>(), alone.data<float>() + alone.numel(), d));
  // Short lines only: the minimum width.
  std::vector<const RgbImage*> first = {&lines[0]};
  EXPECT_EQ(PreprocessTextLines(first, {}).shape(), (Shape{1, 3, 48, 320}));
}

TEST(PreprocessTest, Lanczos3WhenAsked) {
  RgbImage im = Solid(20, 10, 0, 0, 0);
  for (int x = 0; x < 20; x += 2) im.rgb[x * 3] = 255;  // stripes in the first row's red
  Tensor bilinear = PreprocessTextLine(im, {.height = 20});
  Tensor lanczos = PreprocessTextLine(im, {.height = 20, .resampling = Resampling::kLanczos3});
  const RgbImage want = ResizeLanczos3(im, 40, 20);
  EXPECT_FLOAT_EQ(lanczos.data<float>()[2 * 20 * 320 + 1],
                  (want.Pixel(1, 0)[0] / 255.0f - 0.5f) / 0.5f);
  EXPECT_NE(bilinear.data<float>()[2 * 20 * 320 + 1], lanczos.data<float>()[2 * 20 * 320 + 1]);
}

TEST(TextRecognizerTest, RefusesADictionaryThatDoesNotFit) {
  engine::Model model;
  model.graph.inputs.push_back(
      {"x", DType::kFloat32, std::vector<engine::Dim>{{-1, "n"}, {3, ""}, {48, ""}, {-1, "w"}}});
  model.graph.outputs.push_back(
      {"y", DType::kFloat32, std::vector<engine::Dim>{{-1, "n"}, {-1, "t"}, {7, ""}}});
  auto dict = CharDictionary::Parse("a\nb\nc\n");
  ASSERT_TRUE(dict.ok());
  auto r = TextRecognizer::Create(std::move(model), std::move(dict).value());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "7 classes"));
}

}  // namespace
}  // namespace ipfs_accelerate::models
