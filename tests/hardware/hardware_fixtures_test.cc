// The probes on recorded machines (tests/hardware/data/<machine>/): which platforms each one has,
// why the others are unavailable, and what the capabilities say.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "hardware/cpu_info.h"
#include "hardware/platform.h"
#include "hardware/recorded_system_view.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;
using test_util::HasSubstr;

std::unique_ptr<RecordedSystemView> Machine(const std::string& name) {
  auto view = RecordedSystemView::Load(std::string(test_util::SourceDir()) +
                                       "/tests/hardware/data/" + name);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  return view.ok() ? std::move(view).value() : nullptr;
}

HardwareReport Detect(const std::string& machine, std::vector<std::string> overrides = {}) {
  auto view = Machine(machine);
  auto config = Config::Load({.overrides = std::move(overrides)});
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return DetectHardware(*view, *config);
}

std::vector<std::string> Names(const std::vector<PlatformInfo>& platforms) {
  std::vector<std::string> out;
  for (const auto& p : platforms) out.push_back(p.name);
  return out;
}

TEST(HardwareFixtureTest, NvidiaX86Server) {
  HardwareReport r = Detect("nvidia_x86");
  ASSERT_EQ(Names(r.platforms), PlatformNames());
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"cuda", "openvino", "cpu"}));

  const json& cpu = r.Find("cpu")->capabilities;
  EXPECT_EQ(cpu["vendor"], "GenuineIntel");
  EXPECT_EQ(cpu["model"], "Intel(R) Xeon(R) Gold 6434");
  EXPECT_EQ(cpu["sockets"], 2);
  EXPECT_EQ(cpu["physical_cores"], 16);
  EXPECT_EQ(cpu["logical_cores"], 32);
  EXPECT_EQ(cpu["usable_cores"], 32);
  EXPECT_EQ(cpu["flags"], json(X86CpuFlags()));  // Sapphire Rapids has them all
  EXPECT_EQ(cpu["flags_source"], "/proc/cpuinfo");
  EXPECT_EQ(cpu["caches"], (json{{"l1d_bytes", 48 << 10},
                                 {"l1i_bytes", 32 << 10},
                                 {"l2_bytes", 2 << 20},
                                 {"l3_bytes", 23040 << 10}}));
  EXPECT_EQ(cpu["memory_total_bytes"], int64_t{527958432} * 1024);
  EXPECT_EQ(cpu["memory_available_bytes"], int64_t{515290744} * 1024);
  EXPECT_EQ(cpu["numa_nodes"], 2);
  EXPECT_FALSE(cpu.contains("notes"));

  const PlatformInfo& cuda = *r.Find("cuda");
  EXPECT_TRUE(cuda.available);
  EXPECT_EQ(cuda.reason, "");
  EXPECT_EQ(cuda.priority, 100);
  EXPECT_EQ(cuda.capabilities["driver_version"], "12.4");
  EXPECT_EQ(cuda.capabilities["runtime_version"], "12.4");
  EXPECT_EQ(cuda.capabilities["nvidia_driver_version"], "550.54.15");
  const json& devices = cuda.capabilities["devices"];
  ASSERT_EQ(devices.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const json& d = devices[i];
    EXPECT_EQ(d["index"], i);
    EXPECT_EQ(d["name"], "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(d["compute_capability"], "9.0");
    EXPECT_EQ(d["sms"], 132);
    EXPECT_EQ(d["memory_bytes"], 85520809984);
    EXPECT_EQ(d["memory_free_bytes"], 84893958144);
    EXPECT_EQ(d["power_limit_w"], 700.0);
    EXPECT_EQ(d["clock_mhz"], 1980);
    EXPECT_EQ(d["memory_clock_mhz"], 2619);
    EXPECT_EQ(d["memory_bus_width_bits"], 5120);
    EXPECT_NEAR(d["memory_bandwidth_bytes_per_s"].get<double>(), 3.352e12, 1e9);
  }
  EXPECT_EQ(devices[1]["pci_bus_id"], "0000:2A:00.0");

  const PlatformInfo& ov = *r.Find("openvino");
  EXPECT_TRUE(ov.available);
  EXPECT_EQ(ov.capabilities["version"], "2024.4.0");
  EXPECT_EQ(ov.capabilities["devices"],
            (json::array({{{"name", "CPU"}, {"full_name", "Intel(R) Xeon(R) Gold 6434"}}})));

  EXPECT_EQ(r.Find("rocm")->reason, "/dev/kfd not found (no amdgpu kernel driver)");
  EXPECT_EQ(r.Find("mps")->reason, "Metal (MPS) exists only on macOS; this is Linux");
  EXPECT_TRUE(HasSubstr(r.Find("qualcomm")->reason, "libQnnHtp.so not found"));
  EXPECT_TRUE(HasSubstr(r.Find("webgpu")->reason, "no browser configured (set browser.path"));
  EXPECT_TRUE(HasSubstr(Summary(*r.Find("cuda")),
                        "2x NVIDIA H100 80GB HBM3 (cc 9.0, SMs 132, 79.6 GiB); CUDA driver 12.4"));
}

TEST(HardwareFixtureTest, AmdGpuServer) {
  HardwareReport r = Detect("amd_gpu");
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"rocm", "cpu"}));
  const json& cpu = r.Find("cpu")->capabilities;
  EXPECT_EQ(cpu["vendor"], "AuthenticAMD");
  EXPECT_EQ(cpu["model"], "AMD EPYC 7313 16-Core Processor");
  EXPECT_EQ(cpu["physical_cores"], 16);
  EXPECT_EQ(cpu["logical_cores"], 32);
  EXPECT_EQ(cpu["usable_cores"], 32);  // no recorded affinity: all of them
  EXPECT_EQ(cpu["flags"], (json{"sse4_2", "avx", "avx2", "fma", "f16c", "sha_ni"}));
  EXPECT_EQ(cpu["numa_nodes"], 1);
  EXPECT_EQ(cpu["caches"]["l3_bytes"], 32 << 20);

  const PlatformInfo& rocm = *r.Find("rocm");
  EXPECT_TRUE(rocm.available) << rocm.reason;
  EXPECT_EQ(rocm.capabilities["hip_version"], "6.0.32830");
  ASSERT_EQ(rocm.capabilities["gpus"].size(), 1u);  // node 0 is the CPU
  const json& gpu = rocm.capabilities["gpus"][0];
  EXPECT_EQ(gpu["node"], "1");
  EXPECT_EQ(gpu["name"], "aldebaran");
  EXPECT_EQ(gpu["product_name"], "AMD Instinct MI210");
  EXPECT_EQ(gpu["gfx_target"], "gfx90a");
  EXPECT_EQ(gpu["compute_units"], 104);
  EXPECT_EQ(gpu["memory_bytes"], 68702699520);
  EXPECT_EQ(gpu["clock_mhz"], 1700);
  EXPECT_EQ(gpu["vendor_id"], 0x1002);
  EXPECT_TRUE(HasSubstr(Summary(rocm), "AMD Instinct MI210 (gfx90a, CUs 104, 64.0 GiB); HIP 6.0"));

  EXPECT_EQ(r.Find("cuda")->reason,
            "no NVIDIA driver: libcuda.so.1 not found (libcuda.so.1: cannot open shared object "
            "file: No such file or directory)");
  EXPECT_EQ(r.Find("openvino")->reason,
            "OpenVINO runtime not installed (libopenvino_c.so not found)");
}

TEST(HardwareFixtureTest, AppleM2Pro) {
  HardwareReport r = Detect("apple_m2");
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"mps", "cpu"}));
  const json& cpu = r.Find("cpu")->capabilities;
  EXPECT_EQ(cpu["vendor"], "Apple");
  EXPECT_EQ(cpu["model"], "Apple M2 Pro");
  EXPECT_EQ(cpu["architecture"], "aarch64");
  EXPECT_EQ(cpu["physical_cores"], 10);
  EXPECT_EQ(cpu["logical_cores"], 10);
  EXPECT_EQ(cpu["memory_total_bytes"], int64_t{16} << 30);
  EXPECT_EQ(cpu["memory_available_bytes"], nullptr);
  EXPECT_EQ(cpu["flags"], (json{"asimd", "asimdhp", "asimddp", "sha2", "bf16", "i8mm"}));
  EXPECT_EQ(cpu["flags_source"], "sysctl");
  EXPECT_EQ(cpu["caches"],
            (json{{"l1d_bytes", 65536}, {"l1i_bytes", 131072}, {"l2_bytes", 4194304}}));

  const PlatformInfo& mps = *r.Find("mps");
  EXPECT_TRUE(mps.available) << mps.reason;
  EXPECT_EQ(mps.priority, 85);
  EXPECT_EQ(mps.capabilities["device"], "Apple M2 Pro");
  EXPECT_EQ(mps.capabilities["macos_version"], "14.4.1");
  EXPECT_EQ(mps.capabilities["devices"][0]["unified_memory"], true);
  EXPECT_EQ(mps.capabilities["devices"][0]["families"], (json{"apple8", "mac2", "metal3"}));
  EXPECT_EQ(mps.capabilities["devices"][0]["recommended_max_working_set_bytes"], 11453251584);

  EXPECT_EQ(r.Find("rocm")->reason, "/dev/kfd not found (no amdgpu kernel driver)");
  EXPECT_FALSE(r.Find("cuda")->available);
}

TEST(HardwareFixtureTest, ArmBoard) {
  HardwareReport r = Detect("arm_board");
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"cpu"}));
  const json& cpu = r.Find("cpu")->capabilities;
  EXPECT_EQ(cpu["vendor"], "ARM");
  EXPECT_EQ(cpu["model"], "ARM Cortex-A72");
  EXPECT_EQ(cpu["board"], "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(cpu["architecture"], "aarch64");
  EXPECT_EQ(cpu["physical_cores"], 4);  // from the sysfs sibling lists
  EXPECT_EQ(cpu["logical_cores"], 4);
  EXPECT_EQ(cpu["sockets"], 1);
  EXPECT_EQ(cpu["flags"], (json{"asimd"}));
  EXPECT_EQ(cpu["caches"],
            (json{{"l1d_bytes", 32768}, {"l1i_bytes", 49152}, {"l2_bytes", 1 << 20}}));
  EXPECT_EQ(cpu["memory_total_bytes"], int64_t{7997976} * 1024);
  for (const char* gpu : {"cuda", "rocm", "mps", "openvino", "qualcomm"}) {
    EXPECT_FALSE(r.Find(gpu)->available) << gpu;
    EXPECT_FALSE(r.Find(gpu)->reason.empty()) << gpu;
  }
}

TEST(HardwareFixtureTest, ConfigChangesPrioritiesAndOrder) {
  HardwareReport r = Detect("nvidia_x86", {"priorities.cpu=200", "priorities.openvino=10"});
  EXPECT_EQ(r.Find("cpu")->priority, 200);
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"cpu", "cuda", "openvino"}));
  EXPECT_EQ(Names(ByPriority(r)).front(), "cpu");
  json j = ToJson(r);
  EXPECT_EQ(j["cpu"]["priority"], 200);
  // Equal priorities keep the fixed order.
  r = Detect("nvidia_x86", {"priorities.cuda=5", "priorities.openvino=5", "priorities.cpu=5"});
  EXPECT_EQ(Names(AvailableByPriority(r)), (std::vector<std::string>{"cpu", "cuda", "openvino"}));
}

TEST(HardwareFixtureTest, JsonHasEveryPlatformWithItsFields) {
  json j = ToJson(Detect("nvidia_x86"));
  ASSERT_EQ(j.size(), 8u);
  for (const std::string& name : PlatformNames()) {
    ASSERT_TRUE(j.contains(name)) << name;
    EXPECT_TRUE(j[name]["available"].is_boolean());
    EXPECT_TRUE(j[name]["reason"].is_string());
    EXPECT_TRUE(j[name]["priority"].is_number_integer());
  }
  EXPECT_EQ(j["cuda"]["devices"][0]["sms"], 132);
  EXPECT_EQ(j["cpu"]["physical_cores"], 16);
}

TEST(HardwareFixtureTest, FingerprintNamesTheHardwareNotItsState) {
  std::string nvidia = HardwareFingerprint(Detect("nvidia_x86"));
  EXPECT_EQ(nvidia.size(), 16u);
  EXPECT_EQ(nvidia.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(HardwareFingerprint(Detect("nvidia_x86", {"priorities.cpu=1"})), nvidia);
  EXPECT_NE(HardwareFingerprint(Detect("amd_gpu")), nvidia);
  EXPECT_NE(HardwareFingerprint(Detect("apple_m2")), HardwareFingerprint(Detect("arm_board")));

  // Free memory and driver versions change; the fingerprint does not.
  auto view = Machine("nvidia_x86");
  HardwareReport r = DetectHardware(*view, Config::Defaults());
  r.platforms[0].capabilities["memory_available_bytes"] = 1;
  for (PlatformInfo& p : r.platforms) {
    if (p.name == "cuda") {
      p.capabilities["driver_version"] = "12.8";
      p.capabilities["nvidia_driver_version"] = "570.1";
      p.capabilities["devices"][0]["memory_free_bytes"] = 5;
    }
  }
  EXPECT_EQ(HardwareFingerprint(r), nvidia);
  r.platforms[0].capabilities["memory_total_bytes"] = int64_t{64} << 30;
  EXPECT_NE(HardwareFingerprint(r), nvidia);
}

TEST(HardwareFixtureTest, BrowserPlatformsFollowBrowserPath) {
  auto view = Machine("arm_board");
  PlatformInfo p = ProbeBrowser(*view, "webgpu", "");
  EXPECT_FALSE(p.available);
  EXPECT_EQ(p.reason,
            "no browser configured (set browser.path, e.g. --set browser.path=/usr/bin/chromium)");
  p = ProbeBrowser(*view, "webnn", "/usr/bin/chromium");
  EXPECT_EQ(p.reason, "browser.path /usr/bin/chromium does not exist");
  p = ProbeBrowser(*view, "webnn", "/proc/cpuinfo");  // any file that exists in the recording
  EXPECT_FALSE(p.available);
  EXPECT_EQ(p.reason, "not probed: `ipfs-accelerate hw` launches /proc/cpuinfo to probe webnn");
  HardwareReport r = Detect("arm_board", {"browser.path=/nonexistent/chrome"});
  EXPECT_EQ(r.Find("webgpu")->reason, "browser.path /nonexistent/chrome does not exist");
  EXPECT_EQ(r.Find("webgpu")->capabilities["browser"], "/nonexistent/chrome");
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
