// The optimizers of ai.onnx.preview.training (Adagrad, Adam, Momentum) against values computed
// by hand from the operator documentation's formulas, and their errors.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::FloatAttr;
using test::Floats;
using test::Info;
using test::StringAttr;

constexpr const char* kTraining = "ai.onnx.preview.training";

// Runs one `op` of the training domain on R = `r`, T = `t` and `tensors` (named in order
// X1.., G1.., state...), with `outputs` named.
Result<std::map<std::string, Tensor>> RunOptimizer(
    const std::string& op, float r, int64_t t, std::vector<std::pair<std::string, Tensor>> tensors,
    std::vector<std::string> outputs, std::map<std::string, Attribute> attrs) {
  std::vector<std::string> names = {"R", "T"};
  std::map<std::string, Tensor> feeds = {{"R", test::Scalar(r)},
                                         {"T", Tensor::Scalar<int64_t>(DType::kInt64, t)}};
  for (auto& [name, value] : tensors) {
    names.push_back(name);
    feeds[name] = value;
  }
  std::vector<ValueInfo> ins, outs;
  for (const auto& n : names) ins.push_back(Info(n));
  for (const auto& n : outputs) outs.push_back(Info(n));
  Node node = test::MakeNode(op, names, outputs, std::move(attrs), 1);
  node.domain = kTraining;
  Model m = test::OneNode(std::move(node), ins, outs);
  m.opsets.clear();
  m.opsets[""] = 17;
  m.opsets[kTraining] = 1;
  return test::RunModel(std::move(m), feeds);
}

void ExpectNear(const Tensor& t, std::vector<double> want) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(t.data<float>()[i], want[i], 1e-6 * std::max(1.0, std::fabs(want[i]))) << i;
}

TEST(TrainingOpsTest, MomentumStandardAndNesterov) {
  // Step 3 (beta applies), norm 0.5: g' = 0.5 x + g; v' = alpha v + beta g'.
  std::map<std::string, Attribute> attrs = {{"alpha", FloatAttr(0.9f)},
                                            {"beta", FloatAttr(0.5f)},
                                            {"norm_coefficient", FloatAttr(0.5f)},
                                            {"mode", StringAttr("standard")}};
  auto out = RunOptimizer("Momentum", 0.1f, 3,
                          {{"X", Floats({1, -2})}, {"G", Floats({2, 4})}, {"V", Floats({1, 0})}},
                          {"X_new", "V_new"}, attrs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // x=1: g'=2.5, v'=0.9+1.25=2.15, x'=1-0.215; x=-2: g'=3, v'=1.5, x'=-2.15.
  ExpectNear(out->at("V_new"), {2.15, 1.5});
  ExpectNear(out->at("X_new"), {0.785, -2.15});
  attrs["mode"] = StringAttr("nesterov");
  out = RunOptimizer("Momentum", 0.1f, 0,
                     {{"X", Floats({1})}, {"G", Floats({2})}, {"V", Floats({1})}},
                     {"X_new", "V_new"}, attrs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // Step 0: beta counts as 1. g'=2.5, v'=0.9+2.5=3.4, x'=1-0.1*(2.5+0.9*3.4)=0.444.
  ExpectNear(out->at("V_new"), {3.4});
  ExpectNear(out->at("X_new"), {0.444});
}

TEST(TrainingOpsTest, AdagradUpdatesEveryTensor) {
  // Two tensors in one node, decay 0.5 at step 2: rate = 0.1 / 2.
  auto out = RunOptimizer("Adagrad", 0.1f, 2,
                          {{"X1", Floats({1})},
                           {"X2", Floats({2, 3})},
                           {"G1", Floats({3})},
                           {"G2", Floats({-4, 0})},
                           {"H1", Floats({7})},
                           {"H2", Floats({0, 1})}},
                          {"X1_new", "X2_new", "H1_new", "H2_new"},
                          {{"decay_factor", FloatAttr(0.5f)}, {"epsilon", FloatAttr(1.f)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(out->at("H1_new"), {16});
  ExpectNear(out->at("H2_new"), {16, 1});
  ExpectNear(out->at("X1_new"), {1 - 0.05 * 3 / 5});
  ExpectNear(out->at("X2_new"), {2 + 0.05 * 4 / 5, 3});
}

TEST(TrainingOpsTest, AdamCorrectsBiasAfterTheFirstStep) {
  const double alpha = 0.5, beta = 0.75;
  std::map<std::string, Attribute> attrs = {{"alpha", FloatAttr(0.5f)},
                                            {"beta", FloatAttr(0.75f)},
                                            {"norm_coefficient_post", FloatAttr(0.5f)}};
  auto out =
      RunOptimizer("Adam", 0.1f, 2,
                   {{"X", Floats({1})}, {"G", Floats({2})}, {"V", Floats({1})}, {"H", Floats({4})}},
                   {"X_new", "V_new", "H_new"}, attrs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const double v = alpha * 1 + (1 - alpha) * 2, h = beta * 4 + (1 - beta) * 4;
  const double rate = 0.1 * std::sqrt(1 - beta * beta) / (1 - alpha * alpha);
  ExpectNear(out->at("V_new"), {v});
  ExpectNear(out->at("H_new"), {h});
  ExpectNear(out->at("X_new"), {0.5 * (1 - rate * v / std::sqrt(h))});
}

TEST(TrainingOpsTest, Errors) {
  std::map<std::string, Attribute> attrs = {{"alpha", FloatAttr(0.9f)},
                                            {"beta", FloatAttr(0.5f)},
                                            {"norm_coefficient", FloatAttr(0.f)},
                                            {"mode", StringAttr("standard")}};
  auto mismatched = RunOptimizer("Momentum", 0.1f, 1,
                                 {{"X", Floats({1, 2})}, {"G", Floats({2})}, {"V", Floats({1, 0})}},
                                 {"X_new", "V_new"}, attrs);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("it must match X1"), std::string::npos)
      << mismatched.status().ToString();
  attrs["mode"] = StringAttr("heavy-ball");
  auto bad_mode = RunOptimizer("Momentum", 0.1f, 1,
                               {{"X", Floats({1})}, {"G", Floats({2})}, {"V", Floats({1})}},
                               {"X_new", "V_new"}, attrs);
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.status().message().find("mode must be"), std::string::npos);
  attrs.erase("alpha");
  attrs["mode"] = StringAttr("standard");
  auto missing = RunOptimizer("Momentum", 0.1f, 1,
                              {{"X", Floats({1})}, {"G", Floats({2})}, {"V", Floats({1})}},
                              {"X_new", "V_new"}, attrs);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("needs the attribute 'alpha'"), std::string::npos);
  auto uneven = RunOptimizer("Adagrad", 0.1f, 1,
                             {{"X1", Floats({1})},
                              {"X2", Floats({1})},
                              {"G1", Floats({1})},
                              {"G2", Floats({1})},
                              {"H1", Floats({1})}},
                             {"X1_new"}, {});
  ASSERT_FALSE(uneven.ok());
  EXPECT_NE(uneven.status().message().find("groups of equally many tensors"), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
