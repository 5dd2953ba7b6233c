// The graph optimizer: constant folding, dead-node elimination and fusions into the operators of
// the ai.ipfs_accelerate domain, run to a fixed point before a session places the nodes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::optimizer {

struct OptimizeOptions {
  bool fold_constants = true;
  bool fuse = true;
  bool backend_passes = true;  // the backend's own passes (Backend::GraphPasses), with fuse
  // Fixed shapes for graph inputs, when known (lets Shape/Size of them fold).
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // The backend that computes folded constants; null: the one Optimize is given. A session
  // placing nodes on several backends folds with the CPU backend, which runs every op.
  const Backend* evaluator = nullptr;
};

// What each pass did, summed over the iterations.
struct OptimizeStats {
  struct Pass {
    int64_t rewrites = 0;       // nodes folded, nodes removed, or patterns fused
    int64_t nodes_removed = 0;  // net decrease of the node count
  };
  std::map<std::string, Pass> passes;  // by pass name ("FoldConstants", "FuseGelu", ...)
  int64_t nodes_before = 0, nodes_after = 0;
  int iterations = 0;
  // "FuseGelu: 12, FuseMatMulBias: 72, ..." (passes that did something).
  std::string Summary() const;
};

// Runs the passes over `graph` until none changes it, for `backend`: fused nodes are only
// emitted when it supports them, and it computes folded constants unless options.evaluator does.
// The graph's inputs and outputs keep their names and values.
Status Optimize(Graph& graph, const Backend& backend, const OptimizeOptions& options,
                OptimizeStats* stats = nullptr);

}  // namespace ipfs_accelerate::engine::optimizer
