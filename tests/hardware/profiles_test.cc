// Device profiles: the built-in datasheet file, the errors of a bad file, and which profile the
// devices of the recorded machines (tests/hardware/data/) map to.
#include "hardware/profiles.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "../test_util.h"
#include "core/file_util.h"
#include "hardware/recorded_system_view.h"

namespace ipfs_accelerate::hardware {
namespace {

using test_util::HasSubstr;

const char kHeader[] =
    "id,platform,name,match,fp32_tflops,fp16_tflops,int8_tops,memory_gib,bandwidth_gbs,tdp_w,"
    "node_overhead_us,source\n";

HardwareReport Detect(const std::string& machine) {
  auto view = RecordedSystemView::Load(std::string(test_util::SourceDir()) +
                                       "/tests/hardware/data/" + machine);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  return DetectHardware(**view, Config::Defaults());
}

std::vector<std::string> Ids(const std::vector<DeviceProfile>& profiles) {
  std::vector<std::string> out;
  for (const DeviceProfile& p : profiles) out.push_back(p.id);
  return out;
}

std::string ParseError(const std::string& text) {
  auto parsed = ParseDeviceProfiles(text, "my.csv");
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(HardwareProfilesTest, BuiltinFileParses) {
  auto text = ReadFile(std::string(test_util::SourceDir()) + "/src/hardware/device_profiles.csv");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto parsed = ParseDeviceProfiles(*text, "device_profiles.csv");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // The binary carries the same file.
  EXPECT_EQ(Ids(*parsed), Ids(BuiltinDeviceProfiles()));
  EXPECT_GE(parsed->size(), 30u);
}

TEST(HardwareProfilesTest, BuiltinCoversEveryPlatformWithPositiveFigures) {
  const auto& profiles = BuiltinDeviceProfiles();
  std::set<std::string> ids, platforms;
  for (const DeviceProfile& p : profiles) {
    EXPECT_TRUE(ids.insert(p.id).second) << "duplicate id " << p.id;
    platforms.insert(p.platform);
    EXPECT_GT(p.fp32_flops, 1e9) << p.id;
    EXPECT_GE(p.fp16_flops, 0) << p.id;
    EXPECT_GE(p.int8_ops, 0) << p.id;
    EXPECT_GT(p.memory_bytes, 1e9) << p.id;
    EXPECT_GT(p.bandwidth_bytes_per_s, 1e9) << p.id;
    EXPECT_GT(p.tdp_w, 0) << p.id;
    EXPECT_GT(p.node_overhead_s, 0) << p.id;
    EXPECT_LT(p.node_overhead_s, 1e-3) << p.id;
    EXPECT_FALSE(p.name.empty()) << p.id;
    EXPECT_FALSE(p.source.empty()) << p.id;
    EXPECT_TRUE(HasSubstr(p.source, "typical")) << p.id << ": node overhead is a typical value";
    EXPECT_FALSE(p.measured);
    EXPECT_GT(p.line, 0);
  }
  for (const std::string& name : PlatformNames()) EXPECT_TRUE(platforms.count(name)) << name;
}

TEST(HardwareProfilesTest, H100FiguresAreTheDatasheets) {
  const DeviceProfile* h100 = nullptr;
  for (const DeviceProfile& p : BuiltinDeviceProfiles()) {
    if (p.id == "nvidia-h100-sxm") h100 = &p;
  }
  ASSERT_NE(h100, nullptr);
  EXPECT_DOUBLE_EQ(h100->fp32_flops, 67e12);
  EXPECT_DOUBLE_EQ(h100->fp16_flops, 989.5e12);
  EXPECT_DOUBLE_EQ(h100->int8_ops, 1979e12);
  EXPECT_DOUBLE_EQ(h100->memory_bytes, 80.0 * (1 << 30));
  EXPECT_DOUBLE_EQ(h100->bandwidth_bytes_per_s, 3.35e12);
  EXPECT_DOUBLE_EQ(h100->node_overhead_s, 5e-6);
  EXPECT_TRUE(h100->Supports("fp32"));
  EXPECT_TRUE(h100->Supports("bf16"));
  EXPECT_TRUE(h100->Supports("int8"));
  EXPECT_FALSE(h100->Supports("int4"));
  EXPECT_DOUBLE_EQ(h100->PeakOps("fp16"), 989.5e12);
  EXPECT_DOUBLE_EQ(h100->PeakOps("int8"), 1979e12);
  EXPECT_DOUBLE_EQ(h100->PeakOps("int4"), 0);
}

TEST(HardwareProfilesTest, ParsesQuotesCommentsAndOptionalThreads) {
  auto parsed = ParseDeviceProfiles(
      "# a comment\n\n"
      "id,platform,name,match,fp32_tflops,fp16_tflops,int8_tops,memory_gib,bandwidth_gbs,tdp_w,"
      "node_overhead_us,source,threads\n"
      "  # indented comment\n"
      "my-cpu,cpu,\"My CPU, 8 cores\",,1.5,0,3,64,100,0,2.5,\"measured, by hand\",8\n",
      "my.csv");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  const DeviceProfile& p = (*parsed)[0];
  EXPECT_EQ(p.name, "My CPU, 8 cores");
  EXPECT_EQ(p.source, "measured, by hand");
  EXPECT_EQ(p.match, "");
  EXPECT_EQ(p.threads, 8);
  EXPECT_EQ(p.line, 5);
  EXPECT_DOUBLE_EQ(p.fp32_flops, 1.5e12);
  EXPECT_FALSE(p.Supports("bf16"));
  EXPECT_TRUE(p.Supports("int8"));
  EXPECT_DOUBLE_EQ(p.node_overhead_s, 2.5e-6);
}

TEST(HardwareProfilesTest, ErrorsNameTheLineAndTheFix) {
  const std::string good = "a,cuda,A,A,1,0,0,1,1,1,1,doc\n";
  // Line 5: header on 1, a comment, a good row, a blank line, then the bad number.
  std::string e = ParseError(std::string(kHeader) + "# c\n" + good + "\n" +
                             "b,cuda,B,B,fast,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:5: fp32_tflops is \"fast\", not a positive number")) << e;
  e = ParseError(std::string(kHeader) + "b,cuda,B,B,0,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: fp32_tflops is \"0\", not a positive number")) << e;
  e = ParseError(std::string(kHeader) + "b,cuda,B,B,1,-2,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: fp16_tflops is \"-2\", not a number >= 0")) << e;

  e = ParseError(std::string(kHeader) + "b,tpu,B,B,1,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: unknown platform \"tpu\"")) << e;
  EXPECT_TRUE(HasSubstr(e, "cpu cuda rocm mps openvino qualcomm webnn webgpu")) << e;

  e = ParseError(std::string(kHeader) + good + "a,rocm,A2,A,1,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:3: id \"a\" is already used on line 2")) << e;

  e = ParseError(std::string(kHeader) + "b,cuda,B,B,1,0,0,1,1,1\n");
  EXPECT_TRUE(HasSubstr(e,
                        "my.csv:2: 10 fields, the header names 12 (missing node_overhead_us "
                        "source)"))
      << e;
  e = ParseError(std::string(kHeader) + "b,cuda,B,B,1,0,0,1,1,1,1,doc,extra\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: 13 fields")) << e;
  e = ParseError(std::string(kHeader) + "b,cuda,,B,1,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: name is empty")) << e;

  e = ParseError("id,platform,name,match,fp32_tflops\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:1: the header lacks the column \"fp16_tflops\"")) << e;
  e = ParseError("# only\nid,platform,name,match,fp32,fp16_tflops\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: unknown column \"fp32\" in the header; the columns are id,"))
      << e;
  e = ParseError("# nothing but comments\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv: no header line")) << e;
  e = ParseError(std::string(kHeader) + "b,cuda,\"B,B,1,0,0,1,1,1,1,doc\n");
  EXPECT_TRUE(HasSubstr(e, "my.csv:2: a double quote is not closed")) << e;
}

TEST(HardwareProfilesTest, LoadNamesTheFile) {
  const std::string path = ::testing::TempDir() + "/profiles_test_bad.csv";
  {
    std::ofstream f(path);
    f << kHeader << "x,cuda,X,X,1,0,0,1,oops,1,1,doc\n";
  }
  auto loaded = LoadDeviceProfiles(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(HasSubstr(loaded.status().message(), path + ":2: bandwidth_gbs is \"oops\""))
      << loaded.status().message();
  auto missing = LoadDeviceProfiles(path + ".none");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(HasSubstr(missing.status().message(), "cannot read the device profiles file"));
}

TEST(HardwareProfilesTest, RecordedMachinesMapToTheirProfiles) {
  std::vector<std::string> unmatched;
  auto nvidia = MatchDeviceProfiles(Detect("nvidia_x86"), BuiltinDeviceProfiles(), &unmatched);
  // Two H100 SXM (HBM3) boards, and OpenVINO's CPU device, a Xeon Gold 6434.
  EXPECT_EQ(Ids(nvidia), (std::vector<std::string>{"nvidia-h100-sxm", "nvidia-h100-sxm",
                                                   "intel-xeon-gold-6434"}));
  EXPECT_TRUE(unmatched.empty());

  auto amd = MatchDeviceProfiles(Detect("amd_gpu"), BuiltinDeviceProfiles(), &unmatched);
  EXPECT_EQ(Ids(amd), (std::vector<std::string>{"amd-mi210"}));  // by product name, not "aldebaran"
  EXPECT_TRUE(unmatched.empty());

  auto apple = MatchDeviceProfiles(Detect("apple_m2"), BuiltinDeviceProfiles(), &unmatched);
  EXPECT_EQ(Ids(apple), (std::vector<std::string>{"apple-m2-pro-gpu"}));
  EXPECT_TRUE(unmatched.empty());

  // The Raspberry Pi has no accelerator: nothing to map, nothing unmatched.
  auto arm = MatchDeviceProfiles(Detect("arm_board"), BuiltinDeviceProfiles(), &unmatched);
  EXPECT_TRUE(arm.empty());
  EXPECT_TRUE(unmatched.empty());
}

TEST(HardwareProfilesTest, UnknownDevicesAreReportedByName) {
  HardwareReport r = Detect("nvidia_x86");
  std::vector<DeviceProfile> only_a100;
  for (const DeviceProfile& p : BuiltinDeviceProfiles()) {
    if (p.id == "nvidia-a100-40gb") only_a100.push_back(p);
  }
  std::vector<std::string> unmatched;
  EXPECT_TRUE(MatchDeviceProfiles(r, only_a100, &unmatched).empty());
  EXPECT_EQ(unmatched,
            (std::vector<std::string>{"cuda: NVIDIA H100 80GB HBM3", "cuda: NVIDIA H100 80GB HBM3",
                                      "openvino: Intel(R) Xeon(R) Gold 6434"}));
  EXPECT_TRUE(MatchDeviceProfiles(r, only_a100, nullptr).empty());  // unmatched may be null
}

TEST(HardwareProfilesTest, EstimatedCpuProfiles) {
  // Xeon Gold 6434 (Sapphire Rapids: AVX-512 with 2 FMA units, AMX), 16 cores.
  DeviceProfile xeon = EstimateCpuProfile(Detect("nvidia_x86"), 0);
  EXPECT_EQ(xeon.platform, "cpu");
  EXPECT_EQ(xeon.name, "Intel(R) Xeon(R) Gold 6434");
  EXPECT_FALSE(xeon.measured);
  EXPECT_EQ(xeon.threads, 0);
  EXPECT_DOUBLE_EQ(xeon.fp32_flops, 16 * 64 * 2.5e9);
  EXPECT_DOUBLE_EQ(xeon.fp16_flops, 16 * 1024 * 2.5e9);
  EXPECT_DOUBLE_EQ(xeon.int8_ops, 16 * 2048 * 2.5e9);
  EXPECT_DOUBLE_EQ(xeon.memory_bytes, 527958432.0 * 1024);
  EXPECT_GT(xeon.bandwidth_bytes_per_s, 100e9);
  EXPECT_TRUE(HasSubstr(xeon.source, "estimated from cpu flags (avx512f, 2 FMA units"))
      << xeon.source;

  DeviceProfile one = EstimateCpuProfile(Detect("nvidia_x86"), 1);
  EXPECT_EQ(one.threads, 1);
  EXPECT_DOUBLE_EQ(one.fp32_flops, xeon.fp32_flops / 16);
  EXPECT_DOUBLE_EQ(one.bandwidth_bytes_per_s, 10e9);

  DeviceProfile epyc = EstimateCpuProfile(Detect("amd_gpu"), 0);  // AVX2 + FMA, no VNNI
  EXPECT_DOUBLE_EQ(epyc.fp32_flops, 16 * 32 * 2.5e9);
  EXPECT_DOUBLE_EQ(epyc.int8_ops, 2 * epyc.fp32_flops);

  DeviceProfile pi = EstimateCpuProfile(Detect("arm_board"), 0);
  EXPECT_DOUBLE_EQ(pi.fp32_flops, 4 * 16 * 2.5e9);
  EXPECT_GT(pi.memory_bytes, 7e9);
  EXPECT_GT(pi.bandwidth_bytes_per_s, 0);

  DeviceProfile m2 = EstimateCpuProfile(Detect("apple_m2"), 0);
  EXPECT_DOUBLE_EQ(m2.fp16_flops, 2 * m2.fp32_flops);  // FEAT_BF16
  EXPECT_DOUBLE_EQ(m2.bandwidth_bytes_per_s, 100e9);   // 10 cores x 10 GB/s caps Pro's 200
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
