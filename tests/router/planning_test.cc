// router/planning with perf/planner on recorded machines (tests/hardware/data): the plans follow
// from the machines' devices and their datasheet profiles.
#include "router/planning.h"

#include <gtest/gtest.h>

#include "../perf/perf_builder.h"
#include "../test_util.h"
#include "hardware/recorded_system_view.h"

namespace ipfs_accelerate::router {
namespace {

using perf::test::Cost;
using perf::test::Node;

PlanningInputs Machine(const std::string& name) {
  auto view = hardware::RecordedSystemView::Load(std::string(test_util::SourceDir()) +
                                                 "/tests/hardware/data/" + name);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  auto in = GatherPlanningInputs(**view, Config::Defaults(), nullptr, "", "");
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  return *in;
}

// A transformer-like model: `weights_gib` of weights, 20 GFLOP per item, at fp32 only.
perf::CostTable Model(double weights_gib) {
  perf::CostTable t;
  for (int64_t b : {1, 8}) {
    double items = static_cast<double>(b);
    t[{b, engine::Precision::kFp32}] =
        Cost({Node(perf::OpClass::kMatMul, 2e10 * items, 5e8 + 1e7 * items, true),
              Node(perf::OpClass::kElementwise, 1e7 * items, 4e7 * items)},
             weights_gib * (1 << 30), 5e7 * items);
  }
  return t;
}

perf::Plan PlanOn(const std::string& machine, double weights_gib, perf::PlanRequest req = {}) {
  PlanningInputs in = Machine(machine);
  auto plan = perf::MakePlan(Model(weights_gib), MakeTargets(in, {}, false), req);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : perf::Plan{};
}

TEST(PlanningTest, TheGpuServerPlansOnItsH100s) {
  PlanningInputs in = Machine("nvidia_x86");
  ASSERT_FALSE(in.accelerators.empty());
  perf::Plan plan = PlanOn("nvidia_x86", 1);
  EXPECT_TRUE(plan.feasible);
  EXPECT_EQ(plan.chosen.platform, "cuda");
  EXPECT_NE(plan.chosen.device.find("H100"), std::string::npos) << plan.chosen.device;
  EXPECT_FALSE(plan.chosen.has_backend);  // predicted only: this build has no CUDA backend
  ASSERT_FALSE(plan.fallbacks.empty());
  EXPECT_EQ(plan.fallbacks.back().platform, "cpu");
}

TEST(PlanningTest, AModelOverTheGpusMemoryGoesToTheCpu) {
  // 100 GiB of weights: over an H100's 80 GB, within the server's 512 GB of RAM.
  perf::Plan plan = PlanOn("nvidia_x86", 100);
  EXPECT_TRUE(plan.feasible) << plan.why;
  // The Xeons: through our engine, or through OpenVINO (whose CPU device the server lists).
  EXPECT_TRUE(plan.chosen.platform == "cpu" || plan.chosen.platform == "openvino")
      << plan.chosen.platform;
  EXPECT_NE(plan.chosen.platform, "cuda");
  for (const perf::Candidate& c : plan.fallbacks) EXPECT_NE(c.platform, "cuda");
  // 70 GiB on the MI210 machine (64 GB): not on rocm either.
  perf::Plan amd = PlanOn("amd_gpu", 70);
  EXPECT_NE(amd.chosen.platform, "rocm");
  for (const perf::Candidate& c : amd.fallbacks) EXPECT_NE(c.platform, "rocm");
}

TEST(PlanningTest, HardwareAutoKeepsToWhatThisBuildRuns) {
  perf::PlanRequest req;
  req.require_backend = true;
  perf::Plan plan = PlanOn("nvidia_x86", 1, req);
  EXPECT_EQ(plan.chosen.platform, "cpu");
  EXPECT_TRUE(plan.chosen.has_backend);
}

TEST(PlanningTest, TheAppleMachinePlansOnMetal) {
  perf::Plan plan = PlanOn("apple_m2", 1);
  EXPECT_EQ(plan.chosen.platform, "mps");
}

TEST(PlanningTest, CompatShowsEveryPlatform) {
  PlanningInputs in = Machine("arm_board");
  std::vector<perf::Target> targets = MakeTargets(in, {}, /*absent=*/true);
  std::vector<perf::CompatRow> rows = perf::Compatibility(Model(1), 1, targets);
  std::vector<std::string> platforms;
  for (const perf::CompatRow& r : rows) platforms.push_back(r.platform);
  EXPECT_EQ(platforms, hardware::PlatformNames());
  for (const perf::CompatRow& r : rows) {
    EXPECT_EQ(r.available, r.platform == "cpu") << r.platform;
    if (r.platform != "cpu") {
      EXPECT_TRUE(test_util::HasSubstr(r.note, "not on this machine")) << r.platform;
      EXPECT_TRUE(test_util::HasSubstr(r.note, "no backend yet")) << r.platform;
    }
  }
}

TEST(PlanningTest, OnlyTheNamedPlatformsArePlannedOn) {
  PlanningInputs in = Machine("nvidia_x86");
  std::vector<perf::Target> targets = MakeTargets(in, {"cpu"}, false);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].platform, "cpu");
  EXPECT_FALSE(targets[0].profiles.empty());
  EXPECT_FALSE(targets[0].profiles.front().measured);  // estimated: no calibration recorded
}

}  // namespace
}  // namespace ipfs_accelerate::router
