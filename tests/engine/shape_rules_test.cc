// The shape rules (engine/ops/shape_rules) are the kernels' and the optimizer's shape
// inference's: for every case, inference gives a shape exactly when the CPU kernel runs, and the
// same shape.
#include "engine/ops/shape_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// A node given its float inputs' shapes, its constant int64 inputs and attributes.
struct Spec {
  std::string op;
  std::vector<Shape> xs;                          // float inputs x0, x1, ...
  std::map<size_t, std::vector<int64_t>> consts;  // input index -> int64 constant
  std::map<std::string, Attribute> attrs;
  int outputs = 1;
  int64_t opset = 18;
};

// Per output: the kernel's shape (nullopt: the run failed) and the inferred one.
std::vector<std::pair<std::optional<Shape>, std::optional<Shape>>> Both(const Spec& c) {
  test::ModelBuilder b(c.opset);
  std::map<std::string, Shape> shapes;
  std::map<std::string, Tensor> feeds;
  size_t inputs = c.xs.size();
  for (const auto& [i, v] : c.consts) inputs = std::max(inputs, i + 1);
  std::vector<std::string> ins(inputs);
  for (size_t i = 0, x = 0; i < inputs; ++i) {
    if (c.consts.count(i)) {
      ins[i] = "c" + std::to_string(i);
      b.Init(ins[i], test::Ints(c.consts.at(i)));
      shapes[ins[i]] = {static_cast<int64_t>(c.consts.at(i).size())};  // as the optimizer seeds
    } else if (x < c.xs.size()) {
      ins[i] = "x" + std::to_string(i);
      b.Input(ins[i], c.xs[x]);
      shapes[ins[i]] = c.xs[x];
      feeds[ins[i]] = Tensor::Zeros(DType::kFloat32, c.xs[x]);
      ++x;
    }
  }
  std::vector<std::string> outs;
  for (int o = 0; o < c.outputs; ++o) outs.push_back("y" + std::to_string(o));
  b.Op(c.op, ins, outs, c.attrs);
  for (const auto& o : outs) b.Output(o);
  optimizer::InferNodeShapes(b.graph().nodes[0], b.graph(), shapes);
  std::optional<std::map<std::string, Tensor>> ran;
  auto session = Session::Create(b.model(), {.threads = 1, .optimize = false});
  if (session.ok()) {
    auto out = (*session)->Run(feeds);
    if (out.ok()) ran = *out;
  }
  std::vector<std::pair<std::optional<Shape>, std::optional<Shape>>> r;
  for (const auto& o : outs) {
    std::optional<Shape> k, i;
    if (ran) k = ran->at(o).shape();
    if (shapes.count(o)) i = shapes[o];
    r.push_back({k, i});
  }
  return r;
}

TEST(ShapeRulesTest, InferenceAgreesWithTheKernelsOnTheOtherRules) {
  using test::IntAttr;
  using test::IntsAttr;
  const std::vector<Spec> cases = {
      {"Transpose", {{2, 3, 4}}, {}, {{"perm", IntsAttr({2, 0, 1})}}},
      {"Transpose", {{2, 3, 4}}, {}, {}},
      {"Transpose", {{2, 3, 4}}, {}, {{"perm", IntsAttr({0, 0, 1})}}},  // repeated
      {"Transpose", {{2, 3, 4}}, {}, {{"perm", IntsAttr({0, 1})}}},     // too short
      {"Reshape", {{2, 3, 4}}, {{1, {4, -1}}}},
      {"Reshape", {{2, 3, 4}}, {{1, {0, 12}}}},
      {"Reshape", {{2, 3, 4}}, {{1, {5, -1}}}},  // 24 is no multiple of 5
      {"Reshape", {{2, 3, 4}}, {{1, {-1, -1}}}},
      {"Reshape", {{2, 3, 4}}, {{1, {0, 0, 0, 0}}}},  // 0 past the rank
      {"Reshape", {{0, 3}}, {{1, {0, -1}}}},
      {"Gather", {{5, 3}}, {{1, {0, 4, 2}}}, {{"axis", IntAttr(0)}}},
      {"Gather", {{5, 3}}, {{1, {0, 2}}}, {{"axis", IntAttr(-1)}}},
      {"Gather", {{5, 3}}, {{1, {0}}}, {{"axis", IntAttr(2)}}},  // out of range
      {"Concat", {{2, 3}, {2, 5}}, {}, {{"axis", IntAttr(1)}}},
      {"Concat", {{2, 3}, {4, 3}}, {}, {{"axis", IntAttr(-2)}}},
      {"Concat", {{2, 3}, {3, 5}}, {}, {{"axis", IntAttr(1)}}},  // differ outside the axis
      {"Concat", {{2, 3}, {2, 3, 1}}, {}, {{"axis", IntAttr(0)}}},
      {"Slice", {{10, 4}}, {{1, {1}}, {2, {8}}, {3, {0}}, {4, {3}}}},
      {"Slice", {{10, 4}}, {{1, {-1}}, {2, {-100}}, {3, {0}}, {4, {-2}}}},
      {"Slice", {{10, 4}}, {{1, {20}}, {2, {-20}}, {3, {0}}, {4, {-1}}}},
      {"Slice", {{0, 4}}, {{1, {-1}}, {2, {-100}}, {3, {0}}, {4, {-1}}}},  // empty, step < 0
      {"Slice", {{10, 4}}, {{1, {0, 0}}, {2, {2, 2}}, {3, {1, 1}}}},       // axis repeats
      {"Slice", {{10, 4}}, {{1, {0}}, {2, {2}}, {3, {0}}, {4, {0}}}},      // step 0
      {"Split", {{6, 4}}, {{1, {2, 4}}}, {{"axis", IntAttr(0)}}, 2},
      {"Split", {{6, 4}}, {{1, {2, 3}}}, {{"axis", IntAttr(0)}}, 2},  // sums to 5
      {"Split", {{7, 4}}, {}, {{"num_outputs", IntAttr(3)}}, 3},      // 3, 3, 1
      {"Split", {{6, 4}}, {}, {{"axis", IntAttr(1)}}, 2},
      {"Split", {{6, 5}}, {}, {{"axis", IntAttr(1)}}, 2},  // 5 into 2 equal parts
      {"MatMul", {{2, 3, 4}, {4, 5}}},
      {"MatMul", {{4}, {2, 4, 5}}},
      {"MatMul", {{3, 4}, {4}}},
      {"MatMul", {{3, 4}, {5, 6}}},        // inner dimensions differ
      {"MatMul", {{2, 3, 4}, {3, 4, 5}}},  // batches do not broadcast
      {"Gemm", {{3, 4}, {5, 4}}, {}, {{"transB", IntAttr(1)}}},
      {"Gemm", {{4, 3}, {4, 5}}, {}, {{"transA", IntAttr(1)}}},
      {"Gemm", {{3, 4}, {5, 4}}},  // inner dimensions differ
      {"Expand", {{3, 1}}, {{1, {2, 3, 4}}}},
      {"Expand", {{3, 2}}, {{1, {3, 4}}}},  // does not broadcast
  };
  for (const Spec& c : cases) {
    std::string what = c.op;
    for (const Shape& x : c.xs) what += " " + ShapeToString(x);
    for (const auto& [i, v] : c.consts) what += " c" + std::to_string(i) + ShapeToString(v);
    for (const auto& [ran, inferred] : Both(c)) {
      EXPECT_EQ(ran.has_value(), inferred.has_value()) << what;
      if (ran && inferred) {
        EXPECT_EQ(*ran, *inferred) << what;
      }
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
