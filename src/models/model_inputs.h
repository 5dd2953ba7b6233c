// What the pipelines ask of a model's graph before they create its session.
#pragma once

#include <vector>

#include "engine/graph.h"

namespace ipfs_accelerate::models {

// The inputs a caller feeds: the graph's inputs that no initializer gives a default, in order.
inline std::vector<const engine::ValueInfo*> FedInputs(const engine::Graph& g) {
  std::vector<const engine::ValueInfo*> inputs;
  for (const auto& in : g.inputs) {
    if (!g.initializers.count(in.name)) inputs.push_back(&in);
  }
  return inputs;
}

}  // namespace ipfs_accelerate::models
