// dlopen shims for the CUDA driver, NVML, the CUDA and HIP runtimes and OpenVINO. Each method is
// one call through a function pointer; what the answers mean is the probes' business.
//
// Libraries are never dlclose'd: drivers register threads and exit handlers, unloading them is
// unsafe, and a probe runs once per process.
#include "hardware/native_libraries.h"

#include <dlfcn.h>

#include <cstddef>

namespace ipfs_accelerate::hardware::native {
namespace {

// The loaded handle of the first candidate that loads, or null with the first loader message.
void* Open(const std::vector<std::string>& candidates, int flags, std::string* error) {
  for (const std::string& name : candidates) {
    dlerror();
    if (void* handle = dlopen(name.c_str(), flags)) return handle;
    const char* message = dlerror();
    if (error->empty()) *error = message ? message : name + ": cannot be loaded";
  }
  return nullptr;
}

template <typename F>
bool Sym(void* handle, const char* name, F* fn) {
  *fn = reinterpret_cast<F>(dlsym(handle, name));
  return *fn != nullptr;
}

Status Missing(const std::string& library, const char* symbol) {
  return Status::Unsupported(library + " loads but lacks " + symbol +
                             " (an unexpected or too old version)");
}

// ---- CUDA driver API (cuda.h): CUresult and CUdevice_attribute are C enums, CUdevice an int.
using CUresult = int;
using CUdevice = int;

class RealCuda : public CudaDriverApi {
 public:
  CUresult (*cuInit)(unsigned int) = nullptr;
  CUresult (*cuDriverGetVersion)(int*) = nullptr;
  CUresult (*cuDeviceGetCount)(int*) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice*, int) = nullptr;
  CUresult (*cuDeviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceTotalMem_v2)(size_t*, CUdevice) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceGetPCIBusId)(char*, int, CUdevice) = nullptr;  // optional
  CUresult (*cuGetErrorName)(CUresult, const char**) = nullptr;     // optional

  int Init() override { return cuInit(0); }
  int DriverGetVersion(int* version) override { return cuDriverGetVersion(version); }
  int DeviceGetCount(int* count) override { return cuDeviceGetCount(count); }
  int DeviceGet(int* device, int ordinal) override { return cuDeviceGet(device, ordinal); }
  int DeviceGetName(std::string* name, int device) override {
    char buf[256] = {};
    CUresult rc = cuDeviceGetName(buf, sizeof buf - 1, device);
    if (rc == 0) *name = buf;
    return rc;
  }
  int DeviceTotalMem(uint64_t* bytes, int device) override {
    size_t n = 0;
    CUresult rc = cuDeviceTotalMem_v2(&n, device);
    if (rc == 0) *bytes = n;
    return rc;
  }
  int DeviceGetAttribute(int* value, int attribute, int device) override {
    return cuDeviceGetAttribute(value, attribute, device);
  }
  int DeviceGetPciBusId(std::string* bus_id, int device) override {
    if (!cuDeviceGetPCIBusId) return 1;  // CUDA_ERROR_INVALID_VALUE
    char buf[64] = {};
    CUresult rc = cuDeviceGetPCIBusId(buf, sizeof buf - 1, device);
    if (rc == 0) *bus_id = buf;
    return rc;
  }
  std::string ErrorName(int code) override {
    const char* name = nullptr;
    if (cuGetErrorName && cuGetErrorName(code, &name) == 0 && name) return name;
    return "";
  }
};

// ---- NVML (nvml.h): nvmlReturn_t is a C enum, nvmlDevice_t an opaque pointer.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};

class RealNvml : public NvmlApi {
 public:
  nvmlReturn_t (*nvmlInit_v2)() = nullptr;
  nvmlReturn_t (*nvmlSystemGetDriverVersion)(char*, unsigned int) = nullptr;
  nvmlReturn_t (*nvmlDeviceGetHandleByPciBusId_v2)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*nvmlDeviceGetMemoryInfo)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*nvmlDeviceGetPowerManagementLimit)(nvmlDevice_t, unsigned int*) = nullptr;
  nvmlReturn_t (*nvmlShutdown)() = nullptr;
  const char* (*nvmlErrorString)(nvmlReturn_t) = nullptr;  // optional

  int Init() override { return nvmlInit_v2(); }
  int SystemGetDriverVersion(std::string* version) override {
    char buf[96] = {};  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE is 80
    nvmlReturn_t rc = nvmlSystemGetDriverVersion(buf, sizeof buf - 1);
    if (rc == 0) *version = buf;
    return rc;
  }
  int DeviceGetHandleByPciBusId(const std::string& bus_id, uintptr_t* handle) override {
    nvmlDevice_t device = nullptr;
    nvmlReturn_t rc = nvmlDeviceGetHandleByPciBusId_v2(bus_id.c_str(), &device);
    if (rc == 0) *handle = reinterpret_cast<uintptr_t>(device);
    return rc;
  }
  int DeviceGetMemoryInfo(uintptr_t handle, uint64_t* total, uint64_t* free,
                          uint64_t* used) override {
    nvmlMemory_t m = {};
    nvmlReturn_t rc = nvmlDeviceGetMemoryInfo(reinterpret_cast<nvmlDevice_t>(handle), &m);
    if (rc == 0) *total = m.total, *free = m.free, *used = m.used;
    return rc;
  }
  int DeviceGetPowerManagementLimit(uintptr_t handle, unsigned* milliwatts) override {
    return nvmlDeviceGetPowerManagementLimit(reinterpret_cast<nvmlDevice_t>(handle), milliwatts);
  }
  int Shutdown() override { return nvmlShutdown(); }
  std::string ErrorString(int code) override {
    const char* s = nvmlErrorString ? nvmlErrorString(code) : nullptr;
    return s ? s : "";
  }
};

// ---- OpenVINO C API (openvino/c/*.h): ov_status_e is a C enum.
using ov_status_e = int;
struct ov_core_t;
struct ov_version_t {
  const char* buildNumber;
  const char* description;
};
struct ov_available_devices_t {
  char** devices;
  size_t size;
};

class RealOpenVino : public OpenVinoApi {
 public:
  ov_status_e (*ov_get_openvino_version)(ov_version_t*) = nullptr;
  void (*ov_version_free)(ov_version_t*) = nullptr;
  ov_status_e (*ov_core_create)(ov_core_t**) = nullptr;
  void (*ov_core_free)(ov_core_t*) = nullptr;
  ov_status_e (*ov_core_get_available_devices)(const ov_core_t*, ov_available_devices_t*) = nullptr;
  void (*ov_available_devices_free)(ov_available_devices_t*) = nullptr;
  ov_status_e (*ov_core_get_property)(const ov_core_t*, const char*, const char*, char**) = nullptr;
  void (*ov_free)(const char*) = nullptr;
  const char* (*ov_get_error_info)(ov_status_e) = nullptr;  // optional
  const char* (*ov_get_last_err_msg)() = nullptr;           // optional (2024.0 and later)

  ~RealOpenVino() override {
    if (core_) ov_core_free(core_);
  }
  int GetVersion(std::string* build_number) override {
    ov_version_t v = {};
    ov_status_e rc = ov_get_openvino_version(&v);
    if (rc == 0) {
      *build_number = v.buildNumber ? v.buildNumber : "";
      ov_version_free(&v);
    }
    return rc;
  }
  int CoreCreate() override { return core_ ? 0 : ov_core_create(&core_); }
  int GetAvailableDevices(std::vector<std::string>* devices) override {
    ov_available_devices_t list = {};
    ov_status_e rc = ov_core_get_available_devices(core_, &list);
    if (rc != 0) return rc;
    for (size_t i = 0; i < list.size; ++i) {
      if (list.devices[i]) devices->push_back(list.devices[i]);
    }
    ov_available_devices_free(&list);
    return 0;
  }
  int GetProperty(const std::string& device, const std::string& key, std::string* value) override {
    char* v = nullptr;
    ov_status_e rc = ov_core_get_property(core_, device.c_str(), key.c_str(), &v);
    if (rc == 0 && v) {
      *value = v;
      ov_free(v);
    }
    return rc;
  }
  std::string ErrorInfo(int status) override {
    const char* last = ov_get_last_err_msg ? ov_get_last_err_msg() : nullptr;
    if (last && *last) return last;
    const char* info = ov_get_error_info ? ov_get_error_info(status) : nullptr;
    return info ? info : "";
  }

 private:
  ov_core_t* core_ = nullptr;
};

}  // namespace

Result<std::string> LoadLibrary(const std::vector<std::string>& candidates, bool lazy) {
  std::string error;
  for (const std::string& name : candidates) {
    if (Open({name}, (lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL, &error)) return name;
  }
  return Status::NotFound(error.empty() ? "no library to load" : error);
}

Result<std::unique_ptr<CudaDriverApi>> OpenCudaDriver(const std::string& library) {
  const std::string& lib = library;
  std::string error;
  void* h = Open({lib}, RTLD_NOW | RTLD_LOCAL, &error);
  if (!h) return Status::NotFound(error);
  auto api = std::make_unique<RealCuda>();
  if (!Sym(h, "cuInit", &api->cuInit)) return Missing(lib, "cuInit");
  if (!Sym(h, "cuDriverGetVersion", &api->cuDriverGetVersion))
    return Missing(lib, "cuDriverGetVersion");
  if (!Sym(h, "cuDeviceGetCount", &api->cuDeviceGetCount)) return Missing(lib, "cuDeviceGetCount");
  if (!Sym(h, "cuDeviceGet", &api->cuDeviceGet)) return Missing(lib, "cuDeviceGet");
  if (!Sym(h, "cuDeviceGetName", &api->cuDeviceGetName)) return Missing(lib, "cuDeviceGetName");
  if (!Sym(h, "cuDeviceTotalMem_v2", &api->cuDeviceTotalMem_v2))
    return Missing(lib, "cuDeviceTotalMem_v2");
  if (!Sym(h, "cuDeviceGetAttribute", &api->cuDeviceGetAttribute))
    return Missing(lib, "cuDeviceGetAttribute");
  Sym(h, "cuDeviceGetPCIBusId", &api->cuDeviceGetPCIBusId);
  Sym(h, "cuGetErrorName", &api->cuGetErrorName);
  return std::unique_ptr<CudaDriverApi>(std::move(api));
}

Result<std::unique_ptr<NvmlApi>> OpenNvml() {
  const std::string lib = "libnvidia-ml.so.1";
  std::string error;
  void* h = Open({lib}, RTLD_NOW | RTLD_LOCAL, &error);
  if (!h) return Status::NotFound(error);
  auto api = std::make_unique<RealNvml>();
  if (!Sym(h, "nvmlInit_v2", &api->nvmlInit_v2)) return Missing(lib, "nvmlInit_v2");
  if (!Sym(h, "nvmlSystemGetDriverVersion", &api->nvmlSystemGetDriverVersion))
    return Missing(lib, "nvmlSystemGetDriverVersion");
  if (!Sym(h, "nvmlDeviceGetHandleByPciBusId_v2", &api->nvmlDeviceGetHandleByPciBusId_v2))
    return Missing(lib, "nvmlDeviceGetHandleByPciBusId_v2");
  if (!Sym(h, "nvmlDeviceGetMemoryInfo", &api->nvmlDeviceGetMemoryInfo))
    return Missing(lib, "nvmlDeviceGetMemoryInfo");
  if (!Sym(h, "nvmlDeviceGetPowerManagementLimit", &api->nvmlDeviceGetPowerManagementLimit))
    return Missing(lib, "nvmlDeviceGetPowerManagementLimit");
  if (!Sym(h, "nvmlShutdown", &api->nvmlShutdown)) return Missing(lib, "nvmlShutdown");
  Sym(h, "nvmlErrorString", &api->nvmlErrorString);
  return std::unique_ptr<NvmlApi>(std::move(api));
}

namespace {

// A runtime's "int (*)(int*)" version call, e.g. cudaRuntimeGetVersion.
Result<int> CallVersion(const std::vector<std::string>& candidates, const char* symbol) {
  std::string error;
  void* h = Open(candidates, RTLD_NOW | RTLD_LOCAL, &error);
  if (!h) return Status::NotFound(error);
  int (*fn)(int*) = nullptr;
  if (!Sym(h, symbol, &fn)) return Missing(candidates.front(), symbol);
  int version = 0;
  if (int rc = fn(&version); rc != 0) {
    return Status::Internal(std::string(symbol) + " failed with error " + std::to_string(rc));
  }
  return version;
}

}  // namespace

Result<int> CudaRuntimeVersion(const std::vector<std::string>& candidates) {
  return CallVersion(candidates, "cudaRuntimeGetVersion");
}

Result<int> HipRuntimeVersion() {
  return CallVersion(
      {"libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5", "/opt/rocm/lib/libamdhip64.so"},
      "hipRuntimeGetVersion");
}

Result<std::unique_ptr<OpenVinoApi>> OpenOpenVino(const std::vector<std::string>& candidates) {
  std::string error;
  void* h = Open(candidates, RTLD_NOW | RTLD_LOCAL, &error);
  if (!h) return Status::NotFound(error);
  const std::string lib = "libopenvino_c";
  auto api = std::make_unique<RealOpenVino>();
  if (!Sym(h, "ov_get_openvino_version", &api->ov_get_openvino_version))
    return Missing(lib, "ov_get_openvino_version");
  if (!Sym(h, "ov_version_free", &api->ov_version_free)) return Missing(lib, "ov_version_free");
  if (!Sym(h, "ov_core_create", &api->ov_core_create)) return Missing(lib, "ov_core_create");
  if (!Sym(h, "ov_core_free", &api->ov_core_free)) return Missing(lib, "ov_core_free");
  if (!Sym(h, "ov_core_get_available_devices", &api->ov_core_get_available_devices))
    return Missing(lib, "ov_core_get_available_devices");
  if (!Sym(h, "ov_available_devices_free", &api->ov_available_devices_free))
    return Missing(lib, "ov_available_devices_free");
  if (!Sym(h, "ov_core_get_property", &api->ov_core_get_property))
    return Missing(lib, "ov_core_get_property");
  if (!Sym(h, "ov_free", &api->ov_free)) return Missing(lib, "ov_free");
  Sym(h, "ov_get_error_info", &api->ov_get_error_info);
  Sym(h, "ov_get_last_err_msg", &api->ov_get_last_err_msg);
  return std::unique_ptr<OpenVinoApi>(std::move(api));
}

}  // namespace ipfs_accelerate::hardware::native
