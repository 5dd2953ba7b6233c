#include "hardware/system_view.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/file_util.h"
#include "hardware/native_libraries.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>

#include <set>
#endif

namespace ipfs_accelerate::hardware {

Result<std::string> FileTreeView::ReadFile(const std::string& path) const {
  return ipfs_accelerate::ReadFile(Resolve(path));
}

bool FileTreeView::Exists(const std::string& path) const {
  std::error_code ec;
  return std::filesystem::exists(Resolve(path), ec);
}

std::vector<std::string> FileTreeView::ListDir(const std::string& path) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(Resolve(path), ec), end; !ec && it != end;
       it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

class RealView : public FileTreeView {
 public:
  RealView() : FileTreeView("") {}

  std::string Os() const override {
#if defined(__APPLE__)
    return "macos";
#else
    return "linux";
#endif
  }

  std::string Arch() const override {
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__) || defined(__arm64__)
    return "aarch64";
#else
    utsname u;
    return uname(&u) == 0 ? u.machine : "unknown";
#endif
  }

  std::optional<std::string> Getenv(const std::string& name) const override {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  }

  std::optional<std::string> Sysctl(const std::string& name) const override {
#if defined(__APPLE__)
    size_t size = 0;
    if (sysctlbyname(name.c_str(), nullptr, &size, nullptr, 0) != 0 || size == 0) {
      return std::nullopt;
    }
    std::string buf(size, '\0');
    if (sysctlbyname(name.c_str(), buf.data(), &size, nullptr, 0) != 0) return std::nullopt;
    buf.resize(size);
    static const std::set<std::string> kStrings = {"machdep.cpu.brand_string", "machdep.cpu.vendor",
                                                   "kern.osproductversion", "hw.model",
                                                   "hw.machine"};
    if (kStrings.count(name)) return std::string(buf.c_str());
    if (size == 4) return std::to_string(*reinterpret_cast<const int32_t*>(buf.data()));
    if (size == 8) return std::to_string(*reinterpret_cast<const int64_t*>(buf.data()));
    return std::nullopt;
#else
    return std::nullopt;
#endif
  }

  std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) const override {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) return std::nullopt;
    return CpuidRegs{a, b, c, d};
#else
    return std::nullopt;
#endif
  }

  std::optional<uint64_t> Xcr0() const override {
#if defined(__x86_64__) || defined(__i386__)
    // xgetbv faults unless the OS set CR4.OSXSAVE, which cpuid leaf 1 reports in ECX bit 27.
    auto leaf1 = Cpuid(1, 0);
    if (!leaf1 || !(((*leaf1)[2] >> 27) & 1)) return std::nullopt;
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<uint64_t>(hi) << 32) | lo;
#else
    return std::nullopt;
#endif
  }

  std::optional<int> AffinityCores() const override {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return std::nullopt;
  }

  Result<std::string> LoadLibrary(const std::vector<std::string>& candidates) const override {
    return native::LoadLibrary(candidates, /*lazy=*/true);
  }
  Result<std::unique_ptr<CudaDriverApi>> OpenCudaDriver() const override {
    return native::OpenCudaDriver();
  }
  Result<std::unique_ptr<NvmlApi>> OpenNvml() const override { return native::OpenNvml(); }
  Result<int> CudaRuntimeVersion() const override { return native::CudaRuntimeVersion(); }
  Result<int> HipRuntimeVersion() const override { return native::HipRuntimeVersion(); }

  Result<std::unique_ptr<OpenVinoApi>> OpenOpenVino() const override {
    // The unversioned name (a development install or LD_LIBRARY_PATH), the sonames of recent
    // releases ("libopenvino_c.so.2450" for 2024.5.0), and an install directory.
    std::vector<std::string> names = {"libopenvino_c.so"};
    for (int year = 26; year >= 22; --year) {
      for (int minor = 6; minor >= 0; --minor) {
        names.push_back("libopenvino_c.so." + std::to_string(year) + std::to_string(minor) + "0");
      }
    }
    std::string dir = Getenv("INTEL_OPENVINO_DIR").value_or("/opt/intel/openvino");
    names.push_back(dir + "/runtime/lib/intel64/libopenvino_c.so");
    return native::OpenOpenVino(names);
  }

  Result<std::vector<MetalDevice>> MetalDevices() const override { return native::MetalDevices(); }
};

}  // namespace

std::unique_ptr<SystemView> RealSystemView() { return std::make_unique<RealView>(); }

}  // namespace ipfs_accelerate::hardware
