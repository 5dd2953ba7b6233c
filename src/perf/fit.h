// Fitting the performance model's coefficients to runs measured on this machine: weighted least
// squares on relative errors, pulled toward the priors (so an operator class the runs barely
// show keeps its typical efficiency), with each node's bound (compute or memory) re-decided
// between rounds. And checking the model: leave one model out, predict it from the others.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/profiles.h"
#include "perf/cost.h"
#include "perf/model.h"

namespace ipfs_accelerate::perf {

// One measured configuration: what the model costs at the run's sizes, the device profile at the
// run's thread count, and what was measured.
struct Observation {
  std::string model;  // the name runs of one model share (leave-one-model-out groups by it)
  std::string label;  // "bert b4 s128 t2": the configuration, for people
  int64_t batch = 1;
  int threads = 1;
  GraphCost cost;
  hardware::DeviceProfile device;
  double latency_s = 0;  // the median of the run's samples
  // Seconds per run by node name, from the run's profile (empty: not profiled).
  std::map<std::string, double> node_s;
  double peak_rss_bytes = 0;  // 0: not measured
};

// Coefficients fitted to `observations` (at least one), starting from `prior`. The result's
// error fields hold the in-sample errors; LeaveOneModelOut measures the honest ones.
Result<Coefficients> FitCoefficients(const std::vector<Observation>& observations,
                                     const Coefficients& prior);

struct ValidationRow {
  std::string model, label;
  double predicted_s = 0, measured_s = 0;
  double predicted_bytes = 0, measured_bytes = 0;  // measured 0: not measured
};
struct Validation {
  std::vector<ValidationRow> rows;
  double latency_mape = 0, memory_mape = 0;  // mean |predicted / measured - 1|
  double latency_error_rms = 0, memory_error_rms = 0;
};

// Each model's runs predicted by coefficients fitted to the other models' runs. Needs runs of
// at least two models.
Result<Validation> LeaveOneModelOut(const std::vector<Observation>& observations,
                                    const Coefficients& prior);

// Predictions of `observations` by fixed coefficients (plan --validate against a stored fit).
Validation Compare(const std::vector<Observation>& observations, const Coefficients& c);

}  // namespace ipfs_accelerate::perf
