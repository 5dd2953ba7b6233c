// The kernel harness, after llama.cpp's test-backend-ops: every CPU kernel the reference backend
// also runs is held to it for each dtype both run, on representative shapes (broadcasting, empty,
// scalars, odd and large sizes), at 1 and at 4 threads. Every registered CPU kernel must be
// covered here, by the ONNX conformance cases (run at 1 and 4 threads by conformance_test.sh) or,
// for the fused ops, by their unfused graphs in optimizer_test.cc; the test prints the coverage
// and fails naming any kernel covered by none.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "core/thread_pool.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/reference/reference_backend.h"
#include "engine/onnx_loader.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::IntAttr;
using test::IntsAttr;

struct Case {
  std::string op;
  int64_t opset = 17;
  std::vector<Shape> shapes;  // one per input; an empty optional input is {-1}
  std::map<std::string, Attribute> attrs;
  std::vector<Tensor> fixed;  // inputs given as values (appended after the shaped ones)
  float lo = -2.f, hi = 2.f;  // value range of the random inputs
  std::vector<DType> dtypes = {DType::kFloat32, DType::kFloat64};
};

Tensor RandomOf(DType dtype, const Shape& shape, uint32_t seed, float lo, float hi) {
  if (dtype != DType::kFloat32 && dtype != DType::kFloat64) {  // integers: random bytes
    std::mt19937 rng(seed);
    Tensor t = Tensor::Empty(dtype, shape);
    auto* p = static_cast<uint8_t*>(t.raw());
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
    return t;
  }
  Tensor f = test::Random(shape, seed, lo, hi);
  if (dtype == DType::kFloat32) return f;
  Tensor t = Tensor::Empty(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = f.data<float>()[i];
  return t;
}

// Runs `node` on `backend` with `threads` threads (the reference: no pool).
Result<std::vector<Tensor>> RunNode(const Backend& backend, const Node& node,
                                    const std::vector<Tensor>& inputs, int threads) {
  std::unique_ptr<ThreadPool> pool = threads > 0 ? std::make_unique<ThreadPool>(threads) : nullptr;
  std::vector<const Tensor*> ins;
  for (const Tensor& t : inputs) ins.push_back(t.defined() ? &t : nullptr);
  std::vector<Value> values;
  KernelContext ctx(node, ins, &values, pool.get(), &backend);
  IA_RETURN_IF_ERROR(backend.Run(ctx));
  std::vector<Tensor> outs(node.outputs.size());
  for (size_t i = 0; i < outs.size(); ++i) outs[i] = values[i].tensor();
  return outs;
}

// Whether `got` matches `want` within a tolerance that grows with the magnitude (float32
// kernels accumulate in float; the reference in double).
::testing::AssertionResult Close(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure()
           << "shape/dtype " << ShapeToString(got.shape()) << " " << DTypeName(got.dtype())
           << " vs " << ShapeToString(want.shape()) << " " << DTypeName(want.dtype());
  }
  if (got.dtype() != DType::kFloat32 && got.dtype() != DType::kFloat64) {
    if (std::memcmp(got.raw(), want.raw(), got.nbytes()) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "integer results differ";
  }
  const bool f32 = got.dtype() == DType::kFloat32;
  const double tol = f32 ? 2e-4 : 1e-9;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double g = f32 ? got.data<float>()[i] : got.data<double>()[i];
    double w = f32 ? want.data<float>()[i] : want.data<double>()[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (!(std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w)))) {
      return ::testing::AssertionFailure() << "element " << i << ": " << g << " vs " << w;
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const std::vector<std::vector<Shape>> binary_shapes = {
      {{7}, {7}}, {{3, 1, 5}, {4, 1}},   {{0, 3}, {3}},
      {{}, {}},   {{257, 1031}, {1031}}, {{2, 3, 4, 5}, {1}}};
  for (const char* op : {"Add", "Sub", "Mul"}) {
    for (const auto& s : binary_shapes) cases.push_back({op, 17, s});
  }
  for (const auto& s : binary_shapes) cases.push_back({"Div", 17, s, {}, {}, 0.5f, 2.f});
  for (const auto& s : binary_shapes) cases.push_back({"Pow", 17, s, {}, {}, 0.5f, 2.f});
  const std::vector<Shape> unary_shapes = {{7}, {0}, {}, {300, 1000}, {3, 5, 1}};
  for (const char* op :
       {"Relu", "Neg", "Abs", "Exp", "Tanh", "Erf", "Sigmoid", "Floor", "Ceil", "Identity"}) {
    for (const auto& s : unary_shapes) cases.push_back({op, 17, {s}});
  }
  for (const auto& s : unary_shapes) cases.push_back({"Mish", 18, {s}});
  const std::vector<DType> ints = {DType::kInt32, DType::kUInt8, DType::kInt64};
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) {
    for (const auto& s : binary_shapes) cases.push_back({op, 18, s, {}, {}, 0, 0, ints});
  }
  for (const auto& s : unary_shapes) cases.push_back({"BitwiseNot", 18, {s}, {}, {}, 0, 0, ints});
  cases.push_back({"LpNormalization", 17, {{3, 5}}, {{"p", IntAttr(2)}}});
  cases.push_back({"LpNormalization", 17, {{3, 4, 5}}, {{"axis", IntAttr(1)}, {"p", IntAttr(1)}}});
  cases.push_back({"GlobalLpPool", 17, {{2, 3, 5, 5}}, {{"p", IntAttr(2)}}});
  cases.push_back({"GlobalLpPool", 17, {{1, 2, 7}}, {{"p", IntAttr(3)}}});
  cases.push_back(
      {"LpPool",
       18,
       {{1, 3, 9, 9}},
       {{"kernel_shape", IntsAttr({3, 3})}, {"strides", IntsAttr({2, 2})}, {"p", IntAttr(2)}}});
  cases.push_back(
      {"LpPool",
       18,
       {{2, 2, 8, 8}},
       {{"kernel_shape", IntsAttr({2, 3})}, {"pads", IntsAttr({1, 1, 1, 1})}, {"p", IntAttr(1)}}});
  for (const char* op : {"Log", "Sqrt", "Reciprocal"}) {
    for (const auto& s : unary_shapes) cases.push_back({op, 17, {s}, {}, {}, 0.1f, 3.f});
  }
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    cases.push_back({op, 17, {{3, 5}}, {{"axis", IntAttr(-1)}}});
    cases.push_back({op, 17, {{2, 3, 4}}, {{"axis", IntAttr(1)}}});
    cases.push_back({op, 17, {{64, 1000}}, {{"axis", IntAttr(-1)}}});
    cases.push_back({op, 17, {{0, 4}}, {{"axis", IntAttr(-1)}}});
    cases.push_back({op, 11, {{2, 3, 4}}, {{"axis", IntAttr(1)}}});  // flattened to 2-D
  }
  cases.push_back({"LayerNormalization", 17, {{2, 3, 8}, {8}, {8}}, {{"axis", IntAttr(-1)}}});
  cases.push_back({"LayerNormalization", 17, {{4, 16, 768}, {768}, {768}}});
  cases.push_back({"LayerNormalization", 17, {{2, 6}, {2, 6}}, {{"axis", IntAttr(0)}}});
  cases.push_back({"Transpose", 17, {{2, 3, 4}}, {{"perm", IntsAttr({2, 0, 1})}}});
  cases.push_back({"Transpose", 17, {{64, 128, 3}}, {{"perm", IntsAttr({1, 0, 2})}}});
  cases.push_back({"Transpose", 17, {{5, 7}}});
  cases.push_back({"Transpose", 17, {{0, 7}}});
  for (const auto& s : std::vector<std::vector<Shape>>{{{3, 4}, {4, 5}},
                                                       {{2, 3, 4}, {4, 5}},
                                                       {{4}, {4, 5}},
                                                       {{3, 4}, {4}},
                                                       {{2, 1, 3, 4}, {5, 4, 6}},
                                                       {{0, 4}, {4, 5}},
                                                       {{3, 0}, {0, 5}},
                                                       {{128, 256}, {256, 96}}}) {
    cases.push_back({"MatMul", 17, s});
  }
  cases.push_back({"Gemm", 17, {{3, 4}, {4, 5}, {5}}});
  cases.push_back(
      {"Gemm", 17, {{4, 3}, {5, 4}, {3, 1}}, {{"transA", IntAttr(1)}, {"transB", IntAttr(1)}}});
  cases.push_back({"Gemm",
                   17,
                   {{3, 4}, {4, 5}, {3, 5}},
                   {{"alpha", test::FloatAttr(0.5f)}, {"beta", test::FloatAttr(2.f)}}});
  cases.push_back({"Gemm", 17, {{64, 128}, {128, 64}}});
  cases.push_back(
      {"Conv", 17, {{1, 3, 8, 8}, {4, 3, 3, 3}, {4}}, {{"pads", IntsAttr({1, 1, 1, 1})}}});
  cases.push_back({"Conv", 17, {{2, 3, 9, 9}, {4, 3, 3, 3}}, {{"strides", IntsAttr({2, 2})}}});
  cases.push_back({"Conv", 17, {{1, 6, 9, 9}, {6, 2, 3, 3}}, {{"group", IntAttr(3)}}});
  cases.push_back({"Conv",
                   17,
                   {{1, 4, 9, 9}, {4, 1, 3, 3}},
                   {{"group", IntAttr(4)}, {"auto_pad", test::StringAttr("SAME_UPPER")}}});
  cases.push_back({"Conv", 17, {{1, 2, 11, 11}, {3, 2, 3, 3}}, {{"dilations", IntsAttr({2, 2})}}});
  cases.push_back({"Conv", 17, {{2, 4, 17}, {3, 4, 5}}});
  cases.push_back({"Conv", 17, {{1, 2, 5, 6, 7}, {2, 2, 3, 3, 3}}});
  cases.push_back(
      {"Conv", 17, {{1, 16, 32, 32}, {32, 16, 3, 3}, {32}}, {{"pads", IntsAttr({1, 1, 1, 1})}}});
  for (const char* op : {"ReduceSum", "ReduceMean"}) {
    int64_t opset = std::string(op) == "ReduceSum" ? 13 : 18;
    cases.push_back({op, opset, {{3, 4, 5}}, {}, {test::Ints({1})}});
    cases.push_back({op, opset, {{3, 4, 5}}, {{"keepdims", IntAttr(0)}}, {test::Ints({0, 2})}});
    cases.push_back({op, opset, {{3, 4, 5}}});
    cases.push_back({op, opset, {{300, 700}}, {}, {test::Ints({-1})}});
    cases.push_back({op, 11, {{3, 4, 5}}, {{"axes", IntsAttr({1})}}});
  }
  return cases;
}

std::string Describe(const Case& c, DType dtype) {
  std::string s = c.op + "-" + std::to_string(c.opset) + " " + DTypeName(dtype);
  for (const Shape& shape : c.shapes) s += " " + ShapeToString(shape);
  return s;
}

TEST(KernelHarnessTest, CpuKernelsMatchTheReferenceAtOneAndFourThreads) {
  cpu::CpuBackend cpu;
  reference::ReferenceBackend ref;
  std::set<std::string> ops_compared;
  int comparisons = 0;
  std::set<std::string> dtype_pairs;
  for (const Case& c : Cases()) {
    Node node;
    node.name = c.op;
    node.op_type = c.op;
    node.opset = c.opset;
    node.attributes = c.attrs;
    for (size_t i = 0; i < c.shapes.size() + c.fixed.size(); ++i) {
      node.inputs.push_back("in" + std::to_string(i));
    }
    node.outputs = {"out"};
    for (DType dtype : c.dtypes) {
      std::vector<DType> types(c.shapes.size(), dtype);
      ASSERT_TRUE(ref.SupportsOp(node, types)) << Describe(c, dtype);
      std::string why;
      if (!cpu.SupportsOp(node, types, &why)) continue;  // the CPU runs fewer dtypes
      std::vector<Tensor> inputs;
      uint32_t seed = 1;
      for (const Shape& s : c.shapes) inputs.push_back(RandomOf(dtype, s, seed++, c.lo, c.hi));
      for (const Tensor& t : c.fixed) inputs.push_back(t);
      auto want = RunNode(ref, node, inputs, 0);
      ASSERT_TRUE(want.ok()) << Describe(c, dtype) << ": " << want.status().ToString();
      for (int threads : {1, 4}) {
        auto got = RunNode(cpu, node, inputs, threads);
        ASSERT_TRUE(got.ok()) << Describe(c, dtype) << ": " << got.status().ToString();
        EXPECT_TRUE(Close((*got)[0], (*want)[0]))
            << Describe(c, dtype) << " at " << threads << " threads";
        ++comparisons;
      }
      ops_compared.insert(c.op);
      dtype_pairs.insert(c.op + "/" + DTypeName(dtype));
    }
  }
  std::printf("kernel harness: %zu ops x dtypes (%zu ops) on %d runs against the reference\n",
              dtype_pairs.size(), ops_compared.size(), comparisons);
  // Every op the reference runs is compared.
  for (const auto& [key, entry] : ref.ops()) {
    EXPECT_TRUE(ops_compared.count(key.second)) << key.second << " has no harness case";
  }
}

// The fused operators, each checked against the unfused graph it replaces by the optimizer
// tests named here (at 2 threads, through whole sessions).
const std::map<std::string, std::string>& FusedCoverage() {
  static const std::map<std::string, std::string> m = {
      {"Gelu", "OptimizerTest.FusesGeluErfInEveryExportOrder"},
      {"FusedMatMul", "OptimizerTest.FusesEveryActivationIntoMatMulAndGemm"},
      {"Attention", "OptimizerTest.FusesAttentionAsExportersWriteIt"},
      {"NhwcConv", "OptimizerTest.RunsAResidualBlockChannelsLast"},
      {"NhwcMaxPool", "OptimizerTest.RunsAResidualBlockChannelsLast"},
      {"NhwcAveragePool", "OptimizerTest.RunsMobileNetStyleOpsChannelsLast"},
      {"NhwcGlobalAveragePool", "OptimizerTest.RunsAResidualBlockChannelsLast"}};
  return m;
}

// Operators of opsets past the ONNX conformance data here (onnx 1.12 stops at opset 17), each
// checked against onnxruntime-node by the script test named here.
const std::map<std::string, std::string>& OrtCoverage() {
  static const std::map<std::string, std::string> m = {
      {"GroupNormalization", "tests/engine/opset18_ort_test.sh"},
      {"CenterCropPad", "tests/engine/opset18_ort_test.sh"},
      {"Col2Im", "tests/engine/opset18_ort_test.sh"},
      {"AffineGrid", "tests/engine/opset18_ort_test.sh"}};
  return m;
}

// Operators the conformance data do not run (or only inside subgraphs of cases that also run
// others), each checked against hand-worked values by the unit test named here.
const std::map<std::string, std::string>& UnitCoverage() {
  static const std::map<std::string, std::string> m = {
      {"ConcatFromSequence", "SequenceTest.SplitsConcatenatesAndStacks"},
      {"SplitToSequence", "SequenceTest.SplitsConcatenatesAndStacks"},
      {"SequenceAt", "SequenceTest.SplitsConcatenatesAndStacks"},
      {"SequenceErase", "SequenceTest.InsertsAndErasesAtPositions"},
      {"SequenceConstruct", "SequenceTest.ValuesOfTheWrongKindAreRefused"},
      {"Optional", "SequenceTest.OptionalsEmptyAndFull"}};
  return m;
}

// The (domain, op type) of every node of `g` and of its subgraphs.
void CollectOps(const Graph& g, std::set<std::pair<std::string, std::string>>* ops) {
  for (const Node& n : g.nodes) {
    ops->insert({n.domain, n.op_type});
    for (const auto& [name, attr] : n.attributes) {
      if (attr.g) CollectOps(*attr.g, ops);
    }
  }
}

TEST(KernelHarnessTest, EveryRegisteredCpuKernelIsCovered) {
  const std::string data = "/usr/share/libonnx-testdata/data/node";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " is not installed";
  // Op types of the ONNX conformance cases (conformance_test.sh runs them at 1 and 4 threads).
  std::set<std::pair<std::string, std::string>> conformance_ops;  // (domain, op type)
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    auto model = LoadModel(entry.path().string() + "/model.onnx");
    if (!model.ok()) continue;
    CollectOps(model->graph, &conformance_ops);
  }
  std::set<std::string> harness_ops;
  for (const Case& c : Cases()) harness_ops.insert(c.op);
  cpu::CpuBackend cpu;
  int by_harness = 0, by_conformance = 0, by_fused = 0, by_ort = 0, by_unit = 0, constrained = 0;
  std::string uncovered;
  for (const auto& [key, entries] : cpu.registry().All()) {
    const std::string& op = key.second;
    for (const auto& e : entries) constrained += !e.types.all();
    if (harness_ops.count(op)) {
      ++by_harness;
    } else if (conformance_ops.count(key)) {
      ++by_conformance;
    } else if (FusedCoverage().count(op)) {
      ++by_fused;
    } else if (OrtCoverage().count(op)) {
      ++by_ort;
    } else if (UnitCoverage().count(op)) {
      ++by_unit;
    } else {
      uncovered += " " + op;
    }
  }
  std::printf(
      "kernel coverage: %d kernels vs the reference here, %d by ONNX conformance cases, %d fused "
      "ops vs their unfused graphs, %d vs onnxruntime-node, %d by unit tests; %d registrations "
      "carry a dtype constraint\n",
      by_harness, by_conformance, by_fused, by_ort, by_unit, constrained);
  EXPECT_TRUE(uncovered.empty()) << "CPU kernels no test covers:" << uncovered;
}

}  // namespace
}  // namespace ipfs_accelerate::engine
