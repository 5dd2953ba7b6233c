// What the router counts per model: the numbers behind KServe's statistics extension
// (GET /v2/models/{m}/stats) and the server's Prometheus metrics, kept in one place.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ipfs_accelerate::router {

// A count of events and the nanoseconds they took in all (KServe's StatisticDuration).
struct Duration {
  uint64_t count = 0;
  uint64_t ns = 0;
  void Add(uint64_t nanoseconds) { ++count, ns += nanoseconds; }
};

struct ModelStats {
  std::string name;
  std::string cid;  // the model file's CID: KServe's "version"
  // Requests.
  Duration success;         // from arrival to response, successful requests
  Duration fail;            // from arrival to error, failed requests (any cause)
  Duration queue;           // waiting for a batch or a free worker
  Duration compute_input;   // merging the batch's inputs
  Duration compute_infer;   // Session::Run
  Duration compute_output;  // splitting the outputs back
  uint64_t rejected = 0;    // refused: the queue was full (HTTP 429)
  uint64_t cancelled = 0;   // dropped from the queue: the client went away or its timeout passed
  uint64_t inference_count = 0;         // items inferred (a request of batch 4 counts 4)
  uint64_t execution_count = 0;         // Session::Run calls (a merged batch counts once)
  uint64_t last_inference_ms = 0;       // milliseconds since the epoch; 0: never
  uint64_t queued = 0;                  // requests waiting now (for a batch or a worker)
  std::map<int64_t, Duration> batches;  // executions by batch size: compute_infer per size
  // The model cache.
  bool loaded = false;
  uint64_t memory_bytes = 0;        // weights plus the most the model's runs held at once
  uint64_t loads = 0, unloads = 0;  // unloads include evictions
  uint64_t evictions = 0;           // unloaded to make room under the memory budget
  // Runs its whole-model backend (a browser) failed, which the CPU then answered, since the start.
  uint64_t backend_fallbacks = 0;
  Duration load;  // time spent loading
};

// Stats of every model the router knows, by name.
using StatsSnapshot = std::vector<ModelStats>;

}  // namespace ipfs_accelerate::router
