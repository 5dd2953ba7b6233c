// What the CPU is: vendor, model, cores, caches, the instruction-set extensions that matter for
// inference, memory and NUMA nodes. Read through a SystemView: /proc and /sys on Linux, sysctl on
// macOS, and on x86 the cpuid instruction itself.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/system_view.h"

namespace ipfs_accelerate::hardware {

struct CpuInfo {
  std::string vendor;        // "GenuineIntel", "AuthenticAMD", "ARM", "Apple"; empty when unknown
  std::string model_name;    // "AMD EPYC 9B45", "ARM Cortex-A72"; "unknown CPU" when unreadable
  std::string board;         // ARM boards' "Model" line ("Raspberry Pi 4 Model B Rev 1.4"), if any
  std::string architecture;  // "x86_64", "aarch64"
  int sockets = 0;           // 0 when unknown
  int physical_cores = 0;    // cores, counting each hyper-thread pair once
  int logical_cores = 0;     // hardware threads of the machine
  int usable_cores = 0;      // the threads this process may run on (its affinity)
  std::vector<std::string> flags;         // the extensions of X86CpuFlags()/ArmCpuFlags() present
  std::string flags_source;               // "cpuid", "/proc/cpuinfo" or "sysctl"
  std::map<std::string, int64_t> caches;  // "l1d", "l1i", "l2", "l3" -> bytes (of cpu0)
  std::optional<int64_t> memory_total_bytes, memory_available_bytes;
  int numa_nodes = 0;              // 0 when unknown
  std::vector<std::string> notes;  // what could not be read, for people
};

// Reads everything above through `view`; never fails (what it cannot read it leaves empty and
// explains in `notes`).
CpuInfo ReadCpuInfo(const SystemView& view);

// ReadCpuInfo of this machine.
CpuInfo DetectCpu();

// The capabilities object of the cpu platform.
nlohmann::json CpuInfoToJson(const CpuInfo& cpu);

// The first "model name" (x86) or "Model"/"Hardware" (ARM) value of /proc/cpuinfo text; empty when
// none.
std::string ParseCpuModelName(std::string_view cpuinfo);

// The x86 extensions we report, in report order (Linux /proc/cpuinfo spelling).
const std::vector<std::string>& X86CpuFlags();
// The ARM extensions we report, in report order (Linux "Features" spelling).
const std::vector<std::string>& ArmCpuFlags();

// The reported extensions present in the first "flags" (x86) or "Features" (ARM) line.
std::vector<std::string> CpuFlagsFromCpuinfo(std::string_view cpuinfo);

// The reported x86 extensions from cpuid, each only when the OS also enabled its register state
// (XCR0), as Linux does for /proc/cpuinfo; nullopt when the view has no cpuid.
std::optional<std::vector<std::string>> CpuFlagsFromCpuid(const SystemView& view);

// The CPUs of a Linux CPU list such as "0-3,8,10-11"; nullopt when malformed.
std::optional<std::vector<int>> ParseCpuList(std::string_view list);

// Bytes of a sysfs cache size such as "48K", "2048K" or "105M"; nullopt when malformed.
std::optional<int64_t> ParseCacheSize(std::string_view size);

}  // namespace ipfs_accelerate::hardware
