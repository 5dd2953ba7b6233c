// The probes on broken machines: malformed /proc and /sys files, libraries that load but whose
// calls fail. Each gives a reason (or a note) and never crashes.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "hardware/cpu_info.h"
#include "hardware/platform.h"
#include "hardware/recorded_system_view.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;
using test_util::HasSubstr;
using test_util::TempDir;

// A recorded machine built in a temporary directory.
class Machine {
 public:
  explicit Machine(json answers = json::object()) : answers_(std::move(answers)) {}
  void Put(const std::string& path, const std::string& text) {
    const std::string full = tmp_.path() + path;
    ASSERT_TRUE(MakeDirs(DirName(full)).ok());
    test_util::MustWrite(full, text);
  }
  json& answers() { return answers_; }
  RecordedSystemView View() const { return RecordedSystemView(tmp_.path(), answers_); }

 private:
  TempDir tmp_;
  json answers_;
};

json H100Answers() {
  return {{"driver_version", 12020},
          {"devices",
           {{{"name", "NVIDIA H100 PCIe"},
             {"total_mem", 85031714816},
             {"pci_bus_id", "0000:01:00.0"},
             {"attributes", {{"75", 9}, {"76", 0}, {"16", 114}}}}}}};
}

TEST(HardwareProbeTest, MalformedMeminfoAndTopologyGiveNotes) {
  Machine m;
  m.Put("/proc/cpuinfo",
        "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xzz\n\n"
        "processor\t: 1\nFeatures\t: fp asimd\n\n");
  m.Put("/proc/meminfo", "MemTotal:       lots kB\nMemFree: 12 kB\n");
  m.Put("/sys/devices/system/cpu/online", "0-1-2\n");
  m.Put("/sys/devices/system/cpu/cpu0/topology/core_cpus_list", "\x01\x02garbage\n");
  m.Put("/sys/devices/system/node/online", "nodes!\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index0/level", "one\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index0/type", "Data\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index0/size", "32K\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index1/level", "2\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index1/type", "Unified\n");
  m.Put("/sys/devices/system/cpu/cpu0/cache/index1/size", "huge\n");
  PlatformInfo cpu = ProbeCpu(m.View());
  EXPECT_TRUE(cpu.available);
  const json& c = cpu.capabilities;
  EXPECT_EQ(c["logical_cores"], 2);
  EXPECT_EQ(c["physical_cores"], 2);  // nothing better known than the logical CPUs
  EXPECT_EQ(c["memory_total_bytes"], nullptr);
  EXPECT_EQ(c["numa_nodes"], 0);
  EXPECT_EQ(c["caches"], json::object());
  EXPECT_EQ(c["flags"], (json{"asimd"}));
  EXPECT_EQ(c["model"], "unknown CPU");
  std::string notes = c["notes"].dump();
  EXPECT_TRUE(HasSubstr(notes, "/proc/meminfo has no readable MemTotal line"));
  EXPECT_TRUE(HasSubstr(notes, "cannot parse /sys/devices/system/node/online"));
  EXPECT_TRUE(HasSubstr(notes, "cache/index0"));
  EXPECT_TRUE(HasSubstr(notes, "cache/index1"));
}

TEST(HardwareProbeTest, EmptyMachineStillHasACpu) {
  Machine m;
  PlatformInfo cpu = ProbeCpu(m.View());
  EXPECT_TRUE(cpu.available);
  EXPECT_EQ(cpu.capabilities["model"], "unknown CPU");
  EXPECT_EQ(cpu.capabilities["logical_cores"], 1);
  EXPECT_TRUE(HasSubstr(cpu.capabilities["notes"].dump(), "no such file: "));
  // And every other probe explains itself.
  HardwareReport r = DetectHardware(m.View(), Config::Defaults());
  for (const PlatformInfo& p : r.platforms) {
    if (p.name != "cpu") {
      EXPECT_FALSE(p.available || p.reason.empty()) << p.name;
    }
  }
  EXPECT_FALSE(HardwareFingerprint(r).empty());
}

TEST(HardwareProbeTest, CudaDriverThatFailsAtInit) {
  Machine m(json{{"cuda", H100Answers()}});
  m.answers()["cuda"]["calls"] = {{"cuInit", 100}};
  PlatformInfo p = ProbeCuda(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_TRUE(HasSubstr(p.reason, "cuInit failed: CUDA_ERROR_NO_DEVICE (no NVIDIA GPU visible"));
  EXPECT_EQ(p.capabilities["driver_version"], "12.2");

  m.answers()["cuda"]["calls"] = {{"cuInit", 34}};
  EXPECT_TRUE(HasSubstr(ProbeCuda(m.View()).reason,
                        "cuInit failed: CUDA_ERROR_STUB_LIBRARY (this libcuda.so.1 is the CUDA "
                        "toolkit's stub"));
  m.answers()["cuda"]["calls"] = {{"cuInit", 12345}};
  EXPECT_EQ(ProbeCuda(m.View()).reason, "cuInit failed: CUDA error 12345");
  m.answers()["cuda"]["calls"] = {{"cuInit", 999}};
  m.answers()["cuda"]["error_names"] = {{"999", "CUDA_ERROR_UNKNOWN"}};
  EXPECT_TRUE(HasSubstr(ProbeCuda(m.View()).reason, "cuInit failed: CUDA_ERROR_UNKNOWN"));
}

TEST(HardwareProbeTest, CudaCallsThatFailAfterInit) {
  Machine m(json{{"cuda", H100Answers()}});
  m.answers()["cuda"]["calls"] = {{"cuDeviceGetCount", 999}};
  EXPECT_EQ(ProbeCuda(m.View()).reason, "cuDeviceGetCount failed: CUDA_ERROR_UNKNOWN");

  m.answers()["cuda"]["calls"] = {{"cuDeviceGetName", 101}};
  PlatformInfo p = ProbeCuda(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_EQ(p.reason,
            "no usable CUDA device: device 0: cuDeviceGetName failed: CUDA_ERROR_INVALID_DEVICE");

  m.answers()["cuda"]["calls"] = json::object();
  m.answers()["cuda"]["devices"] = json::array();
  EXPECT_EQ(ProbeCuda(m.View()).reason, "driver found but 0 devices");

  m.answers()["cuda"]["load_error"] = "libcuda.so.1: wrong ELF class: ELFCLASS32";
  EXPECT_EQ(ProbeCuda(m.View()).reason,
            "no NVIDIA driver: libcuda.so.1 not found (libcuda.so.1: wrong ELF class: ELFCLASS32)");
}

TEST(HardwareProbeTest, CudaWithoutNvmlOrAttributesIsStillAvailable) {
  Machine m(json{{"cuda", H100Answers()}});
  m.answers()["cuda"]["devices"][0]["attributes"].erase("76");
  m.answers()["cuda"]["devices"][0].erase("pci_bus_id");
  PlatformInfo p = ProbeCuda(m.View());
  ASSERT_TRUE(p.available) << p.reason;
  const json& d = p.capabilities["devices"][0];
  EXPECT_EQ(d["name"], "NVIDIA H100 PCIe");
  EXPECT_EQ(d["sms"], 114);
  EXPECT_EQ(d["compute_capability"], nullptr);
  EXPECT_EQ(d["clock_mhz"], nullptr);
  EXPECT_EQ(d["memory_free_bytes"], nullptr);
  EXPECT_EQ(d["pci_bus_id"], nullptr);
  EXPECT_TRUE(HasSubstr(p.capabilities["nvml"].get<std::string>(), "libnvidia-ml.so.1"));
  EXPECT_EQ(p.capabilities["runtime_version"], nullptr);

  m.answers()["nvml"] = {{"calls", {{"nvmlInit_v2", 9}}},
                         {"error_strings", {{"9", "Driver Not Loaded"}}}};
  p = ProbeCuda(m.View());
  EXPECT_TRUE(p.available);
  EXPECT_EQ(p.capabilities["nvml"], "nvmlInit_v2 failed: Driver Not Loaded");

  // NVML that knows the device by its bus id, but whose memory query fails.
  m.answers()["cuda"]["devices"][0]["pci_bus_id"] = "0000:01:00.0";
  m.answers()["nvml"] = {{"driver_version", "535.104.05"},
                         {"calls", {{"nvmlDeviceGetMemoryInfo", 999}}},
                         {"devices", {{"0000:01:00.0", {{"power_limit_mw", 350000}}}}}};
  p = ProbeCuda(m.View());
  EXPECT_EQ(p.capabilities["devices"][0]["memory_free_bytes"], nullptr);
  EXPECT_EQ(p.capabilities["devices"][0]["power_limit_w"], 350.0);
  EXPECT_EQ(p.capabilities["nvidia_driver_version"], "535.104.05");
}

TEST(HardwareProbeTest, RocmWithoutUsableTopology) {
  Machine m;
  m.Put("/dev/kfd", "");
  PlatformInfo p = ProbeRocm(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_TRUE(HasSubstr(p.reason, "no GPU nodes in KFD topology"));

  const std::string nodes = "/sys/class/kfd/kfd/topology/nodes/";
  m.Put(nodes + "0/properties", "cpu_cores_count 8\nsimd_count 0\n");
  m.Put(nodes + "1/properties", "garbage garbage garbage\nsimd_count lots\n\xff\xfe\n");
  m.Put(nodes + "2/name", "gfx1100\n");  // no properties file
  p = ProbeRocm(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_TRUE(HasSubstr(p.reason, "no GPU nodes in KFD topology"));
  EXPECT_TRUE(HasSubstr(p.capabilities["notes"].dump(), nodes + "2/properties"));

  m.Put(nodes + "10/properties", "simd_count 192\nsimd_per_cu 2\ngfx_target_version 110000\n");
  m.Put(nodes + "10/mem_banks/0/properties", "size_in_bytes -5\n");
  p = ProbeRocm(m.View());
  ASSERT_TRUE(p.available) << p.reason;
  EXPECT_EQ(p.capabilities["gpus"][0]["gfx_target"], "gfx1100");
  EXPECT_EQ(p.capabilities["gpus"][0]["compute_units"], 96);
  EXPECT_EQ(p.capabilities["gpus"][0]["memory_bytes"], 0);
  EXPECT_EQ(p.capabilities["hip_version"], nullptr);
  EXPECT_EQ(GfxTargetName(90402), "gfx942");
  EXPECT_EQ(GfxTargetName(100300), "gfx1030");
  EXPECT_EQ(GfxTargetName(0), "");
}

TEST(HardwareProbeTest, MpsReasons) {
  json mac = {{"os", "macos"}, {"sysctl", {{"kern.osproductversion", "14.0"}}}};
  Machine m(mac);
  EXPECT_EQ(ProbeMps(m.View()).reason, "no Metal device");
  m.answers()["metal"] = {{"devices", {{{"name", "AMD Radeon Pro 560"}, {"supports_mps", false}}}}};
  EXPECT_EQ(ProbeMps(m.View()).reason,
            "Metal device AMD Radeon Pro 560 does not support Metal Performance Shaders");
  m.answers()["metal"]["devices"][0]["supports_mps"] = true;
  m.answers()["sysctl"]["kern.osproductversion"] = "12.1";
  EXPECT_EQ(ProbeMps(m.View()).reason, "MPS needs macOS 12.3 or later; this is 12.1");
  m.answers()["sysctl"]["kern.osproductversion"] = "12.3";
  EXPECT_TRUE(ProbeMps(m.View()).available);
  m.answers()["metal"] = {{"error", "the Metal framework cannot be loaded"}};
  EXPECT_EQ(ProbeMps(m.View()).reason,
            "cannot list the Metal devices: the Metal framework cannot be loaded");
}

TEST(HardwareProbeTest, OpenVinoThatLoadsButFails) {
  Machine m(json{{"openvino",
                  {{"build_number", "2025.0.0-17942-1f68be9f594-releases/2025/0"},
                   {"calls", {{"ov_core_create", -1}}},
                   {"error_info", {{"-1", "General error"}}}}}});
  PlatformInfo p = ProbeOpenVino(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_EQ(p.reason, "ov_core_create failed: General error");
  EXPECT_EQ(p.capabilities["version"], "2025.0.0");

  m.answers()["openvino"]["calls"] = json::object();
  p = ProbeOpenVino(m.View());
  EXPECT_TRUE(HasSubstr(p.reason, "OpenVINO found no device"));

  m.answers()["openvino"]["devices"] = {"CPU", "GPU.0"};  // no FULL_DEVICE_NAME recorded
  p = ProbeOpenVino(m.View());
  EXPECT_TRUE(p.available);
  EXPECT_EQ(p.capabilities["devices"][1], (json{{"name", "GPU.0"}, {"full_name", nullptr}}));
}

TEST(HardwareProbeTest, QualcommNeedsHtpAndCdsp) {
  Machine m(json{{"arch", "aarch64"}, {"env", {{"QNN_SDK_ROOT", "/opt/qcom/qnn"}}}});
  m.Put("/opt/qcom/qnn/lib/aarch64-oe-linux-gcc11.2/libQnnHtp.so", "");
  m.Put("/opt/qcom/qnn/lib/x86_64-linux-clang/libQnnHtp.so", "");
  const std::string htp = "/opt/qcom/qnn/lib/aarch64-oe-linux-gcc11.2/libQnnHtp.so";
  m.answers()["libraries"] = {{htp, true}};
  PlatformInfo p = ProbeQualcomm(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_EQ(p.reason,
            "no cDSP FastRPC device node (/dev/fastrpc-cdsp or /dev/cdsprpc-smd): no Hexagon NPU "
            "here");
  EXPECT_EQ(p.capabilities["libraries"]["libQnnHtp.so"], htp);

  m.Put("/dev/fastrpc-cdsp", "");
  m.Put("/dev/fastrpc-adsp", "");
  p = ProbeQualcomm(m.View());
  EXPECT_TRUE(p.available) << p.reason;
  EXPECT_EQ(p.capabilities["fastrpc_nodes"], (json{"/dev/fastrpc-cdsp", "/dev/fastrpc-adsp"}));

  m.answers()["libraries"] = json::object();
  p = ProbeQualcomm(m.View());
  EXPECT_FALSE(p.available);
  EXPECT_TRUE(HasSubstr(p.reason, "QNN HTP runtime libQnnHtp.so not found"));
}

TEST(HardwareProbeTest, RecordingThatDoesNotParse) {
  TempDir dir;
  test_util::MustWrite(dir / "answers.json", "{not json");
  auto view = RecordedSystemView::Load(dir.path());
  ASSERT_FALSE(view.ok());
  EXPECT_TRUE(HasSubstr(view.status().message(), "answers.json"));
  EXPECT_FALSE(RecordedSystemView::Load(dir / "absent").ok());
  // Answers of the wrong types read as absent.
  RecordedSystemView odd("", {{"cuda", {{"devices", 7}, {"driver_version", "x"}}},
                              {"sysctl", {{"hw.memsize", json::array()}}},
                              {"os", "macos"}});
  EXPECT_EQ(ProbeCuda(odd).reason, "driver found but 0 devices");
  EXPECT_TRUE(ProbeCpu(odd).capabilities["memory_total_bytes"].is_null());
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
