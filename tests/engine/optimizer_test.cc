// The optimizer's passes: which nodes a graph has after each, and that a session computes the
// same outputs from the optimized graph as from the original.
#include "engine/optimizer/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/layout_nhwc.h"
#include "engine/ops/fused.h"
#include "engine/optimizer/passes.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

using test::FloatAttr;
using test::IntAttr;
using test::Ints;
using test::IntsAttr;
using test::Random;
using test::Scalar;
using Builder = test::ModelBuilder;

std::vector<std::string> OpTypes(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op_type);
  return ops;
}

using Pass = std::function<Status(Graph&, int64_t*)>;

// Runs `pass` on a copy of `b`'s model, checks both give the same outputs on `inputs`, and
// returns the optimized graph.
Graph CheckPass(const Builder& b, const Pass& pass, int64_t expect_count,
                std::map<std::string, Tensor> inputs = {}) {
  if (inputs.empty()) inputs = b.Inputs();
  Model opt = b.model();
  int64_t count = -1;
  Status s = pass(opt.graph, &count);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(count, expect_count);
  auto ref = Session::Create(b.model(), {.threads = 2});
  auto got = Session::Create(opt, {.threads = 2});
  EXPECT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!ref.ok() || !got.ok()) return opt.graph;
  auto r = (*ref)->Run(inputs);
  auto o = (*got)->Run(inputs);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  if (!r.ok() || !o.ok()) return opt.graph;
  for (const auto& [name, want] : *r) {
    const Tensor& have = o->at(name);
    EXPECT_EQ(have.shape(), want.shape()) << name;
    EXPECT_EQ(have.dtype(), want.dtype()) << name;
    if (have.shape() != want.shape() || have.dtype() != DType::kFloat32) continue;
    for (int64_t i = 0; i < want.numel(); ++i) {
      float w = want.data<float>()[i], h = have.data<float>()[i];
      EXPECT_NEAR(h, w, 1e-4f * std::max(1.f, std::abs(w))) << name << " at " << i;
      if (std::abs(h - w) > 1e-4f * std::max(1.f, std::abs(w))) break;
    }
  }
  return opt.graph;
}

Pass Fold(std::map<std::string, std::vector<int64_t>> shapes = {}) {
  return [shapes](Graph& g, int64_t* n) {
    cpu::CpuBackend backend;
    return FoldConstants(g, backend, shapes, n);
  };
}

TEST(OptimizerTest, FoldsConstantsAndShapesOfStaticInputs) {
  Builder b;
  b.Input("x", {2, 6})
      .Init("w1", Random({6}, 5))
      .Init("w2", Random({6}, 6))
      .Init("idx", Tensor::Scalar<int64_t>(DType::kInt64, 0))
      .Init("axes", Ints({0}))
      .Init("minus1", Ints({-1}))
      .Op("Add", {"w1", "w2"}, {"c"})
      .Op("Mul", {"x", "c"}, {"y"})
      .Op("Shape", {"y"}, {"s"})
      .Op("Gather", {"s", "idx"}, {"s0"})
      .Op("Unsqueeze", {"s0", "axes"}, {"s0u"})
      .Op("Concat", {"s0u", "minus1"}, {"shape"}, {{"axis", IntAttr(0)}})
      .Op("Reshape", {"y", "shape"}, {"z"})
      .Output("z");
  Graph g = CheckPass(b, Fold(), 5);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Mul", "Reshape"}));
  EXPECT_TRUE(g.initializers.count("shape"));
  EXPECT_FALSE(g.initializers.count("w1"));  // no longer read
}

TEST(OptimizerTest, FoldsShapeOfDynamicInputOnlyWhenItsShapeIsGiven) {
  Builder b;
  b.Input("x", {-1, 4}).Op("Shape", {"x"}, {"s"}).Op("Cast", {"s"}, {"f"}, {{"to", IntAttr(1)}});
  b.Op("Relu", {"x"}, {"r"}).Output("f").Output("r");
  Graph g = CheckPass(b, Fold(), 0);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Shape", "Cast", "Relu"}));
  g = CheckPass(b, Fold({{"x", {3, 4}}}), 2);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Relu"}));
}

TEST(OptimizerTest, DoesNotFoldHugeExpansions) {
  Builder b;
  b.Input("x", {1, 1})
      .Init("shape", Ints({1024, 1024}))
      .Op("ConstantOfShape", {"shape"}, {"big"})
      .Op("Add", {"x", "big"}, {"y"})
      .Output("y");
  Graph g = CheckPass(b, Fold(), 0);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"ConstantOfShape", "Add"}));
}

TEST(OptimizerTest, EliminatesDeadNodesAndUnusedInitializers) {
  Builder b;
  b.Input("x", {2, 3})
      .Init("unused", Random({3}, 1))
      .Init("w", Random({3}, 2))
      .Op("Relu", {"x"}, {"dead1"})
      .Op("Add", {"dead1", "unused"}, {"dead2"})
      .Op("Mul", {"x", "w"}, {"y"})
      .Output("y");
  Graph g = CheckPass(
      b, [](Graph& g, int64_t* n) { return EliminateDeadNodes(g, n); }, 2);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Mul"}));
  EXPECT_FALSE(g.initializers.count("unused"));
  EXPECT_TRUE(g.initializers.count("w"));
}

Pass Named(Status (*fn)(Graph&, int64_t*)) { return fn; }

// Optimize as a pass (count 1 when it succeeds).
Status OptimizeAll(Graph& g, int64_t* n) {
  cpu::CpuBackend backend;
  *n = 1;
  return Optimize(g, backend, {});
}

// x -> x/sqrt2 -> Erf -> +1 -> products with x and 0.5 in `order` (0, 1, 2).
Builder GeluErfGraph(int order) {
  Builder b;
  b.Input("x", {-1, 8})
      .Init("sqrt2", Scalar(1.4142135f))
      .Init("one", Scalar(1.f))
      .Init("half", Scalar(0.5f))
      .Op("Div", {"x", "sqrt2"}, {"d"})
      .Op("Erf", {"d"}, {"e"})
      .Op("Add", {"e", "one"}, {"a"});
  if (order == 0) {
    b.Op("Mul", {"x", "a"}, {"m"}).Op("Mul", {"m", "half"}, {"y"});
  } else if (order == 1) {
    b.Op("Mul", {"x", "half"}, {"h"}).Op("Mul", {"h", "a"}, {"y"});
  } else {
    b.Op("Mul", {"a", "half"}, {"h"}).Op("Mul", {"x", "h"}, {"y"});
  }
  b.Output("y");
  return b;
}

TEST(OptimizerTest, FusesGeluErfInEveryExportOrder) {
  for (int order = 0; order < 3; ++order) {
    Graph g = CheckPass(GeluErfGraph(order), Named(FuseGelu), 1);
    ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"Gelu"})) << order;
    EXPECT_EQ(g.nodes[0].domain, "ai.ipfs_accelerate");
    EXPECT_EQ(g.nodes[0].attr("approximate")->s, "none");
    EXPECT_EQ(g.nodes[0].outputs[0], "y");
  }
}

TEST(OptimizerTest, FusesGeluTanhWithPowOrProducts) {
  for (bool pow : {true, false}) {
    Builder b;
    b.Input("x", {2, -1})
        .Init("three", Scalar(3.f))
        .Init("k", Scalar(0.044715f))
        .Init("c", Scalar(0.7978845608f))
        .Init("one", Scalar(1.f))
        .Init("half", Scalar(0.5f));
    if (pow) {
      b.Op("Pow", {"x", "three"}, {"x3"});
    } else {
      b.Op("Mul", {"x", "x"}, {"x2"}).Op("Mul", {"x2", "x"}, {"x3"});
    }
    b.Op("Mul", {"x3", "k"}, {"kx3"})
        .Op("Add", {"x", "kx3"}, {"s"})
        .Op("Mul", {"s", "c"}, {"cs"})
        .Op("Tanh", {"cs"}, {"t"})
        .Op("Add", {"t", "one"}, {"a"})
        .Op("Mul", {"x", "half"}, {"h"})
        .Op("Mul", {"h", "a"}, {"y"})
        .Output("y");
    Graph g = CheckPass(b, Named(FuseGelu), 1);
    ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"Gelu"}));
    EXPECT_EQ(g.nodes[0].attr("approximate")->s, "tanh");
  }
}

TEST(OptimizerTest, DoesNotFuseGeluThroughAGraphOutputOrASecondReader) {
  Builder b = GeluErfGraph(0);
  b.Output("e");  // the Erf result is wanted too
  Graph g = CheckPass(b, Named(FuseGelu), 0);
  EXPECT_EQ(g.nodes.size(), 5u);
  Builder c = GeluErfGraph(1);
  c.Op("Neg", {"a"}, {"n"}).Output("n");  // the "1 + erf" value has a second reader
  g = CheckPass(c, Named(FuseGelu), 0);
  EXPECT_EQ(g.nodes.size(), 6u);
}

TEST(OptimizerTest, FusesMatMulBiasAndActivation) {
  Builder b;
  b.Input("a", {-1, 5, 16})
      .Init("w", Random({16, 24}, 3))
      .Init("bias", Random({24}, 4))
      .Op("MatMul", {"a", "w"}, {"mm"})
      .Op("Add", {"bias", "mm"}, {"z"})
      .Op("Relu", {"z"}, {"y"})
      .Output("y");
  Graph g = CheckPass(b, Named(FuseMatMulBias), 1);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"FusedMatMul", "Relu"}));
  Model m = b.model();
  OptimizeStats stats;
  cpu::CpuBackend backend;
  ASSERT_TRUE(Optimize(m.graph, backend, {}, &stats).ok());
  EXPECT_EQ(OpTypes(m.graph), (std::vector<std::string>{"FusedMatMul"}));
  EXPECT_EQ(m.graph.nodes[0].attr("activation")->s, "Relu");
  EXPECT_EQ(stats.passes["FuseMatMulBias"].rewrites, 1);
  EXPECT_EQ(stats.passes["FuseMatMulActivation"].rewrites, 1);
  EXPECT_EQ(stats.nodes_before, 3);
  EXPECT_EQ(stats.nodes_after, 1);
}

TEST(OptimizerTest, FusesEveryActivationIntoMatMulAndGemm) {
  struct Case {
    std::string op;
    std::map<std::string, Attribute> attrs;
    std::vector<std::string> extra;
  };
  std::vector<Case> cases = {{"Relu", {}, {}},
                             {"Sigmoid", {}, {}},
                             {"Tanh", {}, {}},
                             {"HardSwish", {}, {}},
                             {"HardSigmoid", {{"alpha", FloatAttr(0.3f)}}, {}},
                             {"LeakyRelu", {{"alpha", FloatAttr(0.1f)}}, {}},
                             {"Clip", {}, {"lo", "hi"}}};
  for (const Case& c : cases) {
    for (bool gemm : {false, true}) {
      Builder b;
      b.Input("a", {7, 16}).Init("w", Random({24, 16}, 3)).Init("c", Random({24}, 4));
      b.Init("lo", Scalar(-0.5f)).Init("hi", Scalar(0.7f));
      if (gemm) {
        b.Op("Gemm", {"a", "w", "c"}, {"mm"}, {{"transB", IntAttr(1)}, {"alpha", FloatAttr(0.5f)}});
      } else {
        b.Init("wt", Random({16, 24}, 5)).Op("MatMul", {"a", "wt"}, {"mm"});
      }
      std::vector<std::string> ins = {"mm"};
      ins.insert(ins.end(), c.extra.begin(), c.extra.end());
      b.Op(c.op, ins, {"y"}, c.attrs).Output("y");
      Graph g = CheckPass(b, Named(FuseMatMulActivation), 1);
      ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"FusedMatMul"})) << c.op << gemm;
      EXPECT_EQ(g.nodes[0].attr("activation")->s, c.op);
    }
  }
}

TEST(OptimizerTest, FusesMatMulWithGeluAfterGeluFusion) {
  Builder b = GeluErfGraph(2);
  Model m = b.model();
  // Put a MatMul + bias in front of the GELU: x = in @ w + bias.
  Builder c;
  c.Input("in", {-1, 4})
      .Init("w", Random({4, 8}, 3))
      .Init("bias", Random({8}, 4))
      .Op("MatMul", {"in", "w"}, {"mm"})
      .Op("Add", {"mm", "bias"}, {"x"});
  for (const auto& [name, t] : m.graph.initializers) c.Init(name, t);
  for (const Node& n : m.graph.nodes) c.Op(n.op_type, n.inputs, n.outputs, n.attributes);
  c.Output("y");
  Graph g = CheckPass(c, OptimizeAll, 1);
  ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"FusedMatMul"}));
  EXPECT_EQ(g.nodes[0].attr("activation")->s, "Gelu");
}

TEST(OptimizerTest, DoesNotFuseMatMulWhoseOutputIsWantedOrNotFloat) {
  Builder b;
  b.Input("a", {3, 4})
      .Init("w", Random({4, 8}, 3))
      .Init("bias", Random({8}, 4))
      .Op("MatMul", {"a", "w"}, {"mm"})
      .Op("Add", {"mm", "bias"}, {"y"})
      .Output("y")
      .Output("mm");
  Graph g = CheckPass(b, Named(FuseMatMulBias), 0);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"MatMul", "Add"}));

  Builder i;
  Tensor w = Tensor::Zeros(DType::kInt64, {4, 8});
  Tensor bias = Tensor::Zeros(DType::kInt64, {8});
  i.Input("a", {3, 4}, DType::kInt64).Init("w", w).Init("bias", bias);
  i.Op("MatMul", {"a", "w"}, {"mm"}).Op("Add", {"mm", "bias"}, {"z"}).Op("Relu", {"z"}, {"y"});
  i.Output("y");
  Model m = i.model();
  cpu::CpuBackend backend;
  OptimizeOptions options;
  options.fold_constants = false;
  ASSERT_TRUE(Optimize(m.graph, backend, options).ok());
  EXPECT_EQ(OpTypes(m.graph), (std::vector<std::string>{"MatMul", "Add", "Relu"}));
}

// Decomposed layer norm as opset-9 exporters write it.
Builder LayerNormGraph(bool affine) {
  Builder b(9);
  b.Input("x", {-1, 5, 12})
      .Init("two", Scalar(2.f))
      .Init("eps", Scalar(1e-5f))
      .Init("gamma", Random({12}, 7))
      .Init("beta", Random({12}, 8))
      .Op("ReduceMean", {"x"}, {"mu"}, {{"axes", IntsAttr({-1})}})
      .Op("Sub", {"x", "mu"}, {"d"})
      .Op("Pow", {"d", "two"}, {"d2"})
      .Op("ReduceMean", {"d2"}, {"var"}, {{"axes", IntsAttr({-1})}})
      .Op("Add", {"var", "eps"}, {"ve"})
      .Op("Sqrt", {"ve"}, {"sd"})
      .Op("Div", {"d", "sd"}, {"n"});
  if (affine) {
    b.Op("Mul", {"n", "gamma"}, {"g"}).Op("Add", {"g", "beta"}, {"y"}).Output("y");
  } else {
    b.Output("n");
  }
  return b;
}

TEST(OptimizerTest, FusesDecomposedLayerNorm) {
  Graph g = CheckPass(LayerNormGraph(true), Named(FuseLayerNorm), 1);
  ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"LayerNormalization"}));
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "gamma", "beta"}));
  g = CheckPass(LayerNormGraph(false), Named(FuseLayerNorm), 1);
  ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"LayerNormalization"}));
  // Not over the last axis: left alone.
  Builder b = LayerNormGraph(true);
  b.mutable_model().graph.nodes[0].attributes["axes"] = IntsAttr({1});
  g = CheckPass(b, Named(FuseLayerNorm), 0);
  EXPECT_EQ(g.nodes.size(), 9u);
}

// The mask of `kind` on the scores `cur`: BERT adds one [B,1,1,T], GPT-2 selects with a causal
// [1,1,S,T] one (Where), others have none. Returns the masked scores.
std::string MaskScores(Builder& b, const std::string& kind, std::string cur) {
  if (kind == "bert") {
    b.Input("mask", {2, 1, 1, -1}).Op("Add", {cur, "mask"}, {"sm"});
    cur = "sm";
  }
  if (kind == "gpt2") {
    b.Input("causal", {1, 1, -1, -1}, DType::kBool).Init("neg", Scalar(-3.4e38f));
    b.Op("Where", {"causal", cur, "neg"}, {"sw"});
    cur = "sw";
  }
  return cur;
}

// Attention as BERT (additive mask [B,1,1,T]), GPT-2 (Where with a causal [1,1,S,T] mask),
// ViT (no mask) and PaddleOCR (no scale) export it.
Builder AttentionGraph(const std::string& kind) {
  Builder b;
  b.Input("q", {2, 3, -1, 8}).Input("k", {2, 3, -1, 8}).Input("v", {2, 3, -1, 8});
  b.Init("scale", Scalar(2.828427f))
      .Op("Transpose", {"k"}, {"kt"}, {{"perm", IntsAttr({0, 1, 3, 2})}});
  b.Op("MatMul", {"q", "kt"}, {"s"});
  std::string cur = "s";
  if (kind != "ocr") {
    b.Op("Div", {"s", "scale"}, {"sd"});
    cur = "sd";
  }
  cur = MaskScores(b, kind, cur);
  b.Op("Softmax", {cur}, {"p"}, {{"axis", IntAttr(kind == "ocr" ? 3 : -1)}});
  b.Op("MatMul", {"p", "v"}, {"y"}).Output("y");
  return b;
}

TEST(OptimizerTest, FusesAttentionAsExportersWriteIt) {
  for (const std::string kind : {"bert", "gpt2", "vit", "ocr"}) {
    Builder b = AttentionGraph(kind);
    for (int64_t seq : {1, 5, 40}) {
      Graph g = CheckPass(b, Named(FuseAttention), 1, b.Inputs(seq));
      ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"Transpose", "Attention"})) << kind;
    }
  }
}

// The same attention on Q, K and V as the projections give them, [B, S, H, D], with the
// exporters' Transposes to put the heads first and back: all four are folded (heads_last).
Builder HeadsLastAttentionGraph(const std::string& kind, bool transpose_back = true) {
  Builder b;
  b.Input("q", {2, -1, 3, 8}).Input("k", {2, -1, 3, 8}).Input("v", {2, -1, 3, 8});
  b.Init("scale", Scalar(2.828427f));
  b.Op("Transpose", {"q"}, {"qh"}, {{"perm", IntsAttr({0, 2, 1, 3})}});
  b.Op("Transpose", {"k"}, {"kt"}, {{"perm", IntsAttr({0, 2, 3, 1})}});
  b.Op("Transpose", {"v"}, {"vh"}, {{"perm", IntsAttr({0, 2, 1, 3})}});
  b.Op("MatMul", {"qh", "kt"}, {"s"}).Op("Div", {"s", "scale"}, {"sd"});
  const std::string cur = MaskScores(b, kind, "sd");
  b.Op("Softmax", {cur}, {"p"}, {{"axis", IntAttr(-1)}});
  b.Op("MatMul", {"p", "vh"}, {"yh"});
  if (transpose_back) {
    b.Op("Transpose", {"yh"}, {"y"}, {{"perm", IntsAttr({0, 2, 1, 3})}}).Output("y");
  } else {
    b.Output("yh");
  }
  return b;
}

TEST(OptimizerTest, FoldsTheHeadTransposesIntoAttention) {
  for (const std::string kind : {"bert", "gpt2", "vit"}) {
    Builder b = HeadsLastAttentionGraph(kind);
    for (int64_t seq : {1, 5, 40}) {
      Graph g = CheckPass(b, Named(FuseAttention), 1, b.Inputs(seq));
      ASSERT_EQ(OpTypes(g), (std::vector<std::string>{"Attention"})) << kind;
      EXPECT_EQ(g.nodes[0].inputs[0], "q");
      EXPECT_EQ(g.nodes[0].outputs[0], "y");
      ASSERT_NE(g.nodes[0].attr("heads_last"), nullptr);
    }
  }
  // Without the Transpose back, the others stay too.
  Builder b = HeadsLastAttentionGraph("bert", false);
  Graph g = CheckPass(b, Named(FuseAttention), 1, b.Inputs(7));
  EXPECT_EQ(OpTypes(g),
            (std::vector<std::string>{"Transpose", "Transpose", "Transpose", "Attention"}));
  EXPECT_EQ(g.nodes.back().attr("heads_last"), nullptr);
}

TEST(OptimizerTest, HeadsLastAttentionOffItsTiledPathMatchesTheGraph) {
  // A softmax over the heads (axis 1) is not the tiled kernel's: the unfused ops run, with the
  // Transposes put back around them.
  Builder b = HeadsLastAttentionGraph("vit");
  for (Node& n : b.mutable_model().graph.nodes) {
    if (n.op_type == "Softmax") n.attributes["axis"] = IntAttr(1);
  }
  Model fused = b.model();
  Graph& g = fused.graph;
  std::vector<Node> kept;
  for (Node& n : g.nodes) {
    if (n.op_type != "Transpose" && n.op_type != "MatMul" && n.op_type != "Div" &&
        n.op_type != "Softmax") {
      kept.push_back(n);
    }
  }
  kept.push_back(ops::MakeAttention("att", {"q", "k", "v"}, "y", {1 / 2.828427f, 1, 13, true}));
  g.nodes = kept;
  std::map<std::string, Tensor> inputs = b.Inputs(6);
  auto ref = Session::Create(b.model(), {.threads = 2});
  auto got = Session::Create(fused, {.threads = 2});
  ASSERT_TRUE(ref.ok() && got.ok()) << got.status().ToString();
  auto r = (*ref)->Run(inputs);
  auto o = (*got)->Run(inputs);
  ASSERT_TRUE(r.ok() && o.ok()) << o.status().ToString();
  const Tensor &want = r->at("y"), &have = o->at("y");
  ASSERT_EQ(have.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) {
    EXPECT_NEAR(have.data<float>()[i], want.data<float>()[i], 1e-5f) << i;
  }
}

TEST(OptimizerTest, DoesNotFuseAttentionWhoseProbabilitiesAreWanted) {
  Builder b = AttentionGraph("bert");
  b.Output("p");
  Graph g = CheckPass(b, Named(FuseAttention), 0);
  EXPECT_EQ(g.nodes.size(), 6u);
}

TEST(OptimizerTest, FoldsBatchNormAndConstantAddIntoConv) {
  Builder b;
  b.Input("x", {1, 3, 9, 9})
      .Init("w", Random({4, 3, 3, 3}, 1))
      .Init("cb", Random({4}, 2))
      .Init("scale", Random({4}, 3, 0.5f, 1.5f))
      .Init("beta", Random({4}, 4))
      .Init("mean", Random({4}, 5))
      .Init("var", Random({4}, 6, 0.5f, 2.f))
      .Init("w2", Random({4, 4, 1, 1}, 7))
      .Init("c", Random({4, 1, 1}, 8))
      .Op("Conv", {"x", "w", "cb"}, {"c1"}, {{"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("BatchNormalization", {"c1", "scale", "beta", "mean", "var"}, {"bn"})
      .Op("Conv", {"bn", "w2"}, {"c2"})
      .Op("Add", {"c2", "c"}, {"y"})
      .Output("y");
  Graph g = CheckPass(b, Named(FuseConvBatchNorm), 1);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Conv", "Conv", "Add"}));
  g = CheckPass(b, Named(FuseConvAdd), 1);
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Conv", "BatchNormalization", "Conv"}));
  // A residual (non-constant) Add stays.
  Builder r;
  r.Input("x", {1, 4, 5, 5}).Init("w", Random({4, 4, 1, 1}, 1));
  r.Op("Conv", {"x", "w"}, {"c"}).Op("Add", {"c", "x"}, {"y"}).Output("y");
  g = CheckPass(r, Named(FuseConvAdd), 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(OptimizerTest, OptimizesATransformerBlockEndToEnd) {
  // LayerNorm (decomposed) -> attention on the normalized input -> MLP with GELU.
  Builder b = LayerNormGraph(true);  // x [-1, 5, 12] -> y
  b.Init("wq", Random({12, 12}, 11))
      .Init("wk", Random({12, 12}, 12))
      .Init("wv", Random({12, 12}, 13));
  b.Init("shape", Ints({0, 0, 2, 6})).Init("s", Scalar(2.44949f));
  b.Op("MatMul", {"y", "wq"}, {"q0"})
      .Op("MatMul", {"y", "wk"}, {"k0"})
      .Op("MatMul", {"y", "wv"}, {"v0"});
  for (const char* t : {"q", "k", "v"}) {
    std::string s(t);
    b.Op("Reshape", {s + "0", "shape"}, {s + "1"});
    b.Op("Transpose", {s + "1"}, {s + "2"},
         {{"perm", IntsAttr(s == "k" ? std::vector<int64_t>{0, 2, 3, 1}
                                     : std::vector<int64_t>{0, 2, 1, 3})}});
  }
  b.Op("MatMul", {"q2", "k2"}, {"sc"}).Op("Div", {"sc", "s"}, {"sc2"});
  b.Op("Softmax", {"sc2"}, {"p"}, {{"axis", IntAttr(-1)}}).Op("MatMul", {"p", "v2"}, {"att"});
  b.Output("att");
  Model opt = b.model();
  cpu::CpuBackend backend;
  OptimizeStats stats;
  ASSERT_TRUE(Optimize(opt.graph, backend, {}, &stats).ok());
  EXPECT_EQ(stats.passes["FuseLayerNorm"].rewrites, 1);
  EXPECT_EQ(stats.passes["FuseAttention"].rewrites, 1);
  EXPECT_LT(stats.nodes_after, stats.nodes_before);
  CheckPass(b, OptimizeAll, 1);
}

// The NHWC pass, then the epilogue fusion, on a copy of `b`'s model; each checked against the
// original graph's outputs.
Graph CheckNhwc(const Builder& b, int64_t converted, int64_t fused) {
  Builder after = b;
  Graph g = CheckPass(
      b, [](Graph& g, int64_t* n) { return cpu::ConvertToNhwc(g, n); }, converted);
  after.mutable_model().graph = g;
  return CheckPass(
      after, [](Graph& g, int64_t* n) { return cpu::FuseNhwcConvEpilogue(g, n); }, fused);
}

TEST(OptimizerTest, RunsAResidualBlockChannelsLast) {
  Builder b;
  b.Input("x", {1, 3, 16, 16})
      .Init("w1", Random({16, 3, 3, 3}, 1))
      .Init("b1", Random({16}, 2))
      .Init("w2", Random({16, 16, 1, 1}, 3))
      .Op("Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("Relu", {"c1"}, {"r1"})
      .Op("MaxPool", {"r1"}, {"p"},
          {{"kernel_shape", IntsAttr({3, 3})},
           {"strides", IntsAttr({2, 2})},
           {"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("Conv", {"p", "w2"}, {"c2"})
      .Op("Add", {"c2", "p"}, {"s"})
      .Op("Relu", {"s"}, {"r2"})
      .Op("GlobalAveragePool", {"r2"}, {"g"})
      .Op("Flatten", {"g"}, {"y"})
      .Output("y");
  Graph g = CheckNhwc(b, 7, 2);
  EXPECT_EQ(OpTypes(g),
            (std::vector<std::string>{"Transpose", "NhwcConv", "NhwcMaxPool", "NhwcConv",
                                      "NhwcGlobalAveragePool", "Transpose", "Flatten"}));
  EXPECT_EQ(g.nodes[1].attr("activation")->s, "Relu");
  EXPECT_EQ(g.nodes[3].inputs.size(), 4u);  // the residual Add became Z
  EXPECT_EQ(g.nodes[3].attr("activation")->s, "Relu");
}

TEST(OptimizerTest, RunsMobileNetStyleOpsChannelsLast) {
  // Conv, HardSwish written out, squeeze-excite, a per-channel scale, Concat and Resize.
  Builder b(11);
  b.Input("x", {1, 8, 10, 12})
      .Init("w1", Random({8, 8, 3, 3}, 1))
      .Init("three", Scalar(3.f))
      .Init("zero", Scalar(0.f))
      .Init("six", Scalar(6.f))
      .Init("wse1", Random({4, 8, 1, 1}, 2))
      .Init("wse2", Random({8, 4, 1, 1}, 3))
      .Init("scale", Random({1, 8, 1, 1}, 4))
      .Init("roi", Tensor::Empty(DType::kFloat32, {0}))
      .Init("scales",
            [] {
              Tensor t = Tensor::Empty(DType::kFloat32, {4});
              float v[4] = {1, 1, 2, 2};
              std::copy(v, v + 4, t.data<float>());
              return t;
            }())
      .Op("Conv", {"x", "w1"}, {"c"}, {{"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("Add", {"c", "three"}, {"a"})
      .Op("Clip", {"a", "zero", "six"}, {"cl"})
      .Op("Mul", {"c", "cl"}, {"m"})
      .Op("Div", {"m", "six"}, {"hs"})
      .Op("GlobalAveragePool", {"hs"}, {"gp"})
      .Op("Conv", {"gp", "wse1"}, {"s1"})
      .Op("Relu", {"s1"}, {"s2"})
      .Op("Conv", {"s2", "wse2"}, {"s3"})
      .Op("HardSigmoid", {"s3"}, {"s4"}, {{"alpha", FloatAttr(1.f / 6)}, {"beta", FloatAttr(0.5f)}})
      .Op("Mul", {"hs", "s4"}, {"se"})
      .Op("Mul", {"se", "scale"}, {"sc"})
      .Op("Concat", {"sc", "hs"}, {"cat"}, {{"axis", IntAttr(1)}})
      .Op("Resize", {"cat", "roi", "scales"}, {"y"})
      .Output("y");
  Graph g = CheckNhwc(b, 14, 3);
  int convs = 0, transposes = 0;
  for (const Node& n : g.nodes) {
    convs += n.op_type == "NhwcConv";
    transposes += n.op_type == "Transpose";
  }
  EXPECT_EQ(convs, 3);
  EXPECT_EQ(transposes, 2);  // into the region and out of it
  EXPECT_EQ(g.nodes[1].attr("activation")->s, "HardSwish");
}

TEST(OptimizerTest, KeepsConvOutputsThatAreWantedInNchw) {
  // The Conv's output is a graph output and read by an op that stays NCHW (Reshape).
  Builder b;
  b.Input("x", {1, 4, 6, 6})
      .Init("w", Random({4, 4, 3, 3}, 1))
      .Init("shape", Ints({1, -1}))
      .Op("Conv", {"x", "w"}, {"c"}, {{"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("Relu", {"c"}, {"r"})
      .Op("Reshape", {"r", "shape"}, {"y"})
      .Output("c")
      .Output("y");
  Graph g = CheckNhwc(b, 2, 0);
  // Relu follows the Conv channels-last; Reshape and the graph output get NCHW back.
  EXPECT_EQ(OpTypes(g), (std::vector<std::string>{"Transpose", "NhwcConv", "Relu", "Transpose",
                                                  "Reshape", "Transpose"}));
}

}  // namespace
}  // namespace ipfs_accelerate::engine::optimizer
