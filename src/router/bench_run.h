// The benchmark run lifecycle under every front end (cli `bench`, later the server and Python):
// check a plan before any database is touched, then record a run, measure it, and finish it as
// complete, interrupted or failed. Nothing here knows about flags, stdout or HTTP.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "bench/results_db.h"
#include "bench/runner.h"
#include "core/config.h"
#include "core/status.h"
#include "hardware/platform.h"

namespace ipfs_accelerate::router {

struct BenchRequest {
  std::string repo;                      // where CIDs and aliases among `model_refs` resolve
  std::vector<std::string> model_refs;   // model files, directories, CIDs or aliases
  std::vector<std::string> input_specs;  // NAME=FILE (.npy or .pb) instead of synthesized data
  bench::BenchOptions options;           // the sweep; `inputs` is filled from `input_specs`
  std::string command;                   // recorded with the run, for people
};

// A request checked and resolved: every model loads, every platform is available here.
struct BenchPlan {
  std::vector<bench::BenchModel> models;
  bench::BenchOptions options;
  hardware::HardwareReport hardware;  // this machine, recorded with the run
  int configurations = 0;             // how many RunBenchPlan measures
  std::string command;
};

// Finds everything that can be wrong with `request` (unknown or unavailable hardware, inputs,
// models that do not load, a sweep that cannot run) before any database is touched.
Result<BenchPlan> PlanBench(const BenchRequest& request, const Config& config);

struct BenchRunCallbacks {
  // Set (from a signal handler, say) to stop: the run ends "interrupted", keeping what was
  // measured.
  const std::atomic<bool>* stop = nullptr;
  // After the run is recorded as "running" and before the first measurement.
  std::function<void(const bench::RunRecord& run)> on_begin;
  // While a configuration runs: `run.results` holds the configurations finished before it.
  std::function<void(const bench::RunRecord& run, const bench::ResultRecord& so_far,
                     double budget_fraction)>
      progress;
  // Once a configuration's result is stored; it is `run.results.back()`.
  std::function<void(const bench::RunRecord& run)> on_result;
};

// The time now as the results database records it: "2026-12-06T08:30:00Z" (UTC).
std::string UtcNow();

// A run about to begin, as this process: started now, this build's commit and version, this
// process's identity (so a later Open marks it failed should the process die), `command`.
bench::RunRecord NewRunRecord(const std::string& command);

// Records a run in `db`, measures `plan` storing each result as it ends, and finishes the run:
// "complete", "interrupted" (stop was set) or "failed" (the error is returned; the run is still
// marked failed in `db`). Returns the run with its results. The process recorded is this one, so
// that a later Open marks the run failed should this process die while it is "running".
Result<bench::RunRecord> RunBenchPlan(bench::ResultsDb& db, const BenchPlan& plan,
                                      const BenchRunCallbacks& callbacks);

// The name a table shows for a model reference: a file's or directory's stem, else the ref.
std::string BenchModelName(const std::string& ref);

}  // namespace ipfs_accelerate::router
