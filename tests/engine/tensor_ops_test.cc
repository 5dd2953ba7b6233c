// Data-movement and control-flow kernels (backends/cpu/tensor_ops_*.cc), run through a Session.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::GraphAttr;
using test::Info;
using test::Ints;
using test::IntsAttr;
using test::Iota;
using test::MakeNode;
using test::OneNode;
using test::RunModel;

TEST(TensorOpsTest, ReshapeSharesTheInputBuffer) {
  Model m = OneNode(MakeNode("Reshape", {"x", "shape"}, {"y"}), {Info("x", DType::kFloat32)},
                    {Info("y", DType::kFloat32)}, {{"shape", Ints({2}, {3, -1})}});
  Tensor x = Iota({2, 3, 4});
  auto out = RunModel(std::move(m), {{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Tensor& y = out->at("y");
  EXPECT_EQ(y.shape(), (Shape{3, 8}));
  EXPECT_EQ(y.raw(), x.raw());
}

TEST(TensorOpsTest, GatherRejectsAnOutOfRangeIndex) {
  Model m = OneNode(MakeNode("Gather", {"table", "ids"}, {"y"}), {Info("ids", DType::kInt64)},
                    {Info("y", DType::kFloat32)}, {{"table", Iota({4, 3})}});
  auto ok = RunModel(m, {{"ids", Ints({2}, {3, -4})}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const Tensor& y = ok->at("y");
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.data<float>()[0], 9.f);  // row 3
  EXPECT_EQ(y.data<float>()[3], 0.f);  // row -4 == row 0

  auto bad = RunModel(m, {{"ids", Ints({2}, {1, 4})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("out of range"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("Gather"), std::string::npos) << bad.status().message();
}

// out[i0..i3] = x[...] with out dim k = x dim perm[k].
std::vector<float> NaiveTranspose(const Tensor& x, const std::vector<int64_t>& perm) {
  const Shape& s = x.shape();
  Shape os = {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
  std::vector<int64_t> st = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
  std::vector<float> out;
  for (int64_t a = 0; a < os[0]; ++a)
    for (int64_t b = 0; b < os[1]; ++b)
      for (int64_t c = 0; c < os[2]; ++c)
        for (int64_t d = 0; d < os[3]; ++d) {
          int64_t i[4] = {a, b, c, d}, off = 0;
          for (int k = 0; k < 4; ++k) off += i[k] * st[perm[k]];
          out.push_back(x.data<float>()[off]);
        }
  return out;
}

TEST(TensorOpsTest, TransposeMatchesANaiveReference) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (Shape shape : {Shape{2, 3, 4, 5}, Shape{1, 128, 12, 64}}) {
    Tensor x = Tensor::Empty(DType::kFloat32, shape);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = dist(rng);
    for (std::vector<int64_t> perm :
         {std::vector<int64_t>{0, 2, 1, 3}, {3, 1, 0, 2}, {0, 2, 3, 1}, {1, 0, 3, 2}}) {
      Node n = MakeNode("Transpose", {"x"}, {"y"}, {{"perm", IntsAttr(perm)}});
      auto out = RunModel(OneNode(n, {Info("x", DType::kFloat32)}, {Info("y", DType::kFloat32)}),
                          {{"x", x}}, 4);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      const Tensor& y = out->at("y");
      std::vector<float> got(y.data<float>(), y.data<float>() + y.numel());
      EXPECT_EQ(got, NaiveTranspose(x, perm))
          << ShapeToString(shape) << " perm " << perm[0] << perm[1] << perm[2] << perm[3];
    }
  }
}

TEST(TensorOpsTest, IfRunsTheChosenBranchWithOuterValues) {
  auto branch = [](const std::string& name, const std::string& source) {
    Graph g;
    g.name = name;
    g.nodes.push_back(MakeNode("Identity", {source}, {name + "_out"}));
    g.outputs.push_back(Info(name + "_out", DType::kFloat32));
    return GraphAttr(std::move(g));
  };
  Node n = MakeNode("If", {"cond"}, {"y"},
                    {{"then_branch", branch("then", "a")}, {"else_branch", branch("else", "b")}});
  Model m = OneNode(n, {Info("cond", DType::kBool)}, {Info("y", DType::kFloat32)},
                    {{"a", Tensor::Scalar<float>(DType::kFloat32, 1.f)},
                     {"b", Tensor::Scalar<float>(DType::kFloat32, 2.f)}});
  for (bool c : {true, false}) {
    auto out = RunModel(m, {{"cond", Tensor::Scalar<uint8_t>(DType::kBool, c)}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out->at("y").data<float>(), c ? 1.f : 2.f);
  }
}

TEST(TensorOpsTest, LoopCarriesStateAndStacksScanOutputs) {
  // body(i, cond, v) -> (cond, v, i): v passes through, i is collected each iteration.
  Graph body;
  body.name = "body";
  body.inputs = {Info("i", DType::kInt64), Info("c", DType::kBool), Info("v", DType::kFloat32)};
  body.nodes.push_back(MakeNode("Identity", {"c"}, {"c_out"}));
  body.nodes.push_back(MakeNode("Identity", {"v"}, {"v_out"}));
  body.nodes.push_back(MakeNode("Identity", {"i"}, {"i_out"}));
  body.outputs = {Info("c_out", DType::kBool), Info("v_out", DType::kFloat32),
                  Info("i_out", DType::kInt64)};
  Node n = MakeNode("Loop", {"M", "", "v0"}, {"v_final", "iters"},
                    {{"body", GraphAttr(std::move(body))}});
  Model m = OneNode(n, {Info("M", DType::kInt64)},
                    {Info("v_final", DType::kFloat32), Info("iters", DType::kInt64)},
                    {{"v0", Iota({2})}});
  auto out = RunModel(std::move(m), {{"M", Tensor::Scalar<int64_t>(DType::kInt64, 4)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("v_final").shape(), (Shape{2}));
  const Tensor& iters = out->at("iters");
  ASSERT_EQ(iters.shape(), (Shape{4}));
  EXPECT_EQ(std::vector<int64_t>(iters.data<int64_t>(), iters.data<int64_t>() + 4),
            (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(TensorOpsTest, SliceRejectsAZeroStep) {
  Model m = OneNode(MakeNode("Slice", {"x", "s", "e", "a", "st"}, {"y"}),
                    {Info("x", DType::kFloat32)}, {Info("y", DType::kFloat32)},
                    {{"s", Ints({1}, {0})},
                     {"e", Ints({1}, {2})},
                     {"a", Ints({1}, {0})},
                     {"st", Ints({1}, {0})}});
  auto out = RunModel(std::move(m), {{"x", Iota({4})}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("steps"), std::string::npos) << out.status().message();
}

TEST(TensorOpsTest, BadShapesAndIndicesAreErrorsNotCrashes) {
  struct Case {
    std::string op;
    std::vector<std::string> inputs;
    std::map<std::string, Tensor> inits;
    std::string expect;  // a word the message must contain
    StatusCode code = StatusCode::kInvalidArgument;
  };
  std::vector<Case> cases = {
      {"Expand", {"x", "s"}, {{"s", Ints({2}, {-1, 4})}}, "negative"},
      {"Tile", {"x", "r"}, {{"r", Ints({1}, {2})}}, "repeats"},
      {"Pad", {"x", "p"}, {{"p", Ints({3}, {1, 1, 1})}}, "pads"},
      {"GatherElements", {"x", "i"}, {{"i", Ints({2, 1}, {0, 9})}}, "out of range"},
      {"GatherND", {"x", "i"}, {{"i", Ints({1, 2}, {0, 7})}}, "out of range"},
      {"ScatterND",
       {"x", "i", "u"},
       {{"i", Ints({1, 2}, {5, 0})}, {"u", Iota({1})}},
       "out of range"},
      {"Squeeze", {"x", "a"}, {{"a", Ints({1}, {0})}}, "not 1"},
      {"Unsqueeze", {"x", "a"}, {{"a", Ints({1}, {5})}}, "out of range"},
      {"Resize", {"x", "", "", "sz"}, {{"sz", Ints({1}, {4})}}, "sizes"},
      {"ConstantOfShape",
       {"s"},
       {{"s", Ints({2}, {1 << 30, 1 << 30})}},
       "too large",
       StatusCode::kResourceExhausted},
  };
  for (const Case& c : cases) {
    Model m = OneNode(MakeNode(c.op, c.inputs, {"y"}), {Info("x", DType::kFloat32)},
                      {Info("y", DType::kUndefined)}, c.inits);
    auto out = RunModel(std::move(m), {{"x", Iota({2, 3})}});
    ASSERT_FALSE(out.ok()) << c.op;
    EXPECT_EQ(out.status().code(), c.code) << c.op << ": " << out.status().ToString();
    EXPECT_NE(out.status().message().find(c.expect), std::string::npos)
        << c.op << ": " << out.status().message();
  }
}

TEST(TensorOpsTest, PrintsTransposeThroughput) {
  Tensor x = Iota({1, 128, 12, 64});
  for (std::vector<int64_t> perm : {std::vector<int64_t>{0, 2, 1, 3}, {0, 2, 3, 1}}) {
    Node n = MakeNode("Transpose", {"x"}, {"y"}, {{"perm", IntsAttr(perm)}});
    auto session =
        Session::Create(OneNode(n, {Info("x", DType::kFloat32)}, {Info("y", DType::kFloat32)}));
    ASSERT_TRUE(session.ok());
    constexpr int kRuns = 200;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRuns; ++i) ASSERT_TRUE((*session)->Run({{"x", x}}).ok());
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count() /
                kRuns;
    std::printf("Transpose [1,128,12,64] perm [%ld,%ld,%ld,%ld]: %.1f us, %.2f GB/s\n",
                (long)perm[0], (long)perm[1], (long)perm[2], (long)perm[3], us,
                2.0 * x.nbytes() / us / 1e3);
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine
