// A loaded model ready to run: nodes placed on backends, values freed after their last use.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer_pool.h"
#include "core/cancel.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "engine/backend.h"
#include "engine/backend_registry.h"
#include "engine/graph.h"
#include "engine/placement.h"
#include "engine/precision.h"
#include "engine/value.h"

namespace ipfs_accelerate::engine {

struct SessionOptions {
  int threads = 0;       // 0: one per core
  bool profile = false;  // time every node (see Session::profile)
  bool optimize = true;  // fold constants and fuse (engine/optimizer) before placing nodes
  // The arithmetic of the matrix products with constant weights (optimizer::LowerPrecision; needs
  // optimize): fp32 as the model has it, bf16, or int8 with activations quantized per run. What
  // was converted is in optimizer_summary ("LowerPrecision(int8): 73 products, weights 324 MiB
  // -> 81 MiB").
  Precision precision = Precision::kFp32;
  // Fixed shapes of graph inputs, when the caller promises them: shape computations on them
  // fold away, and Run then refuses other shapes.
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // The memory budget: the most bytes of tensors the session's runs may hold at once (every
  // tensor their nodes allocate, until freed; inputs and initializers are not counted). Runs
  // going on at the same time share it: one that would take the total past it stops with
  // kResourceExhausted, saying what was asked for, and the others go on. 0: DefaultMemoryLimit()
  // (core/memory_budget.h), taken when the session is created.
  uint64_t memory_limit = 0;
  // The backends to place nodes on, by registry name, in priority order: each node goes to the
  // first that runs it, and a node the first refuses is a fallback, logged and counted (see
  // Session::placement). "cpu" runs every op and is added last when not named. Empty: {"cpu"}.
  std::vector<std::string> backends;
  // Where the names above are looked up; null: BuiltinBackends().
  const BackendRegistry* registry = nullptr;
};

// What a single Run may be stopped by.
struct RunOptions {
  // Checked before every node and at every Loop and Scan iteration: once cancelled or past its
  // deadline, Run stops with kCancelled or kDeadlineExceeded. Null: the run is never stopped.
  const CancelToken* cancel = nullptr;
  // Called after each top-level node, on the calling thread, with the node's index in
  // model().graph.nodes and its outputs (undefined for unnamed ones), before any value is
  // freed: how perf's analysis learns the shapes no static rule gives. Empty: nothing is called.
  std::function<void(size_t node, const std::vector<Value>& outputs)> on_node;
};

// Time spent per top-level node, summed over the runs since the session was created (or since
// ResetProfile).
struct NodeProfile {
  std::string name, op_type;
  double total_ms = 0;
  int64_t runs = 0;
};

class Session {
 public:
  // Creates the backends, optimizes the graph for the first, places every node (naming the
  // first that no backend runs), prepares each on its backend and plans value lifetimes.
  static Result<std::unique_ptr<Session>> Create(Model model, SessionOptions options = {});

  // Runs the graph. Inputs are checked against the declared dtypes and shapes. Calls from
  // several threads are safe and run concurrently: each call owns its values, outputs and
  // cancel token; the weights, the plan and the kernels' prepared state are shared read-only,
  // and the calls share the thread pool, the arena and its memory budget. Never throws: a
  // tensor refused by the allocation gate or the memory budget ends the run with an error
  // naming the node.
  Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& inputs,
                                            const RunOptions& options = {});
  // Run for models whose inputs or outputs are sequences or optionals (Run refuses an output
  // that is not a tensor, naming it): inputs and outputs of every kind, checked against the
  // declared kinds as Run checks tensors.
  Result<std::map<std::string, Value>> RunValues(const std::map<std::string, Value>& inputs,
                                                 const RunOptions& options = {});

  const Model& model() const { return model_; }  // as optimized
  // What the optimizer did ("FuseGelu: 12, ..."), empty when it did not run.
  const std::string& optimizer_summary() const { return optimizer_summary_; }
  // What SessionOptions::precision converted ("LowerPrecision(int8): 73 products, weights …"),
  // empty at fp32. Also the end of optimizer_summary.
  const std::string& precision_summary() const { return precision_summary_; }
  // The backends that run the nodes, in priority order (a whole-model backend is not among them).
  const std::vector<const Backend*>& backends() const { return backend_ptrs_; }
  // The backend that runs the model whole (SessionOptions::backends named it first and its
  // PrepareModel made a runner), or null.
  const Backend* model_backend() const { return model_backend_.get(); }
  // Runs its runner failed, which the node backends then answered (each logged with its reason).
  int64_t fallback_runs() const { return fallback_runs_.load(); }
  // Which backend runs each top-level node, and the fallbacks (also logged at Create).
  const Placement& placement() const { return placement_; }
  // "reference 12, cpu 3; 3 fallbacks (Conv 2, Resize 1); ..." (Placement::Summary).
  std::string placement_summary() const;
  int threads() const { return pool_->size(); }
  // The memory budget in bytes (SessionOptions::memory_limit, or the default it resolved to).
  uint64_t memory_limit() const { return arena_.limit(); }
  // The most bytes of tensors held at once by the runs so far (concurrent runs together).
  uint64_t peak_memory() const { return arena_.peak_bytes(); }
  // Per-node times when SessionOptions::profile is set (empty otherwise), in graph order: a
  // snapshot, consistent with whole runs (each run adds its times when it ends). Safe while
  // runs go on.
  std::vector<NodeProfile> profile() const;
  // Zeroes the profile (after warm-up runs, say); runs going on still add theirs when they end.
  void ResetProfile();

 private:
  Session(Model model, std::vector<std::unique_ptr<Backend>> backends, int threads);
  Status CheckInputs(const std::map<std::string, Value>& inputs) const;
  // The runner's answer (a model backend's), or nullopt when it failed and the nodes must
  // answer (logged and counted; an error when the caller cancelled).
  std::optional<Result<std::map<std::string, Value>>> RunOnRunner(
      const std::map<std::string, Value>& inputs, const RunOptions& options);
  // Resolves the top-level graph's values to slots and its nodes' inputs and outputs to slot
  // indices (steps_), with the slots each node frees and the kernel that runs it.
  void Plan();

  Model model_;
  std::unique_ptr<Backend> model_backend_;  // runs the model whole, with runner_; may be null
  std::unique_ptr<ModelRunner> runner_;
  std::atomic<int64_t> fallback_runs_{0};
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<const Backend*> backend_ptrs_;  // backends_, for callers
  Placement placement_;
  std::unique_ptr<ThreadPool> pool_;
  // Everything below is fixed when Create returns, except what says otherwise.
  // The top-level graph resolved to slots at Create: a run looks nothing up by name.
  struct Step {
    std::vector<int> ins;        // slot of each input (-1: an omitted optional input)
    std::vector<int> outs;       // slot of each output (-1: an unnamed output)
    std::vector<int> release;    // slots whose last reader this node is
    bool has_subgraphs = false;  // reads outer values by name: gets the scope as a map
    KernelFn kernel = nullptr;   // its backend's Resolve (null: call the backend's Run)
  };
  std::vector<std::string> slot_names_;
  std::vector<Value> slot_constants_;  // the initializers in their slots (the rest undefined)
  std::vector<int> input_slots_;       // per model_.graph.inputs
  std::vector<int> output_slots_;      // per model_.graph.outputs
  std::vector<Step> steps_;            // per top-level node
  bool profiling_ = false;             // SessionOptions::profile
  mutable std::mutex profile_mu_;
  std::vector<NodeProfile> profile_;  // guarded by profile_mu_
  std::string optimizer_summary_;
  std::string precision_summary_;
  std::map<std::string, std::vector<int64_t>> fixed_shapes_;  // SessionOptions::input_shapes
  std::vector<StateSlot> states_;  // per top-level node; each slot guards itself
  // The session's arena: buffers freed in one run (from 16 KiB up, 1 GiB kept at most) serve the
  // allocations of the same size later in that run, in the runs going on beside it and in the
  // next runs. It holds the memory budget too. Thread-safe.
  BufferPool arena_{size_t{1} << 30};
};

// Runs a subgraph of If, Loop or Scan with `values` as its scope (nested graphs see the values
// of the scopes around them), every node on `backend`; used by the control-flow kernels (the
// session runs its top-level graph from slots, see Plan). A kernel's AllocationError (or
// bad_alloc) becomes that node's error: nothing is thrown.
Status RunGraph(const Graph& graph, const Backend& backend, ThreadPool* pool,
                std::map<std::string, Value>& values, const CancelToken* cancel = nullptr);

}  // namespace ipfs_accelerate::engine
