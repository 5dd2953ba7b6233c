// A machine recorded as files: <dir>/root/ holds the /proc, /sys and /dev entries the probes read
// and <dir>/answers.json what the system calls and vendor libraries answered. The hardware tests
// run the real probes on recordings of machines we do not have (tests/hardware/data/).
//
// answers.json (every member optional):
//   "os": "linux" | "macos", "arch": "x86_64" | "aarch64", "affinity_cores": 8,
//   "env": {NAME: value}, "sysctl": {name: value}, "cpuid": {"7.0": [eax, ebx, ecx, edx]},
//   "xcr0": 231, "libraries": {name: true} (the names LoadLibrary finds),
//   "cuda": {"load_error": text, "calls": {"cuInit": 100}, "error_names": {"100": name},
//            "driver_version": 12040,
//            "devices": [{"name", "total_mem", "pci_bus_id", "attributes": {"75": 9}}]},
//   "nvml": {"load_error", "calls", "driver_version": "550.54.15",
//            "devices": {pci_bus_id: {"memory": {"total", "free", "used"}, "power_limit_mw"}}},
//   "cudart": {"runtime_version": 12040} | {"error": text},
//   "hip": {"runtime_version": 60032830} | {"error": text},
//   "openvino": {"load_error", "calls", "build_number", "devices": [name],
//                "properties": {device: {key: value}}},
//   "metal": {"devices": [{"name", "unified_memory", "recommended_max_working_set_bytes",
//             "families": [..], "supports_mps", "low_power", "removable"}]} | {"error": text}
// A library without its member fails to load the way the loader says "not found". "calls" maps a
// call to the error code it returns instead of succeeding.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "hardware/system_view.h"

namespace ipfs_accelerate::hardware {

class RecordedSystemView : public FileTreeView {
 public:
  // Files below `root` (which need not exist), answers from `answers`.
  RecordedSystemView(std::string root, nlohmann::json answers)
      : FileTreeView(std::move(root)), answers_(std::move(answers)) {}

  // The recording in `dir`: dir/root and dir/answers.json (which must parse).
  static Result<std::unique_ptr<RecordedSystemView>> Load(const std::string& dir);

  std::string Os() const override;
  std::string Arch() const override;
  std::optional<std::string> Getenv(const std::string& name) const override;
  std::optional<std::string> Sysctl(const std::string& name) const override;
  std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) const override;
  std::optional<uint64_t> Xcr0() const override;
  std::optional<int> AffinityCores() const override;
  Result<std::string> LoadLibrary(const std::vector<std::string>& candidates) const override;
  Result<std::unique_ptr<CudaDriverApi>> OpenCudaDriver() const override;
  Result<std::unique_ptr<NvmlApi>> OpenNvml() const override;
  Result<int> CudaRuntimeVersion() const override;
  Result<int> HipRuntimeVersion() const override;
  Result<std::unique_ptr<OpenVinoApi>> OpenOpenVino() const override;
  Result<std::vector<MetalDevice>> MetalDevices() const override;

 private:
  nlohmann::json answers_;
};

}  // namespace ipfs_accelerate::hardware
