// Reductions, arg-reductions, TopK and CumSum on the CPU backend, run through a Session.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "../test_util.h"
#include "engine/session.h"

namespace ipfs_accelerate::engine {
namespace {

using test_util::HasSubstr;

Attribute Int(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

Attribute Ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

Model OneNode(const std::string& op, std::vector<std::string> inputs,
              std::vector<std::string> outputs, std::map<std::string, Attribute> attrs = {},
              int64_t opset = 18) {
  Model m;
  m.opsets[""] = opset;
  Node n;
  n.op_type = op;
  n.name = "n";
  n.inputs = inputs;
  n.outputs = outputs;
  n.attributes = std::move(attrs);
  n.opset = opset;
  m.graph.nodes.push_back(n);
  for (const auto& in : inputs) {
    if (!in.empty()) m.graph.inputs.push_back({in, DType::kUndefined, true, std::nullopt});
  }
  for (const auto& out : outputs)
    m.graph.outputs.push_back({out, DType::kUndefined, true, std::nullopt});
  return m;
}

Result<std::map<std::string, Tensor>> RunOne(Model m, const std::map<std::string, Tensor>& feeds,
                                             int threads = 1) {
  auto s = Session::Create(std::move(m), {.threads = threads});
  if (!s.ok()) return s.status();
  return (*s)->Run(feeds);
}

Tensor Floats(Shape shape, std::vector<float> v) {
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

Tensor Int64s(Shape shape, std::vector<int64_t> v) {
  Tensor t = Tensor::Empty(DType::kInt64, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

Tensor Iota(Shape shape) {
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

TEST(ReduceTest, SumsOverNonAdjacentAxesFromTheAxesInput) {
  // x[i, j, k] = 12 i + 4 j + k over [2, 3, 4]; summing axes 0 and 2 leaves j.
  auto r = RunOne(OneNode("ReduceSum", {"x", "axes"}, {"y"}),
                  {{"x", Iota({2, 3, 4})}, {"axes", Int64s({2}, {0, -1})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{60, 92, 124}));
}

TEST(ReduceTest, AxesAttributeBeforeOpset18AndKeepdims) {
  auto r =
      RunOne(OneNode("ReduceMax", {"x"}, {"y"}, {{"axes", Ints({1})}, {"keepdims", Int(0)}}, 13),
             {{"x", Iota({2, 3, 4})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").shape(), (Shape{2, 4}));
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
}

TEST(ReduceTest, MeanOfALongRowIsAccurate) {
  Tensor x = Tensor::Empty(DType::kFloat32, {1 << 22});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.1f;
  auto r = RunOne(OneNode("ReduceMean", {"x"}, {"y"}, {{"keepdims", Int(0)}}), {{"x", x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").rank(), 0);
  EXPECT_NEAR(r->at("y").data<float>()[0], 0.1f, 1e-7);
}

TEST(ReduceTest, EmptyAxesWithNoopIsIdentity) {
  auto r = RunOne(OneNode("ReduceSum", {"x", "axes"}, {"y"}, {{"noop_with_empty_axes", Int(1)}}),
                  {{"x", Iota({2, 2})}, {"axes", Int64s({0}, {})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{0, 1, 2, 3}));
}

TEST(ReduceTest, IntegerSumsAndLogSumExp) {
  auto r = RunOne(OneNode("ReduceSum", {"x"}, {"y"}, {}, 18), {{"x", Int64s({3}, {1, 2, 40})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int64_t>(r->at("y")), (std::vector<int64_t>{43}));
  auto l = RunOne(OneNode("ReduceLogSumExp", {"x"}, {"y"}), {{"x", Floats({2}, {1000, 1000})}});
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_NEAR(l->at("y").data<float>()[0], 1000 + std::log(2.0), 1e-3);
}

TEST(ReduceTest, BadAxesAreErrors) {
  auto r = RunOne(OneNode("ReduceSum", {"x", "axes"}, {"y"}),
                  {{"x", Iota({2, 3})}, {"axes", Int64s({1}, {2})}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(),
                        "axes entry 2 is out of range for rank 2 (expected [-2, 2))"));
  auto d = RunOne(OneNode("ReduceSum", {"x", "axes"}, {"y"}),
                  {{"x", Iota({2, 3})}, {"axes", Int64s({2}, {1, -1})}});
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(HasSubstr(d.status().message(), "twice"));
}

TEST(ReduceTest, MultithreadedEqualsSingleThreaded) {
  Tensor x = Tensor::Empty(DType::kFloat32, {64, 512, 96});
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = dist(rng);
  for (int64_t axis : {0, 1, 2}) {
    auto one = RunOne(OneNode("ReduceMean", {"x", "axes"}, {"y"}),
                      {{"x", x}, {"axes", Int64s({1}, {axis})}}, 1);
    auto many = RunOne(OneNode("ReduceMean", {"x", "axes"}, {"y"}),
                       {{"x", x}, {"axes", Int64s({1}, {axis})}}, 8);
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(std::memcmp(one->at("y").raw(), many->at("y").raw(), one->at("y").nbytes()), 0)
        << axis;
  }
}

TEST(ArgReduceTest, SelectLastIndexPicksTheLastTie) {
  Tensor x = Floats({2, 3}, {2, 5, 5, 1, 1, 0});
  auto first = RunOne(OneNode("ArgMax", {"x"}, {"y"}, {{"axis", Int(1)}}), {{"x", x}});
  auto last =
      RunOne(OneNode("ArgMax", {"x"}, {"y"}, {{"axis", Int(1)}, {"select_last_index", Int(1)}}),
             {{"x", x}});
  auto min_last =
      RunOne(OneNode("ArgMin", {"x"}, {"y"}, {{"axis", Int(0)}, {"select_last_index", Int(1)}}),
             {{"x", x}});
  ASSERT_TRUE(first.ok() && last.ok() && min_last.ok());
  EXPECT_EQ(Values<int64_t>(first->at("y")), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(Values<int64_t>(last->at("y")), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Values<int64_t>(min_last->at("y")), (std::vector<int64_t>{1, 1, 1}));
}

TEST(TopKTest, SmallestWithTiesKeepsLowerIndicesFirst) {
  auto r = RunOne(OneNode("TopK", {"x", "k"}, {"v", "i"}, {{"largest", Int(0)}}),
                  {{"x", Floats({5}, {3, 1, 2, 1, 0})}, {"k", Int64s({1}, {3})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("v")), (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(Values<int64_t>(r->at("i")), (std::vector<int64_t>{4, 1, 3}));
  auto bad = RunOne(OneNode("TopK", {"x", "k"}, {"v", "i"}),
                    {{"x", Floats({2}, {1, 2})}, {"k", Int64s({1}, {3})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "K = 3"));
}

TEST(CumSumTest, ExclusiveAndReverse) {
  auto r =
      RunOne(OneNode("CumSum", {"x", "axis"}, {"y"}, {{"exclusive", Int(1)}, {"reverse", Int(1)}}),
             {{"x", Floats({4}, {1, 2, 3, 4})}, {"axis", Int64s({}, {0})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{9, 7, 4, 0}));
}

}  // namespace
}  // namespace ipfs_accelerate::engine
