// The CPU probe: /proc/cpuinfo parsing, cpuid decoding, and agreement with this machine's kernel.
#include "hardware/cpu_info.h"

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "hardware/recorded_system_view.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;
using Flags = std::vector<std::string>;

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
  EXPECT_GE(cpu.usable_cores, 1);
  EXPECT_GE(cpu.physical_cores, 1);
  EXPECT_LE(cpu.physical_cores, cpu.logical_cores);
  ASSERT_TRUE(cpu.memory_total_bytes.has_value());
  EXPECT_GT(*cpu.memory_total_bytes, 0);
  EXPECT_GE(cpu.numa_nodes, 1);
  EXPECT_TRUE(cpu.notes.empty()) << json(cpu.notes).dump();
}

// The acceptance check: on this host the flags come from cpuid (with the XCR0 checks), and they
// must be exactly the reported subset of the kernel's own "flags" line.
TEST(CpuInfoTest, CpuidFlagsAgreeWithProcCpuinfo) {
  auto cpuinfo = ReadFile("/proc/cpuinfo");
  ASSERT_TRUE(cpuinfo.ok()) << cpuinfo.status().ToString();
  auto view = RealSystemView();
  auto from_cpuid = CpuFlagsFromCpuid(*view);
#if defined(__x86_64__)
  ASSERT_TRUE(from_cpuid.has_value());
  EXPECT_EQ(*from_cpuid, CpuFlagsFromCpuinfo(*cpuinfo));
  EXPECT_EQ(DetectCpu().flags_source, "cpuid");
#else
  EXPECT_FALSE(from_cpuid.has_value());
#endif
  EXPECT_EQ(DetectCpu().flags, CpuFlagsFromCpuinfo(*cpuinfo));
}

TEST(CpuInfoTest, FlagsFromCpuinfoText) {
  EXPECT_EQ(CpuFlagsFromCpuinfo("flags\t\t: fpu avx512f sse4_2 avx2 amx_tile avx512fx sha_ni\n"),
            (Flags{"sse4_2", "avx2", "avx512f", "amx_tile", "sha_ni"}));
  EXPECT_EQ(
      CpuFlagsFromCpuinfo("Features\t: fp asimd evtstrm aes sha2 asimddp sve sve2 i8mm bf16\n"),
      (Flags{"asimd", "asimddp", "sha2", "sve", "sve2", "bf16", "i8mm"}));
  EXPECT_EQ(CpuFlagsFromCpuinfo("Features\t: half thumb fastmult vfp edsp neon vfpv3\n"),
            (Flags{"neon"}));
  EXPECT_EQ(CpuFlagsFromCpuinfo("processor : 0\n"), Flags{});
}

// cpuid registers of a Sapphire Rapids core (leaf 1, 7.0, 7.1, 0xd.1), as answers.json holds
// them.
json SapphireRapidsCpuid() {
  return {{"0.0", {0x20, 0x756e6547, 0x6c65746e, 0x49656e69}},
          {"1.0", {0x806f8, 0x800, 0x7ffefbff, 0xbfebfbff}},
          {"7.0", {0x2, 0xf3bfbfff, 0x1bc05ffe, 0xffdd4432}},
          {"7.1", {0x1c30, 0, 0, 0}},
          {"d.1", {0x1f, 0, 0, 0}}};
}

TEST(CpuInfoTest, CpuidDecodingNeedsTheOsToEnableRegisterState) {
  json answers = {{"cpuid", SapphireRapidsCpuid()}, {"xcr0", 0x602e7}};  // x87 SSE AVX AVX-512 AMX
  RecordedSystemView all("", answers);
  auto flags = CpuFlagsFromCpuid(all);
  ASSERT_TRUE(flags.has_value());
  EXPECT_EQ(*flags, X86CpuFlags());  // every flag we report

  answers["xcr0"] = 0xe7;  // AMX state not enabled (a VM without it, or an older kernel)
  flags = CpuFlagsFromCpuid(RecordedSystemView("", answers));
  EXPECT_EQ(std::count(flags->begin(), flags->end(), "amx_tile"), 0);
  EXPECT_EQ(std::count(flags->begin(), flags->end(), "avx512f"), 1);

  answers["xcr0"] = 0x7;  // AVX only: no AVX-512
  flags = CpuFlagsFromCpuid(RecordedSystemView("", answers));
  EXPECT_EQ(*flags, (Flags{"sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "sha_ni"}));

  answers["xcr0"] = 0x3;  // no AVX state at all
  flags = CpuFlagsFromCpuid(RecordedSystemView("", answers));
  EXPECT_EQ(*flags, (Flags{"sse4_2", "sha_ni"}));

  answers.erase("xcr0");  // OSXSAVE set but no recording of XCR0: nothing that needs it
  flags = CpuFlagsFromCpuid(RecordedSystemView("", answers));
  EXPECT_EQ(*flags, (Flags{"sse4_2", "sha_ni"}));

  EXPECT_FALSE(CpuFlagsFromCpuid(RecordedSystemView("", json::object())).has_value());
}

TEST(CpuInfoTest, CpuListsAndCacheSizes) {
  EXPECT_EQ(ParseCpuList("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(ParseCpuList("0"), (std::vector<int>{0}));
  EXPECT_FALSE(ParseCpuList("").has_value());
  EXPECT_FALSE(ParseCpuList("3-1").has_value());
  EXPECT_FALSE(ParseCpuList("a-b").has_value());
  EXPECT_FALSE(ParseCpuList("0-99999999").has_value());
  EXPECT_EQ(ParseCacheSize("48K\n"), 48 * 1024);
  EXPECT_EQ(ParseCacheSize("105M"), 105 * 1024 * 1024);
  EXPECT_EQ(ParseCacheSize("512"), 512);
  EXPECT_FALSE(ParseCacheSize("big").has_value());
  EXPECT_FALSE(ParseCacheSize("-4K").has_value());
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
