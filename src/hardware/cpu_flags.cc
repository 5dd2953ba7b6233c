// Which instruction-set extensions the CPU has: from cpuid on x86 hosts, else from the text of
// /proc/cpuinfo. Both report the same names, in the same order.
#include <set>
#include <sstream>

#include "hardware/cpu_info.h"

namespace ipfs_accelerate::hardware {
namespace {

bool Bit(uint32_t reg, int bit) { return (reg >> bit) & 1u; }

}  // namespace

const std::vector<std::string>& X86CpuFlags() {
  static const std::vector<std::string> kFlags = {
      "sse4_2",   "avx",      "avx2",     "fma",         "f16c",        "avx_vnni",
      "avx512f",  "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
      "amx_tile", "amx_bf16", "amx_int8", "sha_ni"};
  return kFlags;
}

const std::vector<std::string>& ArmCpuFlags() {
  // asimd is NEON on aarch64 (32-bit kernels say neon); asimdhp: fp16 arithmetic; asimddp: int8
  // dot products.
  static const std::vector<std::string> kFlags = {"neon", "asimd", "asimdhp", "asimddp", "sha2",
                                                  "sve",  "sve2",  "bf16",    "i8mm",    "sme"};
  return kFlags;
}

std::vector<std::string> CpuFlagsFromCpuinfo(std::string_view cpuinfo) {
  std::istringstream in{std::string(cpuinfo)};
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    const std::vector<std::string>* known = nullptr;
    if (key == "flags") known = &X86CpuFlags();
    if (key == "Features") known = &ArmCpuFlags();
    if (!known) continue;
    std::istringstream words(line.substr(colon + 1));
    std::set<std::string> present;
    for (std::string w; words >> w;) present.insert(w);
    std::vector<std::string> out;
    for (const std::string& f : *known) {
      if (present.count(f)) out.push_back(f);
    }
    return out;
  }
  return {};
}

std::optional<std::vector<std::string>> CpuFlagsFromCpuid(const SystemView& view) {
  auto leaf0 = view.Cpuid(0, 0);
  auto leaf1 = view.Cpuid(1, 0);
  if (!leaf0 || !leaf1) return std::nullopt;
  const uint32_t max_leaf = (*leaf0)[0];
  const uint32_t ecx1 = (*leaf1)[2];
  uint32_t ebx7 = 0, ecx7 = 0, edx7 = 0, eax7_1 = 0, eax_d1 = 0;
  if (max_leaf >= 7) {
    CpuidRegs l7 = view.Cpuid(7, 0).value_or(CpuidRegs{});
    ebx7 = l7[1], ecx7 = l7[2], edx7 = l7[3];
    if (l7[0] >= 1) eax7_1 = view.Cpuid(7, 1).value_or(CpuidRegs{})[0];
  }
  if (max_leaf >= 0xd) eax_d1 = view.Cpuid(0xd, 1).value_or(CpuidRegs{})[0];
  // A feature is usable only when the OS saves its registers: XCR0 bits 1-2 (XMM, YMM), 5-7
  // (opmask, ZMM upper halves, ZMM16-31), 17-18 (tile config and data). Linux also clears
  // dependent features (arch/x86/kernel/cpu/cpuid-deps.c); the conditions below follow it.
  const uint64_t xcr0 = Bit(ecx1, 27) ? view.Xcr0().value_or(0) : 0;
  const bool ymm = (xcr0 & 0x6) == 0x6;
  const bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;
  const bool tiles = (xcr0 & (3ull << 17)) == (3ull << 17) && Bit(eax_d1, 4);  // and XFD

  const bool avx = Bit(ecx1, 28) && ymm;
  const bool avx2 = avx && Bit(ebx7, 5);
  const bool avx512f = avx && zmm && Bit(ebx7, 16);
  const bool avx512bw = avx512f && Bit(ebx7, 30);
  const bool avx512vl = avx512f && Bit(ebx7, 31);
  const bool amx_tile = tiles && Bit(edx7, 24);
  const std::pair<const char*, bool> found[] = {
      {"sse4_2", Bit(ecx1, 20)},
      {"avx", avx},
      {"avx2", avx2},
      {"fma", avx && Bit(ecx1, 12)},
      {"f16c", avx && Bit(ecx1, 29)},
      {"avx_vnni", avx2 && Bit(eax7_1, 4)},
      {"avx512f", avx512f},
      {"avx512bw", avx512bw},
      {"avx512vl", avx512vl},
      {"avx512_vnni", avx512vl && Bit(ecx7, 11)},
      {"avx512_bf16", avx512vl && Bit(eax7_1, 5)},
      {"avx512_fp16", avx512bw && Bit(edx7, 23)},
      {"amx_tile", amx_tile},
      {"amx_bf16", amx_tile && Bit(edx7, 22)},
      {"amx_int8", amx_tile && Bit(edx7, 25)},
      {"sha_ni", Bit(ebx7, 29)},
  };
  std::vector<std::string> out;
  for (const auto& [name, present] : found) {
    if (present) out.push_back(name);
  }
  return out;
}

}  // namespace ipfs_accelerate::hardware
