// Folding BatchNormalization and per-channel constant Adds into a preceding Conv's weights and
// bias. The Conv stays a plain ONNX Conv; activations and residual Adds are left alone.
#include <cmath>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

// The Conv producing `value` when it can absorb a per-channel affine map: float32 constant
// weights (and bias), and `value` read by one node only. Returns its index.
std::optional<size_t> FoldableConv(const Graph& g, const GraphIndex& index,
                                   const std::vector<bool>& removed, const std::string& value) {
  auto p = index.Producer(value);
  if (!p || removed[*p] || !index.HasSingleConsumer(value)) return std::nullopt;
  const Node& conv = g.nodes[*p];
  if (!IsOp(conv, "Conv") || conv.inputs.size() < 2 || conv.outputs.size() != 1) {
    return std::nullopt;
  }
  const Tensor* w = FindInitializer(g, conv.inputs[1]);
  if (!w || w->dtype() != DType::kFloat32 || w->rank() < 3) return std::nullopt;
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    const Tensor* b = FindInitializer(g, conv.inputs[2]);
    if (!b || b->dtype() != DType::kFloat32 || b->numel() != w->dim(0)) return std::nullopt;
  }
  return *p;
}

std::vector<float> ConvBias(const Graph& g, const Node& conv, int64_t channels) {
  std::vector<float> bias(channels, 0.f);
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    const Tensor* b = FindInitializer(g, conv.inputs[2]);
    std::copy(b->data<float>(), b->data<float>() + channels, bias.begin());
  }
  return bias;
}

// Gives `conv` the new bias `bias` (as a fresh initializer) and the output `output`.
void SetBias(Graph& g, Node& conv, const std::vector<float>& bias, const std::string& output) {
  Tensor t = Tensor::Empty(DType::kFloat32, {static_cast<int64_t>(bias.size())});
  std::copy(bias.begin(), bias.end(), t.data<float>());
  std::string name = UniqueName(g, conv.name.empty() ? output + "_bias" : conv.name + "_bias");
  g.initializers[name] = std::move(t);
  conv.inputs.resize(3);
  conv.inputs[2] = name;
  conv.outputs[0] = output;
}

// The per-channel values of a constant broadcast against a Conv output of `rank` with `channels`
// channels: one value, or `channels` values along axis 1 only. Empty when it is not per-channel.
std::vector<float> PerChannel(const Tensor& c, int64_t rank, int64_t channels) {
  if (c.dtype() != DType::kFloat32 || c.rank() > rank) return {};
  if (c.numel() == 1) return std::vector<float>(channels, *c.data<float>());
  if (c.numel() != channels) return {};
  int64_t axis1 = 1 - (rank - c.rank());  // c's axis aligned with the channel axis
  if (axis1 < 0) return {};
  for (int d = 0; d < c.rank(); ++d) {
    if (d != axis1 && c.dim(d) != 1) return {};
  }
  return std::vector<float>(c.data<float>(), c.data<float>() + channels);
}

}  // namespace

Status FuseConvBatchNorm(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& bn = g.nodes[i];
    if (!IsOp(bn, "BatchNormalization") || bn.inputs.size() != 5) continue;
    if (bn.attr("training_mode") && bn.attr("training_mode")->i != 0) continue;
    bool extra_outputs = false;
    for (size_t k = 1; k < bn.outputs.size(); ++k) extra_outputs |= !bn.outputs[k].empty();
    if (extra_outputs || (bn.attr("spatial") && bn.attr("spatial")->i == 0)) continue;
    auto ci = FoldableConv(g, index, removed, bn.inputs[0]);
    if (!ci) continue;
    const Tensor* w = FindInitializer(g, g.nodes[*ci].inputs[1]);
    int64_t m = w->dim(0);
    const Tensor* p[4];
    bool ok = true;
    for (int k = 0; k < 4; ++k) {
      p[k] = FindInitializer(g, bn.inputs[1 + k]);
      ok = ok && p[k] && p[k]->dtype() == DType::kFloat32 && p[k]->numel() == m;
    }
    if (!ok) continue;
    double eps = bn.attr("epsilon") ? bn.attr("epsilon")->f : 1e-5;
    const float *scale = p[0]->data<float>(), *beta = p[1]->data<float>();
    const float *mean = p[2]->data<float>(), *var = p[3]->data<float>();
    Node conv = g.nodes[*ci];
    std::vector<float> bias = ConvBias(g, conv, m);
    Tensor nw = w->Clone();
    int64_t per = w->numel() / m;
    float* pw = nw.data<float>();
    for (int64_t c = 0; c < m; ++c) {
      double f = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      for (int64_t j = 0; j < per; ++j) pw[c * per + j] = static_cast<float>(pw[c * per + j] * f);
      bias[c] = static_cast<float>((bias[c] - mean[c]) * f + beta[c]);
    }
    std::string wname = UniqueName(g, conv.inputs[1] + "_bn");
    g.initializers[wname] = std::move(nw);
    conv.inputs[1] = wname;
    SetBias(g, conv, bias, bn.outputs[0]);
    // The Conv now produces the BatchNormalization's output, at the BN's position.
    rw.Replace({*ci, i}, std::move(conv));
  }
  const int64_t fused = rw.Finish();
  if (fused) RemoveUnusedInitializers(g);
  if (count) *count = fused;
  return Status::Ok();
}

namespace {

// Folds `op_type` (Add or Mul) of a per-channel constant into the Conv producing its other
// input: `fold` rewrites the Conv's weights and bias given the constant's per-channel values.
using FoldFn = void (*)(Graph& g, Node& conv, const Tensor& w, const std::vector<float>& values);

Status FoldPerChannel(Graph& g, const char* op_type, FoldFn fold, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& op = g.nodes[i];
    if (!IsOp(op, op_type) || op.inputs.size() != 2 || op.outputs.size() != 1) continue;
    for (int side = 0; side < 2; ++side) {
      const Tensor* c = FindInitializer(g, op.inputs[1 - side]);
      if (!c) continue;
      auto ci = FoldableConv(g, index, removed, op.inputs[side]);
      if (!ci) continue;
      const Tensor* w = FindInitializer(g, g.nodes[*ci].inputs[1]);
      std::vector<float> values = PerChannel(*c, w->rank(), w->dim(0));
      if (values.empty()) continue;
      Node conv = g.nodes[*ci];
      fold(g, conv, *w, values);
      conv.outputs[0] = op.outputs[0];
      // The Conv now produces the op's output, at the op's position.
      rw.Replace({*ci, i}, std::move(conv));
      break;
    }
  }
  const int64_t fused = rw.Finish();
  if (fused) RemoveUnusedInitializers(g);
  if (count) *count = fused;
  return Status::Ok();
}

}  // namespace

Status FuseConvAdd(Graph& g, int64_t* count) {
  return FoldPerChannel(
      g, "Add",
      [](Graph& g, Node& conv, const Tensor& w, const std::vector<float>& extra) {
        std::vector<float> bias = ConvBias(g, conv, w.dim(0));
        for (size_t k = 0; k < bias.size(); ++k) bias[k] += extra[k];
        SetBias(g, conv, bias, conv.outputs[0]);
      },
      count);
}

Status FuseConvMul(Graph& g, int64_t* count) {
  return FoldPerChannel(
      g, "Mul",
      [](Graph& g, Node& conv, const Tensor& w, const std::vector<float>& scale) {
        int64_t m = w.dim(0), per = w.numel() / m;
        std::vector<float> bias = ConvBias(g, conv, m);
        Tensor nw = w.Clone();
        float* pw = nw.data<float>();
        for (int64_t k = 0; k < m; ++k) {
          for (int64_t j = 0; j < per; ++j) pw[k * per + j] *= scale[k];
          bias[k] *= scale[k];
        }
        std::string wname = UniqueName(g, conv.inputs[1] + "_scaled");
        g.initializers[wname] = std::move(nw);
        conv.inputs[1] = wname;
        SetBias(g, conv, bias, conv.outputs[0]);
      },
      count);
}

}  // namespace ipfs_accelerate::engine::optimizer
