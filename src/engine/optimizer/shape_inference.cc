#include "engine/optimizer/shape_inference.h"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "engine/ops/broadcast.h"
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
                                          "Sign",
                                          "IsNaN",
                                          "Gelu",
                                          "Mish"};
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

bool NormAxis(int64_t& axis, int64_t rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < rank;
}

// FusedMatMul: A's leading dims + [N]; Attention: the scores' batch + [S, Dv].
std::optional<Shape> FusedShape(const Node& n, const std::map<std::string, Shape>& s) {
  std::vector<const Shape*> in;
  for (const auto& name : n.inputs) {
    auto it = s.find(name);
    in.push_back(name.empty() || it == s.end() ? nullptr : &it->second);
  }
  if (n.op_type == "FusedMatMul") {
    if (in.size() < 2 || !in[0] || !in[1] || in[0]->empty() || in[1]->size() != 2) {
      return std::nullopt;
    }
    bool tb = n.attr("trans_b") && n.attr("trans_b")->i != 0;
    Shape r(in[0]->begin(), in[0]->end() - 1);
    r.push_back(tb ? (*in[1])[0] : (*in[1])[1]);
    return r;
  }
  if (n.op_type == "Attention") {
    if (in.size() < 3) return std::nullopt;
    std::vector<Shape> all;
    for (size_t i = 0; i < in.size(); ++i) {
      if (n.inputs[i].empty()) continue;
      if (!in[i] || in[i]->size() < 2) return std::nullopt;
    }
    const Shape &q = *in[0], &k = *in[1], &v = *in[2];
    auto batch = [](const Shape& t) { return Shape(t.begin(), t.end() - 2); };
    Shape scores = batch(q);
    auto b = ops::BroadcastShapes({batch(q), batch(k)});
    if (!b.ok()) return std::nullopt;
    scores = *b;
    scores.push_back(q[q.size() - 2]);
    scores.push_back(k.back());
    all.push_back(scores);
    for (size_t i = 3; i < in.size(); ++i) {
      if (in[i]) all.push_back(*in[i]);
    }
    auto full = ops::BroadcastShapes(all);
    if (!full.ok()) return std::nullopt;
    auto out = ops::BroadcastShapes({batch(*full), batch(v)});
    if (!out.ok()) return std::nullopt;
    Shape r = *out;
    r.push_back(q[q.size() - 2]);
    r.push_back(v.back());
    return r;
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
  int64_t rank = static_cast<int64_t>(x->size());
  if (op == "MatMul") {
    const Shape* y = in(1);
    if (!y || x->empty() || y->empty()) return std::nullopt;
    Shape a = *x, b = *y;
    bool av = a.size() == 1, bv = b.size() == 1;
    if (av) a.insert(a.begin(), 1);
    if (bv) b.push_back(1);
    auto batch =
        ops::BroadcastShapes({Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2)});
    if (!batch.ok()) return std::nullopt;
    Shape r = *batch;
    if (!av) r.push_back(a[a.size() - 2]);
    if (!bv) r.push_back(b.back());
    return r;
  }
  if (op == "Gemm") {
    const Shape* y = in(1);
    if (!y || x->size() != 2 || y->size() != 2) return std::nullopt;
    bool ta = n.attr("transA") && n.attr("transA")->i != 0;
    bool tb = n.attr("transB") && n.attr("transB")->i != 0;
    return Shape{ta ? (*x)[1] : (*x)[0], tb ? (*y)[0] : (*y)[1]};
  }
  // The ops' own shape rules (engine/ops), as the kernels run them; a geometry they refuse
  // gets no shape here and fails, named, when the node runs.
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
    if (perm.empty()) {
      for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    }
    if (static_cast<int64_t>(perm.size()) != rank) return std::nullopt;
    Shape r;
    for (int64_t p : perm) {
      if (!NormAxis(p, rank)) return std::nullopt;
      r.push_back((*x)[p]);
    }
    return r;
  }
  if (op == "Reshape") {
    auto target = ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : "");
    if (!target) return std::nullopt;
    bool allowzero = n.attr("allowzero") && n.attr("allowzero")->i != 0;
    Shape r = *target;
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] == 0 && !allowzero) {
        if (i >= x->size()) return std::nullopt;
        r[i] = (*x)[i];
      }
      if (r[i] == -1) {
        if (infer >= 0) return std::nullopt;
        infer = static_cast<int64_t>(i);
      } else if (r[i] < 0 || __builtin_mul_overflow(known, r[i], &known)) {
        return std::nullopt;
      }
    }
    if (infer >= 0) {
      if (known == 0) return std::nullopt;
      r[infer] = NumElements(*x) / known;
    }
    if (NumElements(r) != NumElements(*x)) return std::nullopt;
    return r;
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
    int64_t axis = n.attr("axis") ? n.attr("axis")->i : 0;
    if (!NormAxis(axis, rank)) return std::nullopt;
    Shape r(x->begin(), x->begin() + axis);
    r.insert(r.end(), idx->begin(), idx->end());
    r.insert(r.end(), x->begin() + axis + 1, x->end());
    return r;
  }
  if (op == "Concat") {
    int64_t axis = n.attr("axis") ? n.attr("axis")->i : 0;
    if (!NormAxis(axis, rank)) return std::nullopt;
    Shape r = *x;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      const Shape* si = in(i);
      if (!si || si->size() != x->size()) return std::nullopt;
      if (__builtin_add_overflow(r[axis], (*si)[axis], &r[axis])) return std::nullopt;
    }
    return r;
  }
  if (op == "Flatten") {
    auto r = ops::FlattenShape(n, *x, n.attr("axis") ? n.attr("axis")->i : 1);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  if (op == "Expand") {
    auto target = ConstInts(g, n.inputs.size() > 1 ? n.inputs[1] : "");
    if (!target) return std::nullopt;
    auto r = ops::BroadcastShapes({*x, *target});
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  if (op == "Slice") {
    std::optional<std::vector<int64_t>> starts, ends, axes, steps;
    if (n.opset < 10) {
      starts = IntsArg(n, g, "starts", 99);
      ends = IntsArg(n, g, "ends", 99);
      axes = IntsArg(n, g, "axes", 99);
    } else {
      starts = IntsArg(n, g, "", 1);
      ends = IntsArg(n, g, "", 2);
      if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
        axes = ConstInts(g, n.inputs[3]);
        if (!axes) return std::nullopt;
      }
      if (n.inputs.size() > 4 && !n.inputs[4].empty()) {
        steps = ConstInts(g, n.inputs[4]);
        if (!steps) return std::nullopt;
      }
    }
    if (!starts || !ends || starts->size() != ends->size()) return std::nullopt;
    Shape r = *x;
    for (size_t i = 0; i < starts->size(); ++i) {
      int64_t axis = axes ? (i < axes->size() ? (*axes)[i] : -1000) : static_cast<int64_t>(i);
      if (!NormAxis(axis, rank)) return std::nullopt;
      int64_t step = steps ? (i < steps->size() ? (*steps)[i] : 0) : 1;
      if (step == 0) return std::nullopt;
      int64_t dim = (*x)[axis], b = (*starts)[i], e = (*ends)[i];
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      if (step > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        r[axis] = e > b ? (e - b + step - 1) / step : 0;
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        r[axis] = b > e ? (b - e + (-step) - 1) / (-step) : 0;
      }
    }
    return r;
  }
  if (op == "Split") {
    int64_t axis = n.attr("axis") ? n.attr("axis")->i : 0;
    if (!NormAxis(axis, rank)) return std::nullopt;
    auto split = IntsArg(n, g, "split", 1);
    int64_t parts = static_cast<int64_t>(n.outputs.size());
    Shape r = *x;
    if (split) {
      if (static_cast<int64_t>(split->size()) != parts) return std::nullopt;
      r[axis] = (*split)[out];
    } else {
      int64_t dim = (*x)[axis];
      int64_t chunk = (dim + parts - 1) / parts;
      if (n.attr("num_outputs") == nullptr && dim % parts != 0) return std::nullopt;
      int64_t begin = chunk * static_cast<int64_t>(out);
      r[axis] = std::max<int64_t>(0, std::min(chunk, dim - begin));
    }
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
