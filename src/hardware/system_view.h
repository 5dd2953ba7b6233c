// How the hardware probes see the machine: files under /proc, /sys and /dev, sysctl (macOS),
// cpuid, environment variables and vendor libraries. The real view reads "/" and loads libraries;
// a recorded view (recorded_system_view.h) answers from a fixture directory, so tests run the same
// probe logic on machines we do not have.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/native_apis.h"

namespace ipfs_accelerate::hardware {

// EAX, EBX, ECX, EDX of one cpuid leaf.
using CpuidRegs = std::array<uint32_t, 4>;

class SystemView {
 public:
  virtual ~SystemView() = default;

  // The whole file at absolute `path`; kNotFound when it does not exist.
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
  // Whether `path` exists (a file, directory or device node).
  virtual bool Exists(const std::string& path) const = 0;
  // The entry names of directory `path`, sorted; empty when it does not exist.
  virtual std::vector<std::string> ListDir(const std::string& path) const = 0;

  // "linux" or "macos".
  virtual std::string Os() const = 0;
  // "x86_64" or "aarch64" (Apple's "arm64" is reported as "aarch64").
  virtual std::string Arch() const = 0;
  // An environment variable of the process.
  virtual std::optional<std::string> Getenv(const std::string& name) const = 0;
  // A sysctl value as text (integers in decimal); nullopt where there is no such sysctl (Linux).
  virtual std::optional<std::string> Sysctl(const std::string& name) const = 0;
  // cpuid(leaf, subleaf); nullopt when not on x86 or when the view has no recording of it.
  virtual std::optional<CpuidRegs> Cpuid(uint32_t leaf, uint32_t subleaf) const = 0;
  // XCR0 (the state components the OS enabled, from xgetbv); nullopt like Cpuid.
  virtual std::optional<uint64_t> Xcr0() const = 0;
  // The CPUs this process may run on (sched_getaffinity); nullopt when unknown.
  virtual std::optional<int> AffinityCores() const = 0;

  // Loads the first of `candidates` (names for the loader's search path, or absolute paths) that
  // loads; returns it, or why none did (the loader's message for the first).
  virtual Result<std::string> LoadLibrary(const std::vector<std::string>& candidates) const = 0;
  // libcuda.so.1, or the loader's message.
  virtual Result<std::unique_ptr<CudaDriverApi>> OpenCudaDriver() const = 0;
  // libnvidia-ml.so.1, or the loader's message.
  virtual Result<std::unique_ptr<NvmlApi>> OpenNvml() const = 0;
  // cudaRuntimeGetVersion of libcudart (12040 for 12.4), or why not.
  virtual Result<int> CudaRuntimeVersion() const = 0;
  // hipRuntimeGetVersion of libamdhip64 (60032830 for 6.0.32830), or why not.
  virtual Result<int> HipRuntimeVersion() const = 0;
  // libopenvino_c, or the loader's message naming what was looked for.
  virtual Result<std::unique_ptr<OpenVinoApi>> OpenOpenVino() const = 0;
  // The Metal devices (macOS), or why there are none to ask.
  virtual Result<std::vector<MetalDevice>> MetalDevices() const = 0;
};

// The machine this process runs on.
std::unique_ptr<SystemView> RealSystemView();

// Reads files below `root` instead of "/": "/proc/cpuinfo" is root + "/proc/cpuinfo". The base of
// the real view and of recorded views; everything but files is left to subclasses.
class FileTreeView : public SystemView {
 public:
  explicit FileTreeView(std::string root) : root_(std::move(root)) {}
  Result<std::string> ReadFile(const std::string& path) const override;
  bool Exists(const std::string& path) const override;
  std::vector<std::string> ListDir(const std::string& path) const override;

 protected:
  std::string Resolve(const std::string& path) const { return root_ + path; }

 private:
  std::string root_;
};

}  // namespace ipfs_accelerate::hardware
