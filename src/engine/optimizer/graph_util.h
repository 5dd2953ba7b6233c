// Helpers the optimizer passes share: who reads and writes each value, constants read as
// scalars, removing nodes while keeping the topological order, element types of values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/ops/fused.h"

namespace ipfs_accelerate::engine::optimizer {

// The domain of the fused operators the passes emit (their schema: engine/ops/fused.h).
using ops::kFusedDomain;

// Producers and consumers of the values of a graph's top level, as of construction. A node whose
// subgraph (If/Loop/Scan body) reads an outer value counts as a consumer of that value.
class GraphIndex {
 public:
  explicit GraphIndex(const Graph& graph);

  // Indices of the nodes that read `value` (once per node, even if it reads it twice).
  const std::vector<size_t>& Consumers(const std::string& value) const;
  // The index of the node producing `value`, or nullopt for inputs, initializers and unknowns.
  std::optional<size_t> Producer(const std::string& value) const;
  bool IsGraphOutput(const std::string& value) const { return graph_outputs_.count(value) > 0; }
  // Whether exactly one node reads `value` and it is not a graph output: the condition for
  // fusing the value away.
  bool HasSingleConsumer(const std::string& value) const;
  // The single consumer of `value` when HasSingleConsumer, else nullopt.
  std::optional<size_t> SingleConsumer(const std::string& value) const;

 private:
  std::map<std::string, std::vector<size_t>> consumers_;
  std::map<std::string, size_t> producers_;
  std::set<std::string> graph_outputs_;
};

// Every value name read anywhere inside `graph`'s nodes, subgraphs included.
void CollectReads(const Graph& graph, std::set<std::string>* reads);

// Whether `node` holds a subgraph attribute (If, Loop, Scan).
bool HasSubgraph(const Node& node);

// Whether `node` is `op_type` of the default ONNX domain.
bool IsOp(const Node& node, const char* op_type);

// The initializer named `name`, or null.
const Tensor* FindInitializer(const Graph& graph, const std::string& name);

// The value of a one-element float32/float64/int initializer, as double; nullopt otherwise.
std::optional<double> ScalarConstant(const Graph& graph, const std::string& name);

// The FusedMatMul that computes what `mm` does, when `mm` is a MatMul or a Gemm (no transA, C
// absent or a bias of N values with beta 1) whose B is a float32 2-D initializer; nullopt
// otherwise. It keeps `mm`'s output name.
std::optional<Node> AsFusedMatMul(const Graph& graph, const Node& mm);

// Whether `name` is a one-element float32 initializer close to `expected` (relative 1e-4).
bool IsFloatScalar(const Graph& graph, const std::string& name, double expected);

// A value name not used in `graph` yet, starting from `base`.
std::string UniqueName(const Graph& graph, const std::string& base);

// Names for several new values: none used in the graph as of construction, nor given before.
class NameAllocator {
 public:
  explicit NameAllocator(const Graph& graph);
  // `base`, or `base`_1, `base`_2, ...: the first not taken.
  std::string Fresh(const std::string& base);

 private:
  std::set<std::string> used_;
};

// Removes the nodes flagged in `removed` (same length as graph.nodes), keeping the order of the
// others. Replacements are written over a pattern's last node, so order stays topological.
void RemoveNodes(Graph& graph, const std::vector<bool>& removed);

// The loop of a fusion pass: it visits the nodes in order against an index of the graph as it
// was, replaces each matched group of nodes by one node, and at the end drops the nodes absorbed,
// keeping the order. A matcher skips nodes removed() says are gone.
//
//   Rewriter rw(g);
//   for (size_t i = 0; i < g.nodes.size(); ++i) {
//     if (rw.removed()[i] || ...) continue;
//     ... rw.Replace({i, j, k}, std::move(fused));
//   }
//   if (count) *count = rw.Finish();
class Rewriter {
 public:
  explicit Rewriter(Graph& graph);
  const GraphIndex& index() const { return index_; }
  // Per node: whether a Replace of this pass absorbed it.
  const std::vector<bool>& removed() const { return removed_; }
  // Replaces the nodes `absorbed` (none absorbed before) by `node`, which takes the place of the
  // last of them, where every value it reads exists.
  void Replace(const std::vector<size_t>& absorbed, Node node);
  // Drops the absorbed nodes; returns how many Replace calls there were.
  int64_t Finish();

 private:
  Graph& graph_;
  GraphIndex index_;
  std::vector<bool> removed_;
  int64_t rewrites_ = 0;
};

// Removes initializers no node (or subgraph) reads and no graph output names; returns how many.
int64_t RemoveUnusedInitializers(Graph& graph);

// Element types of the top-level values as far as simple rules tell (inputs, initializers, and
// per-op rules: Cast's `to`, Shape -> int64, comparisons -> bool, otherwise the first known
// input's type). Values it cannot tell are absent.
std::map<std::string, DType> InferDTypes(const Graph& graph);

// Whether the float32 rules above say `value` is float32.
bool IsFloat32(const std::map<std::string, DType>& dtypes, const std::string& value);

}  // namespace ipfs_accelerate::engine::optimizer
