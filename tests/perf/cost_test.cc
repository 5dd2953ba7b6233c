// perf/cost: FLOP counts against hand counts, bytes, weights and the peak of live activations.
#include "perf/cost.h"

#include <gtest/gtest.h>

#include "../engine/model_builder.h"

namespace ipfs_accelerate::perf {
namespace {

using engine::test::FloatAttr;
using engine::test::IntsAttr;
using engine::test::ModelBuilder;
using engine::test::Random;

// The first node of `op_class` (the CPU backend runs convolutions as its NhwcConv).
const NodeCost* Find(const GraphCost& c, OpClass op_class) {
  for (const NodeCost& n : c.nodes) {
    if (n.op_class == op_class) return &n;
  }
  return nullptr;
}

// Names the first input dimension "batch", so AnalyzeOptions::batch sizes it.
engine::Model WithBatch(engine::Model m) {
  (*m.graph.inputs[0].shape)[0] = engine::Dim{-1, "batch"};
  return m;
}

TEST(CostTest, MatMulIsTwiceMNK) {
  ModelBuilder b;
  b.Input("a", {-1, 3, 4}).Init("w", Random({4, 5}, 1)).Op("MatMul", {"a", "w"}, {"y"});
  b.Output("y");
  AnalyzeOptions o;
  o.batch = 2;
  auto c = AnalyzeModel(WithBatch(b.model()), o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->flops, 2.0 * 2 * 3 * 5 * 4);  // 2 x M(2*3) x N(5) x K(4)
  EXPECT_EQ(c->weight_bytes, 4 * 5 * 4);
  EXPECT_EQ(c->input_bytes, 2 * 3 * 4 * 4);
  EXPECT_EQ(c->output_bytes, 2 * 3 * 5 * 4);
  ASSERT_EQ(c->nodes.size(), 1u);
  EXPECT_EQ(c->nodes[0].op_class, OpClass::kMatMul);
  EXPECT_EQ(c->nodes[0].bytes_read, (2 * 3 * 4 + 4 * 5) * 4);
  EXPECT_EQ(c->unknown_nodes, 0);
}

TEST(CostTest, ConvCountsEveryOutputTimesItsWindow) {
  ModelBuilder b;
  b.Input("x", {1, 3, 8, 8})
      .Init("w", Random({16, 3, 3, 3}, 1))
      .Op("Conv", {"x", "w"}, {"y"}, {{"pads", IntsAttr({1, 1, 1, 1})}});
  b.Output("y");
  auto c = AnalyzeModel(b.model(), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const NodeCost* conv = Find(*c, OpClass::kConv);
  ASSERT_NE(conv, nullptr);
  const double outputs = 16 * 8 * 8;
  EXPECT_EQ(conv->flops, outputs * 2 * 3 * 3 * 3 + outputs);  // products, then bias/epilogue
  EXPECT_EQ(conv->op_class, OpClass::kConv);
}

TEST(CostTest, DepthwiseConvHasItsOwnClass) {
  ModelBuilder b;
  b.Input("x", {1, 8, 8, 8})
      .Init("w", Random({8, 1, 3, 3}, 1))
      .Op("Conv", {"x", "w"}, {"y"},
          {{"pads", IntsAttr({1, 1, 1, 1})}, {"group", engine::test::IntAttr(8)}});
  b.Output("y");
  auto c = AnalyzeModel(b.model(), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const NodeCost* conv = Find(*c, OpClass::kDepthwiseConv);
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->depth, 0);  // no GEMM: its class's efficiency covers it
  EXPECT_EQ(conv->flops, 8 * 8 * 8 * (2 * 9 + 1));
}

TEST(CostTest, AttentionCountsBothProductsAndTheSoftmax) {
  // scores = Q x K^T * scale, softmax, x V: the optimizer fuses it into one Attention.
  const int64_t h = 2, s = 4, d = 8;
  ModelBuilder b;
  b.Input("q", {1, h, s, d})
      .Input("k", {1, h, d, s})
      .Input("v", {1, h, s, d})
      .Init("scale", engine::test::Scalar(0.35f))
      .Op("MatMul", {"q", "k"}, {"qk"})
      .Op("Mul", {"qk", "scale"}, {"scores"})
      .Op("Softmax", {"scores"}, {"p"}, {{"axis", engine::test::IntAttr(-1)}})
      .Op("MatMul", {"p", "v"}, {"y"});
  b.Output("y");
  auto c = AnalyzeModel(b.model(), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const double products = 2.0 * h * s * s * d * 2;  // Q x K^T and P x V
  EXPECT_GE(c->flops, products);
  EXPECT_LE(c->flops, products + 10.0 * h * s * s);  // plus a few per score (scale, softmax)
}

TEST(CostTest, PeakCountsOnlyWhatIsAliveTogether) {
  // x -> Relu a (16 KiB) -> Relu b (16 KiB) -> Relu y: a is freed once b is made, so at most
  // two of the 16 KiB values are alive at once.
  ModelBuilder b;
  b.Input("x", {1, 4096})
      .Op("Relu", {"x"}, {"a"})
      .Op("Relu", {"a"}, {"b"})
      .Op("Relu", {"b"}, {"y"});
  b.Output("y");
  AnalyzeOptions o;
  o.allow_trace = false;
  auto c = AnalyzeModel(b.model(), o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->activation_peak_bytes, 2 * 4096 * 4);
  EXPECT_EQ(c->bytes, 3 * 2 * 4096 * 4);  // each Relu reads and writes 16 KiB
}

TEST(CostTest, LowerPrecisionShrinksTheWeightsOfProductsOnly) {
  ModelBuilder b;
  b.Input("a", {2, 64})
      .Init("w", Random({64, 32}, 1))
      .Init("bias", Random({32}, 2))
      .Op("MatMul", {"a", "w"}, {"m"})
      .Op("Add", {"m", "bias"}, {"y"});
  b.Output("y");
  AnalyzeOptions o;
  auto fp32 = AnalyzeModel(b.model(), o);
  ASSERT_TRUE(fp32.ok()) << fp32.status().ToString();
  GraphCost int8 = AtPrecision(*fp32, engine::Precision::kInt8);
  GraphCost bf16 = AtPrecision(*fp32, engine::Precision::kBf16);
  const double w = 64 * 32 * 4, bias = 32 * 4;
  EXPECT_EQ(fp32->weight_bytes, w + bias);
  EXPECT_EQ(int8.weight_bytes, w / 4 + bias);
  EXPECT_EQ(bf16.weight_bytes, w / 2 + bias);
  EXPECT_EQ(int8.flops, fp32->flops);
  int lowered = 0;
  for (const NodeCost& n : int8.nodes) lowered += n.lowered;
  EXPECT_EQ(lowered, 1);
}

TEST(CostTest, AnInputThatCannotBeSizedIsNamed) {
  ModelBuilder b;
  b.Input("x", {1, -1}).Op("Relu", {"x"}, {"y"});
  b.Output("y");
  engine::Model m = b.model();
  (*m.graph.inputs[0].shape)[1] = engine::Dim{-1, "width"};
  auto c = AnalyzeModel(m, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("width"), std::string::npos) << c.status().ToString();
  AnalyzeOptions o;
  o.dims["width"] = 10;
  EXPECT_TRUE(AnalyzeModel(m, o).ok());
}

}  // namespace
}  // namespace ipfs_accelerate::perf
