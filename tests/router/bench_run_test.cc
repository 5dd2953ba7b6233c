#include "router/bench_run.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "../test_util.h"

namespace ipfs_accelerate::router {
namespace {

class BenchRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_util::TempDir();
    std::string cmd = "/usr/bin/python3 " + std::string(test_util::SourceDir()) +
                      "/tools/gen_models/gen_models.py --out " + dir_->path() +
                      "/models --size test --only mlp >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { delete dir_; }

  // One quick configuration of the test MLP.
  static BenchRequest Request() {
    BenchRequest request;
    request.repo = dir_->path() + "/repo";
    request.model_refs = {dir_->path() + "/models/mlp_test"};
    request.options.min_samples = 6;
    request.options.max_samples = 6;
    request.options.min_time_s = 0;
    request.options.max_time_s = 1;
    request.options.warmup_runs = 1;
    request.options.warmup_s = 0;
    request.command = "bench_run_test";
    return request;
  }

  static test_util::TempDir* dir_;
};
test_util::TempDir* BenchRunTest::dir_ = nullptr;

TEST_F(BenchRunTest, UnknownHardwareIsFoundBeforeAnyRun) {
  BenchRequest request = Request();
  request.options.hardware = {"tpu"};
  auto plan = PlanBench(request, Config::Defaults());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(test_util::HasSubstr(plan.status().message(), "unknown hardware 'tpu'"));
}

TEST_F(BenchRunTest, RunIsRecordedCompleteWithItsResults) {
  auto plan = PlanBench(Request(), Config::Defaults());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->configurations, 1);
  EXPECT_EQ(plan->models[0].name, "mlp_test");
  auto db = bench::ResultsDb::Open(bench::ResultsDb::kInMemory, bench::ResultsDb::Mode::kCreate);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  int begun = 0, stored = 0;
  BenchRunCallbacks cb;
  cb.on_begin = [&](const bench::RunRecord& run) {
    ++begun;
    EXPECT_GT(run.id, 0);
  };
  cb.on_result = [&](const bench::RunRecord& run) {
    stored = static_cast<int>(run.results.size());
  };
  auto run = RunBenchPlan(**db, *plan, cb);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->status, "complete");
  EXPECT_EQ(begun, 1);
  EXPECT_EQ(stored, 1);
  auto loaded = (*db)->LoadRun(run->id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->status, "complete");
  EXPECT_FALSE(loaded->finished_at.empty());
  EXPECT_EQ(loaded->command, "bench_run_test");
  EXPECT_EQ(loaded->results.size(), 1u);
}

TEST_F(BenchRunTest, StopEndsTheRunInterrupted) {
  auto plan = PlanBench(Request(), Config::Defaults());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto db = bench::ResultsDb::Open(bench::ResultsDb::kInMemory, bench::ResultsDb::Mode::kCreate);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::atomic<bool> stop{true};
  BenchRunCallbacks cb;
  cb.stop = &stop;
  auto run = RunBenchPlan(**db, *plan, cb);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->status, "interrupted");
  EXPECT_EQ((*db)->LoadRun(run->id).value().status, "interrupted");
}

}  // namespace
}  // namespace ipfs_accelerate::router
