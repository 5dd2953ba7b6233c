// The benchmark itself: every configuration of every model, warmed up, then sampled until the
// median is known to ±2% (95% confidence) or the time budget is spent.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/inputs.h"
#include "bench/results.h"
#include "core/status.h"
#include "core/tensor.h"
#include "engine/backend_registry.h"
#include "engine/graph.h"
#include "engine/precision.h"

namespace ipfs_accelerate::bench {

struct BenchOptions {
  std::vector<std::string> hardware = {"cpu"};
  std::vector<int64_t> batches = {1};
  std::vector<int64_t> seqs = {128};
  std::vector<int64_t> threads = {1};
  std::vector<engine::Precision> precisions = {engine::Precision::kFp32};
  std::vector<std::string> scenarios = {"single-stream"};  // and/or "offline"
  std::map<std::string, int64_t> dims;                     // other named dimensions
  double max_time_s = 10;     // sampling budget per configuration once min_samples are taken
                              // (warm-up not counted)
  double target_ci = 0.02;    // stop once the median's 95% interval is within ±2%
  int min_samples = 30;       // at least this many timed runs, whatever the time…
  double min_time_s = 1;      // …over at least this long (bounded by max_time_s and max_samples),
                              // so they span more than one moment of the machine's load…
  int spread_samples = 1000;  // …or this many samples, whichever comes first (0: the time only;
                              // the CLI sets 0 when --min-time is given: "at least" it says)
  int max_samples = 20000;    // stop here even when the interval is still wide (bounds rows, pages)
  int warmup_runs = 3;        // at least this many untimed runs…
  double warmup_s = 0.2;      // …and at least this long
  uint64_t seed = 1;          // for synthesized inputs
  uint64_t memory_limit = 0;  // each session's memory budget; 0: the default (SessionOptions)
  std::map<std::string, Tensor> inputs;  // given inputs (--input), by name, for any model
  // Where `hardware` names other than "cpu" are looked up as backends (a browser worker's webgpu,
  // webnn, wasm: they run the whole model); null: the engine's built-in backends.
  const engine::BackendRegistry* registry = nullptr;
};

// A model to measure. It is loaded when its turn comes and dropped after, so each result's peak
// RSS holds that model alone.
struct BenchModel {
  std::string name;  // for tables: the file name without .onnx, or the ref the user gave
  std::string cid;   // of the model file
  std::function<Result<engine::Model>()> load;
};

// Checks that `options` are runnable for `models` before any measurement: scenario names,
// positive sizes, that each model loads, that every given input belongs to some model, and that
// inputs can be made for every batch/seq (errors name the model). Returns how many
// configurations RunBenchmarks will measure.
Result<int> ValidatePlan(const std::vector<BenchModel>& models, const BenchOptions& options);

struct BenchCallbacks {
  // Called about ten times a second while a configuration runs: what is measured so far and
  // the fraction of its time budget spent.
  std::function<void(const ResultRecord& so_far, double budget_fraction)> progress;
  // Called once per configuration when it ends (converged, out of time, or interrupted); an
  // error stops the benchmark.
  std::function<Status(ResultRecord& result)> on_result;
  // Set (from a signal handler, say) to stop: the current configuration ends marked
  // `interrupted` with the samples taken so far, and no further one starts.
  const std::atomic<bool>* stop = nullptr;
};

// Runs every (model, hardware, threads, batch, seq, scenario) configuration; returns true when
// `stop` interrupted it. Only the cpu platform can run models in this build.
Result<bool> RunBenchmarks(const std::vector<BenchModel>& models, const BenchOptions& options,
                           const BenchCallbacks& callbacks);

}  // namespace ipfs_accelerate::bench
