// A session's limits: the memory budget (a Resize by 10^9 and a Loop of 2^62 trips that grows a
// scan output stop with kResourceExhausted instead of taking the machine's memory) and
// cancellation (a token or a deadline stops a Loop that would never end). No test asserts on
// time: a run that ignored its token would hang, and the test runner's timeout would say so.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "../test_util.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;
using test::GraphAttr;
using test::ModelBuilder;
using test::Random;
using test_util::HasSubstr;

constexpr int64_t k2To62 = int64_t{1} << 62;

Tensor Bool(bool v) { return Tensor::Scalar<uint8_t>(DType::kBool, v ? 1 : 0); }
Tensor Int64(int64_t v) { return Tensor::Scalar<int64_t>(DType::kInt64, v); }

// y = x after a Loop of 2^62 trips whose condition stays true (x is carried through it); with
// `scan_floats` > 0 every iteration adds a float32 [scan_floats] row to the scan output.
ModelBuilder EndlessLoop(int64_t scan_floats) {
  ModelBuilder body;
  body.Input("i", {}, DType::kInt64).Input("cond", {}, DType::kBool).Input("v", {1});
  body.Op("Identity", {"cond"}, {"cond_out"}).Op("Identity", {"v"}, {"v_out"});
  body.Output("cond_out", DType::kBool).Output("v_out");
  if (scan_floats > 0) {
    body.Init("row", Random({scan_floats}, 3)).Op("Identity", {"row"}, {"scan"}).Output("scan");
  }
  std::vector<std::string> outs = {"y"};
  if (scan_floats > 0) outs.push_back("stacked");
  ModelBuilder b;
  b.Input("x", {1})
      .Init("M", Int64(k2To62))
      .Init("c", Bool(true))
      .Op("Loop", {"M", "c", "x"}, outs, {{"body", GraphAttr(body.graph())}})
      .Output("y");
  if (scan_floats > 0) b.Output("stacked");
  return b;
}

TEST(SessionLimitsTest, LoopGrowingAScanOutputStopsAtTheMemoryBudget) {
  ModelBuilder b = EndlessLoop(1024);  // 4 KiB per iteration
  auto session = Session::Create(b.model(), {.threads = 1, .memory_limit = 16 << 20});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)->memory_limit(), 16u << 20);
  auto out = (*session)->Run(b.Inputs());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().ToString();
  const std::string& msg = out.status().message();
  EXPECT_TRUE(HasSubstr(msg, "Loop"));
  EXPECT_TRUE(HasSubstr(msg, "memory budget of 16.0 MiB"));
  EXPECT_TRUE(HasSubstr(msg, "--memory-limit"));
  EXPECT_LE((*session)->peak_memory(), 16u << 20);
}

TEST(SessionLimitsTest, ResizeByABillionFailsBeforeAllocating) {
  ModelBuilder b;
  b.Input("x", {1, 1, 2, 2})
      .Init("roi", Floats({}))
      .Init("scales", Floats({1, 1, 1e9f, 1}))
      .Op("Resize", {"x", "roi", "scales"}, {"y"})
      .Output("y");
  for (bool optimize : {false, true}) {
    auto session =
        Session::Create(b.model(), {.threads = 1, .optimize = optimize, .memory_limit = 64 << 20});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto out = (*session)->Run(b.Inputs());
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().ToString();
    EXPECT_TRUE(HasSubstr(out.status().message(), "Resize0"));
    EXPECT_TRUE(HasSubstr(out.status().message(), "[1, 1, 2000000000, 2]"));  // what it asked
    EXPECT_TRUE(HasSubstr(out.status().message(), "memory budget of 64.0 MiB"));
    EXPECT_LT((*session)->peak_memory(), 1u << 20) << "the output's taps were computed";
  }
}

TEST(SessionLimitsTest, ResizePastTheTensorLimitFailsUnderTheDefaultBudget) {
  ModelBuilder b;
  b.Input("x", {1, 1, 2, 2})
      .Init("roi", Floats({}))
      .Init("scales", Floats({1, 1, 1e9f, 1e9f}))
      .Op("Resize", {"x", "roi", "scales"}, {"y"})
      .Output("y");
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_GE((*session)->memory_limit(), 64u << 20);  // DefaultMemoryLimit's floor
  auto out = (*session)->Run(b.Inputs());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().ToString();
  EXPECT_TRUE(HasSubstr(out.status().message(), "too large"));
}

TEST(SessionLimitsTest, ACancelledTokenStopsAnEndlessLoop) {
  ModelBuilder b = EndlessLoop(0);
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  CancelToken token;
  std::thread canceller([&token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    token.Cancel();
  });
  auto out = (*session)->Run(b.Inputs(), {.cancel = &token});
  canceller.join();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCancelled) << out.status().ToString();
  EXPECT_TRUE(HasSubstr(out.status().message(), "Loop"));
}

TEST(SessionLimitsTest, ADeadlineStopsAnEndlessLoop) {
  ModelBuilder b = EndlessLoop(0);
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  CancelToken token;
  token.SetTimeout(std::chrono::milliseconds(50));
  auto out = (*session)->Run(b.Inputs(), {.cancel = &token});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded) << out.status().ToString();
}

TEST(SessionLimitsTest, ACancelledTokenStopsTheRunBeforeItsFirstNode) {
  ModelBuilder b;
  b.Input("x", {2, 3}).Op("Relu", {"x"}, {"y"}).Output("y");
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  CancelToken token;
  EXPECT_TRUE((*session)->Run(b.Inputs(), {.cancel = &token}).ok());
  token.Cancel();
  auto out = (*session)->Run(b.Inputs(), {.cancel = &token});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCancelled);
}

TEST(SessionLimitsTest, ModelsWithinTheBudgetRunAgainAndAgain) {
  // Each run frees what it held: a budget a little above one run's needs holds for many runs.
  ModelBuilder b;
  b.Input("x", {64, 1024}).Op("Relu", {"x"}, {"r"}).Op("Sigmoid", {"r"}, {"y"}).Output("y");
  auto session = Session::Create(b.model(), {.threads = 1, .memory_limit = 1 << 20});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto inputs = b.Inputs();
  for (int i = 0; i < 20; ++i) {
    auto out = (*session)->Run(inputs);
    ASSERT_TRUE(out.ok()) << "run " << i << ": " << out.status().ToString();
  }
  EXPECT_LE((*session)->peak_memory(), 1u << 20);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
