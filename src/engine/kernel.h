// What a kernel sees when it runs one node: its inputs, attributes, outputs and threads.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "engine/graph.h"
#include "engine/value.h"

namespace ipfs_accelerate::engine {

class Backend;
class KernelContext;

// A kernel: runs one node, reading its inputs and filling its outputs through the context.
using KernelFn = Status (*)(KernelContext& ctx);

// What a kernel keeps for one node between runs (packed weights, built primitives). The session
// owns one slot per top-level node; nodes inside subgraphs have none, so kernels must work
// without it. A state is read-only once published: runs of one session may use it at once.
struct KernelState {
  virtual ~KernelState() = default;
};

// One node's state, shared by the runs of a session, which may run at once. A kernel takes the
// current state with Get and keeps that shared_ptr while it runs, so another run may Set a new
// one (shapes changed) without pulling it from under it. Two runs that both find it missing may
// both build one; the last Set wins, and either is correct.
class StateSlot {
 public:
  StateSlot() = default;
  StateSlot(const StateSlot&) = delete;
  StateSlot& operator=(const StateSlot&) = delete;

  // The current state, or null before the first Set.
  std::shared_ptr<const KernelState> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }
  // Publishes `state` for the runs that follow; runs holding the old one keep it alive.
  void Set(std::shared_ptr<const KernelState> state) {
    std::lock_guard<std::mutex> lock(mu_);
    state_.swap(state);  // the old one, if this held it last, is freed after the unlock
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const KernelState> state_;
};

class KernelContext {
 public:
  // `outputs` gets at least kMinOutputSlots slots (see there); the caller reads back the first
  // node.outputs.size().
  KernelContext(const Node& node, std::vector<const Value*> inputs, std::vector<Value>* outputs,
                ThreadPool* pool, const Backend* backend = nullptr,
                const std::map<std::string, Value>* scope = nullptr)
      : node_(node),
        inputs_(std::move(inputs)),
        outputs_(outputs),
        pool_(pool),
        backend_(backend),
        scope_(scope) {
    outputs_->resize(std::max({outputs_->size(), node.outputs.size(), kMinOutputSlots}));
  }
  // The same for a kernel that runs another kernel on tensors of its own (a fused op's unfused
  // path): the context holds them as values.
  KernelContext(const Node& node, const std::vector<const Tensor*>& inputs,
                std::vector<Value>* outputs, ThreadPool* pool, const Backend* backend = nullptr,
                const std::map<std::string, Value>* scope = nullptr)
      : KernelContext(node, std::vector<const Value*>{}, outputs, pool, backend, scope) {
    owned_.reserve(inputs.size());
    for (const Tensor* t : inputs) owned_.push_back(t ? Value(*t) : Value());
    for (size_t i = 0; i < inputs.size(); ++i) inputs_.push_back(inputs[i] ? &owned_[i] : nullptr);
  }
  KernelContext(const KernelContext&) = delete;
  KernelContext& operator=(const KernelContext&) = delete;

  // Kernels write their operator's fixed outputs (TopK's two, Unique's four) even when a model's
  // node names fewer: the slots past the node's outputs take them and are dropped.
  static constexpr size_t kMinOutputSlots = 8;

  const Node& node() const { return node_; }
  size_t num_inputs() const { return inputs_.size(); }
  // Input `i` as a tensor, or null when the node omits it (optional inputs) or it is an empty
  // optional. (Only the kernels of ops::TakesNonTensors are given sequences.)
  const Tensor* input(size_t i) const {
    const Value* v = value(i);
    return v && v->is_tensor() ? &v->tensor() : nullptr;
  }
  // Input `i`, or an error naming the node when it is missing.
  Result<const Tensor*> Required(size_t i) const;
  // Input `i` whatever its kind, or null when the node omits it: for the kernels that take
  // sequences and optionals.
  const Value* value(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }

  // The outputs the node names (some may be "", unused).
  size_t num_outputs() const { return node_.outputs.size(); }
  // Whether the graph uses output `i` (optional outputs may be left out).
  bool wants_output(size_t i) const {
    return i < node_.outputs.size() && !node_.outputs[i].empty();
  }
  // Allocates output `i` (uninitialized). Throws AllocationError, allocating nothing, for a shape
  // the allocation gate refuses or past the run's memory budget (see Tensor::Empty); RunGraph
  // returns it as the node's error. Call it outside parallel loops.
  Tensor& Allocate(size_t i, DType dtype, Shape shape);
  // Sets output `i` to `v` (which may share a buffer with an input, e.g. Reshape).
  void SetOutput(size_t i, Value v) { (*outputs_)[i] = std::move(v); }

  int64_t GetInt(const std::string& name, int64_t fallback) const;
  float GetFloat(const std::string& name, float fallback) const;
  std::string GetString(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> fallback = {}) const;
  bool HasAttr(const std::string& name) const { return node_.attr(name) != nullptr; }

  // The node's state slot, or null when it has none (see KernelState and StateSlot).
  StateSlot* state() const { return state_; }
  void set_state(StateSlot* state) { state_ = state; }
  // Whether input `i` is an initializer of the graph being run: the same bytes on every run.
  bool is_constant(size_t i) const;
  void set_graph(const Graph* graph) { graph_ = graph; }

  ThreadPool* pool() const { return pool_; }
  // The run's cancellation token, or null; kernels that loop (Loop, Scan) check it every
  // iteration through CheckCancelled.
  const CancelToken* cancel() const { return cancel_; }
  void set_cancel(const CancelToken* cancel) { cancel_ = cancel; }
  // Ok unless the run was cancelled or passed its deadline: then kCancelled or
  // kDeadlineExceeded, naming the node.
  Status CheckCancelled() const;
  // For control flow (If, Loop, Scan): the backend running this node, and the values in scope,
  // which subgraphs may read by name (see RunGraph in session.h).
  const Backend* backend() const { return backend_; }
  const std::map<std::string, Value>* scope() const { return scope_; }
  const Graph* GetGraph(const std::string& name) const {
    const Attribute* a = node_.attr(name);
    return a && a->g ? a->g.get() : nullptr;
  }

  // kInvalidArgument prefixed with the node's description.
  Status Error(const std::string& message) const {
    return Status::InvalidArgument(node_.Describe() + ": " + message);
  }
  Status Unsupported(const std::string& message) const {
    return Status::Unsupported(node_.Describe() + ": " + message);
  }

 private:
  const Node& node_;
  std::vector<const Value*> inputs_;
  std::vector<Value> owned_;  // the inputs, when given as tensors
  std::vector<Value>* outputs_;
  ThreadPool* pool_;
  const Backend* backend_;
  const std::map<std::string, Value>* scope_;
  StateSlot* state_ = nullptr;
  const Graph* graph_ = nullptr;
  const CancelToken* cancel_ = nullptr;
};

}  // namespace ipfs_accelerate::engine
