// Reductions, arg-reductions, TopK and CumSum on the CPU backend, run through a Session.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../test_util.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test_util::HasSubstr;

using test::Floats;
using test::IntAttr;
using test::Ints;
using test::IntsAttr;
using test::Iota;
using test::OneNode;
using test::Random;
using test::RunModel;

// The opset these tests run at: the first where every Reduce* reads its axes from an input.
constexpr int64_t kOpset = 18;

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

TEST(ReduceTest, SumsOverNonAdjacentAxesFromTheAxesInput) {
  // x[i, j, k] = 12 i + 4 j + k over [2, 3, 4]; summing axes 0 and 2 leaves j.
  auto r = RunModel(OneNode("ReduceSum", {"x", "axes"}, {"y"}, {}, kOpset),
                    {{"x", Iota({2, 3, 4})}, {"axes", Ints({2}, {0, -1})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{60, 92, 124}));
}

TEST(ReduceTest, AxesAttributeBeforeOpset18AndKeepdims) {
  auto r = RunModel(
      OneNode("ReduceMax", {"x"}, {"y"}, {{"axes", IntsAttr({1})}, {"keepdims", IntAttr(0)}}, 13),
      {{"x", Iota({2, 3, 4})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").shape(), (Shape{2, 4}));
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
}

TEST(ReduceTest, MeanOfALongRowIsAccurate) {
  Tensor x = Tensor::Empty(DType::kFloat32, {1 << 22});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.1f;
  auto r =
      RunModel(OneNode("ReduceMean", {"x"}, {"y"}, {{"keepdims", IntAttr(0)}}, kOpset), {{"x", x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("y").rank(), 0);
  EXPECT_NEAR(r->at("y").data<float>()[0], 0.1f, 1e-7);
}

TEST(ReduceTest, EmptyAxesWithNoopIsIdentity) {
  auto r = RunModel(
      OneNode("ReduceSum", {"x", "axes"}, {"y"}, {{"noop_with_empty_axes", IntAttr(1)}}, kOpset),
      {{"x", Iota({2, 2})}, {"axes", Ints({0}, {})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{0, 1, 2, 3}));
}

TEST(ReduceTest, IntegerSumsAndLogSumExp) {
  auto r = RunModel(OneNode("ReduceSum", {"x"}, {"y"}, {}, 18), {{"x", Ints({3}, {1, 2, 40})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<int64_t>(r->at("y")), (std::vector<int64_t>{43}));
  auto l = RunModel(OneNode("ReduceLogSumExp", {"x"}, {"y"}, {}, kOpset),
                    {{"x", Floats({2}, {1000, 1000})}});
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_NEAR(l->at("y").data<float>()[0], 1000 + std::log(2.0), 1e-3);
}

TEST(ReduceTest, BadAxesAreErrors) {
  auto r = RunModel(OneNode("ReduceSum", {"x", "axes"}, {"y"}, {}, kOpset),
                    {{"x", Iota({2, 3})}, {"axes", Ints({1}, {2})}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(),
                        "axes entry 2 is out of range for rank 2 (expected [-2, 2))"));
  auto d = RunModel(OneNode("ReduceSum", {"x", "axes"}, {"y"}, {}, kOpset),
                    {{"x", Iota({2, 3})}, {"axes", Ints({2}, {1, -1})}});
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(HasSubstr(d.status().message(), "twice"));
}

TEST(ReduceTest, MultithreadedEqualsSingleThreaded) {
  Tensor x = Random({64, 512, 96}, 9, -1.f, 1.f);
  for (int64_t axis : {0, 1, 2}) {
    auto one = RunModel(OneNode("ReduceMean", {"x", "axes"}, {"y"}, {}, kOpset),
                        {{"x", x}, {"axes", Ints({1}, {axis})}}, 1);
    auto many = RunModel(OneNode("ReduceMean", {"x", "axes"}, {"y"}, {}, kOpset),
                         {{"x", x}, {"axes", Ints({1}, {axis})}}, 8);
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(std::memcmp(one->at("y").raw(), many->at("y").raw(), one->at("y").nbytes()), 0)
        << axis;
  }
}

TEST(ArgReduceTest, SelectLastIndexPicksTheLastTie) {
  Tensor x = Floats({2, 3}, {2, 5, 5, 1, 1, 0});
  auto first =
      RunModel(OneNode("ArgMax", {"x"}, {"y"}, {{"axis", IntAttr(1)}}, kOpset), {{"x", x}});
  auto last = RunModel(OneNode("ArgMax", {"x"}, {"y"},
                               {{"axis", IntAttr(1)}, {"select_last_index", IntAttr(1)}}, kOpset),
                       {{"x", x}});
  auto min_last =
      RunModel(OneNode("ArgMin", {"x"}, {"y"},
                       {{"axis", IntAttr(0)}, {"select_last_index", IntAttr(1)}}, kOpset),
               {{"x", x}});
  ASSERT_TRUE(first.ok() && last.ok() && min_last.ok());
  EXPECT_EQ(Values<int64_t>(first->at("y")), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(Values<int64_t>(last->at("y")), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Values<int64_t>(min_last->at("y")), (std::vector<int64_t>{1, 1, 1}));
}

TEST(TopKTest, SmallestWithTiesKeepsLowerIndicesFirst) {
  auto r = RunModel(OneNode("TopK", {"x", "k"}, {"v", "i"}, {{"largest", IntAttr(0)}}, kOpset),
                    {{"x", Floats({5}, {3, 1, 2, 1, 0})}, {"k", Ints({1}, {3})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("v")), (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(Values<int64_t>(r->at("i")), (std::vector<int64_t>{4, 1, 3}));
  auto bad = RunModel(OneNode("TopK", {"x", "k"}, {"v", "i"}, {}, kOpset),
                      {{"x", Floats({2}, {1, 2})}, {"k", Ints({1}, {3})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "K = 3"));
}

TEST(CumSumTest, ExclusiveAndReverse) {
  auto r = RunModel(OneNode("CumSum", {"x", "axis"}, {"y"},
                            {{"exclusive", IntAttr(1)}, {"reverse", IntAttr(1)}}, kOpset),
                    {{"x", Floats({4}, {1, 2, 3, 4})}, {"axis", Ints({}, {0})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>(r->at("y")), (std::vector<float>{9, 7, 4, 0}));
}

}  // namespace
}  // namespace ipfs_accelerate::engine
