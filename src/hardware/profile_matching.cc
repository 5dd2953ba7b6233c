// Which profile describes each detected device, and a CPU profile estimated from its flags.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "hardware/profiles.h"

namespace ipfs_accelerate::hardware {
namespace {

using json = nlohmann::json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string StringAt(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

double NumberAt(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

bool HasFlag(const json& cpu, const char* flag) {
  if (!cpu.contains("flags") || !cpu["flags"].is_array()) return false;
  for (const json& f : cpu["flags"]) {
    if (f.is_string() && f.get<std::string>() == flag) return true;
  }
  return false;
}

// The names one detected device goes by, most specific first (the board's marketing name before
// the driver's code name: "AMD Instinct MI210" before "aldebaran").
std::vector<std::vector<std::string>> DeviceNames(const HardwareReport& report,
                                                  const PlatformInfo& p) {
  std::vector<std::vector<std::string>> out;
  const json& c = p.capabilities;
  for (const char* list : {"devices", "gpus"}) {
    if (!c.is_object() || !c.contains(list) || !c[list].is_array()) continue;
    for (const json& d : c[list]) {
      std::vector<std::string> names;
      for (const char* key : {"product_name", "full_name", "name"}) {
        std::string n = StringAt(d, key);
        if (!n.empty()) names.push_back(n);
      }
      if (!names.empty()) out.push_back(names);
    }
  }
  // QNN names no device: the SoC is the CPU's ("Qualcomm Technologies, Inc SM8650", or the
  // board's model line).
  if (p.name == "qualcomm" && out.empty()) {
    if (const PlatformInfo* cpu = report.Find("cpu")) {
      std::vector<std::string> names;
      for (const char* key : {"model", "board"}) {
        std::string n = StringAt(cpu->capabilities, key);
        if (!n.empty()) names.push_back(n);
      }
      if (!names.empty()) out.push_back(names);
    }
  }
  return out;
}

}  // namespace

std::vector<DeviceProfile> MatchDeviceProfiles(const HardwareReport& report,
                                               const std::vector<DeviceProfile>& known,
                                               std::vector<std::string>* unmatched) {
  std::vector<DeviceProfile> out;
  for (const PlatformInfo& p : report.platforms) {
    if (!p.available || p.name == "cpu") continue;
    for (const std::vector<std::string>& names : DeviceNames(report, p)) {
      const DeviceProfile* found = nullptr;
      for (const DeviceProfile& profile : known) {
        if (profile.platform != p.name || profile.match.empty()) continue;
        const std::string match = Lower(profile.match);
        for (const std::string& n : names) {
          if (Lower(n).find(match) != std::string::npos) found = &profile;
        }
        if (found) break;
      }
      if (found) {
        out.push_back(*found);
      } else if (unmatched) {
        unmatched->push_back(p.name + ": " + names.front());
      }
    }
  }
  return out;
}

DeviceProfile EstimateCpuProfile(const HardwareReport& report, int threads) {
  static const json kEmpty = json::object();
  const PlatformInfo* cpu_platform = report.Find("cpu");
  const json& cpu = cpu_platform ? cpu_platform->capabilities : kEmpty;
  const std::string vendor = StringAt(cpu, "vendor");
  const std::string model = StringAt(cpu, "model");
  const std::string lower_model = Lower(model);
  const bool server = lower_model.find("xeon") != std::string::npos ||
                      lower_model.find("epyc") != std::string::npos;
  const int physical = static_cast<int>(NumberAt(cpu, "physical_cores"));
  const int logical = static_cast<int>(NumberAt(cpu, "logical_cores"));
  const int usable = static_cast<int>(NumberAt(cpu, "usable_cores"));
  const int all = std::max(1, usable > 0 ? usable : (logical > 0 ? logical : 1));
  const int asked = threads > 0 ? threads : all;
  // Hyper-threads share their core's vector units: count at most one thread per core.
  const int cores = std::max(1, std::min(asked, physical > 0 ? physical : asked));

  // fp32 FLOP per cycle and core, from the widest vector unit the flags show. Assumed: AVX-512
  // parts do 32 per 512-bit FMA unit and Intel server parts (Xeon) have 2 such units, other
  // AVX-512 parts (client Intel, AMD Zen 4) 1; AVX2+FMA cores 2 256-bit FMA units (32); AVX
  // without FMA separate 256-bit add and multiply (16); SSE 8; Apple cores 4 128-bit NEON FMA
  // units (32); other ARM cores 2 (16).
  std::string unit;
  double fp32_per_cycle = 4;
  const bool arm = StringAt(cpu, "architecture") == "aarch64" || HasFlag(cpu, "asimd");
  if (HasFlag(cpu, "avx512f")) {
    const int units = vendor == "GenuineIntel" && server ? 2 : 1;
    fp32_per_cycle = 32.0 * units;
    unit = "avx512f, " + std::to_string(units) + " FMA unit" + (units > 1 ? "s" : "");
  } else if (HasFlag(cpu, "avx2") && HasFlag(cpu, "fma")) {
    fp32_per_cycle = 32;
    unit = "avx2+fma, 2 FMA units";
  } else if (HasFlag(cpu, "avx")) {
    fp32_per_cycle = 16;
    unit = "avx";
  } else if (HasFlag(cpu, "sse4_2")) {
    fp32_per_cycle = 8;
    unit = "sse4_2";
  } else if (arm) {
    fp32_per_cycle = vendor == "Apple" ? 32 : 16;
    unit = vendor == "Apple" ? "neon, 4 FMA units" : "neon, 2 FMA units";
  } else {
    unit = "no known vector flags";
  }
  // bf16 and int8: the matrix units where the flags show them (AMX: 1024 bf16 FLOP and 2048 int8
  // ops per cycle and core), else dot-product instructions (2x fp32 for bf16, 4x for int8), else
  // the arithmetic runs at the fp32 rate (bf16 weights widened) or 2x for int8 (pmaddubsw).
  double fp16_per_cycle = fp32_per_cycle;
  if (HasFlag(cpu, "amx_bf16")) {
    fp16_per_cycle = 1024;
  } else if (HasFlag(cpu, "avx512_bf16") || HasFlag(cpu, "bf16")) {
    fp16_per_cycle = 2 * fp32_per_cycle;
  }
  double int8_per_cycle = 2 * fp32_per_cycle;
  if (HasFlag(cpu, "amx_int8")) {
    int8_per_cycle = 2048;
  } else if (HasFlag(cpu, "avx512_vnni") || HasFlag(cpu, "avx_vnni") || HasFlag(cpu, "asimddp")) {
    int8_per_cycle = 4 * fp32_per_cycle;
  }
  // The clock: the probe's "mhz" when it reports one, else an assumed 2.5 GHz.
  const double mhz = NumberAt(cpu, "mhz");
  const double hz = mhz > 0 ? mhz * 1e6 : 2.5e9;

  // Bandwidth, a guess per memory channel: server parts 8 channels of DDR5-4800 (38.4 GB/s) per
  // socket, Apple's unified memory 100 GB/s (Pro 200, Max 400), other ARM boards one 32-bit
  // LPDDR4 channel (6.4 GB/s), other desktops and laptops 2 channels of DDR4-3200 (25.6 GB/s);
  // and one core streams at most about 10 GB/s.
  const int sockets = std::max(1, static_cast<int>(NumberAt(cpu, "sockets")));
  double channels_bw = 2 * 25.6e9;
  std::string bw_note = "2 channels x DDR4-3200";
  double tdp = 65;
  if (server) {
    channels_bw = sockets * 8 * 38.4e9;
    bw_note = std::to_string(sockets) + " socket(s) x 8 channels x DDR5-4800";
    tdp = 250.0 * sockets;
  } else if (vendor == "Apple") {
    const bool max = lower_model.find("max") != std::string::npos;
    const bool pro = lower_model.find("pro") != std::string::npos;
    channels_bw = max ? 400e9 : pro ? 200e9 : 100e9;
    bw_note = "Apple unified memory";
    tdp = max ? 80 : pro ? 40 : 22;
  } else if (arm) {
    channels_bw = 6.4e9;
    bw_note = "1 channel x LPDDR4-3200 x 32 bit";
    tdp = 7;
  }

  DeviceProfile p;
  p.id = "cpu-estimated";
  p.platform = "cpu";
  p.name = model.empty() ? "CPU" : model;
  p.threads = threads > 0 ? threads : 0;
  p.fp32_flops = cores * fp32_per_cycle * hz;
  p.fp16_flops = cores * fp16_per_cycle * hz;
  p.int8_ops = cores * int8_per_cycle * hz;
  p.memory_bytes = NumberAt(cpu, "memory_total_bytes");
  p.bandwidth_bytes_per_s = std::min(channels_bw, cores * 10e9);
  p.tdp_w = tdp;
  p.node_overhead_s = 2e-6;  // a typical dispatch of a small CPU kernel
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "estimated from cpu flags (%s: %.0f fp32 FLOP/cycle/core) x %d core(s) x %.2f GHz "
                "(%s); bandwidth a guess (%s, at most 10 GB/s a core); TDP a guess",
                unit.c_str(), fp32_per_cycle, cores, hz / 1e9, mhz > 0 ? "reported" : "assumed",
                bw_note.c_str());
  p.source = buf;
  p.measured = false;
  return p;
}

}  // namespace ipfs_accelerate::hardware
