// The reshaping ops' shape rules (engine/ops/shape_rules) are the kernels' and the optimizer's
// shape inference's: for every case, inference gives a shape exactly when the CPU kernel runs,
// and the same shape.
#include "engine/ops/shape_rules.h"

#include <gtest/gtest.h>

#include <optional>

#include "engine/optimizer/shape_inference.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

struct Case {
  const char* op;
  Shape x;
  std::optional<std::vector<int64_t>> axes;  // opset 13 input "axes"; Flatten: {axis}
};

// What the kernel gives (nullopt: an error) and what shape inference gives, for one case.
std::pair<std::optional<Shape>, std::optional<Shape>> Both(const Case& c) {
  test::ModelBuilder b(13);
  b.Input("x", c.x);
  std::map<std::string, Attribute> attrs;
  std::vector<std::string> ins = {"x"};
  if (std::string(c.op) == "Flatten") {
    attrs["axis"] = test::IntAttr(c.axes->at(0));
  } else if (c.axes) {
    b.Init("axes", test::Ints(*c.axes));
    ins.push_back("axes");
  }
  b.Op(c.op, ins, {"y"}, attrs).Output("y");
  std::map<std::string, Shape> shapes = {{"x", c.x}};
  optimizer::InferNodeShapes(b.graph().nodes[0], b.graph(), shapes);
  std::optional<Shape> inferred;
  if (shapes.count("y")) inferred = shapes["y"];
  std::optional<Shape> ran;
  auto session = Session::Create(b.model(), {.threads = 1, .optimize = false});
  if (session.ok()) {
    auto out = (*session)->Run({{"x", Tensor::Zeros(DType::kFloat32, c.x)}});
    if (out.ok()) ran = out->at("y").shape();
  }
  return {ran, inferred};
}

TEST(ShapeRulesTest, InferenceAgreesWithTheKernels) {
  const std::vector<Case> cases = {
      {"Unsqueeze", {2, 3}, std::vector<int64_t>{0}},
      {"Unsqueeze", {2, 3}, std::vector<int64_t>{-1, 1}},
      {"Unsqueeze", {2, 3}, std::vector<int64_t>{1, 1}},  // repeated: an error (inference gave one)
      {"Unsqueeze", {2, 3}, std::vector<int64_t>{4}},     // out of range
      {"Squeeze", {1, 3, 1}, std::vector<int64_t>{0}},
      {"Squeeze", {1, 3, 1}, std::vector<int64_t>{-1, 0}},
      {"Squeeze", {1, 3, 1}, std::vector<int64_t>{1}},  // size 3: an error
      {"Squeeze", {1, 3, 1}, std::nullopt},             // every axis of size 1
      {"Squeeze", {1, 3, 1}, std::vector<int64_t>{}},   // an empty list: the same
      {"Flatten", {2, 3, 4}, std::vector<int64_t>{0}},
      {"Flatten", {2, 3, 4}, std::vector<int64_t>{-1}},
      {"Flatten", {2, 3, 4}, std::vector<int64_t>{3}},
      {"Flatten", {2, 3, 4}, std::vector<int64_t>{4}},  // out of range
  };
  for (const Case& c : cases) {
    auto [ran, inferred] = Both(c);
    std::string what = std::string(c.op) + " of " + ShapeToString(c.x);
    EXPECT_EQ(ran.has_value(), inferred.has_value()) << what;
    if (ran && inferred) {
      EXPECT_EQ(*ran, *inferred) << what;
    }
  }
}

TEST(ShapeRulesTest, ErrorsNameTheNodeAndTheAxis) {
  Node n;
  n.op_type = "Unsqueeze";
  n.name = "u";
  auto repeated = ops::UnsqueezeShape(n, {2, 3}, {1, 1});
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("node 'u'"), std::string::npos);
  EXPECT_NE(repeated.status().message().find("axes repeat axis 1"), std::string::npos);
  n.op_type = "Squeeze";
  const std::vector<int64_t> axes = {1};
  auto not_one = ops::SqueezeShape(n, {1, 3}, &axes);
  ASSERT_FALSE(not_one.ok());
  EXPECT_NE(not_one.status().message().find("cannot squeeze axis 1 of shape"), std::string::npos)
      << not_one.status().message();
}

}  // namespace
}  // namespace ipfs_accelerate::engine
