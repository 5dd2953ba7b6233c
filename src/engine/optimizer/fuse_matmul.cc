// MatMul/Gemm with a bias and an activation -> FusedMatMul (its schema: engine/ops/fused.h).
#include <optional>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

// A float32 2-D constant weight, or null.
const Tensor* Weight(const Graph& g, const std::string& name) {
  const Tensor* t = FindInitializer(g, name);
  return t && t->dtype() == DType::kFloat32 && t->rank() == 2 ? t : nullptr;
}

}  // namespace

std::optional<Node> AsFusedMatMul(const Graph& g, const Node& mm) {
  if (mm.outputs.size() != 1) return std::nullopt;
  if (IsOp(mm, "MatMul") && mm.inputs.size() == 2 && Weight(g, mm.inputs[1])) {
    return ops::MakeFusedMatMul(mm.name + "_fused", {mm.inputs[0], mm.inputs[1]}, mm.outputs[0],
                                {});
  }
  if (!IsOp(mm, "Gemm") || mm.inputs.size() < 2) return std::nullopt;
  const Tensor* b = Weight(g, mm.inputs[1]);
  auto iattr = [&](const char* k, int64_t d) { return mm.attr(k) ? mm.attr(k)->i : d; };
  auto fattr = [&](const char* k, float d) { return mm.attr(k) ? mm.attr(k)->f : d; };
  if (!b || iattr("transA", 0) != 0) return std::nullopt;
  ops::FusedMatMulAttrs attrs;
  attrs.trans_b = iattr("transB", 0) != 0;
  attrs.alpha = fattr("alpha", 1.f);
  int64_t n = attrs.trans_b ? b->dim(0) : b->dim(1);
  std::vector<std::string> ins = {mm.inputs[0], mm.inputs[1]};
  if (mm.inputs.size() > 2 && !mm.inputs[2].empty()) {
    const Tensor* c = FindInitializer(g, mm.inputs[2]);
    bool bias_like = c && c->dtype() == DType::kFloat32 && c->numel() == n &&
                     (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1));
    if (!bias_like || fattr("beta", 1.f) != 1.f) return std::nullopt;
    ins.push_back(mm.inputs[2]);
  }
  return ops::MakeFusedMatMul(mm.name + "_fused", ins, mm.outputs[0], attrs);
}

Status FuseMatMulBias(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (!IsOp(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    for (int side = 0; side < 2; ++side) {
      const Tensor* bias = FindInitializer(g, add.inputs[1 - side]);
      if (!bias || bias->dtype() != DType::kFloat32 || bias->rank() != 1) continue;
      auto p = index.Producer(add.inputs[side]);
      if (!p || removed[*p] || !index.HasSingleConsumer(add.inputs[side])) continue;
      const Node& mm = g.nodes[*p];
      if (mm.outputs.size() != 1) continue;
      if (mm.domain == kFusedDomain && mm.op_type == "FusedMatMul") {
        // One without bias or activation (the int8 forms FuseDynamicQuantMatMul writes).
        auto attrs = ops::ReadFusedMatMul(mm);
        const Tensor* b = mm.inputs.size() >= 2 ? FindInitializer(g, mm.inputs[1]) : nullptr;
        if (!attrs.ok() || attrs->activation.kind != ops::ActivationKind::kNone || !b ||
            b->rank() != 2 || (mm.inputs.size() > 2 && !mm.inputs[2].empty()) ||
            b->dim(attrs->trans_b ? 0 : 1) != bias->numel()) {
          continue;
        }
        Node f = mm;
        f.inputs.resize(std::max<size_t>(f.inputs.size(), 3));
        f.inputs[2] = add.inputs[1 - side];
        f.outputs = {add.outputs[0]};
        rw.Replace({*p, i}, std::move(f));
        break;
      }
      if (!IsOp(mm, "MatMul") || mm.inputs.size() != 2) continue;
      const Tensor* b = Weight(g, mm.inputs[1]);
      if (!b || b->dim(1) != bias->numel()) continue;
      Node f = ops::MakeFusedMatMul(
          mm.name.empty() ? add.outputs[0] + "_fused" : mm.name + "_fused",
          {mm.inputs[0], mm.inputs[1], add.inputs[1 - side]}, add.outputs[0], {});
      rw.Replace({*p, i}, std::move(f));
      break;
    }
  }
  if (count) *count = rw.Finish();
  return Status::Ok();
}

Status FuseMatMulActivation(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act = g.nodes[i];
    if (removed[i]) continue;
    std::optional<ops::Activation> activation = ops::ActivationOfNode(g, act);
    if (!activation) continue;
    const std::string& x = act.inputs[0];
    auto p = index.Producer(x);
    if (!p || removed[*p] || !index.HasSingleConsumer(x)) continue;
    const Node& mm = g.nodes[*p];
    if (mm.outputs.size() != 1) continue;
    Node f;
    if (mm.domain == kFusedDomain && mm.op_type == "FusedMatMul") {
      auto read = ops::ReadFusedMatMul(mm);
      if (!read.ok() || read->activation.kind != ops::ActivationKind::kNone) continue;
      f = mm;
    } else if (std::optional<Node> as_fused = AsFusedMatMul(g, mm)) {
      f = std::move(*as_fused);
    } else {
      continue;
    }
    ops::WriteActivation(f, *activation);
    f.outputs = {act.outputs[0]};
    rw.Replace({*p, i}, std::move(f));
  }
  if (count) *count = rw.Finish();
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
