// Conv through a Session: the oneDNN path held to a direct loop on random data (groups,
// depthwise, strides, pads, dilations, 1-D/2-D/3-D), the error for mismatched channels, and a
// printed (never asserted) GFLOP/s figure for a ResNet-sized layer.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::IntAttr;
using test::IntsAttr;
using test::OneNode;
using test::Random;

struct ConvCase {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides = {}, pads = {}, dilations = {};  // empty: defaults
  bool bias = true;
};

// Conv with `c`'s attributes, reading x, w (and b) and writing y, all declared float32.
Model ConvModel(const ConvCase& c) {
  std::vector<std::string> inputs = {"x", "w"};
  if (c.bias) inputs.push_back("b");
  std::map<std::string, Attribute> attrs = {{"group", IntAttr(c.group)}};
  if (!c.strides.empty()) attrs["strides"] = IntsAttr(c.strides);
  if (!c.pads.empty()) attrs["pads"] = IntsAttr(c.pads);
  if (!c.dilations.empty()) attrs["dilations"] = IntsAttr(c.dilations);
  return OneNode("Conv", inputs, {"y"}, attrs, 17, DType::kFloat32);
}

// The convolution by its definition, in double.
Tensor NaiveConv(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  int nd = x.rank() - 2;
  std::vector<int64_t> s = c.strides.empty() ? std::vector<int64_t>(nd, 1) : c.strides;
  std::vector<int64_t> d = c.dilations.empty() ? std::vector<int64_t>(nd, 1) : c.dilations;
  std::vector<int64_t> p = c.pads.empty() ? std::vector<int64_t>(2 * nd, 0) : c.pads;
  Shape y_shape = {x.dim(0), w.dim(0)};
  for (int i = 0; i < nd; ++i) {
    y_shape.push_back((x.dim(i + 2) + p[i] + p[i + nd] - (w.dim(i + 2) - 1) * d[i] - 1) / s[i] + 1);
  }
  Tensor y = Tensor::Empty(DType::kFloat32, y_shape);
  int64_t C = x.dim(1), M = w.dim(0), cg = C / c.group, mg = M / c.group;
  Shape in(x.shape().begin() + 2, x.shape().end()), ks(w.shape().begin() + 2, w.shape().end());
  Shape out(y_shape.begin() + 2, y_shape.end());
  int64_t out_size = NumElements(out), k_size = NumElements(ks), in_size = NumElements(in);
  for (int64_t n = 0; n < x.dim(0); ++n) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t o = 0; o < out_size; ++o) {
        double acc = c.bias ? b.data<float>()[m] : 0.0;
        for (int64_t ci = 0; ci < cg; ++ci) {
          for (int64_t kp = 0; kp < k_size; ++kp) {
            int64_t orem = o, krem = kp, ioff = 0, mul = 1;
            bool inside = true;
            for (int dd = nd - 1; dd >= 0; --dd) {
              int64_t oi = orem % out[dd], ki = krem % ks[dd];
              orem /= out[dd];
              krem /= ks[dd];
              int64_t ii = oi * s[dd] + ki * d[dd] - p[dd];
              inside = inside && ii >= 0 && ii < in[dd];
              ioff += ii * mul;
              mul *= in[dd];
            }
            if (!inside) continue;
            acc += double(x.data<float>()[(n * C + (m / mg) * cg + ci) * in_size + ioff]) *
                   w.data<float>()[(m * cg + ci) * k_size + kp];
          }
        }
        y.data<float>()[(n * M + m) * out_size + o] = static_cast<float>(acc);
      }
    }
  }
  return y;
}

TEST(ConvTest, MatchesDirectLoop) {
  std::vector<ConvCase> cases = {
      {{1, 3, 9, 9}, {4, 3, 3, 3}},
      {{2, 8, 11, 10}, {16, 8, 3, 3}, 1, {2, 2}, {1, 1, 1, 1}},
      {{1, 8, 12, 12}, {8, 2, 3, 3}, 4, {1, 1}, {1, 0, 2, 1}},
      {{1, 16, 10, 10}, {16, 1, 3, 3}, 16, {2, 1}, {1, 1, 1, 1}},  // depthwise
      {{1, 4, 13, 13}, {6, 4, 3, 3}, 1, {1, 1}, {2, 2, 2, 2}, {2, 2}, false},
      {{2, 5, 17}, {7, 5, 4}, 1, {3}, {1, 2}},                               // 1-D
      {{1, 3, 6, 7, 5}, {4, 3, 3, 2, 3}, 1, {1, 2, 1}, {1, 0, 1, 1, 0, 1}},  // 3-D
      {{1, 32, 14, 14}, {64, 32, 1, 1}},
  };
  uint32_t seed = 10;
  for (const ConvCase& c : cases) {
    Tensor x = Random(c.x, seed++, -1.f, 1.f), w = Random(c.w, seed++, -1.f, 1.f),
           b = Random({c.w[0]}, seed++, -1.f, 1.f);
    std::map<std::string, Tensor> in = {{"x", x}, {"w", w}};
    if (c.bias) in["b"] = b;
    auto session = Session::Create(ConvModel(c), SessionOptions{2});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto outs = (*session)->Run(in);
    ASSERT_TRUE(outs.ok()) << outs.status().ToString();
    Tensor want = NaiveConv(c, x, w, b);
    const Tensor& got = outs->at("y");
    SCOPED_TRACE("X " + ShapeToString(c.x) + " W " + ShapeToString(c.w));
    ASSERT_EQ(ShapeToString(want.shape()), ShapeToString(got.shape()));
    for (int64_t i = 0; i < want.numel(); ++i) {
      float wv = want.data<float>()[i], gv = got.data<float>()[i];
      ASSERT_NEAR(wv, gv, 1e-4 * std::fabs(wv) + 1e-4) << "element " << i;
    }
  }
}

TEST(ConvTest, RejectsChannelsThatDoNotMatchTheWeight) {
  ConvCase c{{1, 3, 8, 8}, {4, 5, 3, 3}};
  auto session = Session::Create(ConvModel(c), SessionOptions{1});
  ASSERT_TRUE(session.ok());
  auto outs = (*session)->Run({{"x", Random(c.x, 1, -1.f, 1.f)},
                               {"w", Random(c.w, 2, -1.f, 1.f)},
                               {"b", Random({4}, 3, -1.f, 1.f)}});
  ASSERT_FALSE(outs.ok());
  EXPECT_NE(outs.status().ToString().find("input has 3 channels"), std::string::npos)
      << outs.status().ToString();
}

// Prints GFLOP/s for ResNet's 3x3 64->64 layer on 56x56; a figure for people, not an assertion.
TEST(ConvTest, PrintsConvThroughput) {
  ConvCase c{{1, 64, 56, 56}, {64, 64, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}};
  std::map<std::string, Tensor> in = {{"x", Random(c.x, 1, -1.f, 1.f)},
                                      {"w", Random(c.w, 2, -1.f, 1.f)},
                                      {"b", Random({64}, 3, -1.f, 1.f)}};
  for (int threads : {1, 2}) {
    auto session = Session::Create(ConvModel(c), SessionOptions{threads});
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE((*session)->Run(in).ok());
    int reps = 30;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) (void)(*session)->Run(in);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    std::printf("Conv 3x3 64->64 on 1x64x56x56, %d thread(s): %.3f ms, %.1f GFLOP/s\n", threads,
                s * 1e3, 2.0 * 64 * 64 * 9 * 56 * 56 / s / 1e9);
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine
