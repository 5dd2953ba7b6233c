#include "router/model_cache.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>

#include "core/file_util.h"
#include "core/json_util.h"
#include "core/log.h"
#include "core/progress.h"
#include "router/fetch_on_miss.h"
#include "router/model_ref.h"

namespace ipfs_accelerate::router {

Result<ModelSettings> ModelSettings::FromJson(const std::string& text, const std::string& where,
                                              ModelSettings base) {
  IA_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(text, where));
  if (!j.is_object()) return Status::InvalidArgument(where + ": model settings must be an object");
  auto integer = [&](const std::string& key, const nlohmann::json& v, int64_t min,
                     int64_t max) -> Result<int64_t> {
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      return Status::InvalidArgument(where + ": " + key + " must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                     v.dump());
    }
    return v.get<int64_t>();
  };
  for (const auto& [key, v] : j.items()) {
    if (key == "max_batch_size") {
      IA_ASSIGN_OR_RETURN(base.max_batch_size, integer(key, v, 0, 1 << 16));
    } else if (key == "max_queue_delay_us" || key == "max_queue_delay_microseconds") {
      IA_ASSIGN_OR_RETURN(base.max_queue_delay_us, integer(key, v, 0, 60'000'000));
    } else if (key == "max_queue_size") {
      IA_ASSIGN_OR_RETURN(base.max_queue_size, integer(key, v, 1, 1 << 20));
    } else if (key == "preferred_batch_sizes" || key == "preferred_batch_size") {
      if (!v.is_array()) return Status::InvalidArgument(where + ": " + key + " must be a list");
      base.preferred_batch_sizes.clear();
      for (const auto& e : v) {
        IA_ASSIGN_OR_RETURN(int64_t n, integer(key, e, 1, 1 << 16));
        base.preferred_batch_sizes.push_back(n);
      }
    } else if (key == "timeout_s") {
      if (!v.is_number() || v.get<double>() < 0) {
        return Status::InvalidArgument(where + ": timeout_s must be a number ≥ 0");
      }
      base.timeout_s = v.get<double>();
    } else {
      return Status::InvalidArgument(
          where + ": unknown model setting '" + key +
          "' (known: max_batch_size, preferred_batch_sizes, max_queue_delay_us, "
          "max_queue_size, timeout_s)");
    }
  }
  return base;
}

std::string ModelSettings::ToJson() const {
  return nlohmann::json{{"max_batch_size", max_batch_size},
                        {"preferred_batch_sizes", preferred_batch_sizes},
                        {"max_queue_delay_us", max_queue_delay_us},
                        {"max_queue_size", max_queue_size},
                        {"timeout_s", timeout_s}}
      .dump();
}

Result<ModelSettings> ReadServingManifest(const std::string& repo, const std::string& ref,
                                          ModelSettings base) {
  // Beside the model: in the directory REF names, or in the directory of the file REF names.
  std::string dir = ref;
  std::error_code ec;
  auto kind = ClassifyRef(repo, ref);
  if (!kind.ok()) return kind.status();
  if (*kind == RefKind::kLocal && !std::filesystem::is_directory(ref, ec)) {
    dir = std::filesystem::path(ref).parent_path().string();
    if (dir.empty()) dir = ".";
  }
  std::string manifest = dir + (dir.ends_with("/") ? "" : "/") + "serving.json";
  if (*kind == RefKind::kLocal) {
    if (!std::filesystem::exists(manifest, ec)) return base;
    IA_ASSIGN_OR_RETURN(std::string text, ReadFile(manifest));
    return ModelSettings::FromJson(text, manifest, base);
  }
  auto file = ReadFileRef(repo, manifest, "serving.json");
  if (!file.ok()) {
    // A stored model file (not a directory) has nothing beside it that we can name.
    return base;
  }
  return ModelSettings::FromJson(file->bytes, manifest, base);
}

struct ModelCache::Entry {
  std::shared_ptr<LoadedModel> model;  // null while loading and once unloaded
  bool loading = false;
  std::condition_variable loaded_cv;
  uint64_t last_used = 0;
  uint64_t loads = 0, unloads = 0, evictions = 0;
  uint64_t last_bytes = 0;  // what it held when last unloaded: charged again when it reloads
  uint64_t fallbacks_unloaded = 0;  // backend fallbacks of the sessions unloaded so far
  Duration load;

  // Unloads the model, keeping what its stats need.
  void Drop() {
    last_bytes = model->Bytes();
    fallbacks_unloaded += static_cast<uint64_t>(model->session->fallback_runs());
    model.reset();
    unloads++;
  }
};

ModelCache::ModelCache(Options options) : options_(std::move(options)) {}

Result<std::shared_ptr<LoadedModel>> ModelCache::Acquire(const std::string& cid,
                                                         const std::string& ref) {
  if (cid.empty()) return Status::InvalidArgument("the model cache needs the CID of " + ref);
  std::unique_lock<std::mutex> lock(mu_);
  std::shared_ptr<Entry>& slot = entries_[cid];
  if (!slot) slot = std::make_shared<Entry>();
  std::shared_ptr<Entry> e = slot;
  e->loaded_cv.wait(lock, [&] { return !e->loading; });
  if (e->model) {
    e->last_used = ++tick_;
    return e->model;
  }
  e->loading = true;
  lock.unlock();

  auto t0 = std::chrono::steady_clock::now();
  auto loaded = std::make_shared<LoadedModel>();
  Status status = [&]() -> Status {
    IA_ASSIGN_OR_RETURN(FetchProgress fetched,
                        EnsureRefLocal(options_.repo, ref, options_.on_miss, nullptr, nullptr));
    if (fetched.fetched_blocks > 0) {
      Log(LogLevel::kInfo, "fetched " + ref + ": " + Plural(fetched.fetched_blocks, "block") +
                               ", " + HumanBytes(static_cast<double>(fetched.fetched_bytes)) +
                               " from the network");
    }
    std::string got_cid;
    IA_ASSIGN_OR_RETURN(engine::Model model, LoadModelRef(options_.repo, ref, &got_cid));
    if (got_cid != cid) {
      return Status::InvalidArgument(ref + " now holds " + got_cid + ", not the model " + cid +
                                     " that was registered (the file changed: restart with it)");
    }
    IA_ASSIGN_OR_RETURN(loaded->session,
                        engine::Session::Create(std::move(model), options_.session));
    if (!loaded->session->precision_summary().empty()) {
      Log(LogLevel::kInfo, ref + ": " + loaded->session->precision_summary());
    }
    for (const auto& [name, t] : loaded->session->model().graph.initializers) {
      loaded->weight_bytes += t.nbytes();
    }
    loaded->cid = got_cid;
    return Status::Ok();
  }();
  uint64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();

  lock.lock();
  if (status.ok()) status = MakeRoom(std::max(loaded->weight_bytes, e->last_bytes), cid, lock);
  e->loading = false;
  e->loaded_cv.notify_all();
  if (!status.ok()) return status;
  e->model = loaded;
  e->loads++;
  e->load.Add(ns);
  e->last_used = ++tick_;
  return loaded;
}

Status ModelCache::MakeRoom(uint64_t bytes, const std::string& keep,
                            std::unique_lock<std::mutex>& lock) {
  if (options_.budget == 0) return Status::Ok();
  for (;;) {
    uint64_t used = 0;
    Entry* lru = nullptr;
    for (auto& [cid, e] : entries_) {
      if (!e->model || cid == keep) continue;
      used += e->model->Bytes();
      // In use: someone besides this cache holds it.
      bool idle = e->model.use_count() == 1;
      if (idle && (!lru || e->last_used < lru->last_used)) lru = e.get();
    }
    if (used + bytes <= options_.budget) return Status::Ok();
    if (!lru) {
      return Status::ResourceExhausted(
          "the model needs " + HumanBytes(bytes) + " and the loaded models in use hold " +
          HumanBytes(used) + " of the memory budget of " + HumanBytes(options_.budget) +
          " (raise it with --memory-budget or performance.cache_size, or retry later)");
    }
    lru->Drop();
    lru->evictions++;
  }
}

Status ModelCache::Unload(const std::string& cid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(cid);
  if (it == entries_.end() || !it->second->model) {
    return Status::NotFound("model " + cid + " is not loaded");
  }
  if (it->second->model.use_count() > 1) {
    return Status::Busy("model " + cid + " is running requests; unload it when they are done");
  }
  it->second->Drop();
  return Status::Ok();
}

void ModelCache::Trim() {
  std::unique_lock<std::mutex> lock(mu_);
  (void)MakeRoom(0, "", lock);  // with only models in use left, nothing more can go
}

bool ModelCache::IsLoaded(const std::string& cid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(cid);
  return it != entries_.end() && it->second->model != nullptr;
}

void ModelCache::FillStats(const std::string& cid, ModelStats& stats) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(cid);
  if (it == entries_.end()) return;
  const Entry& e = *it->second;
  stats.loaded = e.model != nullptr;
  stats.memory_bytes = e.model ? e.model->Bytes() : 0;
  stats.loads = e.loads;
  stats.unloads = e.unloads;
  stats.evictions = e.evictions;
  stats.load = e.load;
  stats.backend_fallbacks =
      e.fallbacks_unloaded +
      (e.model ? static_cast<uint64_t>(e.model->session->fallback_runs()) : 0);
}

uint64_t ModelCache::LoadedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t used = 0;
  for (const auto& [cid, e] : entries_) used += e->model ? e->model->Bytes() : 0;
  return used;
}

}  // namespace ipfs_accelerate::router
