// Which backend runs each node of a graph's top level: the first, in priority order, whose
// SupportsOp accepts the node with its input dtypes. A node the first backend refuses is a
// fallback, kept with the reason, so that none goes unnoticed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine {

struct Placement {
  struct Fallback {
    size_t node = 0;  // index in the graph's nodes
    std::string to;   // the backend that took it
    std::string
        reason;  // each refusing backend's answer: "reference: no kernel for Conv at opset 11"
  };
  std::vector<const Backend*> backend_of;  // per top-level node
  std::vector<Fallback> fallbacks;         // nodes the first backend did not take, in graph order
  // Values produced by a node of one backend and read by a node of another.
  int64_t crossings = 0;

  // Nodes per backend, in the priority order of `backends`.
  std::vector<std::pair<std::string, int64_t>> Counts(
      const std::vector<const Backend*>& backends) const;
  // "reference 12, cpu 3; 3 fallbacks (Conv 2, Resize 1); 4 values cross backends".
  std::string Summary(const Graph& graph, const std::vector<const Backend*>& backends) const;
};

// Places every top-level node of `graph` on the first of `backends` (priority order) that
// supports it; a node with a subgraph (If, Loop, Scan) runs its subgraphs on the backend that
// takes it. kUnsupported, naming the node and what each backend said, when none does.
Result<Placement> PlaceNodes(const Graph& graph, const std::vector<const Backend*>& backends);

}  // namespace ipfs_accelerate::engine
