// Device profiles: the peaks and the memory of a device, as the performance model needs them.
// They come from datasheets (device_profiles.csv, shipped in the binary, or a user's file of the
// same format) or from measuring this machine (`hw --calibrate`, perf/calibrate.h).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/platform.h"

namespace ipfs_accelerate::hardware {

// One device's capabilities for the performance model: peaks and memory, from a datasheet
// (source names it) or measured here by `hw --calibrate`. Figures are in SI units; 0 means
// "not supported" for fp16_flops and int8_ops and "unknown" for tdp_w and node_overhead_s.
struct DeviceProfile {
  std::string id;        // "nvidia-h100-sxm", unique in a file
  std::string platform;  // one of PlatformNames(): cpu cuda rocm mps openvino qualcomm webnn webgpu
  std::string name;      // "NVIDIA H100 SXM5 80GB"
  // Case-insensitive substring of a detected device name that maps to this profile ("H100");
  // empty: never matched automatically.
  std::string match;
  int threads = 0;                   // CPU profiles: the thread count the figures hold for
                                     // (0: all cores / not a CPU)
  double fp32_flops = 0;             // dense peak FLOP/s
  double fp16_flops = 0;             // fp16/bf16 dense peak (0: not supported)
  double int8_ops = 0;               // int8 dense peak ops/s (0: not supported)
  double memory_bytes = 0;           // device memory (CPU: RAM)
  double bandwidth_bytes_per_s = 0;  // memory bandwidth
  double tdp_w = 0;                  // board/package power
  // Launch/dispatch cost per graph node (datasheet profiles: a documented typical value).
  double node_overhead_s = 0;
  // Where the figures come from: URL or document, or "measured <ISO date> by hw --calibrate".
  std::string source;
  bool measured = false;
  int line = 0;  // line in the data file (0: not from a file)

  // "fp32" always; "bf16"/"fp16" when fp16_flops > 0; "int8" when int8_ops > 0; nothing else.
  bool Supports(const std::string& precision) const;
  // fp32_flops, fp16_flops ("fp16" or "bf16") or int8_ops; 0 for a precision it does not know.
  double PeakOps(const std::string& precision) const;
};

// Parses the CSV text of a profiles file: a header line naming the columns (id, platform, name,
// match, fp32_tflops, fp16_tflops, int8_tops, memory_gib, bandwidth_gbs, tdp_w, node_overhead_us,
// source; optionally threads), then one profile a line. '#' comments and blank lines are skipped;
// a field may be double-quoted (to hold a comma). Every error names `file_name`:line, what is
// wrong and how to fix it (unknown or missing column, missing field, a number that is not a
// positive number, unknown platform, duplicate id, ...).
Result<std::vector<DeviceProfile>> ParseDeviceProfiles(const std::string& text,
                                                       const std::string& file_name);

// The profiles shipped in the binary (src/hardware/device_profiles.csv), parsed once. The file is
// checked by the tests, so this never fails at run time.
const std::vector<DeviceProfile>& BuiltinDeviceProfiles();

// Reads and parses a user's profiles file at `path` (the format of ParseDeviceProfiles).
Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& path);

// Every field of `profile` as a JSON object: {"id", "platform", "name", "match", "threads",
// "fp32_flops", "fp16_flops", "int8_ops", "memory_bytes", "bandwidth_bytes_per_s", "tdp_w",
// "node_overhead_s", "source", "measured", "line"} (SI units, as the struct).
nlohmann::json ToJson(const DeviceProfile& profile);
// The profile ToJson wrote; members missing from `j` keep their defaults. kInvalidArgument when
// `j` is not an object.
Result<DeviceProfile> DeviceProfileFromJson(const nlohmann::json& j);

// The profiles of the accelerators `report` found: for each device of each available platform
// other than the CPU (cuda devices, rocm gpus, mps devices, openvino devices, the qualcomm SoC,
// ...), the first profile of `known` of that platform whose match is a case-insensitive substring
// of one of the device's names (product name, full name, name). One entry per device, in report
// order: two H100s give the H100 profile twice. Devices no profile matches are listed as
// "<platform>: <device name>" in `unmatched` (may be null). The CPU's profile comes from
// calibration or EstimateCpuProfile, not from here.
std::vector<DeviceProfile> MatchDeviceProfiles(const HardwareReport& report,
                                               const std::vector<DeviceProfile>& known,
                                               std::vector<std::string>* unmatched);

// A CPU profile estimated from the cpu platform's capabilities in `report` (cores, vector flags,
// memory), for a machine not calibrated yet: platform "cpu", measured false, source saying it is
// an estimate and what it assumed. `threads` is the thread count the figures are for (0: all
// usable cores).
DeviceProfile EstimateCpuProfile(const HardwareReport& report, int threads);

}  // namespace ipfs_accelerate::hardware
