// The probes of the platforms reached through a runtime or a browser: MPS (Metal on macOS),
// OpenVINO, Qualcomm QNN, WebNN and WebGPU.
#include <cstdio>

#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

// "14.4.1" -> {14, 4}; {0, 0} when it does not parse.
std::pair<int, int> MajorMinor(const std::string& version) {
  int major = 0, minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) < 1) return {0, 0};
  return {major, minor};
}

std::string OsDisplayName(const std::string& os) {
  if (os == "linux") return "Linux";
  if (os == "macos") return "macOS";
  return os;
}

}  // namespace

PlatformInfo ProbeMps(const SystemView& view) {
  PlatformInfo p;
  p.name = "mps";
  if (view.Os() != "macos") {
    p.reason = "Metal (MPS) exists only on macOS; this is " + OsDisplayName(view.Os());
    return p;
  }
  const std::string macos = view.Sysctl("kern.osproductversion").value_or("");
  p.capabilities["macos_version"] = macos.empty() ? json() : json(macos);
  auto devices = view.MetalDevices();
  if (!devices.ok()) {
    p.reason = "cannot list the Metal devices: " + devices.status().message();
    return p;
  }
  json list = json::array();
  const MetalDevice* usable = nullptr;
  for (const MetalDevice& d : *devices) {
    list.push_back({{"name", d.name},
                    {"unified_memory", d.unified_memory},
                    {"recommended_max_working_set_bytes", d.recommended_max_working_set_bytes},
                    {"families", d.families},
                    {"supports_mps", d.supports_mps},
                    {"low_power", d.low_power},
                    {"removable", d.removable}});
    if (!usable && d.supports_mps) usable = &d;
  }
  p.capabilities["devices"] = list;
  if (devices->empty()) {
    p.reason = "no Metal device";
    return p;
  }
  if (!usable) {
    p.reason =
        "Metal device " + devices->front().name + " does not support Metal Performance Shaders";
    return p;
  }
  // MPS as inference frameworks use it (MPSGraph with the ops they need) arrived in macOS 12.3.
  auto [major, minor] = MajorMinor(macos);
  if (major != 0 && (major < 12 || (major == 12 && minor < 3))) {
    p.reason = "MPS needs macOS 12.3 or later; this is " + macos;
    return p;
  }
  p.capabilities["device"] = usable->name;
  p.available = true;
  return p;
}

PlatformInfo ProbeOpenVino(const SystemView& view) {
  PlatformInfo p;
  p.name = "openvino";
  auto opened = view.OpenOpenVino();
  if (!opened.ok()) {
    p.reason = opened.status().code() == StatusCode::kNotFound
                   ? "OpenVINO runtime not installed (libopenvino_c.so not found)"
                   : "OpenVINO runtime unusable: " + opened.status().message();
    return p;
  }
  OpenVinoApi& ov = **opened;
  auto error = [&](const std::string& call, int rc) {
    std::string info = ov.ErrorInfo(rc);
    return call + " failed: " + (info.empty() ? "status " + std::to_string(rc) : info);
  };
  std::string build;
  if (ov.GetVersion(&build) == 0 && !build.empty()) {
    p.capabilities["build"] = build;
    p.capabilities["version"] = build.substr(0, build.find('-'));  // "2024.4.0-16579-…"
  } else {
    p.capabilities["version"] = nullptr;
  }
  if (int rc = ov.CoreCreate(); rc != 0) {
    p.reason = error("ov_core_create", rc);
    return p;
  }
  std::vector<std::string> names;
  if (int rc = ov.GetAvailableDevices(&names); rc != 0) {
    p.reason = error("ov_core_get_available_devices", rc);
    return p;
  }
  json devices = json::array();
  for (const std::string& name : names) {
    std::string full;
    bool ok = ov.GetProperty(name, "FULL_DEVICE_NAME", &full) == 0;
    devices.push_back({{"name", name}, {"full_name", ok ? json(full) : json()}});
  }
  p.capabilities["devices"] = devices;
  if (names.empty()) {
    p.reason = "OpenVINO found no device (are its plugins installed beside libopenvino_c?)";
    return p;
  }
  p.available = true;
  return p;
}

PlatformInfo ProbeQualcomm(const SystemView& view) {
  PlatformInfo p;
  p.name = "qualcomm";
  // The loader's search path first, then $QNN_SDK_ROOT/lib/<target>/ for targets of this CPU
  // ("aarch64-oe-linux-gcc11.2", "x86_64-linux-clang", ...).
  std::vector<std::string> dirs;
  if (auto sdk = view.Getenv("QNN_SDK_ROOT"); sdk && !sdk->empty()) {
    for (const std::string& target : view.ListDir(*sdk + "/lib")) {
      if (target.starts_with(view.Arch())) dirs.push_back(*sdk + "/lib/" + target + "/");
    }
  }
  json libraries = json::object();
  bool htp = false;
  for (const char* lib : {"libQnnHtp.so", "libQnnCpu.so", "libQnnSystem.so"}) {
    std::vector<std::string> candidates = {lib};
    for (const std::string& d : dirs) candidates.push_back(d + lib);
    auto loaded = view.LoadLibrary(candidates);
    libraries[lib] = loaded.ok() ? json(*loaded) : json();
    if (std::string(lib) == "libQnnHtp.so") htp = loaded.ok();
  }
  json nodes = json::array();
  bool cdsp = false;
  for (const char* node :
       {"/dev/fastrpc-cdsp", "/dev/fastrpc-adsp", "/dev/adsprpc-smd", "/dev/cdsprpc-smd"}) {
    if (!view.Exists(node)) continue;
    nodes.push_back(node);
    if (std::string(node).find("cdsp") != std::string::npos) cdsp = true;
  }
  p.capabilities["libraries"] = libraries;
  p.capabilities["fastrpc_nodes"] = nodes;
  std::vector<std::string> missing;
  if (!htp) {
    missing.push_back(
        "QNN HTP runtime libQnnHtp.so not found (set QNN_SDK_ROOT or "
        "LD_LIBRARY_PATH)");
  }
  if (!cdsp) {
    missing.push_back(
        "no cDSP FastRPC device node (/dev/fastrpc-cdsp or /dev/cdsprpc-smd): no "
        "Hexagon NPU here");
  }
  for (const std::string& m : missing) p.reason += (p.reason.empty() ? "" : "; ") + m;
  p.available = missing.empty();
  return p;
}

PlatformInfo ProbeBrowser(const SystemView& view, const std::string& platform,
                          const std::string& browser_path) {
  PlatformInfo p;
  p.name = platform;
  p.capabilities["browser"] = browser_path.empty() ? json() : json(browser_path);
  if (browser_path.empty()) {
    p.reason =
        "no browser configured (set browser.path, e.g. --set browser.path=/usr/bin/chromium)";
  } else if (!view.Exists(browser_path)) {
    p.reason = "browser.path " + browser_path + " does not exist";
  } else {
    p.reason =
        "not probed: `ipfs-accelerate hw` launches " + browser_path + " to probe " + platform;
  }
  return p;
}

void ApplyBrowserProbe(HardwareReport& report, const std::string& browser_path,
                       const nlohmann::json* caps, const std::string& error) {
  auto field = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) ? j[key] : json();
  };
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); };
  for (PlatformInfo& p : report.platforms) {
    if (p.name != "webgpu" && p.name != "webnn") continue;
    p.capabilities["browser"] = browser_path;
    if (!caps) {
      p.available = false;
      p.reason = "probing " + browser_path + " failed: " + error;
      continue;
    }
    p.capabilities["user_agent"] = field(*caps, "user_agent");
    const json mine = field(*caps, p.name.c_str());
    const bool says = field(mine, "available").is_boolean() && field(mine, "available").get<bool>();
    std::string why = text(field(mine, "reason"));
    if (p.name == "webgpu") {
      const json adapter = field(mine, "adapter");
      for (const char* k : {"vendor", "architecture", "device", "description"}) {
        if (!text(field(adapter, k)).empty()) p.capabilities[k] = field(adapter, k);
      }
      const bool fallback = field(adapter, "is_fallback_adapter").is_boolean() &&
                            field(adapter, "is_fallback_adapter").get<bool>();
      p.capabilities["is_fallback_adapter"] = fallback;
      if (field(mine, "limits").is_object()) p.capabilities["limits"] = field(mine, "limits");
      p.available = says && !fallback;
      if (says && fallback) {
        p.reason = (why.empty() ? std::string("WebGPU adapter is a software fallback") : why) +
                   " (runs with --hardware webgpu, for correctness; never chosen by auto)";
      } else {
        p.reason = p.available ? "" : (why.empty() ? "the browser has no WebGPU adapter" : why);
      }
    } else {
      p.capabilities["devices"] = field(mine, "devices");
      p.available = says;
      p.reason = p.available ? "" : (why.empty() ? "the browser has no WebNN" : why);
    }
  }
}

}  // namespace ipfs_accelerate::hardware
