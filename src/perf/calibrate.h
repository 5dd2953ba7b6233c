// `hw --calibrate`: measures this machine's CPU through our own engine, so that the performance
// model's CPU profile holds what this build achieves here rather than a datasheet's peak.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/platform.h"
#include "hardware/profiles.h"

namespace ipfs_accelerate::perf {

struct CalibrateOptions {
  // The thread counts to measure; empty: 1, 2, 4, … (powers of two below the usable cores), then
  // the usable cores.
  std::vector<int> threads;
  // Time spent on each figure of each thread count, at least 3 repetitions however long.
  double seconds_per_test = 0.5;
  // Called before each test with what it measures ("t2 gemm bf16") and the fraction of the
  // tests done (0…1), and with a note when a precision is skipped; may be empty.
  std::function<void(const std::string&, double fraction)> progress;
};

// The thread counts CalibrateOptions::threads stands for when empty, for `usable_cores`.
std::vector<int> DefaultCalibrationThreads(int usable_cores);

// Measures the CPU, per thread count: the GEMM rate through the engine (a session of one MatMul
// of 1024x1024 float32 activations by 1024x1024 constant weights at precisions fp32, bf16 and
// int8 (engine::SessionOptions::precision); a precision whose session fails is left at 0 and
// the source says why), the memory bandwidth (STREAM triad on doubles over 3 arrays of 4x the
// last-level cache, at least 256 MiB in all, on a core ThreadPool of that many threads), and the
// cost per node (a session of a 200-node chain of Relu and Add on a [1,16] tensor, unoptimized,
// run time / 200). Each figure is the median of its repetitions. Returns one profile per thread
// count: platform "cpu", threads set, measured true, source "measured <UTC date> by hw
// --calibrate", memory_bytes from `report`, tdp_w from hardware::EstimateCpuProfile.
// Errors: kInvalidArgument for a thread count < 1 or seconds_per_test <= 0; an fp32 session
// that cannot be made or run (then there is nothing to report).
Result<std::vector<hardware::DeviceProfile>> CalibrateCpu(const hardware::HardwareReport& report,
                                                          const CalibrateOptions& options);

}  // namespace ipfs_accelerate::perf
