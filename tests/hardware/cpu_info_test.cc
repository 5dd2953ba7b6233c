#include "hardware/cpu_info.h"

#include <gtest/gtest.h>

namespace ipfs_accelerate::hardware {
namespace {

TEST(CpuInfoTest, ModelNameFromX86CpuInfo) {
  EXPECT_EQ(
      ParseCpuModelName("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B45  \n"
                        "processor\t: 1\nmodel name\t: AMD EPYC 9B45\n"),
      "AMD EPYC 9B45");
}

TEST(CpuInfoTest, ArmFallsBackToModel) {
  EXPECT_EQ(
      ParseCpuModelName("processor\t: 0\nBogoMIPS\t: 108.00\nModel\t\t: Raspberry Pi 4 Model B\n"),
      "Raspberry Pi 4 Model B");
  EXPECT_EQ(ParseCpuModelName(""), "");
}

TEST(CpuInfoTest, DetectsThisMachine) {
  CpuInfo cpu = DetectCpu();
  EXPECT_FALSE(cpu.model_name.empty());
  EXPECT_GE(cpu.logical_cores, 1);
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
