// Nodes placed on several backends: the reference backend takes what it runs, the CPU the rest,
// every fallback is counted with its reason, and the result matches the CPU alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <optional>

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

// A backend that runs whole models elsewhere (as a browser worker does): its runner answers with
// `answer`, or fails with `fail` when set. Counts the runs it was asked for.
struct Elsewhere {
  std::optional<Status> fail;
  std::map<std::string, Tensor> answer;
  std::string seen_cid;
  std::atomic<int> runs{0};
};

class ElsewhereBackend : public Backend {
 public:
  explicit ElsewhereBackend(Elsewhere* where) : where_(where) {}
  const std::string& name() const override { return name_; }
  DeviceKind device() const override { return DeviceKind::kBrowser; }
  bool SupportsOp(const Node&, const std::vector<DType>&, std::string* why) const override {
    if (why) *why = "runs whole models only";
    return false;
  }
  Status Run(KernelContext&) const override { return Status::Internal("never placed"); }
  Result<std::unique_ptr<ModelRunner>> PrepareModel(const Model& model) const override {
    where_->seen_cid = model.source_cid;
    struct Runner : ModelRunner {
      Elsewhere* where;
      Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>&,
                                                const CancelToken*) const override {
        where->runs++;
        if (where->fail) return *where->fail;
        return where->answer;
      }
    };
    auto r = std::make_unique<Runner>();
    r->where = where_;
    return std::unique_ptr<ModelRunner>(std::move(r));
  }

 private:
  Elsewhere* where_;
  std::string name_ = "elsewhere";
};

struct ElsewhereSession {
  Elsewhere where;
  BackendRegistry registry;
  std::unique_ptr<Session> session;
  explicit ElsewhereSession(Model model) {
    registry = BuiltinBackends();
    registry.Add(
        {"elsewhere", DeviceKind::kBrowser, "test: whole models",
         [this](const BackendConfig&) { return std::make_unique<ElsewhereBackend>(&where); }});
    model.source_cid = "bafytest";
    SessionOptions options;
    options.backends = {"elsewhere"};
    options.registry = &registry;
    auto s = Session::Create(std::move(model), options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) session = std::move(s).value();
  }
};

TEST(PlacementTest, AWholeModelBackendAnswersAndTheCpuTakesOverWhenItFails) {
  Model declared = SmallNet();
  declared.graph.outputs[0].dtype = DType::kFloat32;
  ElsewhereSession e(std::move(declared));
  ASSERT_TRUE(e.session);
  EXPECT_EQ(e.where.seen_cid, "bafytest");
  ASSERT_NE(e.session->model_backend(), nullptr);
  EXPECT_EQ(e.session->model_backend()->name(), "elsewhere");
  EXPECT_EQ(e.session->backends().front()->name(), "cpu");  // the nodes, for the fallback
  std::map<std::string, Tensor> in{{"x", test::Random({1, 3, 8, 8}, 3)}};
  auto local = Create(SmallNet(), {})->Run(in);
  ASSERT_TRUE(local.ok());

  // Its answer is the session's.
  e.where.answer = {{"y", test::Floats({1, 10}, std::vector<float>(10, 0.5f))}};
  auto answered = e.session->Run(in);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(answered->at("y").data<float>()[3], 0.5f);
  EXPECT_EQ(e.session->fallback_runs(), 0);

  // Gone, or an answer without the outputs or with the wrong type: the CPU answers, counted.
  e.where.fail = Status::Unavailable("the browser worker w1 went away mid-run");
  auto fell = e.session->Run(in);
  ASSERT_TRUE(fell.ok()) << fell.status().ToString();
  ExpectClose(fell->at("y"), local->at("y"), 1e-6f);
  e.where.fail.reset();
  e.where.answer = {{"z", test::Floats({1}, {1.f})}};
  ASSERT_TRUE(e.session->Run(in).ok());
  e.where.answer = {{"y", test::Ints({1, 10}, std::vector<int64_t>(10, 1))}};
  auto retyped = e.session->Run(in);
  ASSERT_TRUE(retyped.ok());
  ExpectClose(retyped->at("y"), local->at("y"), 1e-6f);
  EXPECT_EQ(e.session->fallback_runs(), 3);
  EXPECT_EQ(e.where.runs.load(), 4);

  // Inputs are checked before anything is sent.
  EXPECT_FALSE(e.session->Run({{"x", test::Random({1, 3, 4, 4}, 3)}}).ok());
  EXPECT_EQ(e.where.runs.load(), 4);
}

TEST(PlacementTest, ABackendOffTheHostThatRunsNoWholeModelIsRefused) {
  BackendRegistry registry = BuiltinBackends();
  registry.Add(
      {"device", DeviceKind::kGpu, "test: nodes in device memory",
       [](const BackendConfig& c) { return BuiltinBackends().Find("cpu").value()->create(c); }});
  SessionOptions options;
  options.registry = &registry;
  options.backends = {"cpu", "device"};
  auto second = Session::Create(SmallNet(), options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(HasSubstr(second.status().message(), "it can only come first"));
}

}  // namespace
}  // namespace ipfs_accelerate::engine
