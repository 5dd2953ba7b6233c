// What a benchmark run measured, as plain values: the benchmark writes them, the results database
// stores them, reports and comparisons read them.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bench/statistics.h"
#include "core/status.h"

namespace ipfs_accelerate::bench {

// How a configuration was measured, after MLPerf's scenarios: single-stream (one query at a
// time, latency), offline (all queries at once, throughput), server (a load generator against
// an HTTP server: `loadgen`, closed loop or Poisson arrivals).
enum class Scenario { kSingleStream, kOffline, kServer };
// "single-stream", "offline", "server": the names stored in ResultRecord::scenario.
std::string ToString(Scenario scenario);
// The scenario named `name`; kInvalidArgument listing the names otherwise.
Result<Scenario> ParseScenario(const std::string& name);

// One configuration (model × hardware × batch × seq × threads × scenario) measured in a run.
struct ResultRecord {
  int64_t id = 0;          // assigned by the database
  int64_t run_id = 0;      // the run it belongs to
  std::string model_name;  // file name without .onnx, or the alias/CID the user gave
  std::string model_cid;   // CID of the model file (as `add` gives it)
  std::string hardware = "cpu";
  std::string precision = "fp32";
  // ToString(Scenario): "single-stream", "offline" or "server". For "server" results, hardware is
  // "server:HOST:PORT" (then " rate R/s" for an open loop, " binary" for the binary tensor
  // extension), threads the connections and batch the items per request.
  std::string scenario = "single-stream";
  int64_t batch = 1;
  int64_t seq = 0;  // 0 when the model has no sequence dimension
  // The other named dimensions of the configuration: the --dim values that name a dynamic
  // dimension of one of the model's inputs, "height=640,width=640", sorted by name; empty when
  // none.
  std::string dims;
  int64_t threads = 1;
  int64_t warmup_runs = 0;
  SampleStats stats;      // over samples_ms
  double throughput = 0;  // items (batch elements) per second
  int64_t peak_rss_bytes = 0;
  bool converged = false;    // the median's 95% interval reached the target width
  bool interrupted = false;  // Ctrl-C stopped it: the samples are what was measured until then
  // At a precision other than fp32: its outputs against fp32's on the same inputs (cosine
  // similarity; top-1 agreement of classifier logits), measured once before the samples (see
  // bench/agreement.h). NaN otherwise.
  double cosine_vs_fp32 = std::numeric_limits<double>::quiet_NaN();
  double top1_vs_fp32 = std::numeric_limits<double>::quiet_NaN();
  // Where the time of a timed run went, node by node (the session's profile over the timed
  // runs, averaged per run), in graph order: what the performance model's fit checks each node's
  // prediction against. Empty for results recorded without it.
  struct NodeTime {
    std::string name;     // the node as the engine ran it (optimized)
    std::string op_type;  // "NhwcConv", "FusedMatMul", ...
    double ms = 0;        // per run
  };
  std::vector<NodeTime> node_times;
  std::vector<double> samples_ms;  // every timed run, in order
  std::vector<bool> outlier;       // per sample, by the MAD rule (kept, only marked)

  // "bert b1 s128 t2 single-stream cpu" ("yolo b1 height=640,width=640 t1 …" with dims): how
  // tables and charts name the configuration.
  std::string Label() const;
  // The identity used to match configurations across runs (everything but the measurements):
  // the model (its CID, or its name when the CID is unknown), hardware, precision, scenario,
  // batch, seq, threads and dims (when not empty, so keys of results without dims stay as they
  // were). warmup_runs is how it was measured, not what, and is left out.
  std::string Key() const;
};

// The platforms seen when the run started (one row per platform of `hw --json`).
struct HardwarePlatform {
  std::string platform;  // cpu, cuda, rocm, mps, openvino, qualcomm, webnn, webgpu
  bool available = false;
  std::string reason;  // why not, when unavailable
  int64_t priority = 0;
  std::string details_json;  // the platform's object of `hw --json`
};

struct RunRecord {
  int64_t id = 0;           // assigned by the database
  std::string started_at;   // ISO 8601 UTC, "2026-11-27T10:33:03Z"
  std::string finished_at;  // empty while running
  std::string git_commit;   // of the ipfs-accelerate build
  std::string version;
  std::string host;
  std::string hardware_fingerprint;  // hash of what `hw` reports, stable across reboots
  std::string command;               // the command line, for people
  // "running", "complete", "interrupted" or "failed" (an error, or a process that died while the
  // run was "running": found so the next time the database is opened).
  std::string status = "running";
  // The process that ran it (schema 3), so that a run left "running" by a crash can be told.
  int64_t pid = 0;
  std::string boot_id;
  int64_t process_start = 0;  // clock ticks since boot
  std::vector<ResultRecord> results;
  std::vector<HardwarePlatform> hardware;
};

}  // namespace ipfs_accelerate::bench
