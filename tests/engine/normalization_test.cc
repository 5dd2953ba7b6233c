// Softmax family and normalizations on the CPU backend, run through a Session as a user would.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../test_util.h"
#include "engine/backends/cpu/reduce_util.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test_util::HasSubstr;

using test::FloatAttr;
using test::Floats;
using test::IntAttr;
using test::OneNode;
using test::Random;
using test::RunModel;

TEST(FastExpTest, MatchesStdExpAcrossTheFloatRange) {
  double worst = 0;
  for (float x = -87.0f; x < 88.5f; x += 0.0137f) {
    double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(cpu::FastExp(x) - want) / want);
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_EQ(cpu::FastExp(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(cpu::FastExp(200.0f)));
  EXPECT_TRUE(std::isnan(cpu::FastExp(NAN)));
}

TEST(SoftmaxTest, RowsSumToOneAndMatchADoubleReference) {
  Tensor x = Random({5, 7, 37}, 1, -3.f, 3.f);
  auto r = RunModel(OneNode("Softmax", {"x"}, {"y"}), {{"x", x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = r->at("y").data<float>();
  const float* px = x.data<float>();
  for (int row = 0; row < 35; ++row) {
    double m = -INFINITY, sum = 0, got = 0;
    for (int k = 0; k < 37; ++k) m = std::max(m, double(px[row * 37 + k]));
    for (int k = 0; k < 37; ++k) sum += std::exp(px[row * 37 + k] - m);
    for (int k = 0; k < 37; ++k) {
      double want = std::exp(px[row * 37 + k] - m) / sum;
      EXPECT_NEAR(y[row * 37 + k], want, 1e-6 + 1e-5 * want);
      got += y[row * 37 + k];
    }
    EXPECT_NEAR(got, 1.0, 1e-5);
  }
}

TEST(SoftmaxTest, IsStableForLargeInputs) {
  auto r =
      RunModel(OneNode("Softmax", {"x"}, {"y"}), {{"x", Floats({1, 3}, {1000.f, 1001.f, 1002.f})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = r->at("y").data<float>();
  double e0 = 1, e1 = std::exp(1.0), e2 = std::exp(2.0), s = e0 + e1 + e2;
  EXPECT_NEAR(y[0], e0 / s, 1e-6);
  EXPECT_NEAR(y[1], e1 / s, 1e-6);
  EXPECT_NEAR(y[2], e2 / s, 1e-6);

  auto l =
      RunModel(OneNode("LogSoftmax", {"x"}, {"y"}), {{"x", Floats({3}, {1000.f, 1001.f, 1002.f})}});
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_NEAR(l->at("y").data<float>()[2], 2.0 - std::log(s), 1e-5);
}

TEST(SoftmaxTest, BeforeOpset13FlattensAtTheAxis) {
  Tensor x = Random({2, 3, 4}, 1, -3.f, 3.f);
  auto r = RunModel(OneNode("Softmax", {"x"}, {"y"}, {{"axis", IntAttr(1)}}, 11), {{"x", x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = r->at("y").data<float>();
  for (int b = 0; b < 2; ++b) {
    double s = 0;
    for (int k = 0; k < 12; ++k) s += y[b * 12 + k];
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
  // From opset 13 the same axis means the middle axis alone.
  auto r13 = RunModel(OneNode("Softmax", {"x"}, {"y"}, {{"axis", IntAttr(1)}}, 13), {{"x", x}});
  ASSERT_TRUE(r13.ok()) << r13.status().ToString();
  const float* y13 = r13->at("y").data<float>();
  for (int b = 0; b < 2; ++b) {
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += y13[b * 12 + k * 4 + j];
      EXPECT_NEAR(s, 1.0, 1e-5);
    }
  }
}

TEST(SoftmaxTest, HardmaxMarksTheFirstMaximum) {
  auto r =
      RunModel(OneNode("Hardmax", {"x"}, {"y"}), {{"x", Floats({2, 3}, {1, 3, 3, -1, -2, -5})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<float> got(r->at("y").data<float>(), r->at("y").data<float>() + 6);
  EXPECT_EQ(got, (std::vector<float>{0, 1, 0, 1, 0, 0}));
}

TEST(SoftmaxTest, OutOfRangeAxisIsAnError) {
  auto r = RunModel(OneNode("Softmax", {"x"}, {"y"}, {{"axis", IntAttr(3)}}),
                    {{"x", Random({2, 3}, 1, -3.f, 3.f)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      HasSubstr(r.status().message(), "axis 3 is out of range for rank 2 (expected [-2, 2))"));
}

TEST(LayerNormTest, MatchesADoubleReference) {
  const int rows = 6, h = 67;
  Tensor x = Random({2, 3, h}, 2, -5.f, 5.f);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data<float>()[i] += 100.0f;  // an offset a naive E[x^2] would lose
  Tensor scale = Random({h}, 3, -1.f, 1.f), bias = Random({h}, 4, -1.f, 1.f);
  auto r = RunModel(OneNode("LayerNormalization", {"x", "s", "b"}, {"y", "mean", "inv"},
                            {{"epsilon", FloatAttr(1e-5f)}}),
                    {{"x", x}, {"s", scale}, {"b", bias}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float* y = r->at("y").data<float>();
  EXPECT_EQ(r->at("mean").shape(), (Shape{2, 3, 1}));
  for (int row = 0; row < rows; ++row) {
    const float* px = x.data<float>() + row * h;
    double m = 0, v = 0;
    for (int k = 0; k < h; ++k) m += px[k];
    m /= h;
    for (int k = 0; k < h; ++k) v += (px[k] - m) * (px[k] - m);
    v /= h;
    double inv = 1 / std::sqrt(v + 1e-5);
    EXPECT_NEAR(r->at("mean").data<float>()[row], m, 1e-4);
    EXPECT_NEAR(r->at("inv").data<float>()[row], inv, 1e-5 * inv);
    for (int k = 0; k < h; ++k) {
      double want = (px[k] - m) * inv * scale.data<float>()[k] + bias.data<float>()[k];
      EXPECT_NEAR(y[row * h + k], want, 1e-4 + 1e-4 * std::fabs(want));
    }
  }
}

TEST(LayerNormTest, MismatchedScaleIsAnError) {
  auto r = RunModel(OneNode("LayerNormalization", {"x", "s"}, {"y"}),
                    {{"x", Random({2, 8}, 1, -3.f, 3.f)}, {"s", Random({7}, 1, -3.f, 3.f)}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "Scale has shape [7]"));
}

TEST(NormalizationTest, MultithreadedEqualsSingleThreaded) {
  Tensor x = Random({32, 128, 256}, 5, -4.f, 4.f);
  Tensor scale = Random({256}, 6, -1.f, 1.f), bias = Random({256}, 7, -1.f, 1.f);
  for (const char* op : {"Softmax", "LogSoftmax", "LayerNormalization"}) {
    bool ln = std::string(op) == "LayerNormalization";
    std::vector<std::string> ins =
        ln ? std::vector<std::string>{"x", "s", "b"} : std::vector<std::string>{"x"};
    std::map<std::string, Tensor> feeds{{"x", x}};
    if (ln) {
      feeds["s"] = scale;
      feeds["b"] = bias;
    }
    auto one = RunModel(OneNode(op, ins, {"y"}), feeds, 1);
    auto many = RunModel(OneNode(op, ins, {"y"}), feeds, 8);
    ASSERT_TRUE(one.ok() && many.ok()) << op;
    EXPECT_EQ(std::memcmp(one->at("y").raw(), many->at("y").raw(), x.nbytes()), 0) << op;
  }
}

TEST(BatchNormTest, NormalizesPerChannelInInferenceAndTrainingMode) {
  Tensor x = Floats({1, 2, 2}, {1, 3, 10, 20});
  std::map<std::string, Tensor> feeds{{"x", x},
                                      {"s", Floats({2}, {1, 2})},
                                      {"b", Floats({2}, {0, 1})},
                                      {"m", Floats({2}, {2, 15})},
                                      {"v", Floats({2}, {1, 25})}};
  auto r = RunModel(OneNode("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"},
                            {{"epsilon", FloatAttr(0)}}, 15),
                    feeds);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Within an ulp: y = x * a + b may round once (a fused multiply-add) or twice.
  auto expect_y = [](const Tensor& y) {
    const std::vector<float> want{-1, 1, -1, 3};
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(y.data<float>()[i], want[i], 1e-6f) << i;
  };
  expect_y(r->at("y"));

  // Training mode normalises with the batch's statistics (here the same as m and v above) and
  // moves the running ones toward them: 0.9 * input + 0.1 * batch.
  feeds["m"] = Floats({2}, {0, 0});
  feeds["v"] = Floats({2}, {4, 4});
  auto t = RunModel(OneNode("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y", "rm", "rv"},
                            {{"training_mode", IntAttr(1)}, {"epsilon", FloatAttr(0)}}, 15),
                    feeds);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  expect_y(t->at("y"));
  EXPECT_NEAR(t->at("rm").data<float>()[0], 0.2f, 1e-6f);
  EXPECT_NEAR(t->at("rm").data<float>()[1], 1.5f, 1e-6f);
  EXPECT_NEAR(t->at("rv").data<float>()[0], 3.7f, 1e-6f);
  EXPECT_NEAR(t->at("rv").data<float>()[1], 6.1f, 1e-5f);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
