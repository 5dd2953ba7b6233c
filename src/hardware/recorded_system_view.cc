#include "hardware/recorded_system_view.h"

#include <cstdio>
#include <optional>

#include "core/file_util.h"
#include "core/json_util.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

// Lenient readers: a malformed recording reads as absent, never throws.
const json& At(const json& j, const std::string& key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
const json& At(const json& j, size_t i) {
  static const json kNull;
  return j.is_array() && i < j.size() ? j[i] : kNull;
}
int64_t Int(const json& j, int64_t fallback = 0) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number()) return static_cast<int64_t>(j.get<double>());
  return fallback;
}
std::string Str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return DumpJson(j);
  return "";
}
bool Bool(const json& j) { return j.is_boolean() ? j.get<bool>() : Int(j) != 0; }

// The error code `call` returns instead of succeeding, or 0.
int Failure(const json& section, const std::string& call) {
  return static_cast<int>(Int(At(At(section, "calls"), call)));
}

Status NotLoadable(const json& section, const std::string& library) {
  std::string error = Str(At(section, "load_error"));
  return Status::NotFound(
      error.empty() ? library + ": cannot open shared object file: No such file or directory"
                    : error);
}

constexpr int kCudaNotInitialized = 3, kCudaInvalidDevice = 101, kCudaInvalidValue = 1;

class RecordedCuda : public CudaDriverApi {
 public:
  explicit RecordedCuda(json a) : a_(std::move(a)) {}
  int Init() override {
    int rc = Failure(a_, "cuInit");
    initialized_ = rc == 0;
    return rc;
  }
  int DriverGetVersion(int* version) override {
    if (int rc = Failure(a_, "cuDriverGetVersion")) return rc;
    *version = static_cast<int>(Int(At(a_, "driver_version")));
    return 0;
  }
  int DeviceGetCount(int* count) override {
    if (int rc = Check("cuDeviceGetCount")) return rc;
    *count = static_cast<int>(Devices().size());
    return 0;
  }
  int DeviceGet(int* device, int ordinal) override {
    if (int rc = Check("cuDeviceGet", ordinal)) return rc;
    *device = ordinal;
    return 0;
  }
  int DeviceGetName(std::string* name, int device) override {
    if (int rc = Check("cuDeviceGetName", device)) return rc;
    *name = Str(At(Device(device), "name"));
    return 0;
  }
  int DeviceTotalMem(uint64_t* bytes, int device) override {
    if (int rc = Check("cuDeviceTotalMem_v2", device)) return rc;
    *bytes = static_cast<uint64_t>(Int(At(Device(device), "total_mem")));
    return 0;
  }
  int DeviceGetAttribute(int* value, int attribute, int device) override {
    if (int rc = Check("cuDeviceGetAttribute", device)) return rc;
    const json& v = At(At(Device(device), "attributes"), std::to_string(attribute));
    if (!v.is_number()) return kCudaInvalidValue;
    *value = static_cast<int>(Int(v));
    return 0;
  }
  int DeviceGetPciBusId(std::string* bus_id, int device) override {
    if (int rc = Check("cuDeviceGetPCIBusId", device)) return rc;
    *bus_id = Str(At(Device(device), "pci_bus_id"));
    return bus_id->empty() ? kCudaInvalidValue : 0;
  }
  std::string ErrorName(int code) override {
    return Str(At(At(a_, "error_names"), std::to_string(code)));
  }

 private:
  const json& Devices() const {
    static const json kNone = json::array();
    const json& d = At(a_, "devices");
    return d.is_array() ? d : kNone;
  }
  const json& Device(int i) const { return At(Devices(), static_cast<size_t>(i)); }
  // Like the driver: calls before a successful cuInit fail; unknown devices are invalid.
  int Check(const std::string& call, std::optional<int> device = std::nullopt) const {
    if (!initialized_) return kCudaNotInitialized;
    if (int rc = Failure(a_, call)) return rc;
    if (device && (*device < 0 || static_cast<size_t>(*device) >= Devices().size())) {
      return kCudaInvalidDevice;
    }
    return 0;
  }
  json a_;
  bool initialized_ = false;
};

constexpr int kNvmlUninitialized = 1, kNvmlNotFound = 6, kNvmlInvalidArgument = 2;

class RecordedNvml : public NvmlApi {
 public:
  explicit RecordedNvml(json a) : a_(std::move(a)) {
    for (const auto& [bus_id, device] : At(a_, "devices").items()) bus_ids_.push_back(bus_id);
  }
  int Init() override {
    int rc = Failure(a_, "nvmlInit_v2");
    initialized_ = rc == 0;
    return rc;
  }
  int SystemGetDriverVersion(std::string* version) override {
    if (int rc = Check("nvmlSystemGetDriverVersion")) return rc;
    *version = Str(At(a_, "driver_version"));
    return 0;
  }
  int DeviceGetHandleByPciBusId(const std::string& bus_id, uintptr_t* handle) override {
    if (int rc = Check("nvmlDeviceGetHandleByPciBusId_v2")) return rc;
    for (size_t i = 0; i < bus_ids_.size(); ++i) {
      if (bus_ids_[i] == bus_id) {
        *handle = i + 1;
        return 0;
      }
    }
    return kNvmlNotFound;
  }
  int DeviceGetMemoryInfo(uintptr_t handle, uint64_t* total, uint64_t* free,
                          uint64_t* used) override {
    if (int rc = Check("nvmlDeviceGetMemoryInfo", handle)) return rc;
    const json& m = At(Device(handle), "memory");
    *total = Int(At(m, "total")), *free = Int(At(m, "free")), *used = Int(At(m, "used"));
    return 0;
  }
  int DeviceGetPowerManagementLimit(uintptr_t handle, unsigned* milliwatts) override {
    if (int rc = Check("nvmlDeviceGetPowerManagementLimit", handle)) return rc;
    *milliwatts = static_cast<unsigned>(Int(At(Device(handle), "power_limit_mw")));
    return 0;
  }
  int Shutdown() override {
    initialized_ = false;
    return Failure(a_, "nvmlShutdown");
  }
  std::string ErrorString(int code) override {
    return Str(At(At(a_, "error_strings"), std::to_string(code)));
  }

 private:
  const json& Device(uintptr_t handle) const { return At(At(a_, "devices"), bus_ids_[handle - 1]); }
  int Check(const std::string& call, uintptr_t handle = 1) const {
    if (!initialized_) return kNvmlUninitialized;
    if (int rc = Failure(a_, call)) return rc;
    if (handle < 1 || handle > bus_ids_.size()) return kNvmlInvalidArgument;
    return 0;
  }
  json a_;
  std::vector<std::string> bus_ids_;
  bool initialized_ = false;
};

constexpr int kOvGeneralError = -1;

class RecordedOpenVino : public OpenVinoApi {
 public:
  explicit RecordedOpenVino(json a) : a_(std::move(a)) {}
  int GetVersion(std::string* build_number) override {
    if (int rc = Failure(a_, "ov_get_openvino_version")) return rc;
    *build_number = Str(At(a_, "build_number"));
    return 0;
  }
  int CoreCreate() override {
    int rc = Failure(a_, "ov_core_create");
    core_ = rc == 0;
    return rc;
  }
  int GetAvailableDevices(std::vector<std::string>* devices) override {
    if (!core_) return kOvGeneralError;
    if (int rc = Failure(a_, "ov_core_get_available_devices")) return rc;
    for (const json& d : At(a_, "devices")) devices->push_back(Str(d));
    return 0;
  }
  int GetProperty(const std::string& device, const std::string& key, std::string* value) override {
    if (!core_) return kOvGeneralError;
    if (int rc = Failure(a_, "ov_core_get_property")) return rc;
    const json& v = At(At(At(a_, "properties"), device), key);
    if (!v.is_string()) return kOvGeneralError;
    *value = v.get<std::string>();
    return 0;
  }
  std::string ErrorInfo(int status) override {
    return Str(At(At(a_, "error_info"), std::to_string(status)));
  }

 private:
  json a_;
  bool core_ = false;
};

Result<int> RecordedVersion(const json& section, const std::string& library) {
  if (section.is_null()) return NotLoadable(section, library);
  if (std::string error = Str(At(section, "error")); !error.empty()) {
    return Status::Internal(error);
  }
  return static_cast<int>(Int(At(section, "runtime_version")));
}

}  // namespace

Result<std::unique_ptr<RecordedSystemView>> RecordedSystemView::Load(const std::string& dir) {
  const std::string path = dir + "/answers.json";
  IA_ASSIGN_OR_RETURN(std::string text, ipfs_accelerate::ReadFile(path));
  auto answers = ParseJson(text, path);
  if (!answers.ok()) return Status::Corruption(answers.status().message());
  if (!answers->is_object()) return Status::Corruption(path + ": not a JSON object");
  return std::make_unique<RecordedSystemView>(dir + "/root", std::move(answers).value());
}

std::string RecordedSystemView::Os() const {
  std::string os = Str(At(answers_, "os"));
  return os.empty() ? "linux" : os;
}

std::string RecordedSystemView::Arch() const {
  std::string arch = Str(At(answers_, "arch"));
  return arch.empty() ? "x86_64" : arch;
}

std::optional<std::string> RecordedSystemView::Getenv(const std::string& name) const {
  const json& v = At(At(answers_, "env"), name);
  return v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt;
}

std::optional<std::string> RecordedSystemView::Sysctl(const std::string& name) const {
  const json& v = At(At(answers_, "sysctl"), name);
  return v.is_string() || v.is_number() ? std::optional<std::string>(Str(v)) : std::nullopt;
}

std::optional<CpuidRegs> RecordedSystemView::Cpuid(uint32_t leaf, uint32_t subleaf) const {
  char key[32];
  std::snprintf(key, sizeof key, "%x.%x", leaf, subleaf);
  const json& regs = At(At(answers_, "cpuid"), key);
  if (!regs.is_array() || regs.size() != 4) return std::nullopt;
  CpuidRegs out;
  for (size_t i = 0; i < 4; ++i) out[i] = static_cast<uint32_t>(Int(regs[i]));
  return out;
}

std::optional<uint64_t> RecordedSystemView::Xcr0() const {
  const json& v = At(answers_, "xcr0");
  return v.is_number() ? std::optional<uint64_t>(Int(v)) : std::nullopt;
}

std::optional<int> RecordedSystemView::AffinityCores() const {
  const json& v = At(answers_, "affinity_cores");
  return v.is_number() ? std::optional<int>(static_cast<int>(Int(v))) : std::nullopt;
}

Result<std::string> RecordedSystemView::LoadLibrary(
    const std::vector<std::string>& candidates) const {
  for (const std::string& name : candidates) {
    if (Bool(At(At(answers_, "libraries"), name))) return name;
  }
  return Status::NotFound((candidates.empty() ? std::string("library") : candidates.front()) +
                          ": cannot open shared object file: No such file or directory");
}

Result<std::unique_ptr<CudaDriverApi>> RecordedSystemView::OpenCudaDriver() const {
  const json& a = At(answers_, "cuda");
  if (a.is_null() || a.contains("load_error")) return NotLoadable(a, "libcuda.so.1");
  return std::unique_ptr<CudaDriverApi>(std::make_unique<RecordedCuda>(a));
}

Result<std::unique_ptr<NvmlApi>> RecordedSystemView::OpenNvml() const {
  const json& a = At(answers_, "nvml");
  if (a.is_null() || a.contains("load_error")) return NotLoadable(a, "libnvidia-ml.so.1");
  return std::unique_ptr<NvmlApi>(std::make_unique<RecordedNvml>(a));
}

Result<int> RecordedSystemView::CudaRuntimeVersion() const {
  return RecordedVersion(At(answers_, "cudart"), "libcudart.so.13");
}

Result<int> RecordedSystemView::HipRuntimeVersion() const {
  return RecordedVersion(At(answers_, "hip"), "libamdhip64.so");
}

Result<std::unique_ptr<OpenVinoApi>> RecordedSystemView::OpenOpenVino() const {
  const json& a = At(answers_, "openvino");
  if (a.is_null() || a.contains("load_error")) return NotLoadable(a, "libopenvino_c.so");
  return std::unique_ptr<OpenVinoApi>(std::make_unique<RecordedOpenVino>(a));
}

Result<std::vector<MetalDevice>> RecordedSystemView::MetalDevices() const {
  if (Os() != "macos") return Status::Unsupported("Metal exists only on macOS");
  const json& a = At(answers_, "metal");
  if (std::string error = Str(At(a, "error")); !error.empty()) return Status::NotFound(error);
  std::vector<MetalDevice> out;
  for (const json& d : At(a, "devices")) {
    MetalDevice m;
    m.name = Str(At(d, "name"));
    m.unified_memory = Bool(At(d, "unified_memory"));
    m.recommended_max_working_set_bytes = Int(At(d, "recommended_max_working_set_bytes"));
    for (const json& f : At(d, "families")) m.families.push_back(Str(f));
    m.supports_mps = Bool(At(d, "supports_mps"));
    m.low_power = Bool(At(d, "low_power"));
    m.removable = Bool(At(d, "removable"));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace ipfs_accelerate::hardware
