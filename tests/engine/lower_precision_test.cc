// --precision bf16|int8 (optimizer::LowerPrecision and the CPU backend's low-precision
// FusedMatMul): the converted model computes what the float32 one does within the precision's
// error, shared weights stay float32 for their other readers, and what was converted is said.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/fused.h"
#include "engine/precision.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Info;
using test::MakeNode;
using test::Random;

// x [2, 5, 64] -> Relu(x W1 + b1) -> Gemm(., W2^T, alpha 0.5, C) -> y1 [2*5, 48]; also
// y2 = x W1 (W1 shared) and y3 = Gather(W1, ids): W1 has a reader that is no product.
Model Products() {
  Model m;
  m.opsets[""] = 17;
  Graph& g = m.graph;
  g.inputs = {Info("x", DType::kFloat32)};
  g.outputs = {Info("y1"), Info("y2"), Info("y3")};
  g.initializers["w1"] = Random({64, 32}, 1, -0.5f, 0.5f);
  g.initializers["b1"] = Random({32}, 2);
  g.initializers["w2"] = Random({48, 32}, 3, -0.5f, 0.5f);
  g.initializers["c2"] = Random({48}, 4);
  g.initializers["shape"] = test::Ints({2}, {10, 32});
  g.initializers["ids"] = test::Ints({2}, {3, 7});
  g.nodes.push_back(MakeNode("MatMul", {"x", "w1"}, {"h"}));
  g.nodes.push_back(MakeNode("Add", {"h", "b1"}, {"hb"}));
  g.nodes.push_back(MakeNode("Relu", {"hb"}, {"r"}));
  g.nodes.push_back(MakeNode("Reshape", {"r", "shape"}, {"r2"}));
  g.nodes.push_back(MakeNode("Gemm", {"r2", "w2", "c2"}, {"y1"},
                             {{"transB", test::IntAttr(1)}, {"alpha", test::FloatAttr(0.5f)}}));
  g.nodes.push_back(MakeNode("MatMul", {"x", "w1"}, {"y2"}));
  g.nodes.push_back(MakeNode("Gather", {"w1", "ids"}, {"y3"}));
  return m;
}

struct Ran {
  std::map<std::string, Tensor> outputs;
  std::string summary;
};

Ran RunAt(Precision p, const Tensor& x, int threads = 1) {
  auto session = Session::Create(Products(), {.threads = threads, .precision = p});
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  auto out = (*session)->Run({{"x", x}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  return {*out, (*session)->precision_summary()};
}

double Cosine(const Tensor& a, const Tensor& b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double u = a.data<float>()[i], v = b.data<float>()[i];
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  return ab / std::sqrt(aa * bb);
}

// The largest |a - b| over the largest |a|.
double RelativeMaxError(const Tensor& a, const Tensor& b) {
  double err = 0, scale = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    err = std::max(err, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
    scale = std::max(scale, std::fabs(double(a.data<float>()[i])));
  }
  return err / scale;
}

TEST(LowerPrecisionTest, Bf16AndInt8FollowFloat32) {
  const Tensor x = Random({2, 5, 64}, 7);
  Ran fp32 = RunAt(Precision::kFp32, x);
  EXPECT_EQ(fp32.summary, "");
  for (Precision p : {Precision::kBf16, Precision::kInt8}) {
    SCOPED_TRACE(PrecisionName(p));
    Ran low = RunAt(p, x);
    // Three products: the fused MatMul+Add+Relu, the Gemm and the plain MatMul.
    EXPECT_NE(low.summary.find(std::string("LowerPrecision(") + PrecisionName(p) + "): 3 products"),
              std::string::npos)
        << low.summary;
    for (const char* y : {"y1", "y2"}) {
      SCOPED_TRACE(y);
      ASSERT_EQ(low.outputs[y].shape(), fp32.outputs[y].shape());
      ASSERT_EQ(low.outputs[y].dtype(), DType::kFloat32);
      const double cosine = Cosine(fp32.outputs[y], low.outputs[y]);
      const double err = RelativeMaxError(fp32.outputs[y], low.outputs[y]);
      if (p == Precision::kBf16) {
        EXPECT_GT(cosine, 0.9999);
        EXPECT_LT(err, 0.02);
      } else {
        EXPECT_GT(cosine, 0.999);
        EXPECT_LT(err, 0.05);
      }
    }
    // The shared weight's other reader still sees float32, exactly.
    const Tensor& g32 = fp32.outputs["y3"];
    const Tensor& glow = low.outputs["y3"];
    ASSERT_EQ(glow.dtype(), DType::kFloat32);
    for (int64_t i = 0; i < g32.numel(); ++i)
      ASSERT_EQ(g32.data<float>()[i], glow.data<float>()[i]);
  }
}

TEST(LowerPrecisionTest, Int8IsTheSameOnAnyThreadCount) {
  // Integer sums do not depend on how the product is split.
  const Tensor x = Random({2, 5, 64}, 9);
  Ran one = RunAt(Precision::kInt8, x, 1), two = RunAt(Precision::kInt8, x, 2);
  for (const char* y : {"y1", "y2"}) {
    const Tensor& a = one.outputs[y];
    const Tensor& b = two.outputs[y];
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << y;
  }
}

TEST(LowerPrecisionTest, Int8OfZerosIsZero) {
  // An all-zero A has no range: its scale is 1, its zero point 0 and every product exactly 0.
  Ran low = RunAt(Precision::kInt8, Tensor::Zeros(DType::kFloat32, {2, 5, 64}));
  const Tensor& y = low.outputs["y2"];
  ASSERT_EQ(y.numel(), 2 * 5 * 32);
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y.data<float>()[i], 0.f);
}

TEST(LowerPrecisionTest, NeedsTheOptimizer) {
  auto session = Session::Create(Products(), {.optimize = false, .precision = Precision::kInt8});
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("--no-optimize"), std::string::npos)
      << session.status().message();
}

TEST(LowerPrecisionTest, Names) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
    auto parsed = ParsePrecision(PrecisionName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  auto bad = ParsePrecision("fp8");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fp32, bf16 or int8"), std::string::npos);
}

TEST(LowerPrecisionTest, Int8WeightsWithoutScalesAreRefused) {
  // A FusedMatMul written by hand with int8 B and no b_scale: an error naming the input.
  Node n = ops::MakeFusedMatMul("f", {"a", "b"}, "y", {});
  Tensor b = Tensor::Zeros(DType::kInt8, {4, 3});
  Model m = test::OneNode(n, {Info("a", DType::kFloat32)}, {Info("y")}, {{"b", b}});
  m.opsets[ops::kFusedDomain] = 1;
  auto out = test::RunModel(std::move(m), {{"a", Random({2, 4}, 1)}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("b_scale"), std::string::npos) << out.status().message();
}

// onnxruntime's dynamic quantization of a MatMul (what tools/gen_models/quantize.py
// writes): y = Cast(MatMulInteger(DQL(x))) * (x_scale * w_scale) + bias, then Relu.
// The frame both onnxruntime formats below fill in: input x (float32), output y, and "w", an int8
// [16, 8] weight of spread values (i * step mod 255, centred).
Model QuantizedProductFrame(int step) {
  Model m;
  m.opsets[""] = 17;
  Graph& g = m.graph;
  g.inputs = {Info("x", DType::kFloat32)};
  g.outputs = {Info("y")};
  Tensor w = Tensor::Empty(DType::kInt8, {16, 8});
  for (int64_t i = 0; i < w.numel(); ++i) {
    w.data<int8_t>()[i] = static_cast<int8_t>(i * step % 255 - 127);
  }
  g.initializers["w"] = w;
  return m;
}

Model OrtDynamicQuant(bool per_column) {
  Model m = QuantizedProductFrame(37);
  Graph& g = m.graph;
  g.initializers["w_zero"] = Tensor::Zeros(DType::kInt8, {});
  g.initializers["w_scale"] = per_column ? Random({8}, 5, 0.01f, 0.02f) : test::Scalar(0.015f);
  g.initializers["bias"] = Random({8}, 6);
  g.nodes.push_back(MakeNode("DynamicQuantizeLinear", {"x"}, {"xq", "xs", "xz"}));
  g.nodes.push_back(MakeNode("MatMulInteger", {"xq", "w", "xz", "w_zero"}, {"acc"}));
  g.nodes.push_back(MakeNode("Cast", {"acc"}, {"accf"}, {{"to", test::IntAttr(1)}}));
  g.nodes.push_back(MakeNode("Mul", {"xs", "w_scale"}, {"scales"}));
  g.nodes.push_back(MakeNode("Mul", {"accf", "scales"}, {"prod"}));
  g.nodes.push_back(MakeNode("Add", {"prod", "bias"}, {"sum"}));
  g.nodes.push_back(MakeNode("Relu", {"sum"}, {"y"}));
  return m;
}

// `make(per_column)` optimized fuses once with `pass`, leaving a quantizer and one FusedMatMul
// (the bias and activation folded in), and computes what the unoptimized graph does: the same
// integers, scaled in another order, so float rounding apart.
void ExpectFusedLikeUnfused(Model (*make)(bool), const std::string& pass) {
  const Tensor x = Random({3, 4, 16}, 11);
  for (bool per_column : {false, true}) {
    SCOPED_TRACE(per_column ? "per column" : "per tensor");
    auto fused = Session::Create(make(per_column), {.threads = 1});
    ASSERT_TRUE(fused.ok()) << fused.status().message();
    EXPECT_NE((*fused)->optimizer_summary().find(pass + ": 1"), std::string::npos)
        << (*fused)->optimizer_summary();
    EXPECT_EQ((*fused)->model().graph.nodes.size(), 2u);
    auto got = (*fused)->Run({{"x", x}});
    auto want = test::RunModel(make(per_column), {{"x", x}}, 1, /*optimize=*/false);
    ASSERT_TRUE(got.ok() && want.ok());
    const Tensor& a = (*want)["y"];
    const Tensor& b = (*got)["y"];
    ASSERT_EQ(a.shape(), b.shape());
    for (int64_t i = 0; i < a.numel(); ++i) {
      EXPECT_NEAR(a.data<float>()[i], b.data<float>()[i],
                  1e-5 * (1 + std::fabs(a.data<float>()[i])));
    }
  }
}

TEST(LowerPrecisionTest, FusesOnnxRuntimeDynamicQuantization) {
  ExpectFusedLikeUnfused(OrtDynamicQuant, "FuseDynamicQuantMatMul");
}

// Two 3x3 convolutions (one grouped), a residual Add and Relu: the layout pass makes NhwcConv
// with the Add as Z and Relu fused, which LowerPrecision converts.
Model Convolutions() {
  Model m;
  m.opsets[""] = 17;
  Graph& g = m.graph;
  g.inputs = {Info("x", DType::kFloat32)};
  g.outputs = {Info("y")};
  g.initializers["w1"] = Random({16, 8, 3, 3}, 21, -0.3f, 0.3f);
  g.initializers["b1"] = Random({16}, 22);
  g.initializers["w2"] = Random({16, 4, 3, 3}, 23, -0.3f, 0.3f);
  g.initializers["b2"] = Random({16}, 24);
  auto pads = test::IntsAttr({1, 1, 1, 1});
  g.nodes.push_back(MakeNode("Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", pads}}));
  g.nodes.push_back(MakeNode("Relu", {"c1"}, {"r1"}));
  g.nodes.push_back(
      MakeNode("Conv", {"r1", "w2", "b2"}, {"c2"}, {{"pads", pads}, {"group", test::IntAttr(4)}}));
  g.nodes.push_back(MakeNode("Add", {"c2", "c1"}, {"s"}));
  g.nodes.push_back(MakeNode("Relu", {"s"}, {"y"}));
  return m;
}

TEST(LowerPrecisionTest, ConvolutionsFollowFloat32) {
  const Tensor x = Random({2, 8, 12, 12}, 25, 0.f, 2.f);
  auto fp32 = test::RunModel(Convolutions(), {{"x", x}});
  ASSERT_TRUE(fp32.ok()) << fp32.status().message();
  for (Precision p : {Precision::kBf16, Precision::kInt8}) {
    SCOPED_TRACE(PrecisionName(p));
    auto session = Session::Create(Convolutions(), {.threads = 2, .precision = p});
    ASSERT_TRUE(session.ok()) << session.status().message();
    EXPECT_NE((*session)->precision_summary().find("2 convolutions"), std::string::npos)
        << (*session)->precision_summary();
    auto low = (*session)->Run({{"x", x}});
    ASSERT_TRUE(low.ok()) << low.status().message();
    const Tensor& a = (*fp32)["y"];
    const Tensor& b = (*low)["y"];
    ASSERT_EQ(a.shape(), b.shape());
    EXPECT_GT(Cosine(a, b), p == Precision::kBf16 ? 0.9999 : 0.999);
    EXPECT_LT(RelativeMaxError(a, b), p == Precision::kBf16 ? 0.01 : 0.05);
  }
}

// onnxruntime's QDQ quantization of a MatMul: y = MatMul(DQ(Q(x)), DQ(w)) + bias, per tensor or
// per column.
Model OrtQdq(bool per_column) {
  Model m = QuantizedProductFrame(53);
  Graph& g = m.graph;
  g.initializers["w_zero"] = Tensor::Zeros(DType::kInt8, {per_column ? 8 : 1});
  g.initializers["w_scale"] =
      per_column ? Random({8}, 5, 0.01f, 0.02f) : test::Floats({1}, {0.015f});
  g.initializers["x_scale"] = test::Scalar(4.f / 255);
  g.initializers["x_zero"] = Tensor::Scalar<uint8_t>(DType::kUInt8, 128);
  g.initializers["bias"] = Random({8}, 6);
  g.nodes.push_back(MakeNode("QuantizeLinear", {"x", "x_scale", "x_zero"}, {"xq"}));
  g.nodes.push_back(MakeNode("DequantizeLinear", {"xq", "x_scale", "x_zero"}, {"xd"}));
  std::map<std::string, Attribute> axis;
  if (per_column) axis["axis"] = test::IntAttr(1);
  g.nodes.push_back(MakeNode("DequantizeLinear", {"w", "w_scale", "w_zero"}, {"wd"}, axis));
  g.nodes.push_back(MakeNode("MatMul", {"xd", "wd"}, {"prod"}));
  g.nodes.push_back(MakeNode("Add", {"prod", "bias"}, {"y"}));
  return m;
}

TEST(LowerPrecisionTest, FusesOnnxRuntimeQdqQuantization) {
  ExpectFusedLikeUnfused(OrtQdq, "FuseQdqMatMul");
}

}  // namespace
}  // namespace ipfs_accelerate::engine
