// Layer normalization written out (as opset-9 exporters do) -> ONNX LayerNormalization.
#include <algorithm>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

// Whether `n` is ReduceMean over the last axis only, keeping dims.
bool IsLastAxisMean(const Graph& g, const Node& n) {
  if (!IsOp(n, "ReduceMean") || n.outputs.size() != 1) return false;
  if (n.attr("keepdims") && n.attr("keepdims")->i != 1) return false;
  std::vector<int64_t> axes;
  if (const Attribute* a = n.attr("axes")) {
    axes = a->ints;
  } else if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    const Tensor* t = FindInitializer(g, n.inputs[1]);
    if (!t || t->dtype() != DType::kInt64) return false;
    axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  }
  return axes.size() == 1 && axes[0] == -1;
}

// For binary `n` reading `value`: the other input, or null.
const std::string* Other(const Node& n, const std::string& value) {
  if (n.inputs.size() != 2) return nullptr;
  if (n.inputs[0] == value) return &n.inputs[1];
  if (n.inputs[1] == value) return &n.inputs[0];
  return nullptr;
}

// A 1-D float32 initializer, or null.
const Tensor* Vector(const Graph& g, const std::string& name) {
  const Tensor* t = FindInitializer(g, name);
  return t && t->dtype() == DType::kFloat32 && t->rank() == 1 ? t : nullptr;
}

}  // namespace

Status FuseLayerNorm(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  // The single live consumer of `v` when it is `op`, with its index.
  auto next = [&](const std::string& v, const char* op, size_t* at) -> const Node* {
    auto c = index.SingleConsumer(v);
    if (!c || removed[*c] || !IsOp(g.nodes[*c], op) || g.nodes[*c].outputs.size() != 1) {
      return nullptr;
    }
    *at = *c;
    return &g.nodes[*c];
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (removed[i] || !IsLastAxisMean(g, g.nodes[i])) continue;
    const Node& mean = g.nodes[i];
    const std::string& x = mean.inputs[0];
    std::vector<size_t> nodes = {i};
    size_t at;
    // Sub(x, mean), read by the square and by the final Div.
    const std::string& mu = mean.outputs[0];
    auto sub_at = index.SingleConsumer(mu);
    if (!sub_at || removed[*sub_at]) continue;
    const Node& sub = g.nodes[*sub_at];
    if (!IsOp(sub, "Sub") || sub.inputs.size() != 2 || sub.inputs[0] != x || sub.inputs[1] != mu) {
      continue;
    }
    nodes.push_back(*sub_at);
    const std::string& d = sub.outputs[0];
    const auto& readers = index.Consumers(d);
    if (index.IsGraphOutput(d) || readers.size() != 2) continue;
    const Node* sq = nullptr;
    const Node* div = nullptr;
    size_t sq_at = 0, div_at = 0;
    for (size_t r : readers) {
      const Node& n = g.nodes[r];
      if (removed[r] || n.outputs.size() != 1) continue;
      if ((IsOp(n, "Pow") && n.inputs.size() == 2 && n.inputs[0] == d &&
           IsFloatScalar(g, n.inputs[1], 2.0)) ||
          (IsOp(n, "Mul") && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d)) {
        sq = &n;
        sq_at = r;
      } else if (IsOp(n, "Div") && n.inputs.size() == 2 && n.inputs[0] == d) {
        div = &n;
        div_at = r;
      }
    }
    if (!sq || !div) continue;
    nodes.push_back(sq_at);
    const Node* var = next(sq->outputs[0], "ReduceMean", &at);
    if (!var || !IsLastAxisMean(g, *var)) continue;
    nodes.push_back(at);
    const Node* add_eps = next(var->outputs[0], "Add", &at);
    const std::string* eps_name = add_eps ? Other(*add_eps, var->outputs[0]) : nullptr;
    auto eps = eps_name ? ScalarConstant(g, *eps_name) : std::nullopt;
    const Tensor* eps_t = eps_name ? FindInitializer(g, *eps_name) : nullptr;
    if (!eps || eps_t->dtype() != DType::kFloat32 || *eps < 0) continue;
    nodes.push_back(at);
    const Node* sqrt = next(add_eps->outputs[0], "Sqrt", &at);
    if (!sqrt) continue;
    nodes.push_back(at);
    if (div->inputs[1] != sqrt->outputs[0] || index.SingleConsumer(sqrt->outputs[0]) != div_at) {
      continue;
    }
    nodes.push_back(div_at);
    // Optional affine part: Mul(gamma) then Add(beta), 1-D float32 constants.
    std::string y = div->outputs[0], gamma, beta;
    const Node* mul = next(y, "Mul", &at);
    const std::string* gname = mul ? Other(*mul, y) : nullptr;
    if (gname && Vector(g, *gname)) {
      gamma = *gname;
      nodes.push_back(at);
      y = mul->outputs[0];
      const Node* add = next(y, "Add", &at);
      const std::string* bname = add ? Other(*add, y) : nullptr;
      if (bname && Vector(g, *bname) && Vector(g, *bname)->numel() == Vector(g, gamma)->numel()) {
        beta = *bname;
        nodes.push_back(at);
        y = add->outputs[0];
      }
    }
    size_t last = *std::max_element(nodes.begin(), nodes.end());
    Node ln;
    ln.name = g.nodes[last].name.empty() ? y + "_layernorm" : g.nodes[last].name + "_layernorm";
    ln.op_type = "LayerNormalization";
    ln.opset = 17;
    if (gamma.empty()) {
      // Scale of ones; LayerNormalization broadcasts a one-element scale over the last axis.
      gamma = UniqueName(g, ln.name + "_scale");
      g.initializers[gamma] = Tensor::Scalar<float>(DType::kFloat32, 1.f).Reshaped({1});
    }
    ln.inputs = {x, gamma};
    if (!beta.empty()) ln.inputs.push_back(beta);
    ln.outputs = {y};
    ln.attributes["axis"] = Attribute::Int(-1);
    ln.attributes["epsilon"] = Attribute::Float(static_cast<float>(*eps));
    rw.Replace(nodes, std::move(ln));
  }
  if (count) *count = rw.Finish();
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
