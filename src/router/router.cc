#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>

#include "core/memory_budget.h"
#include "core/thread_pool.h"
#include "router/batch.h"
#include "router/fetch_on_miss.h"
#include "router/model_ref.h"
#include "store/cid.h"

namespace ipfs_accelerate::router {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t Ns(Clock::duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

uint64_t EpochMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::vector<TensorInfo> InfoOf(const std::vector<engine::ValueInfo>& values,
                               const std::map<std::string, Tensor>& initializers) {
  std::vector<TensorInfo> out;
  for (const engine::ValueInfo& v : values) {
    if (initializers.count(v.name)) continue;  // an input with a default is not asked for
    TensorInfo t{v.name, v.dtype, {}};
    if (v.shape) {
      for (const engine::Dim& d : *v.shape) t.shape.push_back(d.value >= 0 ? d.value : -1);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

struct Router::Pending {
  InferRequest req;
  InferCallback done;
  Clock::time_point arrival = Clock::now();
  Clock::time_point deadline = Clock::time_point::max();
  bool classified = false;
  BatchKey key;
};

struct Router::Queue {
  std::string name, ref, cid;
  ModelSettings settings;
  bool anonymous = false;  // served by CID without being registered
  bool described = false;  // info and batchable are known (the model was loaded once)
  bool batchable = false;
  ModelInfo info;
  std::deque<std::unique_ptr<Pending>> waiting;
  ModelStats stats;
};

static RouterOptions WithDefaults(RouterOptions o) {
  if (o.cores <= 0) o.cores = ThreadPool::DefaultThreads();
  o.parallel_requests = std::max(1, o.parallel_requests);
  if (o.memory_budget == 0) o.memory_budget = DefaultMemoryLimit();
  return o;
}

Router::Router(RouterOptions options)
    : options_(WithDefaults(std::move(options))),
      threads_per_run_(std::max(1, options_.cores / options_.parallel_requests)),
      cache_({.repo = options_.repo,
              .budget = options_.memory_budget,
              .session = {.threads = threads_per_run_,
                          .optimize = options_.optimize,
                          .precision = options_.precision,
                          .backends = options_.backends,
                          .registry = options_.registry},
              .on_miss = options_.on_miss}) {
  for (int i = 0; i < options_.parallel_requests; ++i) workers_.emplace_back([this] { Work(); });
}

Router::~Router() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  std::vector<std::unique_ptr<Pending>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, q] : queues_) {
      for (auto& p : q->waiting) left.push_back(std::move(p));
      q->waiting.clear();
    }
  }
  for (auto& p : left) p->done(Status::Cancelled("the server is shutting down"));
}

Status Router::AddModel(const std::string& name, const std::string& ref, ModelSettings settings,
                        bool load) {
  if (name.empty() || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("model name '" + name + "' must be non-empty and have no '/'");
  }
  IA_RETURN_IF_ERROR(
      EnsureRefLocal(options_.repo, ref, options_.on_miss, nullptr, nullptr).status());
  IA_ASSIGN_OR_RETURN(FileRef file,
                      ReadFileRef(options_.repo, ref, "model.onnx", /*compute_cid=*/true));
  auto q = std::make_shared<Queue>();
  q->name = name;
  q->ref = ref;
  q->cid = file.cid;
  q->settings = settings;
  q->stats.name = name;
  q->stats.cid = file.cid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queues_.count(name)) return Status::InvalidArgument("model '" + name + "' given twice");
    queues_[name] = q;
  }
  if (load) return Load(name);
  return Status::Ok();
}

Result<std::shared_ptr<Router::Queue>> Router::Find(const std::string& name_or_cid,
                                                    bool register_cid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = queues_.find(name_or_cid); it != queues_.end()) return it->second;
  for (auto& [name, q] : queues_) {
    if (q->cid == name_or_cid) return q;
  }
  if (register_cid && options_.serve_any_stored_cid && store::Cid::Parse(name_or_cid).ok()) {
    auto q = std::make_shared<Queue>();
    q->name = q->cid = q->stats.name = q->stats.cid = name_or_cid;
    q->ref = "/ipfs/" + name_or_cid;
    q->settings = options_.defaults;
    q->anonymous = true;
    queues_[name_or_cid] = q;
    return q;
  }
  return Status::NotFound("no model named '" + name_or_cid +
                          "' (GET /v2/repository/index lists the models this server has)");
}

void Router::Infer(InferRequest request, InferCallback done) {
  auto q = Find(request.model, /*register_cid=*/true);
  if (!q.ok()) return done(q.status());
  if (!request.version.empty() && request.version != (*q)->cid) {
    return done(Status::NotFound("model '" + request.model + "' has no version '" +
                                 request.version + "' (its version is its CID, " + (*q)->cid +
                                 ")"));
  }
  auto p = std::make_unique<Pending>();
  double timeout = request.timeout_s > 0 ? request.timeout_s : (*q)->settings.timeout_s;
  if (timeout > 0) {
    p->deadline = p->arrival + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(timeout));
  }
  p->req = std::move(request);
  p->done = std::move(done);
  {
    std::unique_lock<std::mutex> lock(mu_);
    Queue& queue = **q;
    if (stopping_) {
      lock.unlock();
      return p->done(Status::Cancelled("the server is shutting down"));
    }
    if (static_cast<int64_t>(queue.waiting.size()) >= queue.settings.max_queue_size) {
      queue.stats.rejected++;
      queue.stats.fail.Add(0);
      lock.unlock();
      return p->done(Status::Busy("model '" + queue.name + "' has " +
                                  std::to_string(queue.settings.max_queue_size) +
                                  " requests waiting (max_queue_size); retry later"));
    }
    if (MayRunOnCaller(queue, *p)) {
      ++running_;
      ++caller_running_;
      lock.unlock();
      Batch batch;
      batch.push_back(std::move(p));
      RunBatch(*q, std::move(batch));
      lock.lock();
      --running_;
      --caller_running_;
      lock.unlock();
      cv_.notify_one();  // a slot is free again
      return;
    }
    queue.waiting.push_back(std::move(p));
  }
  cv_.notify_one();
}

bool Router::MayRunOnCaller(Queue& q, Pending& p) {
  if (caller_running_ >= options_.caller_runs || running_ >= options_.parallel_requests ||
      !q.waiting.empty() || !q.described || !cache_.IsLoaded(q.cid)) {
    return false;
  }
  if (!q.batchable) return true;
  auto key = ClassifyRequest(q.info, q.batchable, p.req);
  if (!key.ok()) return false;  // refused by a worker, as any other request
  p.key = std::move(key).value();
  p.classified = true;
  // A request that could merge waits for others unless its batch would go at once anyway.
  const ModelSettings& s = q.settings;
  const auto& preferred = s.preferred_batch_sizes;
  return !p.key.mergeable || p.key.items >= s.max_batch_size || s.max_queue_delay_us <= 0 ||
         std::find(preferred.begin(), preferred.end(), p.key.items) != preferred.end();
}

Result<InferResponse> Router::InferSync(InferRequest request) {
  std::promise<Result<InferResponse>> promise;
  auto answer = promise.get_future();
  Infer(std::move(request),
        [&promise](Result<InferResponse> r) { promise.set_value(std::move(r)); });
  return answer.get();
}

// Worker loop: answer what was cancelled or timed out, then take the oldest ready batch.
void Router::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    Clock::time_point now = Clock::now(), wake = Clock::time_point::max();
    std::vector<std::pair<std::unique_ptr<Pending>, Status>> answer;
    std::shared_ptr<Queue> best;
    for (auto& [name, q] : queues_) {
      auto& w = q->waiting;
      for (auto it = w.begin(); it != w.end();) {
        Pending& p = **it;
        Status drop;
        if (p.req.cancel && p.req.cancel->cancelled()) {
          drop = Status::Cancelled("the client went away");
          q->stats.cancelled++;
        } else if (now >= p.deadline) {
          drop = Status::DeadlineExceeded("the request waited past its timeout in the queue of '" +
                                          q->name + "'");
          q->stats.cancelled++;
        } else if (q->described && !p.classified) {
          auto key = ClassifyRequest(q->info, q->batchable, p.req);
          if (key.ok()) {
            p.key = std::move(key).value();
            p.classified = true;
          } else {
            drop = key.status();
          }
        }
        if (!drop.ok()) {
          q->stats.fail.Add(Ns(now - p.arrival));
          answer.emplace_back(std::move(*it), drop);
          it = w.erase(it);
          continue;
        }
        wake = std::min(wake, p.deadline);
        ++it;
      }
      if (w.empty()) continue;
      Clock::time_point ready = ReadyAt(*q, now);
      if (ready <= now) {
        if (!best || w.front()->arrival < best->waiting.front()->arrival) best = q;
      } else {
        wake = std::min(wake, ready);
      }
    }
    if (!answer.empty()) {
      lock.unlock();
      for (auto& [p, status] : answer) p->done(status);
      lock.lock();
      continue;
    }
    if (!best || running_ >= options_.parallel_requests) {  // nothing ready, or no slot free
      if (wake == Clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, wake);
      }
      continue;
    }
    std::vector<std::unique_ptr<Pending>> batch = TakeBatch(*best);
    if (!best->waiting.empty()) cv_.notify_one();  // more work for another worker
    ++running_;
    lock.unlock();
    RunBatch(best, std::move(batch));
    lock.lock();
    --running_;
  }
}

void Router::Learn(Queue& q, const LoadedModel& model) {
  if (q.described) return;
  const engine::Graph& g = model.session->model().graph;
  q.info.name = q.name;
  q.info.cid = q.cid;
  q.info.inputs = InfoOf(g.inputs, g.initializers);
  q.info.outputs = InfoOf(g.outputs, {});
  q.batchable = q.settings.max_batch_size > 0 && IsBatchable(q.info);
  q.described = true;
}

Clock::time_point Router::ReadyAt(const Queue& q, Clock::time_point now) {
  const Pending& first = *q.waiting.front();
  if (!q.described || !q.batchable || !first.key.mergeable) return now;
  int64_t items = 0;
  const auto& preferred = q.settings.preferred_batch_sizes;
  for (const auto& p : q.waiting) {
    if (!p->classified || !p->key.mergeable || p->key.shape != first.key.shape) continue;
    if (items + p->key.items > q.settings.max_batch_size) return now;  // full
    items += p->key.items;
  }
  if (items >= q.settings.max_batch_size) return now;
  if (std::find(preferred.begin(), preferred.end(), items) != preferred.end()) return now;
  return first.arrival + std::chrono::microseconds(q.settings.max_queue_delay_us);
}

Router::Batch Router::TakeBatch(Queue& q) {
  Batch batch;
  batch.push_back(std::move(q.waiting.front()));
  q.waiting.pop_front();
  const Pending& first = *batch.front();
  if (!q.batchable || !first.classified || !first.key.mergeable) return batch;
  int64_t items = first.key.items;
  for (auto it = q.waiting.begin(); it != q.waiting.end();) {
    const Pending& p = **it;
    if (p.classified && p.key.mergeable && p.key.shape == first.key.shape &&
        items + p.key.items <= q.settings.max_batch_size) {
      items += p.key.items;
      batch.push_back(std::move(*it));
      it = q.waiting.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void Router::RunBatch(const std::shared_ptr<Queue>& q, Batch batch) {
  auto model = cache_.Acquire(q->cid, q->ref);
  if (!model.ok()) {
    Status error = model.status().WithContext("cannot load model '" + q->name + "'");
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& p : batch) q->stats.fail.Add(Ns(Clock::now() - p->arrival));
      // A CID asked for that is not a model here: forget it, with whatever else waits for it.
      if (q->anonymous && !q->described) {
        for (auto& p : q->waiting) batch.push_back(std::move(p));
        q->waiting.clear();
        queues_.erase(q->name);
      }
    }
    for (auto& p : batch) p->done(error);
    return;
  }
  std::shared_ptr<LoadedModel> handle = std::move(model).value();
  {
    std::lock_guard<std::mutex> lock(mu_);
    Learn(*q, *handle);
  }
  Answers answers = Execute(*q, *handle, std::move(batch));
  // Let go of the model and keep the cache within its budget before answering, so that a
  // client that unloads the model right after its answer never finds it still in use.
  handle.reset();
  cache_.Trim();
  for (auto& [p, r] : answers) p->done(std::move(r));
}

Router::Answers Router::Execute(Queue& q, LoadedModel& model, Batch batch) {
  Clock::time_point start = Clock::now();
  // The first request may have been taken before the model was known: check it now.
  std::vector<std::pair<std::unique_ptr<Pending>, Status>> refused;
  for (auto it = batch.begin(); it != batch.end();) {
    if ((*it)->classified) {
      ++it;
      continue;
    }
    auto key = ClassifyRequest(q.info, q.batchable, (*it)->req);
    if (!key.ok()) {
      refused.emplace_back(std::move(*it), key.status());
      it = batch.erase(it);
      continue;
    }
    (*it)->key = std::move(key).value();
    (*it)->classified = true;
    ++it;
  }
  engine::Session& session = *model.session;
  std::vector<Result<std::map<std::string, Tensor>>> results;
  uint64_t input_ns = 0, infer_ns = 0, output_ns = 0;
  int64_t items = 0;
  for (const auto& p : batch) items += p->key.items;
  auto timed = [](uint64_t& ns, auto fn) {
    Clock::time_point t0 = Clock::now();
    auto r = fn();
    ns += Ns(Clock::now() - t0);
    return r;
  };
  int64_t max_batch = q.settings.max_batch_size;
  if (batch.size() == 1 && !(q.batchable && batch[0]->key.mergeable && items > max_batch)) {
    const InferRequest& r = batch[0]->req;
    results.push_back(
        timed(infer_ns, [&] { return session.Run(r.inputs, {.cancel = r.cancel.get()}); }));
  } else if (batch.size() == 1) {
    // A client batch above max_batch_size: run it in pieces of max_batch_size.
    const InferRequest& r = batch[0]->req;
    std::vector<std::map<std::string, Tensor>> pieces;
    Status failed;
    for (int64_t at = 0; at < items && failed.ok(); at += max_batch) {
      std::map<std::string, Tensor> in;
      timed(input_ns, [&] {
        for (const auto& [name, t] : r.inputs)
          in[name] = SliceRows(t, at, std::min(items, at + max_batch));
        return 0;
      });
      auto out = timed(infer_ns, [&] { return session.Run(in, {.cancel = r.cancel.get()}); });
      if (out.ok()) {
        pieces.push_back(std::move(out).value());
      } else {
        failed = out.status();
      }
    }
    if (!failed.ok()) {
      results.push_back(failed);
    } else {
      std::vector<const std::map<std::string, Tensor>*> parts;
      for (const auto& piece : pieces) parts.push_back(&piece);
      results.push_back(timed(output_ns, [&] { return Concat(parts); }));
    }
  } else {
    std::vector<const std::map<std::string, Tensor>*> parts;
    std::vector<int64_t> sizes;
    for (const auto& p : batch) parts.push_back(&p->req.inputs), sizes.push_back(p->key.items);
    auto merged = timed(input_ns, [&] { return Concat(parts); });
    Result<std::map<std::string, Tensor>> out = merged.status();
    if (merged.ok()) out = timed(infer_ns, [&] { return session.Run(*merged); });
    Result<std::vector<std::map<std::string, Tensor>>> split = out.status();
    if (out.ok()) split = timed(output_ns, [&] { return Split(*out, sizes); });
    if (split.ok()) {
      for (auto& s : *split) results.push_back(std::move(s));
    } else if (out.ok()) {
      // The outputs do not follow the batch dimension: this model cannot be batched. Say so
      // once and run these requests one by one.
      {
        std::lock_guard<std::mutex> lock(mu_);
        q.batchable = false;
      }
      std::fprintf(stderr, "router: dynamic batching turned off for model '%s': %s\n",
                   q.name.c_str(), split.status().message().c_str());
      for (const auto& p : batch) {
        results.push_back(timed(infer_ns, [&] { return session.Run(p->req.inputs); }));
      }
    } else {
      for (size_t i = 0; i < batch.size(); ++i) results.push_back(out.status());
    }
  }
  Clock::time_point end = Clock::now();
  Answers answers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ModelStats& s = q.stats;
    s.execution_count++;
    s.inference_count += items;
    s.last_inference_ms = EpochMs();
    s.compute_input.Add(input_ns);
    s.compute_infer.Add(infer_ns);
    s.compute_output.Add(output_ns);
    s.batches[items].Add(infer_ns);
    for (auto& [p, status] : refused) {
      s.fail.Add(Ns(end - p->arrival));
      answers.emplace_back(std::move(p), status);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      Pending& p = *batch[i];
      s.queue.Add(Ns(start - p.arrival));
      if (!results[i].ok()) {
        s.fail.Add(Ns(end - p.arrival));
        answers.emplace_back(std::move(batch[i]), results[i].status());
        continue;
      }
      s.success.Add(Ns(end - p.arrival));
      InferResponse r{.model = q.name, .cid = q.cid, .id = p.req.id};
      for (auto& [name, t] : *results[i]) {
        if (p.req.outputs.empty() ||
            std::find(p.req.outputs.begin(), p.req.outputs.end(), name) != p.req.outputs.end()) {
          r.outputs[name] = std::move(t);
        }
      }
      r.queue_ns = Ns(start - p.arrival);
      r.compute_ns = Ns(end - start);
      r.batch_size = items;
      answers.emplace_back(std::move(batch[i]), std::move(r));
    }
  }
  return answers;
}

Result<ModelInfo> Router::Describe(const std::string& name_or_cid) {
  IA_ASSIGN_OR_RETURN(std::shared_ptr<Queue> q, Find(name_or_cid, /*register_cid=*/true));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (q->described) {
      ModelInfo info = q->info;
      info.settings = q->settings;
      info.loaded = cache_.IsLoaded(q->cid);
      return info;
    }
  }
  auto model = cache_.Acquire(q->cid, q->ref);
  if (!model.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (q->anonymous && !q->described && q->waiting.empty()) queues_.erase(q->name);
    return model.status().WithContext("cannot load model '" + q->name + "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Learn(*q, **model);
  ModelInfo info = q->info;
  info.settings = q->settings;
  info.loaded = true;
  return info;
}

bool Router::Knows(const std::string& name_or_cid) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (queues_.count(name_or_cid)) return true;
  for (const auto& [name, q] : queues_) {
    if (q->cid == name_or_cid) return true;
  }
  return options_.serve_any_stored_cid && store::Cid::Parse(name_or_cid).ok();
}

Result<bool> Router::IsLoaded(const std::string& name_or_cid) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, q] : queues_) {
    if (name == name_or_cid || q->cid == name_or_cid) return cache_.IsLoaded(q->cid);
  }
  return Status::NotFound("no model named '" + name_or_cid + "'");
}

std::vector<ModelInfo> Router::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ModelInfo> out;
  for (const auto& [name, q] : queues_) {
    ModelInfo info = q->info;
    info.name = q->name;
    info.cid = q->cid;
    info.settings = q->settings;
    info.loaded = cache_.IsLoaded(q->cid);
    out.push_back(std::move(info));
  }
  return out;
}

Status Router::Load(const std::string& name_or_cid) {
  IA_ASSIGN_OR_RETURN(std::shared_ptr<Queue> q, Find(name_or_cid, /*register_cid=*/true));
  auto model = cache_.Acquire(q->cid, q->ref);
  if (!model.ok()) return model.status().WithContext("cannot load model '" + q->name + "'");
  std::lock_guard<std::mutex> lock(mu_);
  Learn(*q, **model);
  return Status::Ok();
}

Status Router::Unload(const std::string& name_or_cid) {
  IA_ASSIGN_OR_RETURN(std::shared_ptr<Queue> q, Find(name_or_cid, /*register_cid=*/false));
  return cache_.Unload(q->cid);
}

StatsSnapshot Router::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  StatsSnapshot out;
  for (const auto& [name, q] : queues_) {
    ModelStats s = q->stats;
    s.queued = q->waiting.size();
    cache_.FillStats(q->cid, s);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ipfs_accelerate::router
