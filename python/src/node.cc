#include "node.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bench/report.h"
#include "bench/results_db.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "hardware/platform.h"
#include "hardware/system_view.h"
#include "router/bench_run.h"
#include "router/fetch_config.h"
#include "router/fetch_on_miss.h"
#include "router/model_ref.h"
#include "router/planning.h"
#include "router/providers.h"
#include "router/store_ops.h"
#include "router/text_inputs.h"
#include "store/repo.h"

namespace ipfs_accelerate::python {
namespace {

nlohmann::json TensorInfoJson(const std::vector<router::TensorInfo>& tensors) {
  nlohmann::json list = nlohmann::json::array();
  for (const router::TensorInfo& t : tensors) {
    list.push_back({{"name", t.name}, {"dtype", DTypeName(t.dtype)}, {"shape", t.shape}});
  }
  return list;
}

nlohmann::json ModelInfoJson(const router::ModelInfo& info) {
  return {{"name", info.name},
          {"cid", info.cid},
          {"loaded", info.loaded},
          {"inputs", TensorInfoJson(info.inputs)},
          {"outputs", TensorInfoJson(info.outputs)}};
}

// "/ipfs/CID[/path]" for a bare CID or alias, so that a local file of the same name never
// shadows the store (ClassifyRef).
std::string StoreRef(const std::string& ref) {
  return ref.rfind("/ipfs/", 0) == 0 ? ref : "/ipfs/" + ref;
}

// A file descriptor holding `size` bytes of `data` from its start (an anonymous memory file), for
// the importer's descriptor input: the bytes are imported exactly as `add` imports a file.
Result<int> MemoryFile(const char* data, size_t size) {
  int fd = memfd_create("store_to_ipfs", MFD_CLOEXEC);
  if (fd < 0)
    return Status::IoError("store_to_ipfs: memfd_create failed: " +
                           std::string(std::strerror(errno)));
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = Status::IoError("store_to_ipfs: writing the bytes to a memory file failed: " +
                                 std::string(std::strerror(errno)));
      close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (lseek(fd, 0, SEEK_SET) != 0) {
    close(fd);
    return Status::IoError("store_to_ipfs: lseek failed: " + std::string(std::strerror(errno)));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Create(const std::string& repo,
                                           const std::vector<std::string>& overrides, int cores) {
  if (cores < 0) return Status::InvalidArgument("threads must be 0 (every core) or more");
  IA_ASSIGN_OR_RETURN(
      std::string repo_dir,
      ResolveRepoPathFromProcess(repo.empty() ? std::nullopt : std::optional<std::string>(repo)));
  IA_ASSIGN_OR_RETURN(Config config, Config::LoadFromProcess(repo_dir, overrides));
  ServerSettings settings = config.Server();
  IA_ASSIGN_OR_RETURN(LogLevel level, ParseLogLevel(settings.log_level));
  IA_RETURN_IF_ERROR(ProcessLogger().Configure(level, settings.log_file));
  std::unique_ptr<Node> node(new Node(std::move(config), repo_dir));
  node->router_ = std::make_unique<router::Router>(router::RouterOptions{
      .repo = repo_dir,
      .cores = cores,
      .parallel_requests = settings.parallel_requests,
      .memory_budget = settings.cache_size,
      // A Python call waits for its answer: it runs on the calling thread when a slot is free,
      // without a hand-off to a worker and back (as the server's I/O threads do).
      .caller_runs = std::max(1, settings.parallel_requests),
      .on_miss = router::MissPolicyFromConfig(node->config_, false)});
  return node;
}

Node::~Node() = default;

Result<std::string> Node::Ensure(const std::string& ref, bool load) {
  std::string name;
  {
    std::lock_guard lock(mu_);
    auto known = names_.find(ref);
    if (known != names_.end()) {
      name = known->second;
    } else {
      // The router's names have no '/': a path is known by its last part ("mlp_test").
      std::string base = ref;
      while (base.size() > 1 && base.back() == '/') base.pop_back();
      if (size_t slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
      if (base.empty() || base == "." || base == "..") base = "model";
      name = base;
      for (int i = 2; std::any_of(names_.begin(), names_.end(),
                                  [&](const auto& kv) { return kv.second == name; });
           ++i) {
        name = base + "-" + std::to_string(i);
      }
      IA_RETURN_IF_ERROR(router_->AddModel(name, ref, router_->options().defaults));
      names_[ref] = name;
    }
  }
  if (load) IA_RETURN_IF_ERROR(router_->Load(name));
  return name;
}

Result<nlohmann::json> Node::Describe(const std::string& ref) {
  IA_ASSIGN_OR_RETURN(std::string name, Ensure(ref, false));
  IA_ASSIGN_OR_RETURN(router::ModelInfo info, router_->Describe(name));
  return ModelInfoJson(info);
}

nlohmann::json Node::List() const {
  nlohmann::json list = nlohmann::json::array();
  for (const router::ModelInfo& info : router_->List()) list.push_back(ModelInfoJson(info));
  return list;
}

Result<std::map<std::string, Tensor>> Node::Infer(const std::string& ref,
                                                  std::map<std::string, Tensor> inputs,
                                                  const std::vector<std::string>& outputs) {
  IA_ASSIGN_OR_RETURN(std::string name, Ensure(ref, false));
  if (router::MayNeedTextDefaults(inputs)) {
    IA_ASSIGN_OR_RETURN(router::ModelInfo info, router_->Describe(name));
    IA_RETURN_IF_ERROR(router::FillTextDefaults(info, &inputs));
  }
  router::InferRequest request;
  request.model = name;
  request.inputs = std::move(inputs);
  request.outputs = outputs;
  IA_ASSIGN_OR_RETURN(router::InferResponse response, router_->InferSync(std::move(request)));
  return std::move(response.outputs);
}

Result<std::shared_ptr<router::RemoteInference>> Node::Remote() {
  std::lock_guard lock(mu_);
  if (remote_ && !remote_stale_) return remote_;
  std::vector<std::string> peers;
  for (const router::Peer& p : connected_) peers.push_back(p.url);
  // Peers connected by hand are candidates even when remote.mode is "never": connecting to a
  // provider is asking for it to be used.
  std::string mode = config_.String("remote.mode");
  if (mode == "never" && !connected_.empty()) mode = "auto";
  IA_ASSIGN_OR_RETURN(router::RemotePolicy policy,
                      router::RemotePolicyFromConfig(config_, mode, peers));
  remote_ = std::make_shared<router::RemoteInference>(std::move(policy), router_.get());
  remote_stale_ = false;
  return remote_;
}

Result<std::map<std::string, Tensor>> Node::InferAnywhere(const std::string& ref,
                                                          std::map<std::string, Tensor> inputs,
                                                          std::string* where) {
  IA_ASSIGN_OR_RETURN(std::string name, Ensure(ref, false));
  // As `run --remote` decides: the plan from what each node publishes, peers tried in its order,
  // this node last. Peers know a model by its CID.
  IA_ASSIGN_OR_RETURN(router::ModelInfo info, router_->Describe(name));
  IA_RETURN_IF_ERROR(router::FillTextDefaults(info, &inputs));
  IA_ASSIGN_OR_RETURN(std::shared_ptr<router::RemoteInference> remote, Remote());
  router::InferRequest request;
  request.model = name;
  request.inputs = std::move(inputs);
  std::vector<router::Choice> plan = remote->Plan(info.cid, /*local_stored=*/true);
  if (plan.front().peer) {
    std::string answered_by;
    IA_ASSIGN_OR_RETURN(std::optional<router::InferResponse> answer,
                        remote->RunOnPeers(plan, info.cid, request, &answered_by));
    if (answer) {
      *where = answered_by;
      return std::move(answer->outputs);
    }
  }
  *where = "local";
  IA_ASSIGN_OR_RETURN(router::InferResponse response, router_->InferSync(std::move(request)));
  return std::move(response.outputs);
}

Result<models::Embeddings> Node::Embed(const std::string& ref,
                                       const std::vector<std::string>& texts) {
  const router::TaskModel* model = tasks_.Find(ref);
  if (!model) {
    std::lock_guard lock(task_mu_);  // one load of a package at a time
    model = tasks_.Find(ref);
    if (!model) {
      if (!router::IsTaskPackage(repo_, ref)) {
        return Status::InvalidArgument(
            "text input needs a model package with a tokenizer (tokenizer.json beside "
            "model.onnx); '" +
            ref + "' has none: pass token ids ({'input_ids': [...]})");
      }
      IA_RETURN_IF_ERROR(tasks_.Add(ref, repo_, ref));
      model = tasks_.Find(ref);
    }
  }
  if (!model->embedding) {
    return Status::Unsupported("'" + ref + "' is a " + models::TaskName(model->task) +
                               " package: the Python module runs text through embedding "
                               "packages only (use `ipfs-accelerate generate` for generation)");
  }
  return model->embedding->Embed(texts);
}

Result<std::string> Node::Store(const char* data, size_t size, bool pin) {
  IA_ASSIGN_OR_RETURN(auto options, store::ImportOptions::ForProfile("unixfs-v1-2025"));
  IA_ASSIGN_OR_RETURN(int fd, MemoryFile(data, size));
  router::AddRequest request;
  request.options = std::move(options);
  request.fd = fd;
  request.pin = pin;
  auto repo = store::Repo::Open(repo_, store::Repo::Access::kShared);
  if (!repo.ok()) {
    close(fd);
    return repo.status();
  }
  ThreadPool pool(ThreadPool::DefaultThreads());
  auto added = router::AddPaths(repo->get(), request, &pool, {}, nullptr);
  close(fd);
  if (!added.ok()) return added.status().WithContext("store_to_ipfs");
  return added->roots.back().ToString();
}

Result<std::string> Node::Cat(const std::string& ref) {
  std::string store_ref = StoreRef(ref);
  IA_RETURN_IF_ERROR(router::EnsureRefLocal(repo_, store_ref,
                                            router::MissPolicyFromConfig(config_, false), {},
                                            nullptr)
                         .status());
  IA_ASSIGN_OR_RETURN(router::FileRef file, router::ReadFileRef(repo_, store_ref, ""));
  return std::move(file.bytes);
}

Result<nlohmann::json> Node::FindProviders(const std::string& ref) {
  store::Cid cid;
  if (auto parsed = store::Cid::Parse(ref); parsed.ok()) {
    cid = *parsed;
  } else {
    // A model name or alias: the CID it stands for in this repository.
    std::string text = ref.rfind("/ipfs/", 0) == 0 ? ref.substr(6) : ref;
    auto repo = store::Repo::Open(repo_, store::Repo::Access::kShared);
    if (!repo.ok()) return repo.status();
    auto resolved = (*repo)->Resolve(text);
    if (!resolved.ok()) {
      return Status::InvalidArgument("find_providers: '" + ref +
                                     "' is neither a CID nor an alias of this repository (" +
                                     resolved.status().message() + ")");
    }
    cid = *resolved;
  }
  std::vector<std::string> routers = config_.List("ipfs.routers");
  if (routers.empty()) {
    return Status::Unavailable(
        "find_providers asks the delegated routers of ipfs.routers, and none is configured: pass "
        "resources={'ipfs': {'routers': ['http://HOST:PORT']}} (or set "
        "IPFS_ACCELERATE_IPFS_ROUTERS)");
  }
  auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(config_.Number("ipfs.timeout") * 1000));
  router::RoutedProviders found = router::AskRouters(routers, cid, timeout);
  if (found.answered == 0) {
    std::string message = "find_providers: no router gave an answer:";
    for (const std::string& p : found.problems) message += " " + p + ";";
    return Status::Unavailable(message);
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const net::ProviderRecord& r : found.records) {
    nlohmann::json record = r.ToJson();
    record["Urls"] = net::GatewayUrls(r, nullptr);  // its HTTP addresses, as URLs
    providers.push_back(std::move(record));
  }
  return nlohmann::json{
      {"cid", cid.ToString()}, {"providers", providers}, {"problems", found.problems}};
}

Result<bool> Node::Connect(const std::string& url) {
  IA_ASSIGN_OR_RETURN(router::Peer peer, router::ParsePeer(url));
  router::RemotePolicy policy;
  policy.mode = router::RemoteMode::kPeer;
  policy.peer = peer;
  policy.peers = {peer};
  policy.timeout_s = config_.Number("remote.timeout");
  policy.ca_file = config_.String("remote.ca_file");
  router::RemoteInference probe(policy, nullptr, 1);
  if (probe.RefreshPeers().empty()) return false;
  std::lock_guard lock(mu_);
  for (const router::Peer& p : connected_) {
    if (p.url == peer.url) return true;
  }
  connected_.push_back(peer);
  remote_stale_ = true;
  return true;
}

nlohmann::json Node::Hardware() const {
  auto view = hardware::RealSystemView();
  return hardware::ToJson(hardware::DetectHardware(*view, config_));
}

Result<nlohmann::json> Node::Bench(const nlohmann::json& j) {
  router::BenchRequest request;
  request.repo = repo_;
  request.command = "python: bench";
  bench::BenchOptions& o = request.options;
  o.max_time_s = config_.Number("bench.max_time_s");
  try {
    request.model_refs = j.at("models").get<std::vector<std::string>>();
    if (j.contains("hardware")) o.hardware = j["hardware"].get<std::vector<std::string>>();
    if (j.contains("batches")) o.batches = j["batches"].get<std::vector<int64_t>>();
    if (j.contains("seqs")) o.seqs = j["seqs"].get<std::vector<int64_t>>();
    if (j.contains("threads")) o.threads = j["threads"].get<std::vector<int64_t>>();
    if (j.contains("max_time_s")) o.max_time_s = j["max_time_s"].get<double>();
    if (j.contains("min_samples")) o.min_samples = j["min_samples"].get<int>();
    if (j.contains("min_time_s")) o.min_time_s = j["min_time_s"].get<double>();
    if (j.contains("warmup_runs")) o.warmup_runs = j["warmup_runs"].get<int>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("bench: ") + e.what());
  }
  std::string db_path = j.value("db", std::string(bench::ResultsDb::kInMemory));
  IA_ASSIGN_OR_RETURN(router::BenchPlan plan, router::PlanBench(request, config_));
  IA_ASSIGN_OR_RETURN(auto db, bench::ResultsDb::Open(db_path, bench::ResultsDb::Mode::kCreate));
  IA_ASSIGN_OR_RETURN(bench::RunRecord run, router::RunBenchPlan(*db, plan, {}));
  return nlohmann::json::parse(bench::RenderReport({run}, bench::ReportFormat::kJson));
}

Result<nlohmann::json> Node::Plan(const std::string& ref, const nlohmann::json& j) {
  router::PlanQuery q;
  std::string db_path;
  try {
    q.request.latency_budget_s = j.value("latency_budget_ms", 0.0) / 1000;
    q.request.throughput_target = j.value("throughput_target", 0.0);
    q.request.memory_limit_bytes = j.value("memory_limit", 0.0);
    if (j.contains("hardware")) q.platforms = j["hardware"].get<std::vector<std::string>>();
    if (j.contains("batches")) q.batches = j["batches"].get<std::vector<int64_t>>();
    if (j.contains("precisions")) {
      q.precisions.clear();
      for (const std::string& name : j["precisions"].get<std::vector<std::string>>()) {
        IA_ASSIGN_OR_RETURN(engine::Precision p, engine::ParsePrecision(name));
        q.precisions.push_back(p);
      }
    }
    q.seq = j.value("seq", int64_t{128});
    q.all_platforms = j.value("all_platforms", false);
    db_path = j.value("db", config_.BenchDbPath());
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("plan: ") + e.what());
  }
  // hw --calibrate's measurements, when the database exists; none is no error.
  std::unique_ptr<bench::ResultsDb> db;
  if (!db_path.empty()) {
    auto opened = bench::ResultsDb::Open(db_path, bench::ResultsDb::Mode::kMustExist);
    if (opened.ok()) {
      db = std::move(opened).value();
    } else if (opened.status().code() != StatusCode::kNotFound) {
      return opened.status();
    }
  }
  auto view = hardware::RealSystemView();
  IA_ASSIGN_OR_RETURN(
      router::PlanningInputs in,
      router::GatherPlanningInputs(*view, config_, db.get(), "", store::Repo::DefaultPath(repo_)));
  IA_ASSIGN_OR_RETURN(engine::Model model, router::LoadModelRef(repo_, ref));
  IA_ASSIGN_OR_RETURN(perf::Plan plan, router::PlanModel(model, in, q));
  nlohmann::json out = perf::ToJson(plan);
  out["model"] = ref;
  out["notes"] = in.notes;
  return out;
}

}  // namespace ipfs_accelerate::python
