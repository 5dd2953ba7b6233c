// The interface every backend implements (CPU first; CUDA and others beside it, one folder each).
// The session asks SupportsOp before placing a node, Prepare once per node (weight packing and
// the like), and Run for every execution. The CPU backend is the reference the others are held to.
#pragma once

#include <string>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Whether this backend can run `node` (its op type, domain and opset).
  virtual bool SupportsOp(const Node& node) const = 0;
  // One-time work for `node` before its first run.
  virtual Status Prepare(const Node& node) { return Status::Ok(); }
  // Runs the node: reads ctx's inputs, fills its outputs.
  virtual Status Run(KernelContext& ctx) = 0;
};

}  // namespace ipfs_accelerate::engine
