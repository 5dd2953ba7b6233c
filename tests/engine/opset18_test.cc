// Operators at opsets 18 to 21 on the CPU backend: what opset18_ort_test.sh (which holds them to
// onnxruntime-node) does not check: GroupNormalization in float64, rank 2 and its errors; Resize's
// axes and keep_aspect_ratio_policy errors and antialias's tap limit; Pad's wrap errors; bool
// ReduceMax/ReduceMin before opset 20; CenterCropPad, Col2Im and AffineGrid errors and float64.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::MakeNode;
using test::OneNode;
using test::RunModel;
using ::testing::HasSubstr;

// y = (x - mean) / sqrt(var + eps) * scale + bias per (n, group), scale/bias per group or channel.
std::vector<double> Naive(const std::vector<double>& x, int64_t n, int64_t c, int64_t inner,
                          int64_t groups, const std::vector<double>& s,
                          const std::vector<double>& b, bool per_channel, double eps) {
  std::vector<double> y(x.size());
  const int64_t pg = c / groups, m = pg * inner;
  for (int64_t r = 0; r < n * groups; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < m; ++i) mean += x[r * m + i] / m;
    for (int64_t i = 0; i < m; ++i) var += (x[r * m + i] - mean) * (x[r * m + i] - mean) / m;
    for (int64_t i = 0; i < m; ++i) {
      int64_t p = per_channel ? (r % groups) * pg + i / inner : r % groups;
      y[r * m + i] = (x[r * m + i] - mean) / std::sqrt(var + eps) * s[p] + b[p];
    }
  }
  return y;
}

Tensor Doubles(Shape shape, const std::vector<double>& v) {
  Tensor t = Tensor::Empty(DType::kFloat64, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<double>());
  return t;
}

std::vector<double> Seq(int64_t n, double a, double b) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = std::sin(a * i + b) * 2 + 0.1 * i;
  return v;
}

Model GroupNorm(int64_t opset, std::map<std::string, Attribute> attrs) {
  return OneNode("GroupNormalization", {"x", "s", "b"}, {"y"}, std::move(attrs), opset);
}

TEST(GroupNormTest, Float64MatchesTheDefinitionAtOpsets18And21) {
  const int64_t n = 2, c = 6, inner = 5, groups = 3;
  const auto x = Seq(n * c * inner, 0.37, 0.2);
  for (int64_t opset : {18, 21}) {
    const int64_t k = opset >= 21 ? c : groups;
    const auto s = Seq(k, 1.1, 0.5), b = Seq(k, 0.7, 1.3);
    for (int threads : {1, 4}) {
      auto out = RunModel(
          GroupNorm(opset,
                    {{"num_groups", Attribute::Int(groups)}, {"epsilon", Attribute::Float(1e-3f)}}),
          {{"x", Doubles({n, c, inner}, x)}, {"s", Doubles({k}, s)}, {"b", Doubles({k}, b)}},
          threads);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      const Tensor& y = out->at("y");
      ASSERT_EQ(y.shape(), (Shape{n, c, inner}));
      const auto want = Naive(x, n, c, inner, groups, s, b, opset >= 21, double(1e-3f));
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(y.data<double>()[i], want[i], 1e-12) << i;
    }
  }
}

TEST(GroupNormTest, RankTwoInputNormalisesOverTheGroupsChannels) {
  const auto x = Seq(8, 0.9, 0.1);
  auto out = RunModel(GroupNorm(21, {{"num_groups", Attribute::Int(2)}}),
                      {{"x", test::Floats({2, 4}, std::vector<float>(x.begin(), x.end()))},
                       {"s", test::Floats({4}, {1, 2, 3, 4})},
                       {"b", test::Floats({4}, {0, 0.5f, -1, 2})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<double> xr;
  for (float v : std::vector<float>(x.begin(), x.end())) xr.push_back(v);
  const auto want = Naive(xr, 2, 4, 1, 2, {1, 2, 3, 4}, {0, 0.5, -1, 2}, true, double(1e-5f));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(out->at("y").data<float>()[i], want[i], 1e-5);
}

TEST(GroupNormTest, ErrorsNameTheProblem) {
  auto run = [](int64_t opset, std::map<std::string, Attribute> attrs, int64_t c, int64_t k) {
    return RunModel(GroupNorm(opset, std::move(attrs)), {{"x", test::Random({1, c, 3}, 1)},
                                                         {"s", test::Random({k}, 2)},
                                                         {"b", test::Random({k}, 3)}});
  };
  auto r = run(18, {{"num_groups", Attribute::Int(4)}}, 6, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("not a multiple of num_groups"));
  r = run(18, {{"num_groups", Attribute::Int(2)}}, 6, 6);  // opset 18: one per group
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("one per group"));
  r = run(21, {{"num_groups", Attribute::Int(2)}}, 6, 2);  // opset 21: one per channel
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("one per channel"));
  r = run(21, {}, 6, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("num_groups is required"));
  r = run(21, {{"num_groups", Attribute::Int(0)}}, 6, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("num_groups must be positive"));
  r = run(21, {{"num_groups", Attribute::Int(2)}, {"stash_type", Attribute::Int(0)}}, 6, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("stash_type"));
}

TEST(Opset18Test, ResizeAxesAndAspectPolicyErrorsNameTheProblem) {
  auto run = [](std::map<std::string, Attribute> attrs, std::vector<int64_t> sizes) {
    Model m = OneNode(MakeNode("Resize", {"x", "", "", "sizes"}, {"y"}, std::move(attrs), 18),
                      {test::Info("x")}, {test::Info("y")},
                      {{"sizes", test::Ints({static_cast<int64_t>(sizes.size())}, sizes)}});
    return RunModel(std::move(m), {{"x", test::Random({1, 2, 4, 6}, 1)}});
  };
  auto r = run({{"axes", Attribute::Ints({2, 3})}}, {8, 12, 3});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("one entry per axis in axes (2)"));
  r = run({{"axes", Attribute::Ints({2, 4})}}, {8, 12});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("outside rank 4"));
  r = run({{"axes", Attribute::Ints({3, -1})}}, {8, 12});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("repeat a dimension"));
  r = run({{"keep_aspect_ratio_policy", Attribute::String("fit")}}, {1, 2, 8, 8});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("keep_aspect_ratio_policy must be"));
  // not_larger over axes 2 and 3: min(8 / 4, 9 / 6) = 1.5, so [1, 2, 6, 9].
  r = run({{"axes", Attribute::Ints({2, 3})},
           {"keep_aspect_ratio_policy", Attribute::String("not_larger")},
           {"mode", Attribute::String("linear")}},
          {8, 9});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").shape(), (Shape{1, 2, 6, 9}));
}

TEST(Opset18Test, ResizeAntialiasRefusesMoreTapsThanItHolds) {
  Model m = OneNode(
      MakeNode("Resize", {"x", "", "scales"}, {"y"},
               {{"mode", Attribute::String("linear")}, {"antialias", Attribute::Int(1)}}, 18),
      {test::Info("x")}, {test::Info("y")}, {{"scales", test::Floats({2}, {1, 0.004f})}});
  auto r = RunModel(std::move(m), {{"x", test::Random({2, 1000}, 1)}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("antialias shrinking dimension 1"));
}

TEST(Opset18Test, PadWrapNeedsOpset19AndSomethingToWrap) {
  auto run = [](int64_t opset, std::vector<int64_t> pads) {
    Model m =
        OneNode(MakeNode("Pad", {"x", "pads"}, {"y"}, {{"mode", Attribute::String("wrap")}}, opset),
                {test::Info("x")}, {test::Info("y")}, {{"pads", test::Ints({4}, pads)}});
    return RunModel(std::move(m), {{"x", test::Random({2, 3}, 1)}});
  };
  auto r = run(18, {0, 1, 0, 1});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("mode 'wrap'"));
  r = run(19, {0, -3, 0, 2});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("leave nothing of dimension 1 to wrap"));
  r = run(19, {0, 4, 0, 0});  // a pad longer than the dimension repeats it again
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = r->at("y");
  ASSERT_EQ(y.shape(), (Shape{2, 7}));
  const Tensor x = test::Random({2, 3}, 1);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      EXPECT_EQ(y.data<float>()[i * 7 + j], x.data<float>()[i * 3 + ((j - 4) % 3 + 3) % 3]);
    }
  }
}

TEST(Opset18Test, BoolReduceMaxAndMinFromOpset20) {
  Tensor x = Tensor::Empty(DType::kBool, {2, 3});
  const uint8_t v[] = {0, 1, 0, 1, 1, 1};
  std::copy(v, v + 6, static_cast<uint8_t*>(x.raw()));
  for (const char* op : {"ReduceMax", "ReduceMin"}) {
    auto r = RunModel(OneNode(op, {"x"}, {"y"}, {{"axes", Attribute::Ints({1})}}, 17), {{"x", x}});
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_THAT(r.status().ToString(), HasSubstr("dtype bool (from opset 20)"));
    Model m = OneNode(MakeNode(op, {"x", "axes"}, {"y"}, {{"keepdims", Attribute::Int(0)}}, 20),
                      {test::Info("x")}, {test::Info("y")}, {{"axes", test::Ints({1}, {1})}});
    r = RunModel(std::move(m), {{"x", x}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Tensor& y = r->at("y");
    ASSERT_EQ(y.dtype(), DType::kBool);
    const auto* p = static_cast<const uint8_t*>(y.raw());
    EXPECT_EQ(p[0], std::string(op) == "ReduceMax" ? 1 : 0) << op;
    EXPECT_EQ(p[1], 1) << op;
  }
}

TEST(Opset18Test, CenterCropPadCol2ImAffineGridErrorsNameTheProblem) {
  auto one = [](const char* op, int64_t opset, std::map<std::string, Attribute> attrs,
                std::map<std::string, Tensor> inits, Tensor x, std::vector<std::string> inputs) {
    std::vector<std::string> all = {"x"};
    all.insert(all.end(), inputs.begin(), inputs.end());
    Model m = OneNode(MakeNode(op, all, {"y"}, std::move(attrs), opset), {test::Info("x")},
                      {test::Info("y")}, std::move(inits));
    return RunModel(std::move(m), {{"x", std::move(x)}});
  };
  auto r =
      one("CenterCropPad", 18, {}, {{"s", test::Ints({1}, {3})}}, test::Random({4, 5}, 1), {"s"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("one entry per axis (2)"));
  r = one("CenterCropPad", 18, {{"axes", Attribute::Ints({1, -1})}},
          {{"s", test::Ints({2}, {3, 3})}}, test::Random({4, 5}, 1), {"s"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("twice"));
  r = one("CenterCropPad", 18, {}, {{"s", test::Ints({2}, {3, -1})}}, test::Random({4, 5}, 1),
          {"s"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("negative size"));

  std::map<std::string, Tensor> col = {{"img", test::Ints({2}, {4, 5})},
                                       {"blk", test::Ints({2}, {2, 2})}};
  r = one("Col2Im", 18, {}, col, test::Random({1, 8, 11}, 1), {"img", "blk"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("must be the 12 sliding blocks"));
  r = one("Col2Im", 18, {}, col, test::Random({1, 6, 12}, 1), {"img", "blk"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("not a multiple of prod(block_shape) (4)"));
  r = one("Col2Im", 18, {{"strides", Attribute::Ints({0, 1})}}, col, test::Random({1, 8, 12}, 1),
          {"img", "blk"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("must be positive"));
  r = one("Col2Im", 18, {}, {{"img", test::Ints({2}, {1, 5})}, {"blk", test::Ints({2}, {2, 2})}},
          test::Random({1, 8, 4}, 1), {"img", "blk"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("does not fit the padded image"));

  r = one("AffineGrid", 20, {}, {{"size", test::Ints({4}, {2, 1, 3, 4})}},
          test::Random({2, 3, 4}, 1), {"size"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("theta must be [N, 2, 3]"));
  r = one("AffineGrid", 20, {}, {{"size", test::Ints({3}, {2, 1, 3})}}, test::Random({2, 2, 3}, 1),
          {"size"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().ToString(), HasSubstr("size must be [N, C, H, W]"));
}

TEST(Opset18Test, Col2ImAndAffineGridInFloat64) {
  // Col2Im of a 1-D image: blocks of 2 at stride 1 over 3 values, each value summed where blocks
  // overlap: [a0, a1 + b0, b1] for columns (a0, b0), (a1, b1).
  Tensor x = Tensor::Empty(DType::kFloat64, {1, 2, 2});
  const double v[] = {1, 10, 2, 20};  // block offset 0: (1, 10); offset 1: (2, 20)
  std::copy(v, v + 4, x.data<double>());
  Model m =
      OneNode(MakeNode("Col2Im", {"x", "img", "blk"}, {"y"}, {}, 18), {test::Info("x")},
              {test::Info("y")}, {{"img", test::Ints({1}, {3})}, {"blk", test::Ints({1}, {2})}});
  auto r = RunModel(std::move(m), {{"x", x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->at("y").shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(r->at("y").data<double>()[0], 1);
  EXPECT_EQ(r->at("y").data<double>()[1], 12);
  EXPECT_EQ(r->at("y").data<double>()[2], 20);
  // AffineGrid with the identity theta: the pixel centres of a 2 x 4 image.
  Tensor theta = Tensor::Empty(DType::kFloat64, {1, 2, 3});
  const double id[] = {1, 0, 0, 0, 1, 0};
  std::copy(id, id + 6, theta.data<double>());
  m = OneNode(MakeNode("AffineGrid", {"theta", "size"}, {"y"}, {}, 20), {test::Info("theta")},
              {test::Info("y")}, {{"size", test::Ints({4}, {1, 1, 2, 4})}});
  r = RunModel(std::move(m), {{"theta", theta}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& g = r->at("y");
  ASSERT_EQ(g.shape(), (Shape{1, 2, 4, 2}));
  EXPECT_DOUBLE_EQ(g.data<double>()[0], -0.75);  // x of (0, 0)
  EXPECT_DOUBLE_EQ(g.data<double>()[1], -0.5);   // y of (0, 0)
  EXPECT_DOUBLE_EQ(g.data<double>()[14], 0.75);  // x of (1, 3)
  EXPECT_DOUBLE_EQ(g.data<double>()[15], 0.5);   // y of (1, 3)
}

}  // namespace
}  // namespace ipfs_accelerate::engine
