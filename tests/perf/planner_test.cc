// perf/planner: plans follow from the profiles; constraints that cannot be met are named.
#include "perf/planner.h"

#include <gtest/gtest.h>

#include "perf_builder.h"

namespace ipfs_accelerate::perf {
namespace {

using test::Cost;
using test::Device;
using test::Node;

// A model of `weights_gib` GiB of weights doing `flops` per item.
CostTable Table(double weights_gib, double flops = 1e9) {
  CostTable t;
  for (int64_t b : {1, 4, 16}) {
    double items = static_cast<double>(b);
    GraphCost c = Cost({Node(OpClass::kMatMul, flops * items, 1e7 * items, true),
                        Node(OpClass::kElementwise, 1e6 * items, 1e7 * items)},
                       weights_gib * (1 << 30), 1e7 * items);
    for (engine::Precision p :
         {engine::Precision::kFp32, engine::Precision::kBf16, engine::Precision::kInt8}) {
      t[{b, p}] = AtPrecision(c, p);
    }
  }
  return t;
}

Target Cpu() {
  Target t;
  t.platform = "cpu";
  t.available = t.has_backend = true;
  t.profiles = {Device("cpu", 50, 10, 64, 1), Device("cpu", 100, 15, 64, 2)};
  return t;
}

Target Gpu(double gib, bool backend = false) {
  Target t;
  t.platform = "cuda";
  t.available = true;
  t.has_backend = backend;
  t.profiles = {Device("cuda", 50000, 2000, gib)};
  return t;
}

TEST(PlannerTest, TheFasterDeviceWinsWhenTheModelFits) {
  auto plan = MakePlan(Table(1), {Cpu(), Gpu(80)}, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->feasible);
  EXPECT_EQ(plan->chosen.platform, "cuda");
  EXPECT_EQ(plan->chosen.batch, 1);  // latency first: the smallest batch
  ASSERT_EQ(plan->fallbacks.size(), 1u);
  EXPECT_EQ(plan->fallbacks[0].platform, "cpu");
}

TEST(PlannerTest, AModelThatDoesNotFitIsNeverPlannedThere) {
  // 100 GiB of fp32 weights: over the GPU's 80 GiB, under the CPU's 256. Only fp32 is
  // considered here: int8 would fit the GPU.
  Target cpu = Cpu();
  for (auto& d : cpu.profiles) d.memory_bytes = 256.0 * (1 << 30);
  CostTable fp32;
  for (const auto& [key, c] : Table(100)) {
    if (key.second == engine::Precision::kFp32) fp32[key] = c;
  }
  auto plan = MakePlan(fp32, {cpu, Gpu(80)}, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->feasible);
  EXPECT_EQ(plan->chosen.platform, "cpu");
  EXPECT_EQ(plan->chosen.precision, engine::Precision::kFp32);
  for (const Candidate& f : plan->fallbacks) {
    EXPECT_NE(f.platform, "cuda") << "planned 100 GiB of weights on an 80 GiB device";
  }
}

TEST(PlannerTest, LowPrecisionIsChosenWhenOnlyItFits) {
  // 50 GiB of fp32 weights on a 40 GiB GPU: bf16 (25 GiB) and int8 (12.5 GiB) fit.
  auto plan = MakePlan(Table(50), {Gpu(40)}, {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->feasible);
  EXPECT_NE(plan->chosen.precision, engine::Precision::kFp32);
}

TEST(PlannerTest, AnImpossibleBudgetNamesTheConstraintAndGivesTheClosestPlan) {
  PlanRequest req;
  req.latency_budget_s = 1e-9;
  auto plan = MakePlan(Table(1), {Cpu()}, req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->feasible);
  EXPECT_NE(plan->why.find("latency"), std::string::npos) << plan->why;
  EXPECT_EQ(plan->chosen.platform, "cpu");
  ASSERT_EQ(plan->chosen.unmet.size(), 1u);
}

TEST(PlannerTest, AThroughputTargetRaisesTheBatch) {
  // A small model on a GPU: the per-run and per-node costs dominate, so batching pays.
  auto fast = MakePlan(Table(0.01, 1e6), {Gpu(80)}, {});
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(fast->chosen.batch, 1);
  ASSERT_FALSE(fast->recommendations.empty());  // a bigger batch for throughput
  PlanRequest req;
  req.throughput_target = fast->chosen.throughput * 3;
  auto plan = MakePlan(Table(0.01, 1e6), {Gpu(80)}, req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->feasible) << plan->why;
  EXPECT_GT(plan->chosen.batch, 1);
  EXPECT_GE(plan->chosen.throughput, req.throughput_target);
  req.throughput_target = 1e12;
  auto none = MakePlan(Table(0.01, 1e6), {Gpu(80)}, req);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->feasible);
  EXPECT_NE(none->why.find("throughput"), std::string::npos) << none->why;
}

TEST(PlannerTest, RequiringABackendLeavesOnlyWhatThisBuildRuns) {
  PlanRequest req;
  req.require_backend = true;
  auto plan = MakePlan(Table(1), {Cpu(), Gpu(80)}, req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->chosen.platform, "cpu");
  EXPECT_TRUE(plan->fallbacks.empty());
  auto none = MakePlan(Table(1), {Gpu(80)}, req);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no backend"), std::string::npos);
}

TEST(PlannerTest, AMemoryLimitIsAConstraint) {
  PlanRequest req;
  req.memory_limit_bytes = 0.5 * (1 << 30);  // the 1 GiB model does not fit at fp32
  auto plan = MakePlan(Table(1), {Cpu()}, req);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->feasible);
  EXPECT_NE(plan->chosen.precision, engine::Precision::kFp32);
  req.memory_limit_bytes = 1000;
  auto none = MakePlan(Table(1), {Cpu()}, req);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->feasible);
  EXPECT_NE(none->why.find("memory"), std::string::npos) << none->why;
}

TEST(CompatTest, EveryTargetGetsARowAndOnlyFittingOnesAScore) {
  std::vector<CompatRow> rows = Compatibility(Table(60), 1, {Cpu(), Gpu(40)});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].platform, "cpu");
  EXPECT_TRUE(rows[0].fits);
  EXPECT_GT(rows[0].score, 0);
  EXPECT_FALSE(rows[1].fits);
  EXPECT_EQ(rows[1].score, 0);
  EXPECT_NE(rows[1].note.find("does not fit"), std::string::npos) << rows[1].note;
  EXPECT_EQ(rows[1].confidence, "datasheet");
}

}  // namespace
}  // namespace ipfs_accelerate::perf
