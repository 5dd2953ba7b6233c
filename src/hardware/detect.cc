// Runs the probes, orders the platforms, and names the hardware.
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/json_util.h"
#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

const json& At(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Gib(const json& bytes) {
  if (!bytes.is_number()) return "? GiB";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes.get<double>() / (1024.0 * 1024 * 1024));
  return buf;
}

std::string Text(const json& j) { return j.is_string() ? j.get<std::string>() : DumpJson(j); }

std::string CpuSummary(const json& c) {
  std::string s = Text(At(c, "model")) + ": " + Text(At(c, "physical_cores")) + " cores, " +
                  Text(At(c, "logical_cores")) + " threads, " + Gib(At(c, "memory_total_bytes")) +
                  " memory";
  if (At(c, "numa_nodes").is_number() && At(c, "numa_nodes").get<int>() > 1) {
    s += ", " + Text(At(c, "numa_nodes")) + " NUMA nodes";
  }
  std::string flags;
  for (const json& f : At(c, "flags")) flags += " " + Text(f);
  return flags.empty() ? s : s + ";" + flags;
}

// "2x NVIDIA H100 80GB HBM3 (cc 9.0, 132 SMs, 79.1 GiB)": identical devices counted once.
std::string DeviceList(const json& devices,
                       const std::vector<std::pair<const char*, const char*>>& fields) {
  std::vector<std::pair<std::string, int>> groups;
  for (const json& d : devices) {
    const json& product = At(d, "product_name");
    std::string line = Text(product.is_string() ? product : At(d, "name")) + " (";
    bool first = true;
    for (const auto& [key, label] : fields) {
      const json& v = At(d, key);
      if (v.is_null()) continue;
      std::string value = std::string(key).ends_with("_bytes") ? Gib(v) : Text(v);
      line += (first ? "" : ", ") + std::string(label) + value;
      first = false;
    }
    line += ")";
    if (!groups.empty() && groups.back().first == line) {
      groups.back().second++;
    } else {
      groups.push_back({line, 1});
    }
  }
  std::string out;
  for (const auto& [line, n] : groups) {
    out += (out.empty() ? "" : ", ") + (n > 1 ? std::to_string(n) + "x " : "") + line;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& PlatformNames() {
  static const std::vector<std::string> kNames = {"cpu",      "cuda",     "rocm",  "mps",
                                                  "openvino", "qualcomm", "webnn", "webgpu"};
  return kNames;
}

const PlatformInfo* HardwareReport::Find(const std::string& name) const {
  for (const PlatformInfo& p : platforms) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

HardwareReport DetectHardware(const SystemView& view, const Config& config) {
  HardwareReport r;
  const std::string browser = config.String("browser.path");
  for (const std::string& name : PlatformNames()) {
    PlatformInfo p;
    if (name == "cpu") p = ProbeCpu(view);
    if (name == "cuda") p = ProbeCuda(view);
    if (name == "rocm") p = ProbeRocm(view);
    if (name == "mps") p = ProbeMps(view);
    if (name == "openvino") p = ProbeOpenVino(view);
    if (name == "qualcomm") p = ProbeQualcomm(view);
    if (name == "webnn" || name == "webgpu") p = ProbeBrowser(view, name, browser);
    p.name = name;
    p.priority = config.Int("priorities." + name);
    r.platforms.push_back(std::move(p));
  }
  return r;
}

nlohmann::json ToJson(const HardwareReport& report) {
  json out = json::object();
  for (const PlatformInfo& p : report.platforms) {
    json j = {{"available", p.available}, {"reason", p.reason}, {"priority", p.priority}};
    for (const auto& [key, value] : p.capabilities.items()) j[key] = value;
    out[p.name] = std::move(j);
  }
  return out;
}

std::string HardwareFingerprint(const HardwareReport& report) {
  // Only facts that stay put across boots and driver updates.
  json facts = json::object();
  if (const PlatformInfo* cpu = report.Find("cpu")) {
    const json& c = cpu->capabilities;
    const json& total = At(c, "memory_total_bytes");
    facts["cpu"] = {
        {"vendor", At(c, "vendor")},
        {"model", At(c, "model")},
        {"sockets", At(c, "sockets")},
        {"physical_cores", At(c, "physical_cores")},
        {"logical_cores", At(c, "logical_cores")},
        {"flags", At(c, "flags")},
        {"memory_gib",
         total.is_number() ? json(std::llround(total.get<double>() / (1 << 30))) : json()}};
  }
  auto gpus = [&](const char* platform, const char* list, std::vector<const char*> keys) {
    const PlatformInfo* p = report.Find(platform);
    if (!p) return;
    json out = json::array();
    for (const json& d : At(p->capabilities, list)) {
      json g = json::object();
      for (const char* k : keys) g[k] = At(d, k);
      out.push_back(std::move(g));
    }
    if (!out.empty()) facts[platform] = std::move(out);
  };
  gpus("cuda", "devices", {"name", "memory_bytes", "compute_capability"});
  gpus("rocm", "gpus", {"name", "gfx_target", "memory_bytes"});
  gpus("mps", "devices", {"name"});
  const std::string text = DumpJson(facts);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 15]);
  }
  return hex;
}

std::vector<PlatformInfo> ByPriority(const HardwareReport& report) {
  std::vector<PlatformInfo> out = report.platforms;
  std::stable_sort(out.begin(), out.end(), [](const PlatformInfo& a, const PlatformInfo& b) {
    return a.priority > b.priority;
  });
  return out;
}

std::vector<PlatformInfo> AvailableByPriority(const HardwareReport& report) {
  std::vector<PlatformInfo> out = ByPriority(report);
  std::erase_if(out, [](const PlatformInfo& p) { return !p.available; });
  return out;
}

std::string Summary(const PlatformInfo& p) {
  if (!p.available) return p.reason;
  const json& c = p.capabilities;
  if (p.name == "cpu") return CpuSummary(c);
  if (p.name == "cuda") {
    return DeviceList(At(c, "devices"),
                      {{"compute_capability", "cc "}, {"sms", "SMs "}, {"memory_bytes", ""}}) +
           "; CUDA driver " + Text(At(c, "driver_version"));
  }
  if (p.name == "rocm") {
    return DeviceList(At(c, "gpus"),
                      {{"gfx_target", ""}, {"compute_units", "CUs "}, {"memory_bytes", ""}}) +
           (At(c, "hip_version").is_string() ? "; HIP " + Text(At(c, "hip_version")) : "");
  }
  if (p.name == "mps") {
    return DeviceList(At(c, "devices"), {{"recommended_max_working_set_bytes", "working set "}}) +
           "; macOS " + Text(At(c, "macos_version"));
  }
  if (p.name == "openvino") {
    std::string s = "OpenVINO " + Text(At(c, "version")) + ":";
    for (const json& d : At(c, "devices")) {
      s += " " + Text(At(d, "name"));
      if (At(d, "full_name").is_string()) s += " (" + Text(At(d, "full_name")) + ")";
    }
    return s;
  }
  if (p.name == "qualcomm") {
    return "QNN HTP " + Text(At(At(c, "libraries"), "libQnnHtp.so")) + "; FastRPC " +
           Text(At(c, "fastrpc_nodes"));
  }
  return DumpJson(c);
}

}  // namespace ipfs_accelerate::hardware
