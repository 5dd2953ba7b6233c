// The few calls of vendor runtime libraries that the probes make, as interfaces. The real ones
// call the libraries loaded with dlopen (native_libraries.cc); the recorded ones answer from a
// fixture's answers.json (recorded_system_view.cc). The probes hold all interpretation: error
// codes, versions, capabilities.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipfs_accelerate::hardware {

// The CUDA driver API (libcuda.so.1). Every call returns its CUresult (0 = CUDA_SUCCESS).
class CudaDriverApi {
 public:
  virtual ~CudaDriverApi() = default;
  // cuInit(0).
  virtual int Init() = 0;
  // cuDriverGetVersion: 12040 for CUDA 12.4.
  virtual int DriverGetVersion(int* version) = 0;
  // cuDeviceGetCount.
  virtual int DeviceGetCount(int* count) = 0;
  // cuDeviceGet: the device handle of ordinal `ordinal`.
  virtual int DeviceGet(int* device, int ordinal) = 0;
  // cuDeviceGetName.
  virtual int DeviceGetName(std::string* name, int device) = 0;
  // cuDeviceTotalMem_v2.
  virtual int DeviceTotalMem(uint64_t* bytes, int device) = 0;
  // cuDeviceGetAttribute with a CUdevice_attribute number.
  virtual int DeviceGetAttribute(int* value, int attribute, int device) = 0;
  // cuDeviceGetPCIBusId: "0000:18:00.0".
  virtual int DeviceGetPciBusId(std::string* bus_id, int device) = 0;
  // cuGetErrorName ("CUDA_ERROR_NO_DEVICE"); empty when the library does not name `code`.
  virtual std::string ErrorName(int code) = 0;
};

// CUDA attribute numbers (CUdevice_attribute) the probe reads.
inline constexpr int kCuAttrClockRate = 13;             // kHz
inline constexpr int kCuAttrMultiprocessorCount = 16;   // SMs
inline constexpr int kCuAttrMemoryClockRate = 36;       // kHz
inline constexpr int kCuAttrGlobalMemoryBusWidth = 37;  // bits
inline constexpr int kCuAttrComputeCapabilityMajor = 75;
inline constexpr int kCuAttrComputeCapabilityMinor = 76;

// NVML (libnvidia-ml.so.1). Every call returns its nvmlReturn_t (0 = NVML_SUCCESS). Device
// handles are opaque numbers.
class NvmlApi {
 public:
  virtual ~NvmlApi() = default;
  // nvmlInit_v2.
  virtual int Init() = 0;
  // nvmlSystemGetDriverVersion: "550.54.15".
  virtual int SystemGetDriverVersion(std::string* version) = 0;
  // nvmlDeviceGetHandleByPciBusId_v2 (CUDA and NVML number devices differently; the bus id
  // names the same one).
  virtual int DeviceGetHandleByPciBusId(const std::string& bus_id, uintptr_t* handle) = 0;
  // nvmlDeviceGetMemoryInfo: bytes.
  virtual int DeviceGetMemoryInfo(uintptr_t handle, uint64_t* total, uint64_t* free,
                                  uint64_t* used) = 0;
  // nvmlDeviceGetPowerManagementLimit: milliwatts.
  virtual int DeviceGetPowerManagementLimit(uintptr_t handle, unsigned* milliwatts) = 0;
  // nvmlShutdown.
  virtual int Shutdown() = 0;
  // nvmlErrorString; empty when unknown.
  virtual std::string ErrorString(int code) = 0;
};

// The OpenVINO C API (libopenvino_c.so). Every call returns its ov_status_e (0 = OK); the
// object owns one ov_core_t once CoreCreate succeeded.
class OpenVinoApi {
 public:
  virtual ~OpenVinoApi() = default;
  // ov_get_openvino_version: the build number ("2024.4.0-16579-c3152d32c9c-releases/2024/4").
  virtual int GetVersion(std::string* build_number) = 0;
  // ov_core_create.
  virtual int CoreCreate() = 0;
  // ov_core_get_available_devices: "CPU", "GPU.0", "NPU", ...
  virtual int GetAvailableDevices(std::vector<std::string>* devices) = 0;
  // ov_core_get_property for a string property such as "FULL_DEVICE_NAME".
  virtual int GetProperty(const std::string& device, const std::string& key,
                          std::string* value) = 0;
  // ov_get_error_info (or the last error message); empty when unknown.
  virtual std::string ErrorInfo(int status) = 0;
};

// One Metal device as MTLCopyAllDevices and MPSSupportsMTLDevice describe it (macOS only).
struct MetalDevice {
  std::string name;  // "Apple M2 Pro"
  bool unified_memory = false;
  uint64_t recommended_max_working_set_bytes = 0;
  std::vector<std::string> families;  // "apple8", "mac2", "metal3": supportsFamily: answers
  bool supports_mps = false;          // MPSSupportsMTLDevice
  bool low_power = false;
  bool removable = false;
};

}  // namespace ipfs_accelerate::hardware
