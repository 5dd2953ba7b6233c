#include "engine/optimizer/optimizer.h"

#include <functional>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

constexpr int kMaxIterations = 16;

// Whether `backend` runs `op_type` (of `domain`, at `opset`): fusions emit only what it runs.
bool Supports(const Backend& backend, const std::string& op_type, const std::string& domain,
              int64_t opset) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.opset = opset;
  return backend.SupportsOp(n);
}

}  // namespace

std::string OptimizeStats::Summary() const {
  std::string s;
  for (const auto& [name, p] : passes) {
    if (p.rewrites == 0) continue;
    s += (s.empty() ? "" : ", ") + name + ": " + std::to_string(p.rewrites);
  }
  return s.empty() ? "no rewrites" : s;
}

Status Optimize(Graph& graph, const Backend& backend, const OptimizeOptions& options,
                OptimizeStats* stats) {
  using PassFn = std::function<Status(Graph&, int64_t*)>;
  std::vector<std::pair<std::string, PassFn>> passes;
  // Quantized products whose pieces the other passes would take apart (FoldConstants folds a
  // constant weight's DequantizeLinear), first.
  const bool int8_products = options.fuse && Supports(backend, "FusedMatMul", kFusedDomain, 1) &&
                             backend.SupportsOp(ops::MakeFusedMatMul("", {"a", "b"}, "y", {}),
                                                {DType::kUInt8, DType::kInt8});
  if (int8_products) passes.emplace_back("FuseQdqMatMul", FuseQdqMatMul);
  if (options.fold_constants) {
    passes.emplace_back("FoldConstants", [&](Graph& g, int64_t* n) {
      return FoldConstants(g, options.evaluator ? *options.evaluator : backend,
                           options.input_shapes, n);
    });
  }
  passes.emplace_back("EliminateDeadNodes", EliminateDeadNodes);
  if (options.fuse) {
    if (Supports(backend, "Conv", "", 11)) {
      passes.emplace_back("FuseConvBatchNorm", FuseConvBatchNorm);
      passes.emplace_back("FuseConvMul", FuseConvMul);
      passes.emplace_back("FuseConvAdd", FuseConvAdd);
    }
    if (Supports(backend, "Gelu", kFusedDomain, 1)) passes.emplace_back("FuseGelu", FuseGelu);
    if (Supports(backend, "LayerNormalization", "", 17)) {
      passes.emplace_back("FuseLayerNorm", FuseLayerNorm);
    }
    if (Supports(backend, "Attention", kFusedDomain, 1)) {
      passes.emplace_back("FuseAttention", FuseAttention);
    }
    if (Supports(backend, "FusedMatMul", kFusedDomain, 1)) {
      if (int8_products) passes.emplace_back("FuseDynamicQuantMatMul", FuseDynamicQuantMatMul);
      passes.emplace_back("FuseMatMulBias", FuseMatMulBias);
      passes.emplace_back("FuseMatMulActivation", FuseMatMulActivation);
    }
  }
  OptimizeStats local;
  OptimizeStats& st = stats ? *stats : local;
  st.nodes_before = static_cast<int64_t>(graph.nodes.size());
  for (int it = 0; it < kMaxIterations; ++it) {
    bool changed = false;
    for (auto& [name, fn] : passes) {
      int64_t before = static_cast<int64_t>(graph.nodes.size()), count = 0;
      Status s = fn(graph, &count);
      if (!s.ok()) return s.WithContext("optimizer pass " + name);
      OptimizeStats::Pass& p = st.passes[name];
      p.rewrites += count;
      p.nodes_removed += before - static_cast<int64_t>(graph.nodes.size());
      changed |= count > 0;
    }
    st.iterations = it + 1;
    if (!changed) break;
  }
  // The backend's own passes run once, on the fused graph (the CPU backend's layout).
  if (options.fuse && options.backend_passes) {
    for (const auto& [name, fn] : backend.GraphPasses()) {
      int64_t before = static_cast<int64_t>(graph.nodes.size()), count = 0;
      Status s = fn(graph, &count);
      if (!s.ok()) return s.WithContext(backend.name() + " pass " + name);
      st.passes[name].rewrites += count;
      st.passes[name].nodes_removed += before - static_cast<int64_t>(graph.nodes.size());
    }
  }
  st.nodes_after = static_cast<int64_t>(graph.nodes.size());
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
