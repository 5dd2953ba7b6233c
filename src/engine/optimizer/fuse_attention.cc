// Scaled dot-product attention as exporters write it -> one Attention node (its schema:
// engine/ops/fused.h).
#include <algorithm>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

// The axis Softmax `n` works along (its attribute or the opset's default). The kernel checks
// at run time that it is the last axis and otherwise computes the unfused ops.
std::optional<int64_t> SoftmaxAxis(const Node& n) {
  if (!IsOp(n, "Softmax") || n.inputs.size() != 1 || n.outputs.size() != 1) return std::nullopt;
  const Attribute* axis = n.attr("axis");
  if (axis) return axis->i;
  return n.opset >= 13 ? -1 : 1;
}

}  // namespace

Status FuseAttention(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  auto dtypes = InferDTypes(g);
  // The live producer of `v` when only one node reads `v`.
  auto inner = [&](const std::string& v) -> std::optional<size_t> {
    auto p = index.Producer(v);
    if (!p || removed[*p] || !index.HasSingleConsumer(v) || g.nodes[*p].outputs.size() != 1) {
      return std::nullopt;
    }
    return p;
  };
  // A float32 one-element constant of rank <= 1 (so it cannot raise the scores' rank).
  auto scalar = [&](const std::string& v) {
    const Tensor* t = FindInitializer(g, v);
    return t && t->dtype() == DType::kFloat32 && t->numel() == 1 && t->rank() <= 1;
  };
  // Whether `v` is a MatMul output, directly or through Mul|Div by a scalar constant.
  auto reaches_matmul = [&](const std::string& v) {
    auto q = inner(v);
    if (!q) return false;
    const Node& n = g.nodes[*q];
    if (IsOp(n, "MatMul")) return true;
    if ((!IsOp(n, "Mul") && !IsOp(n, "Div")) || n.inputs.size() != 2) return false;
    for (int k = 0; k < 2; ++k) {
      if (!scalar(n.inputs[1 - k])) continue;
      auto r = inner(n.inputs[k]);
      if (r && IsOp(g.nodes[*r], "MatMul")) return true;
    }
    return false;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    auto softmax_axis = removed[i] ? std::nullopt : SoftmaxAxis(g.nodes[i]);
    if (!softmax_axis || *softmax_axis == 0) continue;
    const Node& softmax = g.nodes[i];
    auto mm2_at = index.SingleConsumer(softmax.outputs[0]);
    if (!mm2_at || removed[*mm2_at]) continue;
    const Node& mm2 = g.nodes[*mm2_at];
    if (!IsOp(mm2, "MatMul") || mm2.inputs.size() != 2 || mm2.inputs[0] != softmax.outputs[0] ||
        mm2.inputs[1] == softmax.outputs[0]) {
      continue;
    }
    std::vector<size_t> nodes = {i, *mm2_at};
    std::string v = softmax.inputs[0], mask, cond, other;
    double scale = 1.0;
    bool scaled = false, ok = true;
    // Walk up: [Where] <- [Add mask] <- [Mul|Div scale] <- MatMul.
    auto p = inner(v);
    if (p && IsOp(g.nodes[*p], "Where") && g.nodes[*p].inputs.size() == 3) {
      const Node& w = g.nodes[*p];
      if (w.inputs[1] == w.inputs[0] || w.inputs[2] == w.inputs[1]) continue;
      cond = w.inputs[0];
      other = w.inputs[2];
      v = w.inputs[1];
      nodes.push_back(*p);
      p = inner(v);
    }
    if (p && IsOp(g.nodes[*p], "Add") && g.nodes[*p].inputs.size() == 2) {
      const Node& a = g.nodes[*p];
      // The score side is the one that leads up to the MatMul (through the scale, if any).
      int side = -1;
      for (int s = 0; s < 2 && side < 0; ++s) {
        if (reaches_matmul(a.inputs[s])) side = s;
      }
      if (side < 0 || a.inputs[0] == a.inputs[1]) continue;
      mask = a.inputs[1 - side];
      v = a.inputs[side];
      nodes.push_back(*p);
      p = inner(v);
    }
    if (p && (IsOp(g.nodes[*p], "Mul") || IsOp(g.nodes[*p], "Div")) &&
        g.nodes[*p].inputs.size() == 2) {
      const Node& s = g.nodes[*p];
      bool div = IsOp(s, "Div");
      int side = -1;
      for (int k = div ? 1 : 0; k < 2 && side < 0; ++k) {
        if (scalar(s.inputs[k])) side = k;
      }
      if (side < 0) continue;
      double c = *ScalarConstant(g, s.inputs[side]);
      if (div && c == 0) continue;
      scale = div ? 1.0 / c : c;
      scaled = true;
      v = s.inputs[1 - side];
      nodes.push_back(*p);
      p = inner(v);
    }
    if (!p || !IsOp(g.nodes[*p], "MatMul") || g.nodes[*p].inputs.size() != 2) continue;
    const Node& mm1 = g.nodes[*p];
    nodes.push_back(*p);
    // float32 only: a float32 scale fixes the scores' type; otherwise ask the type rules.
    if (!scaled && !(IsFloat32(dtypes, mm1.inputs[0]) && IsFloat32(dtypes, mm1.inputs[1]))) {
      ok = false;
    }
    if (!IsFloat32(dtypes, mm2.inputs[1]) && !scaled) ok = false;
    if (!ok) continue;
    ops::AttentionAttrs attrs{static_cast<float>(scale), *softmax_axis, softmax.opset};
    std::vector<std::string> qkv = {mm1.inputs[0], mm1.inputs[1], mm2.inputs[1]};
    std::string output = mm2.outputs[0];
    // The Transposes that put the heads first (Q, V: [0, 2, 1, 3]; K: [0, 2, 3, 1]) and back
    // (Y), when all four are there and read by nothing else: folded in (heads_last).
    if (*softmax_axis == -1 || *softmax_axis == 3) {
      auto transpose = [&](std::optional<size_t> at, const std::vector<int64_t>& perm) {
        if (!at || removed[*at] || !IsOp(g.nodes[*at], "Transpose")) return false;
        const Attribute* p = g.nodes[*at].attr("perm");
        return g.nodes[*at].inputs.size() == 1 && p && p->ints == perm;
      };
      const std::vector<int64_t> swap = {0, 2, 1, 3}, kt = {0, 2, 3, 1};
      auto q_at = inner(qkv[0]), k_at = inner(qkv[1]), v_at = inner(qkv[2]);
      auto y_at = index.SingleConsumer(output);
      if (transpose(q_at, swap) && transpose(k_at, kt) && transpose(v_at, swap) &&
          transpose(y_at, swap) && g.nodes[*y_at].outputs.size() == 1) {
        for (auto at : {q_at, k_at, v_at}) nodes.push_back(*at);
        nodes.push_back(*y_at);
        qkv = {g.nodes[*q_at].inputs[0], g.nodes[*k_at].inputs[0], g.nodes[*v_at].inputs[0]};
        output = g.nodes[*y_at].outputs[0];
        attrs.heads_last = true;
      }
    }
    Node att = ops::MakeAttention(
        mm2.name.empty() ? mm2.outputs[0] + "_attention" : mm2.name + "_attention",
        {qkv[0], qkv[1], qkv[2], mask, cond, other}, output, attrs);
    rw.Replace(nodes, std::move(att));
  }
  if (count) *count = rw.Finish();
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
