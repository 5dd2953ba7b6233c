// The CUDA probe: the driver API for devices and their properties, NVML for free memory, power
// limit and the driver's version, the runtime library for its version.
#include <map>

#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

// cuGetErrorName's answer, else the names of cuda.h, else the number.
std::string CudaErrorName(CudaDriverApi& cu, int code) {
  std::string name = cu.ErrorName(code);
  if (!name.empty()) return name;
  static const std::map<int, const char*> kNames = {
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {4, "CUDA_ERROR_DEINITIALIZED"},
      {34, "CUDA_ERROR_STUB_LIBRARY"},
      {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"},
      {46, "CUDA_ERROR_DEVICE_UNAVAILABLE"},
      {100, "CUDA_ERROR_NO_DEVICE"},
      {101, "CUDA_ERROR_INVALID_DEVICE"},
      {304, "CUDA_ERROR_OPERATING_SYSTEM"},
      {800, "CUDA_ERROR_NOT_PERMITTED"},
      {801, "CUDA_ERROR_NOT_SUPPORTED"},
      {802, "CUDA_ERROR_SYSTEM_NOT_READY"},
      {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"},
      {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"},
      {999, "CUDA_ERROR_UNKNOWN"}};
  auto it = kNames.find(code);
  return it != kNames.end() ? it->second : "CUDA error " + std::to_string(code);
}

// What to do about a cuInit failure, for the reason line.
std::string CudaHint(int code) {
  switch (code) {
    case 34:
      return " (this libcuda.so.1 is the CUDA toolkit's stub, not a driver)";
    case 100:
      return " (no NVIDIA GPU visible: check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    case 46:
      return " (the GPUs are busy or in exclusive-process mode)";
    case 802:
      return " (the system is not ready: on NVSwitch machines, start nvidia-fabricmanager)";
    case 803:
      return " (the kernel module and the user-space driver differ: reboot or reinstall)";
    case 999:
      return " (see dmesg for NVRM messages)";
  }
  return "";
}

// 12040 -> "12.4"; the encoding of cuDriverGetVersion and cudaRuntimeGetVersion.
std::string CudaVersion(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

// Device properties from NVML, matched to the CUDA device by PCI bus id.
void AddNvmlFacts(NvmlApi* nvml, const std::string& bus_id, json& device) {
  device["memory_free_bytes"] = nullptr;
  device["power_limit_w"] = nullptr;
  uintptr_t handle = 0;
  if (!nvml || bus_id.empty() || nvml->DeviceGetHandleByPciBusId(bus_id, &handle) != 0) return;
  uint64_t total = 0, free = 0, used = 0;
  if (nvml->DeviceGetMemoryInfo(handle, &total, &free, &used) == 0) {
    device["memory_free_bytes"] = free;
  }
  unsigned milliwatts = 0;
  if (nvml->DeviceGetPowerManagementLimit(handle, &milliwatts) == 0) {
    device["power_limit_w"] = milliwatts / 1000.0;
  }
}

}  // namespace

PlatformInfo ProbeCuda(const SystemView& view) {
  PlatformInfo p;
  p.name = "cuda";
  auto driver = view.OpenCudaDriver();
  if (!driver.ok()) {
    p.reason = driver.status().code() == StatusCode::kNotFound
                   ? "no NVIDIA driver: libcuda.so.1 not found (" + driver.status().message() + ")"
                   : "NVIDIA driver unusable: " + driver.status().message();
    return p;
  }
  CudaDriverApi& cu = **driver;
  json& caps = p.capabilities;
  int version = 0;
  caps["driver_version"] =
      cu.DriverGetVersion(&version) == 0 && version > 0 ? json(CudaVersion(version)) : json();
  auto runtime = view.CudaRuntimeVersion();
  caps["runtime_version"] = runtime.ok() ? json(CudaVersion(*runtime)) : json();
  if (int rc = cu.Init(); rc != 0) {
    p.reason = "cuInit failed: " + CudaErrorName(cu, rc) + CudaHint(rc);
    return p;
  }
  int count = 0;
  if (int rc = cu.DeviceGetCount(&count); rc != 0) {
    p.reason = "cuDeviceGetCount failed: " + CudaErrorName(cu, rc);
    return p;
  }
  if (count <= 0) {
    p.reason = "driver found but 0 devices";
    return p;
  }

  // NVML adds what the driver API does not say; without it the devices are still usable.
  std::unique_ptr<NvmlApi> nvml;
  if (auto opened = view.OpenNvml(); !opened.ok()) {
    caps["nvml"] = opened.status().message();
  } else if (int rc = (*opened)->Init(); rc != 0) {
    std::string text = (*opened)->ErrorString(rc);
    caps["nvml"] = "nvmlInit_v2 failed: " + (text.empty() ? "error " + std::to_string(rc) : text);
  } else {
    nvml = std::move(opened).value();
    std::string driver_version;
    if (nvml->SystemGetDriverVersion(&driver_version) == 0) {
      caps["nvidia_driver_version"] = driver_version;
    }
  }

  json devices = json::array();
  std::vector<std::string> problems;
  for (int i = 0; i < count; ++i) {
    int dev = 0;
    std::string name;
    uint64_t memory = 0;
    if (int rc = cu.DeviceGet(&dev, i); rc != 0) {
      problems.push_back("device " + std::to_string(i) +
                         ": cuDeviceGet failed: " + CudaErrorName(cu, rc));
      continue;
    }
    if (int rc = cu.DeviceGetName(&name, dev); rc != 0) {
      problems.push_back("device " + std::to_string(i) +
                         ": cuDeviceGetName failed: " + CudaErrorName(cu, rc));
      continue;
    }
    if (int rc = cu.DeviceTotalMem(&memory, dev); rc != 0) {
      problems.push_back("device " + std::to_string(i) +
                         ": cuDeviceTotalMem failed: " + CudaErrorName(cu, rc));
      continue;
    }
    auto attribute = [&](int a) -> std::optional<int> {
      int v = 0;
      return cu.DeviceGetAttribute(&v, a, dev) == 0 ? std::optional<int>(v) : std::nullopt;
    };
    auto major = attribute(kCuAttrComputeCapabilityMajor);
    auto minor = attribute(kCuAttrComputeCapabilityMinor);
    auto sms = attribute(kCuAttrMultiprocessorCount);
    auto clock_khz = attribute(kCuAttrClockRate);
    auto memory_clock_khz = attribute(kCuAttrMemoryClockRate);
    auto bus_width = attribute(kCuAttrGlobalMemoryBusWidth);
    auto or_null = [](std::optional<int> v) { return v ? json(*v) : json(); };
    std::string bus_id;
    if (cu.DeviceGetPciBusId(&bus_id, dev) != 0) bus_id.clear();
    json d = {
        {"index", i},
        {"name", name},
        {"compute_capability",
         major && minor ? json(std::to_string(*major) + "." + std::to_string(*minor)) : json()},
        {"sms", or_null(sms)},
        {"memory_bytes", memory},
        {"clock_mhz", clock_khz ? json(*clock_khz / 1000) : json()},
        {"memory_clock_mhz", memory_clock_khz ? json(*memory_clock_khz / 1000) : json()},
        {"memory_bus_width_bits", or_null(bus_width)},
        {"pci_bus_id", bus_id.empty() ? json() : json(bus_id)}};
    // Double data rate: two transfers per clock over the whole bus (as NVIDIA's bandwidthTest).
    d["memory_bandwidth_bytes_per_s"] =
        memory_clock_khz && bus_width ? json(2.0 * *memory_clock_khz * 1000.0 * (*bus_width / 8.0))
                                      : json();
    AddNvmlFacts(nvml.get(), bus_id, d);
    devices.push_back(std::move(d));
  }
  if (nvml) nvml->Shutdown();
  caps["devices"] = devices;
  if (!problems.empty()) caps["notes"] = problems;
  if (devices.empty()) {
    p.reason = "no usable CUDA device: " + problems.front();
    return p;
  }
  p.available = true;
  return p;
}

}  // namespace ipfs_accelerate::hardware
