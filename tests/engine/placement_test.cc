// Nodes placed on several backends: the reference backend takes what it runs, the CPU the rest,
// every fallback is counted with its reason, and the result matches the CPU alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "../test_util.h"
#include "engine/backends/reference/reference_backend.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::ModelBuilder;
using test_util::HasSubstr;

// Conv -> Relu -> MaxPool -> Reshape -> MatMul -> Add -> Softmax: the reference backend has no
// MaxPool or Reshape.
Model SmallNet() {
  ModelBuilder b;
  b.Input("x", {1, 3, 8, 8})
      .Init("w", test::Random({4, 3, 3, 3}, 7, -0.5f, 0.5f))
      .Init("b", test::Random({4}, 8))
      .Init("shape", test::Ints({1, 64}))
      .Init("w2", test::Random({64, 10}, 9, -0.2f, 0.2f))
      .Init("b2", test::Random({10}, 10))
      .Op("Conv", {"x", "w", "b"}, {"c"}, {{"pads", test::IntsAttr({1, 1, 1, 1})}})
      .Op("Relu", {"c"}, {"r"})
      .Op("MaxPool", {"r"}, {"p"},
          {{"kernel_shape", test::IntsAttr({2, 2})}, {"strides", test::IntsAttr({2, 2})}})
      .Op("Reshape", {"p", "shape"}, {"f"})
      .Op("MatMul", {"f", "w2"}, {"m"})
      .Op("Add", {"m", "b2"}, {"a"})
      .Op("Softmax", {"a"}, {"y"}, {{"axis", test::IntAttr(-1)}})
      .Output("y");
  return b.model();
}

std::unique_ptr<Session> Create(Model model, std::vector<std::string> backends) {
  SessionOptions options;
  options.threads = 2;
  options.backends = std::move(backends);
  auto s = Session::Create(std::move(model), options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

void ExpectClose(const Tensor& a, const Tensor& b, float tol) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) {
    ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], tol) << "element " << i;
  }
}

TEST(PlacementTest, ReferenceTakesWhatItRunsAndTheCpuTheRestWithTheSameResult) {
  auto mixed = Create(SmallNet(), {"reference", "cpu"});
  auto cpu = Create(SmallNet(), {});
  ASSERT_TRUE(mixed && cpu);

  // Placement, per node, as the graph was optimized for the reference backend (no fused ops:
  // it runs none).
  const Placement& p = mixed->placement();
  const Graph& g = mixed->model().graph;
  ASSERT_EQ(p.backend_of.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const std::string& op = g.nodes[i].op_type;
    bool cpu_only = op == "MaxPool" || op == "Reshape";
    EXPECT_EQ(p.backend_of[i]->name(), cpu_only ? "cpu" : "reference") << op;
  }
  ASSERT_EQ(p.fallbacks.size(), 2u);
  EXPECT_EQ(g.nodes[p.fallbacks[0].node].op_type, "MaxPool");
  EXPECT_EQ(p.fallbacks[0].to, "cpu");
  EXPECT_TRUE(HasSubstr(p.fallbacks[0].reason, "reference: no kernel for MaxPool"));
  EXPECT_EQ(p.crossings, 2);  // Relu -> MaxPool and Reshape -> MatMul
  EXPECT_EQ(mixed->placement_summary(),
            "reference 5, cpu 2; 2 fallbacks (MaxPool 1, Reshape 1); 2 values cross backends");
  EXPECT_EQ(cpu->placement_summary(),
            "cpu " + std::to_string(cpu->model().graph.nodes.size()) + "; no fallbacks");

  auto inputs = ModelBuilder().Input("x", {1, 3, 8, 8}).Inputs();
  for (int run = 0; run < 2; ++run) {
    auto a = mixed->Run(inputs);
    auto b = cpu->Run(inputs);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ExpectClose(a->at("y"), b->at("y"), 1e-5f);
  }
}

TEST(PlacementTest, ADtypeTheFirstBackendLacksFallsBackWithTheReason) {
  ModelBuilder b;
  b.Input("i", {4}, DType::kInt64)
      .Input("x", {4})
      .Op("Add", {"i", "i"}, {"j"})
      .Op("Add", {"x", "x"}, {"y"})
      .Output("j")
      .Output("y");
  auto s = Create(b.model(), {"reference"});
  ASSERT_TRUE(s);
  const Placement& p = s->placement();
  ASSERT_EQ(p.fallbacks.size(), 1u);
  EXPECT_EQ(p.backend_of[0]->name(), "cpu");
  EXPECT_EQ(p.backend_of[1]->name(), "reference");
  EXPECT_EQ(p.fallbacks[0].reason, "reference: Add runs float32, float64, not int64");
  Tensor i = test::Ints({1, 2, 3, 4});
  auto out = s->Run({{"i", i}, {"x", test::Floats({1, 2, 3, 4})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("j").data<int64_t>()[3], 8);
  EXPECT_EQ(out->at("y").data<float>()[3], 8.f);
}

TEST(PlacementTest, CpuTypeConstraintsRefuseAtCreateNotAtRun) {
  // MatMul has no float16 kernel: the session says so when it is created, naming the types
  // (as the graph is written: optimized, the model would compute in float32, see
  // half_floats_test.cc).
  ModelBuilder b;
  b.Input("a", {2, 2}, DType::kFloat16)
      .Input("c", {2, 2}, DType::kFloat16)
      .Op("MatMul", {"a", "c"}, {"y"})
      .Output("y");
  auto s = Session::Create(b.model(), {.optimize = false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(s.status().message(), "no backend runs MatMul"));
  EXPECT_TRUE(HasSubstr(s.status().message(), "not float16"));
}

TEST(PlacementTest, AnUnknownBackendIsNamedWithTheOnesThereAre) {
  SessionOptions options;
  options.backends = {"cuda"};
  auto s = Session::Create(SmallNet(), options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(s.status().message(), "no backend named 'cuda'"));
  EXPECT_TRUE(HasSubstr(s.status().message(), "cpu, reference"));
}

// A backend from outside the engine, registered by the application: it runs Relu only, and
// counts its runs.
class CountingBackend : public Backend {
 public:
  explicit CountingBackend(std::atomic<int>* runs) : runs_(runs) {}
  const std::string& name() const override { return name_; }
  bool SupportsOp(const Node& node, const std::vector<DType>& types,
                  std::string* why) const override {
    if (node.op_type == "Relu") return true;
    if (why) *why = "only Relu";
    return false;
  }
  Status Run(KernelContext& ctx) const override {
    ++*runs_;
    const Tensor* x = ctx.input(0);
    Tensor& y = ctx.Allocate(0, x->dtype(), x->shape());
    for (int64_t i = 0; i < x->numel(); ++i) {
      y.data<float>()[i] = std::max(0.f, x->data<float>()[i]);
    }
    return Status::Ok();
  }

 private:
  const std::string name_ = "counting";
  std::atomic<int>* runs_;
};

TEST(PlacementTest, AnApplicationRegistersItsOwnBackend) {
  std::atomic<int> runs{0};
  BackendRegistry registry = BuiltinBackends();
  registry.Add({"counting", DeviceKind::kHost, "test", [&runs](const BackendConfig&) {
                  return std::make_unique<CountingBackend>(&runs);
                }});
  SessionOptions options;
  options.backends = {"counting"};
  options.registry = &registry;
  auto s = Session::Create(SmallNet(), options);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(HasSubstr((*s)->placement_summary(), "counting 1, cpu"));
  auto out = (*s)->Run(ModelBuilder().Input("x", {1, 3, 8, 8}).Inputs());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
