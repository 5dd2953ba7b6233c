#include "engine/optimizer/shape_inference.h"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "engine/ops/axis.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/fused.h"
#include "engine/ops/resize.h"
#include "engine/ops/shape_rules.h"
#include "engine/ops/window.h"
#include "engine/optimizer/graph_util.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

const std::set<std::string> kSameShape = {"Relu",
                                          "Sigmoid",
                                          "Tanh",
                                          "Erf",
                                          "Sqrt",
                                          "Exp",
                                          "Log",
                                          "Neg",
                                          "Abs",
                                          "Cast",
                                          "Identity",
                                          "Softmax",
                                          "LogSoftmax",
                                          "LayerNormalization",
                                          "Dropout",
                                          "Not",
                                          "Reciprocal",
                                          "Floor",
                                          "Ceil",
                                          "Round",
                                          "Sin",
                                          "Cos",
                                          "HardSigmoid",
                                          "LeakyRelu",
                                          "Clip",
                                          "Elu",
                                          "Selu",
                                          "Softplus",
                                          "HardSwish",
                                          "CastLike",
                                          "BatchNormalization",
                                          "InstanceNormalization",
                                          "GroupNormalization",
                                          "Sign",
                                          "IsNaN",
                                          "Gelu",
                                          "Mish",
                                          "QuantizeLinear",
                                          "DequantizeLinear",
                                          "DynamicQuantizeLinear"};
const std::set<std::string> kBroadcast = {"Add",     "Sub",   "Mul",         "Div",
                                          "Pow",     "Max",   "Min",         "Sum",
                                          "Mean",    "Where", "Equal",       "Less",
                                          "Greater", "And",   "Or",          "Xor",
                                          "Mod",     "PRelu", "LessOrEqual", "GreaterOrEqual",
                                          "BitShift"};

std::optional<std::vector<int64_t>> ConstInts(const Graph& g, const std::string& name) {
  const Tensor* t = FindInitializer(g, name);
  if (!t) return std::nullopt;
  std::vector<int64_t> v(t->numel());
  if (t->dtype() == DType::kInt64) {
    std::copy(t->data<int64_t>(), t->data<int64_t>() + t->numel(), v.begin());
  } else if (t->dtype() == DType::kInt32) {
    std::copy(t->data<int32_t>(), t->data<int32_t>() + t->numel(), v.begin());
  } else {
    return std::nullopt;
  }
  return v;
}

// Integer list from attribute `attr` (older opsets) or input `input` (newer).
std::optional<std::vector<int64_t>> IntsArg(const Node& n, const Graph& g, const char* attr,
                                            size_t input) {
  if (const Attribute* a = n.attr(attr)) return a->ints;
  if (n.inputs.size() > input && !n.inputs[input].empty()) return ConstInts(g, n.inputs[input]);
  return std::nullopt;
}

// A rule's shape, or nullopt when it refuses (the node then fails, named, when it runs).
std::optional<Shape> Ok(const Result<Shape>& r) {
  if (!r.ok()) return std::nullopt;
  return *r;
}

// The fused ops' shapes (engine/ops/fused.h).
std::optional<Shape> FusedShape(const Node& n, const std::map<std::string, Shape>& s) {
  std::vector<const Shape*> in;
  for (const auto& name : n.inputs) {
    auto it = s.find(name);
    in.push_back(name.empty() || it == s.end() ? nullptr : &it->second);
  }
  if (n.op_type == "FusedMatMul") {
    if (in.size() < 2 || !in[0] || !in[1]) return std::nullopt;
    return Ok(ops::FusedMatMulShape(n, *in[0], *in[1]));
  }
  if (n.op_type == "Attention") {
    for (size_t i = 0; i < in.size(); ++i) {
      if (!n.inputs[i].empty() && !in[i]) return std::nullopt;  // a shape not known
    }
    auto r = ops::AttentionShape(n, in);
    if (!r.ok()) return std::nullopt;
    return r->output;
  }
  return std::nullopt;
}

std::optional<Shape> Infer(const Node& n, const Graph& g, const std::map<std::string, Shape>& s,
                           size_t out) {
  auto in = [&](size_t i) -> const Shape* {
    if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
    auto it = s.find(n.inputs[i]);
    return it == s.end() ? nullptr : &it->second;
  };
  const std::string& op = n.op_type;
  const Shape* x = in(0);
  if (out > 0 && op != "Split") return std::nullopt;
  if (kSameShape.count(op)) return x ? std::optional<Shape>(*x) : std::nullopt;
  if (kBroadcast.count(op)) {
    std::vector<Shape> all;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Shape* si = in(i);
      if (!si) return std::nullopt;
      all.push_back(*si);
    }
    auto r = ops::BroadcastShapes(all);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  if (!x) return std::nullopt;
  // From here on, the ops' own shape rules (engine/ops), as the kernels run them; a shape they
  // refuse gets none here and fails, named, when the node runs.
  int64_t rank = static_cast<int64_t>(x->size());
  auto attr_int = [&](const char* name, int64_t fallback) {
    const Attribute* a = n.attr(name);
    return a ? a->i : fallback;
  };
  if (op == "MatMul") {
    const Shape* y = in(1);
    if (!y) return std::nullopt;
    return Ok(ops::MatMulShape(n, *x, *y));
  }
  if (op == "Gemm") {
    const Shape* y = in(1);
    if (!y) return std::nullopt;
    return Ok(ops::GemmShape(n, *x, *y, attr_int("transA", 0) != 0, attr_int("transB", 0) != 0));
  }
  if (op == "Conv" || op == "ConvTranspose") {
    const Shape* w = in(1);
    if (!w) return std::nullopt;
    auto g = op == "Conv" ? ops::ConvWindow(n, *x, *w) : ops::ConvTransposeWindow(n, *x, *w);
    if (!g.ok()) return std::nullopt;
    return g->output;
  }
  if (op == "MaxPool" || op == "AveragePool" || op == "LpPool" || op == "GlobalAveragePool" ||
      op == "GlobalMaxPool" || op == "GlobalLpPool") {
    auto g = ops::PoolWindow(n, *x);
    if (!g.ok()) return std::nullopt;
    return g->output;
  }
  if (op == "Resize" && n.opset >= 11) {
    std::vector<int64_t> sizes;
    std::vector<float> scales;
    if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
      auto s = ConstInts(g, n.inputs[3]);
      if (!s) return std::nullopt;
      sizes = *s;
    }
    if (sizes.empty() && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const Tensor* t = FindInitializer(g, n.inputs[2]);
      if (!t || t->dtype() != DType::kFloat32) return std::nullopt;
      scales.assign(t->data<float>(), t->data<float>() + t->numel());
    }
    auto r = ops::ResizeOutputShape(n, *x, scales, sizes);
    if (!r.ok()) return std::nullopt;
    return r->out;
  }
  if (op == "Transpose") {
    std::vector<int64_t> perm;
    if (const Attribute* a = n.attr("perm")) perm = a->ints;
    auto p = ops::TransposePerm(n, rank, perm);
    if (!p.ok()) return std::nullopt;
    return ops::TransposeShape(*x, *p);
  }
  if (op == "Reshape") {
    auto target = n.opset < 5 ? IntsArg(n, g, "shape", 99)
                              : ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : "");
    if (!target) return std::nullopt;
    return Ok(ops::ReshapeShape(n, *x, *target, attr_int("allowzero", 0) != 0));
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto axes = IntsArg(n, g, "axes", 1);
    Result<Shape> r = op == "Squeeze"
                          ? ops::SqueezeShape(n, *x, axes && !axes->empty() ? &*axes : nullptr)
                      : axes ? ops::UnsqueezeShape(n, *x, *axes)
                             : Result<Shape>(Status::InvalidArgument("no axes"));
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  if (op == "Gather") {
    const Shape* idx = in(1);
    if (!idx) return std::nullopt;
    return Ok(ops::GatherShape(n, *x, *idx, attr_int("axis", 0)));
  }
  if (op == "Concat") {
    std::vector<Shape> all;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Shape* si = in(i);
      if (!si) return std::nullopt;
      all.push_back(*si);
    }
    if (!n.attr("axis")) return std::nullopt;
    return Ok(ops::ConcatShape(n, all, attr_int("axis", 0)));
  }
  if (op == "Flatten") {
    auto r = ops::FlattenShape(n, *x, n.attr("axis") ? n.attr("axis")->i : 1);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  if (op == "Expand") {
    auto target = ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : "");
    if (!target) return std::nullopt;
    return Ok(ops::ExpandShape(n, *x, *target));
  }
  if (op == "Slice") {
    std::optional<std::vector<int64_t>> starts, ends, axes = std::vector<int64_t>{},
                                                      steps = std::vector<int64_t>{};
    if (n.opset < 10) {
      starts = IntsArg(n, g, "starts", 99);
      ends = IntsArg(n, g, "ends", 99);
      if (n.attr("axes")) axes = n.attr("axes")->ints;
    } else {
      starts = IntsArg(n, g, "", 1);
      ends = IntsArg(n, g, "", 2);
      if (n.inputs.size() > 3 && !n.inputs[3].empty()) axes = ConstInts(g, n.inputs[3]);
      if (n.inputs.size() > 4 && !n.inputs[4].empty()) steps = ConstInts(g, n.inputs[4]);
    }
    if (!starts || !ends || !axes || !steps) return std::nullopt;
    auto cut = ops::SliceAxes(n, *x, *starts, *ends, *axes, *steps);
    if (!cut.ok()) return std::nullopt;
    return ops::SliceShape(*x, *cut);
  }
  if (op == "Split") {
    auto axis = ops::NormalizeAxis(n, attr_int("axis", 0), rank);
    if (!axis.ok()) return std::nullopt;
    std::vector<int64_t> split;
    if (n.opset < 13) {
      if (const Attribute* a = n.attr("split")) split = a->ints;
    } else if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
      auto s = ConstInts(g, n.inputs[1]);
      if (!s) return std::nullopt;
      split = *s;
    }
    auto sizes = ops::SplitSizes(n, (*x)[*axis], split, static_cast<int64_t>(n.outputs.size()),
                                 attr_int("num_outputs", 0));
    if (!sizes.ok()) return std::nullopt;
    Shape r = *x;
    r[*axis] = (*sizes)[out];
    return r;
  }
  return std::nullopt;
}

}  // namespace

void InferNodeShapes(const Node& node, const Graph& graph, std::map<std::string, Shape>& shapes) {
  if (node.domain == kFusedDomain && node.op_type != "Gelu") {
    if (node.outputs.size() == 1 && !node.outputs[0].empty()) {
      if (auto r = FusedShape(node, shapes)) shapes[node.outputs[0]] = *r;
    }
    return;
  }
  if (!node.domain.empty() && node.domain != kFusedDomain) return;
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    if (node.outputs[o].empty()) continue;
    auto r = Infer(node, graph, shapes, o);
    if (r) shapes[node.outputs[o]] = *r;
  }
}

}  // namespace ipfs_accelerate::engine::optimizer
