// hw --calibrate on this machine: figures within sane bounds (never speed ratios: the machine
// running the tests is shared and noisy).
#include "perf/calibrate.h"

#include <gtest/gtest.h>

#include "../test_util.h"
#include "hardware/system_view.h"

namespace ipfs_accelerate::perf {
namespace {

using test_util::HasSubstr;

hardware::HardwareReport ThisMachine() {
  return hardware::DetectHardware(*hardware::RealSystemView(), Config::Defaults());
}

TEST(CalibrateTest, OneThreadGivesSaneFigures) {
  std::vector<std::string> steps;
  CalibrateOptions options;
  options.threads = {1};
  options.seconds_per_test = 0.05;
  options.progress = [&](const std::string& what, double fraction) {
    EXPECT_GE(fraction, 0);
    EXPECT_LE(fraction, 1);
    steps.push_back(what);
  };
  auto profiles = CalibrateCpu(ThisMachine(), options);
  ASSERT_TRUE(profiles.ok()) << profiles.status().ToString();
  ASSERT_EQ(profiles->size(), 1u);
  const hardware::DeviceProfile& p = (*profiles)[0];
  EXPECT_EQ(p.platform, "cpu");
  EXPECT_EQ(p.threads, 1);
  EXPECT_TRUE(p.measured);
  EXPECT_TRUE(HasSubstr(p.source, "measured ")) << p.source;
  EXPECT_TRUE(HasSubstr(p.source, " by hw --calibrate")) << p.source;
  EXPECT_GT(p.fp32_flops, 1e9);
  EXPECT_LT(p.fp32_flops, 10e12);
  EXPECT_GE(p.fp16_flops, 0);  // 0 when the bf16 session could not be made (the source says why)
  EXPECT_GE(p.int8_ops, 0);
  if (p.fp16_flops == 0) {
    EXPECT_TRUE(HasSubstr(p.source, "bf16 not measured")) << p.source;
  }
  EXPECT_GT(p.bandwidth_bytes_per_s, 100e6);
  EXPECT_GT(p.node_overhead_s, 0);
  EXPECT_LT(p.node_overhead_s, 1e-2);
  EXPECT_GT(p.memory_bytes, 0);
  EXPECT_GT(p.tdp_w, 0);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.front(), "t1 gemm fp32");
  EXPECT_EQ(steps.back(), "done");
}

TEST(CalibrateTest, DefaultThreadsArePowersOfTwoThenAllCores) {
  EXPECT_EQ(DefaultCalibrationThreads(1), (std::vector<int>{1}));
  EXPECT_EQ(DefaultCalibrationThreads(2), (std::vector<int>{1, 2}));
  EXPECT_EQ(DefaultCalibrationThreads(6), (std::vector<int>{1, 2, 4, 6}));
  EXPECT_EQ(DefaultCalibrationThreads(8), (std::vector<int>{1, 2, 4, 8}));
  EXPECT_EQ(DefaultCalibrationThreads(0), (std::vector<int>{1}));
}

TEST(CalibrateTest, RefusesBadOptions) {
  CalibrateOptions options;
  options.threads = {0};
  auto r = CalibrateCpu(ThisMachine(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "thread counts must be 1 or more, got 0"));
  options.threads = {1};
  options.seconds_per_test = 0;
  r = CalibrateCpu(ThisMachine(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "positive time per test"));
}

}  // namespace
}  // namespace ipfs_accelerate::perf
