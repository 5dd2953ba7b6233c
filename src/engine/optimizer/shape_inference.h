// Static shapes of values, for constant folding of Shape and Size: known for initializers and
// for graph inputs with fixed shapes, propagated through a set of simple operators.
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::optimizer {

// Adds to `shapes` the shapes of `node`'s outputs when its op has a rule here and the shapes
// (and constant inputs) it needs are known; otherwise adds nothing. `graph` gives initializers.
void InferNodeShapes(const Node& node, const Graph& graph, std::map<std::string, Shape>& shapes);

}  // namespace ipfs_accelerate::engine::optimizer
