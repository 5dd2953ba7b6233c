// How much memory a model may take while it runs: the default budget, sizes as people write
// them, and the setting that picks one (a flag, else the engine.memory_limit key, else the
// default). The budget itself is enforced by the session's arena (see BufferPool).
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/status.h"

namespace ipfs_accelerate {

// 80% of the memory the system has available now (MemAvailable in /proc/meminfo; the free
// physical pages where that cannot be read), at least 64 MiB.
uint64_t DefaultMemoryLimit();

// Bytes from "1048576", "512MiB", "4GiB", "1.5GB", "64k": a number with an optional unit, binary
// (K/KiB, M/MiB, G/GiB, T/TiB, any case) or decimal (kB, MB, GB, TB). Positive. Errors name
// `what` ("--memory-limit") and show the accepted forms.
Result<uint64_t> ParseByteSize(const std::string& text, const std::string& what);

// The memory budget to run with: `flag` (the --memory-limit value) when not empty, else the
// engine.memory_limit key of `config` when set, else 0 (the session takes DefaultMemoryLimit).
Result<uint64_t> MemoryLimitSetting(const std::string& flag, const Config& config);

}  // namespace ipfs_accelerate
