// Which process, on which machine and since when: enough to tell later, from a record it left
// (a benchmark run marked "running"), whether that process is still alive.
#pragma once

#include <cstdint>
#include <string>

namespace ipfs_accelerate {

struct ProcessIdentity {
  std::string host;  // gethostname(); "unknown" when it fails
  int64_t pid = 0;
  std::string boot_id;      // /proc/sys/kernel/random/boot_id: changes at every boot; "" unknown
  int64_t start_ticks = 0;  // start time in clock ticks since boot (/proc/PID/stat); 0 unknown
};

// This process.
ProcessIdentity CurrentProcess();

enum class Liveness { kAlive, kGone, kUnknown };

// Whether the process `id` describes still runs. kGone when it was recorded on this host and
// this machine has rebooted since, no process has its pid, or the process with its pid started
// at another time (the pid was reused). kUnknown for another host or a record without a pid.
Liveness CheckProcess(const ProcessIdentity& id);

}  // namespace ipfs_accelerate
