#include "core/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace ipfs_accelerate {
namespace {

// MemAvailable from /proc/meminfo in bytes, or 0 when it cannot be read.
uint64_t MemAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

}  // namespace

uint64_t DefaultMemoryLimit() {
  uint64_t available = MemAvailable();
  if (available == 0) {
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) available = static_cast<uint64_t>(pages) * page;
  }
  return std::max<uint64_t>(available / 5 * 4, uint64_t{64} << 20);
}

Result<uint64_t> ParseByteSize(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return Status::InvalidArgument(what + ": \"" + text +
                                   "\" is not a size; write bytes (1073741824) or a number with a "
                                   "unit: 512MiB, 4GiB, 1.5GB (KiB/MiB/GiB/TiB are powers of "
                                   "1024, kB/MB/GB/TB of 1000)");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return bad();
  std::string number = text.substr(0, i), unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return bad();
  std::string u;
  for (char c : unit) u.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  double scale;
  if (u.empty() || u == "b") {
    scale = 1;
  } else {
    static const char* kPrefixes = "kmgt";
    const char* p = u.size() <= 3 ? std::strchr(kPrefixes, u[0]) : nullptr;
    if (!p || !*p) return bad();
    int power = static_cast<int>(p - kPrefixes) + 1;
    std::string rest = u.substr(1);
    // A lone letter and the "iB" forms are binary; kB, MB, GB, TB are decimal.
    bool binary = rest.empty() || rest == "i" || rest == "ib";
    if (!binary && rest != "b") return bad();
    scale = std::pow(binary ? 1024.0 : 1000.0, power);
  }
  double bytes = std::floor(value * scale);
  if (!(bytes >= 1)) {
    return Status::InvalidArgument(what + ": \"" + text + "\" must be at least one byte");
  }
  if (bytes >= 18446744073709551616.0) return bad();
  return static_cast<uint64_t>(bytes);
}

Result<uint64_t> MemoryLimitSetting(const std::string& flag, const Config& config) {
  if (!flag.empty()) return ParseByteSize(flag, "--memory-limit");
  std::string setting = config.String("engine.memory_limit");
  if (setting.empty()) return uint64_t{0};
  return ParseByteSize(
      setting, "engine.memory_limit (set by " + config.SourceOf("engine.memory_limit") + ")");
}

}  // namespace ipfs_accelerate
