// The performance model: a roofline per node on a device profile. A node takes
// max(FLOPs / (peak x compute efficiency of its class), bytes / (bandwidth x memory efficiency
// of its class)) plus a dispatch cost, and a run adds a fixed cost. The efficiencies start from
// priors per kind of device and are fitted (perf/fit.h) to runs measured on this machine; peak
// memory is a base plus the weights and the activations, with factors fitted the same way.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "hardware/profiles.h"
#include "perf/cost.h"
#include "perf/op_class.h"

namespace ipfs_accelerate::perf {

// What the model knows of a device beyond its datasheet: the coefficients that turn peak times
// into predicted times. A coefficient is 1 / efficiency: 2 means half the peak.
struct Coefficients {
  std::map<OpClass, double> compute;  // per class, on FLOPs / peak
  // On FLOPs / (peak x depth) (NodeCost::depth) of every product, convolution and attention:
  // what a shallow one adds (it reuses less of what it loads). One figure for all of them.
  double depth_penalty = 0;
  std::map<OpClass, double> memory;  // per class, on bytes / bandwidth
  double per_node_s = 0;             // dispatch cost of one node
  // What each thread beyond the first adds to every product and convolution (waking and
  // joining the threads of its parallel region): why a small model runs slower on 2 threads.
  double per_node_thread_s = 0;
  double per_run_s = 0;  // fixed cost of one run
  // Peak memory = base + weights x weight_factor + the convolutions' weights x
  // conv_weight_factor (the CPU backend keeps them reordered for oneDNN beside the originals) +
  // (the arena's buffers + inputs + outputs) x activation_factor.
  double memory_base_bytes = 0;
  double weight_factor = 1;
  double conv_weight_factor = 0;
  double activation_factor = 1;
};

// The starting coefficients for a device of `platform` (cpu, cuda, ...): typical efficiencies
// of the kinds of work on such devices, documented in model.cc. `profile` supplies the per-node
// cost when it has one.
Coefficients PriorCoefficients(const hardware::DeviceProfile& profile);

// Coefficients fitted to measured runs on one machine, with how well they did.
struct Calibration {
  std::string fingerprint;  // the hardware (hardware::HardwareFingerprint) they hold for
  std::string fitted_at;    // ISO 8601 UTC
  Coefficients coefficients;
  int64_t observations = 0;
  std::vector<std::string> models;  // the models fitted on
  // Relative errors of leave-one-model-out predictions (predicted / measured - 1), latency and
  // memory: the spread behind every prediction's interval.
  double latency_error_rms = 0, memory_error_rms = 0;
  double latency_mape = 0, memory_mape = 0;
};
nlohmann::json ToJson(const Calibration& c);
// kInvalidArgument naming the field that is missing or of the wrong type.
Result<Calibration> CalibrationFromJson(const nlohmann::json& j);

struct NodeTime {
  std::string name, op_type;
  OpClass op_class = OpClass::kOther;
  double seconds = 0;
  bool compute_bound = false;
};

struct Prediction {
  double latency_s = 0, latency_low_s = 0, latency_high_s = 0;
  double throughput = 0;  // items (batch elements) per second, one run at a time
  double memory_bytes = 0, memory_low_bytes = 0, memory_high_bytes = 0;
  double power_w = 0;              // 0 when the profile has no TDP
  double utilization = 0;          // the share of the peak the run keeps busy
  double compute_bound_share = 0;  // of the latency, in compute-bound nodes
  std::map<OpClass, double> seconds_by_class;
  std::vector<NodeTime> top_nodes;  // the five slowest
  bool calibrated = false;          // coefficients fitted on this device; else datasheet and priors
  std::string basis;                // "fitted on 6 models, 36 runs (±9% rms)" or "datasheet ..."
};

// The prediction as JSON (seconds, bytes, watts; intervals as [low, high]).
nlohmann::json ToJson(const Prediction& p);

// Predicts one run of `cost` on `device`. `calibration` null: the priors, with a wide interval.
// The products and convolutions that `cost` marks lowered run at the device's peak for
// cost.precision (fp32's when it has none).
Prediction Predict(const GraphCost& cost, int64_t batch, const hardware::DeviceProfile& device,
                   const Calibration* calibration);

// The parts of one node's predicted time before the coefficients (seconds at peak): what the
// fit works on.
struct NodeTerms {
  OpClass op_class;
  double compute_s = 0;        // FLOPs / peak
  double compute_small_s = 0;  // FLOPs / (peak x depth); 0 for nodes that are no product
  double memory_s = 0;         // bytes / bandwidth
};
std::vector<NodeTerms> TermsOf(const GraphCost& cost, const hardware::DeviceProfile& device);

// The time of a node from its terms and the coefficients at `threads` threads (0 or 1: one);
// `compute_bound` says which bound won.
double NodeSeconds(const NodeTerms& t, const Coefficients& c, int threads, bool* compute_bound);

}  // namespace ipfs_accelerate::perf
