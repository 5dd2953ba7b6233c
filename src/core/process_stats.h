// Facts about this process that measurements report: peak resident memory.
#pragma once

#include <cstdint>

namespace ipfs_accelerate {

// The process's peak resident set size in bytes (VmHWM), 0 when unknown.
int64_t PeakRssBytes();

// Returns freed heap to the system, then restarts the peak-RSS count from the current RSS
// (Linux ≥ 4.0, /proc/self/clear_refs), so a later PeakRssBytes covers only what ran since.
// False when the system does not allow it.
bool ResetPeakRss();

}  // namespace ipfs_accelerate
