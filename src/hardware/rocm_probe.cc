// The ROCm probe: the amdgpu kernel driver's KFD device and topology in sysfs, and the HIP
// runtime's version.
#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

constexpr const char* kNodes = "/sys/class/kfd/kfd/topology/nodes";

// "key value" lines of a KFD properties file; lines that do not parse are skipped.
std::map<std::string, int64_t> ParseProperties(const std::string& text) {
  std::map<std::string, int64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value, extra;
    if (!(words >> key >> value) || (words >> extra)) continue;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc() && end == value.data() + value.size()) out[key] = v;
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// 60032830 -> "6.0.32830" (HIP_VERSION = major * 10^7 + minor * 10^5 + patch).
std::string HipVersion(int v) {
  return std::to_string(v / 10000000) + "." + std::to_string((v / 100000) % 100) + "." +
         std::to_string(v % 100000);
}

}  // namespace

// 90010 -> "gfx90a": major * 10000 + minor * 100 + stepping, stepping written in hex.
std::string GfxTargetName(int64_t gfx_target_version) {
  if (gfx_target_version <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "gfx%lld%lld%llx",
                static_cast<long long>(gfx_target_version / 10000),
                static_cast<long long>((gfx_target_version / 100) % 100),
                static_cast<long long>(gfx_target_version % 100));
  return buf;
}

PlatformInfo ProbeRocm(const SystemView& view) {
  PlatformInfo p;
  p.name = "rocm";
  if (!view.Exists("/dev/kfd")) {
    p.reason = "/dev/kfd not found (no amdgpu kernel driver)";
    return p;
  }
  json gpus = json::array();
  std::vector<std::string> notes;
  std::vector<std::string> nodes = view.ListDir(kNodes);
  std::stable_sort(nodes.begin(), nodes.end(), [](const std::string& a, const std::string& b) {
    return a.size() < b.size();  // "2" before "10"; equal lengths stay in name order
  });
  for (const std::string& node : nodes) {
    const std::string dir = std::string(kNodes) + "/" + node;
    auto text = view.ReadFile(dir + "/properties");
    if (!text.ok()) {
      notes.push_back("cannot read " + dir + "/properties");
      continue;
    }
    auto props = ParseProperties(*text);
    if (props["simd_count"] <= 0) continue;  // a CPU node
    auto name = view.ReadFile(dir + "/name");
    int64_t memory = 0;
    for (const std::string& bank : view.ListDir(dir + "/mem_banks")) {
      auto bank_text = view.ReadFile(dir + "/mem_banks/" + bank + "/properties");
      if (bank_text.ok())
        memory += std::max<int64_t>(0, ParseProperties(*bank_text)["size_in_bytes"]);
    }
    const int64_t simd_per_cu = props["simd_per_cu"];
    const std::string gfx = GfxTargetName(props["gfx_target_version"]);
    json gpu = {
        {"node", node},
        {"name", name.ok() ? Trim(*name) : ""},
        {"gfx_target", gfx.empty() ? json() : json(gfx)},
        {"compute_units", simd_per_cu > 0 ? json(props["simd_count"] / simd_per_cu) : json()},
        {"memory_bytes", memory},
        {"clock_mhz",
         props.count("max_engine_clk_fcompute") ? json(props["max_engine_clk_fcompute"]) : json()},
        {"vendor_id", props["vendor_id"]},
        {"device_id", props["device_id"]}};
    // The marketing name, where the driver read it from the board ("AMD Instinct MI210").
    if (props.count("drm_render_minor")) {
      auto product =
          view.ReadFile("/sys/class/drm/renderD" + std::to_string(props["drm_render_minor"]) +
                        "/device/product_name");
      if (product.ok() && !Trim(*product).empty()) gpu["product_name"] = Trim(*product);
    }
    gpus.push_back(std::move(gpu));
  }
  p.capabilities["gpus"] = gpus;
  if (!notes.empty()) p.capabilities["notes"] = notes;
  auto hip = view.HipRuntimeVersion();
  p.capabilities["hip_version"] = hip.ok() ? json(HipVersion(*hip)) : json();
  if (gpus.empty()) {
    p.reason = "no GPU nodes in KFD topology (" + std::string(kNodes) + ")";
    return p;
  }
  p.available = true;
  return p;
}

}  // namespace ipfs_accelerate::hardware
