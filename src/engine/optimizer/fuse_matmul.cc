// MatMul/Gemm with a bias and an activation -> FusedMatMul (domain ai.ipfs_accelerate):
// inputs A, B, optional bias [N]; attributes activation, activation_params, trans_b, alpha.
#include <limits>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

Attribute StringAttr(const std::string& s) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = s;
  return a;
}

// A float32 2-D constant weight, or null.
const Tensor* Weight(const Graph& g, const std::string& name) {
  const Tensor* t = FindInitializer(g, name);
  return t && t->dtype() == DType::kFloat32 && t->rank() == 2 ? t : nullptr;
}

Node MakeFused(const std::string& name, std::vector<std::string> inputs, const std::string& out) {
  Node n;
  n.name = name;
  n.op_type = "FusedMatMul";
  n.domain = kFusedDomain;
  n.opset = 1;
  n.inputs = std::move(inputs);
  n.outputs = {out};
  n.attributes["activation"] = StringAttr("");
  return n;
}

// The FusedMatMul activation name and parameters for activation node `n`; false when `n` is
// no activation FusedMatMul applies.
bool Activation(const Graph& g, const Node& n, std::string* name, std::vector<float>* params) {
  auto fattr = [&](const char* key, float fallback) {
    const Attribute* a = n.attr(key);
    return a ? a->f : fallback;
  };
  if (n.domain == kFusedDomain && n.op_type == "Gelu") {
    const Attribute* a = n.attr("approximate");
    std::string approx = a ? a->s : "none";
    if (approx != "none" && approx != "tanh") return false;
    *name = approx == "tanh" ? "GeluTanh" : "Gelu";
    return true;
  }
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.size() != 1) return false;
  const std::string& op = n.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh") {
    *name = op;
    return true;
  }
  if (op == "Gelu") {
    const Attribute* a = n.attr("approximate");
    std::string approx = a ? a->s : "none";
    if (approx != "none" && approx != "tanh") return false;
    *name = approx == "tanh" ? "GeluTanh" : "Gelu";
    return true;
  }
  if (op == "HardSigmoid") {
    *name = op;
    *params = {fattr("alpha", 0.2f), fattr("beta", 0.5f)};
    return true;
  }
  if (op == "LeakyRelu") {
    *name = op;
    *params = {fattr("alpha", 0.01f)};
    return true;
  }
  if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (n.opset < 11) {
      lo = fattr("min", lo);
      hi = fattr("max", hi);
    } else {
      for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
        if (n.inputs[k].empty()) continue;
        const Tensor* t = FindInitializer(g, n.inputs[k]);
        if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
        (k == 1 ? lo : hi) = *t->data<float>();
      }
    }
    *name = op;
    *params = {lo, hi};
    return true;
  }
  return false;
}

}  // namespace

Status FuseMatMulBias(Graph& g, int64_t* count) {
  GraphIndex index(g);
  std::vector<bool> removed(g.nodes.size(), false);
  int64_t fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (!IsOp(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    for (int side = 0; side < 2; ++side) {
      const Tensor* bias = FindInitializer(g, add.inputs[1 - side]);
      if (!bias || bias->dtype() != DType::kFloat32 || bias->rank() != 1) continue;
      auto p = index.Producer(add.inputs[side]);
      if (!p || removed[*p] || !index.HasSingleConsumer(add.inputs[side])) continue;
      const Node& mm = g.nodes[*p];
      if (!IsOp(mm, "MatMul") || mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
      const Tensor* b = Weight(g, mm.inputs[1]);
      if (!b || b->dim(1) != bias->numel()) continue;
      Node f = MakeFused(mm.name.empty() ? add.outputs[0] + "_fused" : mm.name + "_fused",
                         {mm.inputs[0], mm.inputs[1], add.inputs[1 - side]}, add.outputs[0]);
      removed[*p] = true;
      g.nodes[i] = std::move(f);
      ++fused;
      break;
    }
  }
  if (fused) RemoveNodes(g, removed);
  if (count) *count = fused;
  return Status::Ok();
}

Status FuseMatMulActivation(Graph& g, int64_t* count) {
  GraphIndex index(g);
  std::vector<bool> removed(g.nodes.size(), false);
  int64_t fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act = g.nodes[i];
    std::string name;
    std::vector<float> params;
    if (removed[i] || !Activation(g, act, &name, &params)) continue;
    const std::string& x = act.inputs[0];
    auto p = index.Producer(x);
    if (!p || removed[*p] || !index.HasSingleConsumer(x)) continue;
    const Node& mm = g.nodes[*p];
    if (mm.outputs.size() != 1) continue;
    Node f;
    if (mm.domain == kFusedDomain && mm.op_type == "FusedMatMul") {
      const Attribute* a = mm.attr("activation");
      if (a && !a->s.empty()) continue;
      f = mm;
    } else if (IsOp(mm, "MatMul") && mm.inputs.size() == 2 && Weight(g, mm.inputs[1])) {
      f = MakeFused(mm.name + "_fused", {mm.inputs[0], mm.inputs[1]}, x);
    } else if (IsOp(mm, "Gemm") && mm.inputs.size() >= 2 && Weight(g, mm.inputs[1])) {
      auto iattr = [&](const char* k, int64_t d) { return mm.attr(k) ? mm.attr(k)->i : d; };
      auto fattr = [&](const char* k, float d) { return mm.attr(k) ? mm.attr(k)->f : d; };
      if (iattr("transA", 0) != 0) continue;
      bool tb = iattr("transB", 0) != 0;
      const Tensor* b = Weight(g, mm.inputs[1]);
      int64_t n = tb ? b->dim(0) : b->dim(1);
      std::vector<std::string> ins = {mm.inputs[0], mm.inputs[1]};
      if (mm.inputs.size() > 2 && !mm.inputs[2].empty()) {
        const Tensor* c = FindInitializer(g, mm.inputs[2]);
        bool bias_like = c && c->dtype() == DType::kFloat32 && c->numel() == n &&
                         (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1));
        if (!bias_like || fattr("beta", 1.f) != 1.f) continue;
        ins.push_back(mm.inputs[2]);
      }
      f = MakeFused(mm.name + "_fused", ins, x);
      Attribute t, alpha;
      t.kind = Attribute::Kind::kInt;
      t.i = tb ? 1 : 0;
      alpha.kind = Attribute::Kind::kFloat;
      alpha.f = fattr("alpha", 1.f);
      f.attributes["trans_b"] = t;
      f.attributes["alpha"] = alpha;
    } else {
      continue;
    }
    f.attributes["activation"] = StringAttr(name);
    if (!params.empty()) {
      Attribute ap;
      ap.kind = Attribute::Kind::kFloats;
      ap.floats = params;
      f.attributes["activation_params"] = ap;
    }
    f.outputs = {act.outputs[0]};
    removed[*p] = true;
    g.nodes[i] = std::move(f);
    ++fused;
  }
  if (fused) RemoveNodes(g, removed);
  if (count) *count = fused;
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
