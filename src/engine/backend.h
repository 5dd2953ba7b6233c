// The interface every backend implements, and what the session asks of it.
//
// A backend is a folder under engine/backends/<name>/ with an entry in the backend registry
// (engine/backend_registry.h). When a session is created it asks each backend named in
// SessionOptions::backends, in priority order, whether it runs a node (SupportsOp, with the
// dtypes of the node's inputs); the first that does gets the node, and a node the first backend
// refuses is a counted and logged fallback. Prepare is called once per placed node; Run for every
// execution, from several threads at once (through the kernel Resolve returned, when it did). What
// a backend must not do: restate an operator's meaning (its attributes and shape rules live in
// engine/ops/), or keep state outside the backend object and the per-node KernelState.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine {

// A set of dtypes: the type constraint a kernel is registered with.
class DTypeSet {
 public:
  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> types) {
    for (DType t : types) bits_ |= Bit(t);
  }
  static constexpr DTypeSet All() {
    DTypeSet s;
    s.bits_ = ~uint32_t{0};
    return s;
  }
  constexpr bool Has(DType t) const { return (bits_ & Bit(t)) != 0; }
  constexpr bool all() const { return bits_ == ~uint32_t{0}; }
  constexpr DTypeSet operator|(DTypeSet o) const {
    DTypeSet s;
    s.bits_ = bits_ | o.bits_;
    return s;
  }
  // "float32, float16" (or "any").
  std::string ToString() const;
  // The members, in DType order (empty for All()).
  std::vector<DType> Members() const;

 private:
  static constexpr uint32_t Bit(DType t) { return uint32_t{1} << static_cast<int>(t); }
  uint32_t bits_ = 0;
};

// Common constraints.
inline constexpr DTypeSet kFloatTypes = {DType::kFloat32, DType::kFloat16, DType::kBFloat16,
                                         DType::kFloat64};
inline constexpr DTypeSet kIntTypes = {DType::kInt8,   DType::kInt16, DType::kInt32,
                                       DType::kInt64,  DType::kUInt8, DType::kUInt16,
                                       DType::kUInt32, DType::kUInt64};
inline constexpr DTypeSet kNumericTypes = kFloatTypes | kIntTypes;

// Where a backend's tensors live. Tensors crossing between backends of different kinds are
// copied; between host backends they are shared.
enum class DeviceKind { kHost, kGpu, kBrowser };
const char* DeviceKindName(DeviceKind kind);

// A model running in a runtime of its own (onnxruntime-web in a browser page), for a backend that
// runs whole models rather than nodes (Backend::PrepareModel).
class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  // Runs the model on `inputs` (already checked against its inputs) and returns every graph
  // output. Reentrant. An error means this runtime did not answer (gone, timed out, refused): the
  // session then runs the request on its other backends, and logs the message as the reason.
  virtual Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& inputs,
                                                    const CancelToken* cancel) const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The name sessions and users call it by ("cpu", "reference").
  virtual const std::string& name() const = 0;
  virtual DeviceKind device() const { return DeviceKind::kHost; }

  // Whether this backend runs `node` (its domain, op type and opset) when its inputs have
  // `input_dtypes` (one per node input; kUndefined where the type is not known before the run,
  // which a backend accepts when the op itself is supported). When not, and `why` is given, says
  // why in a few words ("no kernel for Conv", "Add is registered for float32, not int8").
  virtual bool SupportsOp(const Node& node, const std::vector<DType>& input_dtypes,
                          std::string* why = nullptr) const = 0;
  // SupportsOp with every input type unknown: whether the op is supported at all.
  bool SupportsOp(const Node& node) const { return SupportsOp(node, {}); }

  // For a backend that runs whole models (device() is not kHost): the runner of `model`, the graph
  // as its file has it (model.source_cid names the file), made when a session is created with
  // this backend first. The session still places the nodes on its other backends, which run any
  // request the runner fails. Null (the default): the backend runs nodes.
  virtual Result<std::unique_ptr<ModelRunner>> PrepareModel(const Model& model) const {
    return std::unique_ptr<ModelRunner>();
  }

  // A graph pass of the backend's own: rewrites `graph` in place, counting its rewrites.
  using GraphPass = Status (*)(Graph& graph, int64_t* rewrites);
  // The backend's own graph passes, by name, in order: a layout of its own or ops that only it
  // runs (the CPU backend runs 2-D convolutions channels-last). The optimizer runs them once,
  // after the shared passes, for the session's first backend only, so another backend never
  // meets their ops. Default: none.
  virtual std::vector<std::pair<std::string, GraphPass>> GraphPasses() const { return {}; }

  // One-time work for a node placed here, before its first run: `constants` holds the node's
  // inputs that are initializers (null for the others). What it returns is the node's first
  // KernelState (null for none), owned by the session and seen by every Run through
  // ctx.state(). Errors stop the session's creation.
  virtual Result<std::shared_ptr<const KernelState>> Prepare(
      const Node& node, const std::vector<const Tensor*>& constants) const {
    return std::shared_ptr<const KernelState>();
  }

  // The kernel that runs `node` here, found once when the session is created so that runs look
  // nothing up; null: the session calls Run for the node. A backend that dispatches through a
  // table returns the table's entry (the same function Run would call).
  virtual KernelFn Resolve(const Node& node) const { return nullptr; }

  // Runs the node: reads ctx's inputs, fills its outputs. Reentrant: the runs of a session call
  // it from several threads at once, so it changes nothing but the outputs, the node's state
  // slot and caches that guard themselves.
  virtual Status Run(KernelContext& ctx) const = 0;
};

}  // namespace ipfs_accelerate::engine
