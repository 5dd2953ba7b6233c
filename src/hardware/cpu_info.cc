// The CPU probe: /proc/cpuinfo, /proc/meminfo and sysfs on Linux, sysctl on macOS, cpuid on x86.
#include "hardware/cpu_info.h"

#include <charconv>
#include <set>

#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {
namespace {

using Block = std::map<std::string, std::string>;

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// "key : value" lines, one block per processor (blocks end at blank lines).
std::vector<Block> ParseBlocks(std::string_view text) {
  std::vector<Block> blocks(1);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (TrimView(line).empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key(TrimView(line.substr(0, colon)));
    if (!blocks.back().count(key)) blocks.back()[key] = TrimView(line.substr(colon + 1));
  }
  if (blocks.back().empty()) blocks.pop_back();
  return blocks;
}

std::optional<int64_t> ToInt(std::string_view s) {
  s = TrimView(s);
  int64_t v = 0;
  int base = 10;
  if (s.starts_with("0x")) s.remove_prefix(2), base = 16;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string ArmImplementer(int64_t code) {
  switch (code) {
    case 0x41:
      return "ARM";
    case 0x42:
      return "Broadcom";
    case 0x43:
      return "Cavium";
    case 0x48:
      return "HiSilicon";
    case 0x4e:
      return "NVIDIA";
    case 0x51:
      return "Qualcomm";
    case 0x61:
      return "Apple";
    case 0xc0:
      return "Ampere";
  }
  return "";
}

// Arm Ltd. core designs by "CPU part".
std::string ArmCoreName(int64_t part) {
  static const std::map<int64_t, const char*> kParts = {
      {0xd03, "Cortex-A53"},  {0xd04, "Cortex-A35"},  {0xd05, "Cortex-A55"},  {0xd07, "Cortex-A57"},
      {0xd08, "Cortex-A72"},  {0xd09, "Cortex-A73"},  {0xd0a, "Cortex-A75"},  {0xd0b, "Cortex-A76"},
      {0xd0c, "Neoverse-N1"}, {0xd0d, "Cortex-A77"},  {0xd40, "Neoverse-V1"}, {0xd41, "Cortex-A78"},
      {0xd44, "Cortex-X1"},   {0xd46, "Cortex-A510"}, {0xd47, "Cortex-A710"}, {0xd48, "Cortex-X2"},
      {0xd49, "Neoverse-N2"}, {0xd4b, "Cortex-A78C"}, {0xd4d, "Cortex-A715"}, {0xd4e, "Cortex-X3"},
      {0xd4f, "Neoverse-V2"}, {0xd80, "Cortex-A520"}, {0xd81, "Cortex-A720"}, {0xd82, "Cortex-X4"},
      {0xd84, "Neoverse-V3"}, {0xd8e, "Neoverse-N3"}};
  auto it = kParts.find(part);
  return it == kParts.end() ? "" : it->second;
}

// "ARM Cortex-A76 + Cortex-A55" from the implementer and the distinct parts, in order.
std::string ArmModelName(const std::vector<Block>& processors, std::string* vendor) {
  std::vector<std::string> names;
  for (const Block& p : processors) {
    auto impl_it = p.find("CPU implementer"), part_it = p.find("CPU part");
    if (impl_it == p.end() || part_it == p.end()) continue;
    const int64_t impl = ToInt(impl_it->second).value_or(-1);
    const int64_t part = ToInt(part_it->second).value_or(-1);
    if (impl < 0 || part < 0) continue;
    if (vendor->empty()) *vendor = ArmImplementer(impl);
    std::string core = impl == 0x41 ? ArmCoreName(part) : "";
    if (core.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "part 0x%llx", static_cast<unsigned long long>(part));
      core = buf;
    }
    if (std::find(names.begin(), names.end(), core) == names.end()) names.push_back(core);
  }
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " + ") + n;
  if (!out.empty() && !vendor->empty()) out = *vendor + " " + out;
  return out;
}

// A MemTotal-style line of /proc/meminfo ("MemTotal:  24684092 kB") in bytes.
std::optional<int64_t> MeminfoBytes(std::string_view meminfo, std::string_view key) {
  for (const Block& b : ParseBlocks(meminfo)) {
    auto it = b.find(std::string(key));
    if (it == b.end()) continue;
    std::string_view v = it->second;
    int64_t unit = 1;
    if (v.ends_with(" kB")) v.remove_suffix(3), unit = 1024;
    auto n = ToInt(v);
    if (!n || *n < 0) return std::nullopt;
    return *n * unit;
  }
  return std::nullopt;
}

void ReadCaches(const SystemView& view, CpuInfo& c) {
  const std::string dir = "/sys/devices/system/cpu/cpu0/cache";
  for (const std::string& index : view.ListDir(dir)) {
    if (!index.starts_with("index")) continue;
    auto level = view.ReadFile(dir + "/" + index + "/level");
    auto type = view.ReadFile(dir + "/" + index + "/type");
    auto size = view.ReadFile(dir + "/" + index + "/size");
    // A plain integer, 0 when unreadable: GCC 12 at -O2 -fPIC warns that an optional<int64_t>
    // here "may be used uninitialized" (a false positive that -Werror turns into an error).
    const int64_t lv = level.ok() ? ToInt(*level).value_or(0) : 0;
    auto bytes = size.ok() ? ParseCacheSize(*size) : std::nullopt;
    if (!bytes || !type.ok() || lv < 1 || lv > 4) {
      c.notes.push_back("cannot read the cache description in " + dir + "/" + index);
      continue;
    }
    std::string t(TrimView(*type));
    std::string name = "l" + std::to_string(lv);
    if (lv == 1 && t == "Data") name = "l1d";
    if (lv == 1 && t == "Instruction") name = "l1i";
    c.caches[name] = *bytes;
  }
}

void ReadLinux(const SystemView& view, CpuInfo& c) {
  std::vector<Block> processors;
  std::string cpuinfo;
  if (auto text = view.ReadFile("/proc/cpuinfo"); text.ok()) {
    cpuinfo = *text;
    for (Block& b : ParseBlocks(cpuinfo)) {
      if (b.count("processor")) {
        processors.push_back(std::move(b));
      } else if (b.count("Model")) {
        c.board = b["Model"];
      }
    }
  } else {
    c.notes.push_back(text.status().message());
  }
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> sockets;
  for (const Block& p : processors) {
    if (c.vendor.empty() && p.count("vendor_id")) c.vendor = p.at("vendor_id");
    if (c.model_name.empty() && p.count("model name")) c.model_name = p.at("model name");
    if (p.count("Model")) c.board = p.at("Model");
    if (p.count("physical id") && p.count("core id")) {
      cores.insert({p.at("physical id"), p.at("core id")});
      sockets.insert(p.at("physical id"));
    }
  }
  std::string arm_model = ArmModelName(processors, &c.vendor);
  if (c.model_name.empty()) c.model_name = arm_model;
  if (c.model_name.empty()) c.model_name = ParseCpuModelName(cpuinfo);

  // Logical CPUs: /proc/cpuinfo, else the online list, else the cpuN directories.
  std::vector<int> cpus;
  if (auto online = view.ReadFile("/sys/devices/system/cpu/online"); online.ok()) {
    if (auto list = ParseCpuList(*online)) cpus = *list;
  }
  if (cpus.empty()) {
    for (const std::string& name : view.ListDir("/sys/devices/system/cpu")) {
      if (name.size() > 3 && name.starts_with("cpu") && ToInt(name.substr(3))) {
        cpus.push_back(static_cast<int>(*ToInt(name.substr(3))));
      }
    }
  }
  c.logical_cores =
      !processors.empty() ? static_cast<int>(processors.size()) : static_cast<int>(cpus.size());
  if (c.logical_cores == 0) {
    c.notes.push_back("cannot count the CPUs (/proc/cpuinfo and /sys/devices/system/cpu)");
    c.logical_cores = 1;
  }

  // Physical cores: (physical id, core id) pairs, else sysfs sibling sets, else logical CPUs.
  c.physical_cores = static_cast<int>(cores.size());
  c.sockets = static_cast<int>(sockets.size());
  if (c.physical_cores == 0) {
    std::set<std::string> siblings, packages;
    for (int cpu : cpus) {
      std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
      auto set = view.ReadFile(topo + "core_cpus_list");
      if (!set.ok()) set = view.ReadFile(topo + "thread_siblings_list");
      if (set.ok() && ParseCpuList(*set)) siblings.insert(std::string(TrimView(*set)));
      auto pkg = view.ReadFile(topo + "physical_package_id");
      if (pkg.ok() && ToInt(*pkg) && *ToInt(*pkg) >= 0)
        packages.insert(std::string(TrimView(*pkg)));
    }
    c.physical_cores = static_cast<int>(siblings.size());
    if (c.sockets == 0) c.sockets = static_cast<int>(packages.size());
  }
  if (c.physical_cores == 0 || c.physical_cores > c.logical_cores) {
    c.physical_cores = c.logical_cores;
  }

  if (auto flags = CpuFlagsFromCpuid(view)) {
    c.flags = *flags;
    c.flags_source = "cpuid";
  } else if (!cpuinfo.empty()) {
    c.flags = CpuFlagsFromCpuinfo(cpuinfo);
    c.flags_source = "/proc/cpuinfo";
  }
  ReadCaches(view, c);

  if (auto meminfo = view.ReadFile("/proc/meminfo"); meminfo.ok()) {
    c.memory_total_bytes = MeminfoBytes(*meminfo, "MemTotal");
    c.memory_available_bytes = MeminfoBytes(*meminfo, "MemAvailable");
    if (!c.memory_total_bytes) c.notes.push_back("/proc/meminfo has no readable MemTotal line");
  } else {
    c.notes.push_back(meminfo.status().message());
  }

  // Without /sys/devices/system/node the kernel has no NUMA support: one node.
  c.numa_nodes = 1;
  if (auto nodes = view.ReadFile("/sys/devices/system/node/online"); nodes.ok()) {
    auto list = ParseCpuList(*nodes);
    if (list && !list->empty()) {
      c.numa_nodes = static_cast<int>(list->size());
    } else {
      c.notes.push_back("cannot parse /sys/devices/system/node/online: \"" +
                        std::string(TrimView(*nodes)) + "\"");
      c.numa_nodes = 0;
    }
  }
}

std::optional<int64_t> SysctlInt(const SystemView& view, const std::string& name) {
  auto v = view.Sysctl(name);
  return v ? ToInt(*v) : std::nullopt;
}

void ReadMacos(const SystemView& view, CpuInfo& c) {
  c.model_name = view.Sysctl("machdep.cpu.brand_string").value_or("");
  c.vendor =
      c.model_name.starts_with("Apple") ? "Apple" : view.Sysctl("machdep.cpu.vendor").value_or("");
  c.physical_cores = static_cast<int>(SysctlInt(view, "hw.physicalcpu").value_or(0));
  c.logical_cores = static_cast<int>(SysctlInt(view, "hw.logicalcpu").value_or(0));
  c.sockets = static_cast<int>(SysctlInt(view, "hw.packages").value_or(1));
  if (c.logical_cores <= 0) {
    c.notes.push_back("sysctl hw.logicalcpu is missing");
    c.logical_cores = 1;
  }
  if (c.physical_cores <= 0 || c.physical_cores > c.logical_cores) {
    c.physical_cores = c.logical_cores;
  }
  c.memory_total_bytes = SysctlInt(view, "hw.memsize");
  if (!c.memory_total_bytes) c.notes.push_back("sysctl hw.memsize is missing");
  const std::pair<const char*, const char*> caches[] = {{"hw.l1dcachesize", "l1d"},
                                                        {"hw.l1icachesize", "l1i"},
                                                        {"hw.l2cachesize", "l2"},
                                                        {"hw.l3cachesize", "l3"}};
  for (const auto& [name, key] : caches) {
    if (auto v = SysctlInt(view, name); v && *v > 0) c.caches[key] = *v;
  }
  if (auto flags = CpuFlagsFromCpuid(view)) {  // an Intel Mac
    c.flags = *flags;
    c.flags_source = "cpuid";
  } else {
    // The sysctl names of the extensions, in ArmCpuFlags() spelling.
    const std::pair<const char*, const char*> features[] = {
        {"hw.optional.neon", "asimd"},
        {"hw.optional.arm.FEAT_FP16", "asimdhp"},
        {"hw.optional.arm.FEAT_DotProd", "asimddp"},
        {"hw.optional.arm.FEAT_SHA256", "sha2"},
        {"hw.optional.arm.FEAT_BF16", "bf16"},
        {"hw.optional.arm.FEAT_I8MM", "i8mm"},
        {"hw.optional.arm.FEAT_SME", "sme"}};
    for (const std::string& flag : ArmCpuFlags()) {
      for (const auto& [name, spelled] : features) {
        if (flag == spelled && SysctlInt(view, name).value_or(0) == 1) c.flags.push_back(flag);
      }
    }
    c.flags_source = "sysctl";
  }
  c.numa_nodes = 1;
}

}  // namespace

std::string ParseCpuModelName(std::string_view cpuinfo) {
  std::string fallback;
  for (const Block& b : ParseBlocks(cpuinfo)) {
    if (auto it = b.find("model name"); it != b.end() && !it->second.empty()) return it->second;
    for (const char* key : {"Model", "Hardware"}) {
      auto it = b.find(key);
      if (fallback.empty() && it != b.end()) fallback = it->second;
    }
  }
  return fallback;
}

std::optional<std::vector<int>> ParseCpuList(std::string_view list) {
  list = TrimView(list);
  if (list.empty()) return std::nullopt;
  std::vector<int> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    size_t dash = part.find('-');
    auto lo = ToInt(part.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : ToInt(part.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi - *lo > 65536) return std::nullopt;
    for (int64_t i = *lo; i <= *hi; ++i) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::optional<int64_t> ParseCacheSize(std::string_view size) {
  size = TrimView(size);
  int64_t unit = 1;
  if (size.ends_with("K")) unit = 1024;
  if (size.ends_with("M")) unit = 1024 * 1024;
  if (size.ends_with("G")) unit = int64_t{1024} * 1024 * 1024;
  if (unit != 1) size.remove_suffix(1);
  auto n = ToInt(size);
  if (!n || *n < 0) return std::nullopt;
  return *n * unit;
}

CpuInfo ReadCpuInfo(const SystemView& view) {
  CpuInfo c;
  c.architecture = view.Arch();
  if (view.Os() == "macos") {
    ReadMacos(view, c);
  } else {
    ReadLinux(view, c);
  }
  if (c.model_name.empty()) c.model_name = "unknown CPU";
  c.usable_cores = view.AffinityCores().value_or(c.logical_cores);
  return c;
}

CpuInfo DetectCpu() { return ReadCpuInfo(*RealSystemView()); }

nlohmann::json CpuInfoToJson(const CpuInfo& c) {
  nlohmann::json caches = nlohmann::json::object();
  for (const auto& [name, bytes] : c.caches) caches[name + "_bytes"] = bytes;
  auto optional = [](const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json j = {{"vendor", c.vendor},
                      {"model", c.model_name},
                      {"architecture", c.architecture},
                      {"sockets", c.sockets},
                      {"physical_cores", c.physical_cores},
                      {"logical_cores", c.logical_cores},
                      {"usable_cores", c.usable_cores},
                      {"flags", c.flags},
                      {"flags_source", c.flags_source},
                      {"caches", caches},
                      {"memory_total_bytes", optional(c.memory_total_bytes)},
                      {"memory_available_bytes", optional(c.memory_available_bytes)},
                      {"numa_nodes", c.numa_nodes}};
  if (!c.board.empty()) j["board"] = c.board;
  if (!c.notes.empty()) j["notes"] = c.notes;
  return j;
}

PlatformInfo ProbeCpu(const SystemView& view) {
  PlatformInfo p;
  p.name = "cpu";
  p.available = true;  // this code runs on it
  p.capabilities = CpuInfoToJson(ReadCpuInfo(view));
  return p;
}

}  // namespace ipfs_accelerate::hardware
