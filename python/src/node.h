// What one `ipfs_accelerate_py` instance holds: its configuration, its repository, the router that
// runs its models and the remote-inference planner that may send them to peers. Every method is a
// call into the application core (router/), as the CLI and the server make them; nothing here
// knows about Python, which module.cc adds. Thread-safe: Python threads call it concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/tensor.h"
#include "router/remote.h"
#include "router/router.h"
#include "router/task_models.h"

namespace ipfs_accelerate::python {

class Node {
 public:
  // `repo`: the repository ("": IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate); `overrides`:
  // KEY=VALUE configuration over the layered configuration (the seed's `resources`); `cores`:
  // the cores the router's runs share (0: every core of the process), as `serve --threads`.
  static Result<std::unique_ptr<Node>> Create(const std::string& repo,
                                              const std::vector<std::string>& overrides, int cores);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Registers `ref` (alias, CID or path) with the router, once, and returns the name it has
  // there: `ref` itself, or for a ref with '/' (a path) its last part, made unique; loads it when
  // `load`.
  Result<std::string> Ensure(const std::string& ref, bool load);
  // The model's inputs and outputs: {"name", "cid", "inputs": [{"name","dtype","shape"}], …}.
  Result<nlohmann::json> Describe(const std::string& ref);
  // Every registered model, as Describe gives each (without loading).
  nlohmann::json List() const;
  // Runs `ref` on `inputs` on this node (the router: queued, batched, on its workers).
  Result<std::map<std::string, Tensor>> Infer(const std::string& ref,
                                              std::map<std::string, Tensor> inputs,
                                              const std::vector<std::string>& outputs);
  // The embeddings of `texts` by the model package `ref` (tokenizer + feature-extraction model,
  // loaded once): one vector per text, as `ipfs-accelerate embed` gives them. kInvalidArgument
  // for a bare ONNX model (no tokenizer), kUnsupported for a package of another task.
  Result<models::Embeddings> Embed(const std::string& ref, const std::vector<std::string>& texts);
  // Runs `ref` where the core's remote-inference plan says (a peer, else here); `where` receives
  // "local" or the peer's name.
  Result<std::map<std::string, Tensor>> InferAnywhere(const std::string& ref,
                                                      std::map<std::string, Tensor> inputs,
                                                      std::string* where);

  // Imports `size` bytes as one file (as `ipfs-accelerate add` does a file), pinned; its CID.
  Result<std::string> Store(const char* data, size_t size, bool pin);
  // The bytes of the file `ref` (CID[/path] or alias[/path]), fetched first when the repository
  // lacks it (unless offline), every block verified.
  Result<std::string> Cat(const std::string& ref);
  // The providers that the configured delegated routers (ipfs.routers) name for the CID of `ref`:
  // {"cid", "providers": [{"Schema","ID","Addrs","Protocols"}], "problems": [...]}.
  Result<nlohmann::json> FindProviders(const std::string& ref);
  // Whether the node at `url` answers its status (GET /ia/v1/node); if so it becomes a peer that
  // InferAnywhere may choose. kInvalidArgument for a malformed URL.
  Result<bool> Connect(const std::string& url);

  // The 8 platforms, as `hw --json` prints them.
  nlohmann::json Hardware() const;
  // `bench`: `request` as JSON {"models", "hardware", "batches", "seqs", "threads", "max_time_s",
  // "min_samples", "db"}; the run with its results.
  Result<nlohmann::json> Bench(const nlohmann::json& request);
  // `plan`: the deployment plan of `ref` under `request` as JSON {"latency_budget_ms",
  // "throughput_target", "memory_limit" (bytes), "hardware", "batches", "precisions", "seq",
  // "all_platforms", "db"}: as `plan --json` prints it.
  Result<nlohmann::json> Plan(const std::string& ref, const nlohmann::json& request);
  // The configuration in effect: every key with its value and source.
  nlohmann::json ConfigJson() const { return config_.ToJson(); }
  const std::string& repo() const { return repo_; }

 private:
  Node(Config config, std::string repo) : config_(std::move(config)), repo_(std::move(repo)) {}
  // The planner, rebuilt when peers were connected since it was made.
  Result<std::shared_ptr<router::RemoteInference>> Remote();

  Config config_;
  std::string repo_;
  std::unique_ptr<router::Router> router_;
  mutable std::mutex mu_;
  std::mutex task_mu_;                        // held while a package loads
  std::map<std::string, std::string> names_;  // ref -> its name in the router
  std::vector<router::Peer> connected_;       // peers Connect reached
  std::shared_ptr<router::RemoteInference> remote_;
  router::TaskModels tasks_;  // model packages run on text, by ref
  bool remote_stale_ = true;
};

}  // namespace ipfs_accelerate::python
