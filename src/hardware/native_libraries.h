// The real vendor libraries behind SystemView, loaded at run time with dlopen: no link-time
// dependency and no vendor headers (the few types are declared in native_libraries.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/native_apis.h"

namespace ipfs_accelerate::hardware::native {

// dlopen of the first candidate that loads (with RTLD_LAZY when `lazy`); the candidate, or the
// loader's message for the first one.
Result<std::string> LoadLibrary(const std::vector<std::string>& candidates, bool lazy);

// libcuda.so.1 (never the toolkit's stub libcuda.so, which is not a driver); `library` names
// another file (tests bind the toolkit's stub to check every symbol resolves).
Result<std::unique_ptr<CudaDriverApi>> OpenCudaDriver(const std::string& library = "libcuda.so.1");
// libnvidia-ml.so.1.
Result<std::unique_ptr<NvmlApi>> OpenNvml();
// cudaRuntimeGetVersion from the first of `candidates` that loads.
Result<int> CudaRuntimeVersion(const std::vector<std::string>& candidates = {
                                   "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0",
                                   "libcudart.so"});
// hipRuntimeGetVersion from libamdhip64.so (or /opt/rocm/lib).
Result<int> HipRuntimeVersion();
// libopenvino_c from the first of `candidates` that loads.
Result<std::unique_ptr<OpenVinoApi>> OpenOpenVino(const std::vector<std::string>& candidates);
// The Metal devices (metal_macos.cc); Unsupported elsewhere than macOS.
Result<std::vector<MetalDevice>> MetalDevices();

}  // namespace ipfs_accelerate::hardware::native
