// The 8 platforms a model can run on, whether each is usable here, and in which order to try them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "hardware/system_view.h"

namespace ipfs_accelerate::hardware {

// What one probe found.
struct PlatformInfo {
  std::string name;        // "cpu", "cuda", ...
  bool available = false;  // usable for inference on this machine
  std::string reason;      // why not, when unavailable; empty when available
  int64_t priority = 0;    // from the configuration key priorities.<name>
  nlohmann::json capabilities = nlohmann::json::object();
};

// Every platform, in PlatformNames() order.
struct HardwareReport {
  std::vector<PlatformInfo> platforms;
  // The platform named `name`, or null.
  const PlatformInfo* Find(const std::string& name) const;
};

// cpu cuda rocm mps openvino qualcomm webnn webgpu: the order probes run and reports list.
const std::vector<std::string>& PlatformNames();

// Runs every probe against `view`, with priorities (and browser.path) from `config`.
HardwareReport DetectHardware(const SystemView& view, const Config& config);

// {"cpu": {"available", "reason", "priority", ...capabilities}, "cuda": {...}, ...}.
nlohmann::json ToJson(const HardwareReport& report);

// 16 hex digits naming the hardware: sha256 over facts that stay put (CPU vendor, model, cores and
// flags; memory in whole GiB; GPU names and memory), not over free memory or driver versions.
std::string HardwareFingerprint(const HardwareReport& report);

// The available platforms, highest priority first (ties keep PlatformNames() order).
std::vector<PlatformInfo> AvailableByPriority(const HardwareReport& report);

// Every platform, highest priority first (ties keep PlatformNames() order).
std::vector<PlatformInfo> ByPriority(const HardwareReport& report);

// One line for people: the capabilities in brief when available, else the reason.
std::string Summary(const PlatformInfo& platform);

// The probes, one per platform. Each fills name, available, reason and capabilities (priority is
// DetectHardware's job) and turns every failure into a reason; none of them throws or aborts.
PlatformInfo ProbeCpu(const SystemView& view);
PlatformInfo ProbeCuda(const SystemView& view);
PlatformInfo ProbeRocm(const SystemView& view);
PlatformInfo ProbeMps(const SystemView& view);
PlatformInfo ProbeOpenVino(const SystemView& view);
PlatformInfo ProbeQualcomm(const SystemView& view);
// webnn or webgpu (`platform`), through the browser at `browser_path` ("" when none configured).
PlatformInfo ProbeBrowser(const SystemView& view, const std::string& platform,
                          const std::string& browser_path);

// Fills the webgpu and webnn entries of `report` from a real browser probe: `caps`, the
// capabilities the worker page reported (web/PROTOCOL.md's hello), or null with `error` saying why
// the probe failed. A WebGPU adapter that is a software fallback (SwiftShader) is not available
// (it runs, for correctness only, when asked for by name); WebNN is available when createContext
// succeeds for some device type.
void ApplyBrowserProbe(HardwareReport& report, const std::string& browser_path,
                       const nlohmann::json* caps, const std::string& error);

// The LLVM target of an AMD GPU from its KFD gfx_target_version: 90010 -> "gfx90a".
std::string GfxTargetName(int64_t gfx_target_version);

}  // namespace ipfs_accelerate::hardware
