// What the CPU is: enough to say where a result was computed. Platform detection with
// profiles and priorities grows from here.
#pragma once

#include <string>
#include <string_view>

namespace ipfs_accelerate::hardware {

struct CpuInfo {
  std::string model_name;  // "AMD EPYC 9B45", from /proc/cpuinfo; "unknown CPU" when unreadable
  int logical_cores = 0;   // the cores this process may run on
};

// Reads /proc/cpuinfo and the process's CPU affinity.
CpuInfo DetectCpu();

// The first "model name" (x86) or "Model"/"Hardware" (ARM) value of /proc/cpuinfo text; empty when
// none.
std::string ParseCpuModelName(std::string_view cpuinfo);

}  // namespace ipfs_accelerate::hardware
