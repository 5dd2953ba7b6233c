// The compatibility matrix and the deployment planner: for each place a model could run (a
// platform's device, with its profile), whether it fits, what the device supports, whether this
// build has a backend for it, and the predicted figures; then the configuration (platform,
// precision, batch, threads, instances) that meets the user's constraints, with a fallback chain.
// Pure functions of costs, profiles and calibrations: the router gathers those.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/precision.h"
#include "hardware/profiles.h"
#include "perf/cost.h"
#include "perf/model.h"

namespace ipfs_accelerate::perf {

// A device the model could run on.
struct Target {
  std::string platform;  // cpu, cuda, ...
  // The device's profile. For the CPU, one per thread count (measured or estimated); for the
  // others, one profile (all of the device).
  std::vector<hardware::DeviceProfile> profiles;
  bool available = false;                    // found on this machine
  bool has_backend = false;                  // this build can run models there
  int64_t priority = 0;                      // from the configuration (priorities.<platform>)
  const Calibration* calibration = nullptr;  // fitted on this device, when there is one
};

// The model's cost at each batch size and precision the planner may choose.
using CostTable = std::map<std::pair<int64_t, engine::Precision>, GraphCost>;

// One row of `compat`: the model on one target at one batch.
struct CompatRow {
  std::string platform, device;
  bool available = false, has_backend = false;
  bool fits = false;
  double device_memory_bytes = 0;
  std::vector<std::string> precisions;  // the device supports (fp32, bf16, int8)
  Prediction prediction;                // fp32, all of the device (CPU: most threads)
  double score = 0;                     // 0..100: fits, has a backend, fast; 0 when not fit
  std::string confidence;               // "measured" (fitted here) or "datasheet"
  std::string note;                     // why not, or what holds it back
};
// The matrix for `costs` at `batch` (fp32 entry needed) over `targets`.
std::vector<CompatRow> Compatibility(const CostTable& costs, int64_t batch,
                                     const std::vector<Target>& targets);

struct PlanRequest {
  double latency_budget_s = 0;    // 0: none
  double throughput_target = 0;   // items per second, 0: none
  double memory_limit_bytes = 0;  // 0: each device's memory
  bool require_backend = false;   // only targets this build can run (--hardware auto)
  bool require_available = true;  // only targets found here
};

struct Candidate {
  std::string platform, device;
  engine::Precision precision = engine::Precision::kFp32;
  int64_t batch = 1;
  int threads = 0;    // CPU: threads per instance; 0 elsewhere
  int instances = 1;  // copies serving at once (CPU: cores / threads)
  Prediction prediction;
  double throughput = 0;  // all instances together
  double memory_bytes = 0;
  bool has_backend = false;
  int64_t priority = 0;
  std::vector<std::string> unmet;  // the constraints it misses, in words
};

struct Plan {
  bool feasible = false;
  Candidate chosen;                          // the plan; when not feasible, the closest candidate
  std::vector<Candidate> fallbacks;          // the best plan on each other platform, best first
  std::string why;                           // how it was chosen, or which constraint cannot be met
  std::vector<std::string> recommendations;  // other choices and their predicted effect
};

nlohmann::json ToJson(const CompatRow& r);
nlohmann::json ToJson(const Candidate& c);
// {"feasible", "plan", "fallbacks", "why", "recommendations"}.
nlohmann::json ToJson(const Plan& p);

// Plans over every target, precision and batch of `costs`. Errors: no target left after the
// request's filters (naming what filtered them).
Result<Plan> MakePlan(const CostTable& costs, const std::vector<Target>& targets,
                      const PlanRequest& request);

}  // namespace ipfs_accelerate::perf
