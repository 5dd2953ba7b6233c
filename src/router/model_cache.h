// The router's loaded models (the L1 model cache): sessions keyed by the model's CID, within a
// memory budget. Loading a model that does not fit unloads idle models, least recently used
// first; a model in use is never unloaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/session.h"
#include "router/fetch_config.h"
#include "router/model_stats.h"

namespace ipfs_accelerate::router {

// Per-model settings, with Triton's names. From flags, the configuration or a manifest beside the
// model (model.json: {"max_batch_size": 8, ...}).
struct ModelSettings {
  // Requests are merged along the model's first (batch) dimension up to this many items;
  // 0 turns dynamic batching off. A request larger than this is split.
  int64_t max_batch_size = 0;
  // Batch sizes to aim for: the scheduler runs at once when it has one of these.
  std::vector<int64_t> preferred_batch_sizes;
  // How long the first request of a batch may wait for others.
  int64_t max_queue_delay_us = 0;
  // Requests that may wait; one more is refused (kResourceExhausted: HTTP 429).
  int64_t max_queue_size = 1024;
  // A request still queued after this long is answered with kDeadlineExceeded (0: never).
  double timeout_s = 0;

  // Reads the keys above from a JSON object; unknown keys and wrong types are errors naming
  // `where` (a file, a flag).
  static Result<ModelSettings> FromJson(const std::string& text, const std::string& where,
                                        ModelSettings base);
  std::string ToJson() const;
};

// `base` with the settings of the serving.json beside the model `ref` (in its directory, local or
// stored) applied, or `base` when there is none.
Result<ModelSettings> ReadServingManifest(const std::string& repo, const std::string& ref,
                                          ModelSettings base);

// A loaded model. Kept alive by whoever holds it; the cache never unloads a model while a handle
// to it is held elsewhere.
struct LoadedModel {
  std::string cid;
  std::unique_ptr<engine::Session> session;
  uint64_t weight_bytes = 0;  // initializers after optimization
  // The bytes it is charged under the budget: its weights plus the most its runs held at once.
  uint64_t Bytes() const { return weight_bytes + session->peak_memory(); }
};

class ModelCache {
 public:
  struct Options {
    std::string repo;
    uint64_t budget = 0;  // bytes; 0: no limit
    engine::SessionOptions session;
    // A model named by a CID whose DAG is not all in `repo` is fetched first (see EnsureLocal),
    // unless offline.
    MissPolicy on_miss{.offline = true};
  };
  explicit ModelCache(Options options);

  // The model named by `ref` with CID `cid`, loading it (and unloading idle models to make room)
  // when it is not loaded; a stored model the repository lacks is fetched first (on_miss).
  // kResourceExhausted when it cannot fit even with every idle model gone. Thread-safe; two
  // callers asking for the same model load (and fetch) it once.
  Result<std::shared_ptr<LoadedModel>> Acquire(const std::string& cid, const std::string& ref);
  // Unloads idle models, least recently used first, while the loaded models hold more than the
  // budget (their runs' memory grows after they load).
  void Trim();
  // Unloads `cid`; kBusy when it is in use, kNotFound when it is not loaded.
  Status Unload(const std::string& cid);
  bool IsLoaded(const std::string& cid) const;
  // Load/unload counts and memory, by CID (the router adds the request counts).
  void FillStats(const std::string& cid, ModelStats& stats) const;
  uint64_t LoadedBytes() const;
  uint64_t budget() const { return options_.budget; }

 private:
  struct Entry;
  Status MakeRoom(uint64_t bytes, const std::string& keep, std::unique_lock<std::mutex>& lock);

  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by CID
  uint64_t tick_ = 0;
};

}  // namespace ipfs_accelerate::router
