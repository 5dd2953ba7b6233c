// The fused ops' schema (engine/ops/fused.h): what the optimizer writes is what the kernels read,
// and a node written wrong by hand gets an error naming the node and the attribute.
#include <gtest/gtest.h>

#include <limits>

#include "engine/ops/fused.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using ops::Activation;
using ops::ActivationKind;

void ExpectError(const Status& s, const std::string& part) {
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(part), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("node 'f'"), std::string::npos) << s.message();
}

TEST(FusedOpsTest, ActivationsRoundTrip) {
  const Activation all[] = {{ActivationKind::kNone},
                            {ActivationKind::kRelu},
                            {ActivationKind::kGelu},
                            {ActivationKind::kGeluTanh},
                            {ActivationKind::kSigmoid},
                            {ActivationKind::kTanh},
                            {ActivationKind::kHardSigmoid, 0.3f, 0.4f},
                            {ActivationKind::kHardSwish},
                            {ActivationKind::kLeakyRelu, 0.1f},
                            {ActivationKind::kClip, -1.f, 6.f}};
  for (const Activation& a : all) {
    ops::FusedMatMulAttrs attrs{true, 0.5f, a};
    Node n = ops::MakeFusedMatMul("f", {"a", "b"}, "y", attrs);
    EXPECT_EQ(n.domain, ops::kFusedDomain);
    auto read = ops::ReadFusedMatMul(n);
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_TRUE(read->trans_b);
    EXPECT_EQ(read->alpha, 0.5f);
    EXPECT_EQ(read->activation.kind, a.kind) << ops::ActivationName(a.kind);
    EXPECT_EQ(read->activation.p0, a.p0);
    EXPECT_EQ(read->activation.p1, a.p1);
  }
}

TEST(FusedOpsTest, ActivationNodesAreRecognizedWithTheirParameters) {
  test::ModelBuilder b(13);
  b.Input("x", {2}).Init("lo", test::Scalar(-0.5f)).Init("hi", test::Scalar(2.f));
  b.Op("Clip", {"x", "lo", "hi"}, {"c"});
  b.Op("LeakyRelu", {"x"}, {"l"}, {{"alpha", test::FloatAttr(0.2f)}});
  b.Op("Clip", {"x", "", "hi"}, {"upper"});
  b.Op("Clip", {"x", "x"}, {"dynamic"});  // a bound that is no constant: not fusable
  b.Op("Softmax", {"x"}, {"s"});
  const Graph& g = b.graph();
  auto clip = ops::ActivationOfNode(g, g.nodes[0]);
  ASSERT_TRUE(clip);
  EXPECT_EQ(clip->kind, ActivationKind::kClip);
  EXPECT_EQ(clip->p0, -0.5f);
  EXPECT_EQ(clip->p1, 2.f);
  auto leaky = ops::ActivationOfNode(g, g.nodes[1]);
  ASSERT_TRUE(leaky);
  EXPECT_EQ(leaky->p0, 0.2f);
  auto upper = ops::ActivationOfNode(g, g.nodes[2]);
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->p0, -std::numeric_limits<float>::infinity());
  EXPECT_FALSE(ops::ActivationOfNode(g, g.nodes[3]));
  EXPECT_FALSE(ops::ActivationOfNode(g, g.nodes[4]));
}

TEST(FusedOpsTest, WrongAttributesAreNamed) {
  Node n = ops::MakeFusedMatMul("f", {"a", "b"}, "y", {});
  n.attributes["activation"] = test::StringAttr("Swish");
  ExpectError(ops::ReadFusedMatMul(n).status(), "unknown activation 'Swish'");
  n.attributes["activation"] = test::StringAttr("Clip");
  ExpectError(ops::ReadFusedMatMul(n).status(), "Clip needs 2 activation_params, got 0");
  n.attributes["activation"] = test::IntAttr(1);
  ExpectError(ops::ReadFusedMatMul(n).status(), "attribute activation has the wrong type");
  Node gelu = ops::MakeGelu("f", "x", "y", false);
  gelu.attributes["approximate"] = test::StringAttr("fast");
  ExpectError(ops::ReadGeluTanh(gelu).status(), "approximate must be");
}

TEST(FusedOpsTest, ShapeRules) {
  Node mm = ops::MakeFusedMatMul("f", {"a", "b"}, "y", {.trans_b = true});
  auto y = ops::FusedMatMulShape(mm, {2, 5, 8}, {3, 8});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, (Shape{2, 5, 3}));
  ExpectError(ops::FusedMatMulShape(mm, {2, 5, 8}, {8, 3}).status(), "inner dimensions differ");

  Node att = ops::MakeAttention("f", {"q", "k", "v"}, "y", {});
  Shape q = {2, 4, 6, 8}, k = {2, 4, 8, 10}, v = {1, 4, 10, 16}, mask = {2, 1, 1, 10};
  auto r = ops::AttentionShape(att, {&q, &k, &v, &mask});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scores, (Shape{2, 4, 6, 10}));
  EXPECT_EQ(r->output, (Shape{2, 4, 6, 16}));
  Shape cond = {6, 10};
  ExpectError(ops::AttentionShape(att, {&q, &k, &v, nullptr, &cond}).status(),
              "needs its other value");
  Shape bad_k = {2, 4, 7, 10};
  ExpectError(ops::AttentionShape(att, {&q, &bad_k, &v}).status(), "do not chain");
}

}  // namespace
}  // namespace ipfs_accelerate::engine
