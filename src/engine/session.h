// A loaded model ready to run: nodes placed on a backend, values freed after their last use.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "engine/backend.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine {

struct SessionOptions {
  int threads = 0;       // 0: one per core
  bool profile = false;  // time every node (see Session::profile)
};

// Time spent per top-level node, summed over the runs since the session was created.
struct NodeProfile {
  std::string name, op_type;
  double total_ms = 0;
  int64_t runs = 0;
};

class Session {
 public:
  // Checks that every node has a kernel (naming the first that does not) and plans lifetimes.
  static Result<std::unique_ptr<Session>> Create(Model model, SessionOptions options = {});

  // Runs the graph. Inputs are checked against the declared dtypes and shapes.
  Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& inputs);

  const Model& model() const { return model_; }
  const Backend& backend() const { return *backend_; }
  int threads() const { return pool_->size(); }
  // Per-node times when SessionOptions::profile is set (empty otherwise), in graph order.
  const std::vector<NodeProfile>& profile() const { return profile_; }

 private:
  Session(Model model, std::unique_ptr<Backend> backend, int threads);
  Status CheckInputs(const std::map<std::string, Tensor>& inputs) const;

  Model model_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::vector<std::string>> release_after_;  // per node: values whose last use it is
  std::vector<NodeProfile> profile_;
};

// Runs a graph (top level or a subgraph of If/Loop/Scan) with `values` as its scope; nested
// graphs see the values of the scopes around them. Used by the session and by control-flow kernels.
// `profile`, when given, has one entry per node of `graph` and accumulates their times.
Status RunGraph(const Graph& graph, Backend& backend, ThreadPool* pool, std::map<std::string, Tensor>& values,
                const std::vector<std::vector<std::string>>* release_after,
                std::vector<NodeProfile>* profile = nullptr);

}  // namespace ipfs_accelerate::engine
