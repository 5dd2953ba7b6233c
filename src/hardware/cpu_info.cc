#include "hardware/cpu_info.h"

#include <fstream>
#include <sstream>

#include "core/thread_pool.h"

namespace ipfs_accelerate::hardware {

std::string ParseCpuModelName(std::string_view cpuinfo) {
  std::string fallback;
  size_t start = 0;
  while (start < cpuinfo.size()) {
    size_t end = cpuinfo.find('\n', start);
    if (end == std::string_view::npos) end = cpuinfo.size();
    std::string_view line = cpuinfo.substr(start, end - start);
    start = end + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    if (value.empty()) continue;
    if (key == "model name") return std::string(value);
    if (fallback.empty() && (key == "Model" || key == "Hardware")) fallback = value;
  }
  return fallback;
}

CpuInfo DetectCpu() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  info.model_name = ParseCpuModelName(text.str());
  if (info.model_name.empty()) info.model_name = "unknown CPU";
  info.logical_cores = ThreadPool::DefaultThreads();
  return info;
}

}  // namespace ipfs_accelerate::hardware
