// The application core under every front end (cli, server, python): models by name, CID or path,
// loaded into a cache with a memory budget; requests queued per model, merged into dynamic
// batches and run on a bounded set of workers whose threads never exceed the cores given.
// Nothing here knows about flags, stdout or HTTP.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "core/tensor.h"
#include "engine/precision.h"
#include "router/model_cache.h"
#include "router/model_stats.h"

namespace ipfs_accelerate::router {

struct RouterOptions {
  std::string repo;  // the repository that CIDs and aliases resolve in
  // Cores the router may keep busy; concurrent runs share them (0: every core of the process).
  int cores = 0;
  // How many runs may go at once (performance.parallel_requests); each gets cores / this many
  // threads, at least one.
  int parallel_requests = 1;
  // The most bytes of loaded models (0: 80% of the memory available); idle models beyond it are
  // unloaded, least recently used first.
  uint64_t memory_budget = 0;
  // How many runs may go on the thread that calls Infer, when one of the parallel_requests slots
  // is free and nothing waits for the model: the answer then comes without a hand-off to a
  // worker and back (on an idle server most of the latency of a small model). The caller's
  // thread is busy for the run, so a server gives fewer than it has I/O threads. 0: never.
  int caller_runs = 0;
  bool optimize = true;  // engine optimizer on (SessionOptions::optimize)
  // The arithmetic of the models' matrix products (SessionOptions::precision).
  engine::Precision precision = engine::Precision::kFp32;
  // Where the models run: backends by name in priority order (SessionOptions::backends; empty:
  // the CPU), looked up in `registry` (null: the engine's built-in backends). A whole-model backend
  // first (a browser worker's, see src/browser) falls back to the CPU per request.
  std::vector<std::string> backends;
  const engine::BackendRegistry* registry = nullptr;
  // CIDs that are in the repository but were not registered can be served by CID (loaded on
  // first use with `defaults` as their settings).
  bool serve_any_stored_cid = true;
  ModelSettings defaults;
  // Models named by a CID the repository does not hold in full are fetched when they are
  // registered or first loaded (router/fetch_on_miss.h), unless offline (the default here; a
  // front end turns it on from the configuration).
  MissPolicy on_miss{.offline = true};
};

// One inference request: inputs by name; `outputs` names the outputs wanted (empty: all).
struct InferRequest {
  std::string model;    // a registered name, or the CID of a model
  std::string version;  // "" or the model's CID
  std::string id;       // echoed in the response
  std::map<std::string, Tensor> inputs;
  std::vector<std::string> outputs;
  // Cancelled when the client goes away; a request still queued is then dropped. May be null.
  std::shared_ptr<CancelToken> cancel;
  double timeout_s = 0;  // 0: the model's default (ModelSettings::timeout_s)
};

struct InferResponse {
  std::string model;  // the registered name
  std::string cid;    // the model's CID (KServe's model_version)
  std::string id;
  std::map<std::string, Tensor> outputs;
  uint64_t queue_ns = 0;    // waiting for a batch or a worker
  uint64_t compute_ns = 0;  // merging, running and splitting
  int64_t batch_size = 0;   // items in the Session::Run that computed it (1 when not batched)
};

using InferCallback = std::function<void(Result<InferResponse>)>;

// What a model looks like from outside (KServe's model metadata).
struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;  // -1 for a dynamic dimension
};
struct ModelInfo {
  std::string name, cid;
  std::vector<TensorInfo> inputs, outputs;
  ModelSettings settings;
  bool loaded = false;
};

class Router {
 public:
  explicit Router(RouterOptions options);
  // Stops the workers; requests still queued are answered with kCancelled.
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `name` for `ref` (path, directory, CID[/path] or alias; see ClassifyRef).
  // The reference is resolved to a CID now (fetched first as on_miss says); the model is loaded
  // on first use, or now with `load`.
  Status AddModel(const std::string& name, const std::string& ref, ModelSettings settings,
                  bool load = false);

  // Queues `request`; `done` is called exactly once, on a worker thread, or on this thread for
  // an error found at once and for a request run here (RouterOptions::caller_runs). kNotFound for
  // an unknown model, kInvalidArgument for inputs that do not fit the model, kBusy when the model's
  // queue is full, kCancelled when the client went away, kDeadlineExceeded when its timeout passed
  // while queued.
  void Infer(InferRequest request, InferCallback done);
  // Infer, waiting for the answer.
  Result<InferResponse> InferSync(InferRequest request);

  // The model `name_or_cid` and its inputs and outputs (loading it to learn them).
  Result<ModelInfo> Describe(const std::string& name_or_cid);
  // Whether requests for `name_or_cid` can be served: a registered name or CID, or (with
  // serve_any_stored_cid) any well-formed CID, which is looked up in the repository when used.
  bool Knows(const std::string& name_or_cid) const;
  // Whether the model is registered, and whether it is loaded now.
  Result<bool> IsLoaded(const std::string& name_or_cid) const;
  // Every registered model.
  std::vector<ModelInfo> List() const;
  // Loads a registered model (or a stored CID) now; a loaded model stays until evicted.
  Status Load(const std::string& name_or_cid);
  // Unloads it (it loads again on its next request); kBusy while it runs.
  Status Unload(const std::string& name_or_cid);

  StatsSnapshot Stats() const;
  const RouterOptions& options() const { return options_; }
  int threads_per_run() const { return threads_per_run_; }

 private:
  struct Pending;
  struct Queue;
  using Batch = std::vector<std::unique_ptr<Pending>>;
  using Answers = std::vector<std::pair<std::unique_ptr<Pending>, Result<InferResponse>>>;
  Result<std::shared_ptr<Queue>> Find(const std::string& name_or_cid, bool register_cid);
  // Learns the model's inputs and outputs from its loaded session (once). Needs mu_.
  void Learn(Queue& q, const LoadedModel& model);
  // When the queue's next batch may go: now, or when its first request has waited
  // max_queue_delay_us. Needs mu_.
  static std::chrono::steady_clock::time_point ReadyAt(const Queue& q,
                                                       std::chrono::steady_clock::time_point now);
  // Takes the next batch off the queue: the first request and those that merge with it, up to
  // max_batch_size items. Needs mu_.
  static Batch TakeBatch(Queue& q);
  // Whether `p` may run now on the caller's thread (see RouterOptions::caller_runs); classifies
  // it when the model is batchable. Needs mu_.
  bool MayRunOnCaller(Queue& q, Pending& p);
  void Work();
  void RunBatch(const std::shared_ptr<Queue>& q, Batch batch);
  // Runs the requests of `batch` (merged when there are several); returns each one's answer.
  Answers Execute(Queue& q, LoadedModel& model, Batch batch);

  RouterOptions options_;
  int threads_per_run_ = 1;
  ModelCache cache_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Queue>> queues_;  // by name
  bool stopping_ = false;
  int running_ = 0;         // batches being run, by workers and callers (≤ parallel_requests)
  int caller_running_ = 0;  // of those, on callers' threads (≤ caller_runs)
  std::vector<std::thread> workers_;
};

}  // namespace ipfs_accelerate::router
