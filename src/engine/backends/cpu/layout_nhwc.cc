// The NHWC layout pass and the convolution epilogue fusions that work on its result.
//
// oneDNN's fast convolutions read and write channels-last tensors; ONNX graphs are NCHW. Rather
// than reordering around every Conv, ConvertToNhwc runs whole regions of a CNN channels-last:
// 2-D float Convs become NhwcConv, and the ops between them that do not care about the layout
// (element-wise ops, pooling, channel Concat, Resize) follow. A Transpose enters a region and one
// leaves it where an NCHW consumer (or a graph output) needs the value.
#include "engine/backends/cpu/layout_nhwc.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "engine/optimizer/graph_util.h"

namespace ipfs_accelerate::engine::cpu {

using namespace optimizer;  // NOLINT: the optimizer's graph helpers (GraphIndex, IsOp, ...)

namespace {

const std::set<std::string> kUnary = {
    "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",    "Identity",
    "Elu",  "Neg",       "Abs",  "Sqrt",    "Exp",         "Erf",       "Softplus"};
const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div"};

// [a, b, c, d] -> [a, c, d, b] for a constant of rank <= 4 (padded with leading 1s).
Tensor ToNhwcConstant(const Tensor& t) {
  Shape s = t.shape();
  while (s.size() < 4) s.insert(s.begin(), 1);
  Tensor out = Tensor::Empty(t.dtype(), {s[0], s[2], s[3], s[1]});
  size_t es = DTypeSize(t.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(t.raw());
  uint8_t* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t a = 0; a < s[0]; ++a) {
    for (int64_t b = 0; b < s[1]; ++b) {
      for (int64_t c = 0; c < s[2]; ++c) {
        for (int64_t d = 0; d < s[3]; ++d) {
          int64_t from = ((a * s[1] + b) * s[2] + c) * s[3] + d;
          int64_t to = ((a * s[2] + c) * s[3] + d) * s[1] + b;
          std::memcpy(dst + to * es, src + from * es, es);
        }
      }
    }
  }
  return out;
}

Node MakeTranspose(const std::string& in, const std::string& out, std::vector<int64_t> perm,
                   int64_t opset) {
  Node t;
  t.name = out;
  t.op_type = "Transpose";
  t.inputs = {in};
  t.outputs = {out};
  t.opset = opset;
  t.attributes["perm"] = Attribute::Ints(std::move(perm));
  return t;
}

class NhwcRewriter {
 public:
  explicit NhwcRewriter(Graph& g) : g_(g), dtypes_(InferDTypes(g)) {
    for (const Node& n : g.nodes) {
      names_.insert(n.inputs.begin(), n.inputs.end());
      names_.insert(n.outputs.begin(), n.outputs.end());
    }
    for (const auto& [name, t] : g.initializers) names_.insert(name);
    for (const ValueInfo& v : g.inputs) names_.insert(v.name);
    for (const ValueInfo& v : g.outputs) names_.insert(v.name);
  }

  int64_t Run() {
    for (const Node& n : g_.nodes) {
      if (n.domain.empty() && n.opset > 0) opset_ = n.opset;
    }
    std::vector<Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (Node& n : nodes) {
      if (!Convert(n)) {
        for (const std::string& in : n.inputs) Materialize(in);
        if (HasSubgraph(n)) {
          std::set<std::string> reads;
          for (const auto& [key, attr] : n.attributes) {
            if (attr.g) CollectReads(*attr.g, &reads);
          }
          for (const std::string& r : reads) Materialize(r);
        }
      }
      g_.nodes.push_back(std::move(n));
    }
    for (const ValueInfo& o : g_.outputs) Materialize(o.name);
    return converted_;
  }

 private:
  bool Nhwc(const std::string& v) const { return twin_.count(v) > 0; }
  const Tensor* Constant(const std::string& v) const { return FindInitializer(g_, v); }

  // Makes the NCHW value `v` exist again (a Transpose out of the region), once.
  void Materialize(const std::string& v) {
    auto it = twin_.find(v);
    if (it == twin_.end() || materialized_.count(v)) return;
    materialized_.insert(v);
    g_.nodes.push_back(MakeTranspose(it->second, v, {0, 3, 1, 2}, opset_));
  }

  // The NHWC twin of `v`, entering the region through a Transpose when `v` is NCHW.
  std::string Enter(const std::string& v) {
    if (Nhwc(v)) return twin_[v];
    auto it = entered_.find(v);
    if (it != entered_.end()) return it->second;
    std::string name = Fresh(v + "_nhwc");
    g_.nodes.push_back(MakeTranspose(v, name, {0, 2, 3, 1}, opset_));
    entered_[v] = name;
    return name;
  }

  // Renames output `k` of `n` to a fresh NHWC value and records the twin.
  void Leave(Node& n, size_t k = 0) {
    std::string name = Fresh(n.outputs[k] + "_nhwc");
    twin_[n.outputs[k]] = name;
    n.outputs[k] = name;
  }

  // A value name unused in the graph (the nodes being rewritten are out of g_ meanwhile, so
  // UniqueName cannot tell).
  std::string Fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  std::string NhwcConstant(const std::string& v) {
    auto it = constants_.find(v);
    if (it != constants_.end()) return it->second;
    std::string name = Fresh(v + "_nhwc");
    g_.initializers[name] = ToNhwcConstant(*Constant(v));
    constants_[v] = name;
    return name;
  }

  bool Convert(Node& n) {
    if (!n.domain.empty() || HasSubgraph(n) || n.outputs.empty() || n.outputs[0].empty()) {
      return false;
    }
    const std::string& op = n.op_type;
    if (op == "Conv") return ConvertConv(n);
    if (n.inputs.empty() || !Nhwc(n.inputs[0])) {
      if (!kBinary.count(op) || n.inputs.size() != 2 || !Nhwc(n.inputs[1])) return false;
    }
    if (n.outputs.size() != 1) {
      for (size_t k = 1; k < n.outputs.size(); ++k) {
        if (!n.outputs[k].empty()) return false;
      }
    }
    if (kUnary.count(op)) {
      n.inputs[0] = twin_[n.inputs[0]];
    } else if (kBinary.count(op)) {
      if (n.inputs.size() != 2) return false;
      for (const std::string& in : n.inputs) {
        const Tensor* c = Constant(in);
        if (!Nhwc(in) && !(c && c->rank() <= 4 && c->dtype() != DType::kString)) return false;
      }
      for (std::string& in : n.inputs) {
        // One-element constants broadcast the same either way.
        if (Nhwc(in)) {
          in = twin_[in];
        } else if (Constant(in)->numel() != 1) {
          in = NhwcConstant(in);
        }
      }
    } else if (op == "GlobalAveragePool" || op == "MaxPool" || op == "AveragePool") {
      if (!IsFloat32(dtypes_, n.inputs[0])) return false;
      if (op != "GlobalAveragePool") {
        const Attribute* k = n.attr("kernel_shape");
        if (!k || k->ints.size() != 2) return false;
        if (const Attribute* d = n.attr("dilations")) {
          for (int64_t v : d->ints) {
            if (v != 1) return false;
          }
        }
        const Attribute* inc = n.attr("count_include_pad");
        const Attribute* ceil = n.attr("ceil_mode");
        if (op == "AveragePool" && inc && inc->i && ceil && ceil->i) return false;
      }
      n.inputs[0] = twin_[n.inputs[0]];
      n.domain = kFusedDomain;
      n.op_type = "Nhwc" + op;
      n.opset = 1;
    } else if (op == "Concat") {
      const Attribute* axis = n.attr("axis");
      if (!axis || (axis->i != 1 && axis->i != -3)) return false;
      for (const std::string& in : n.inputs) {
        if (!Nhwc(in)) return false;
      }
      for (std::string& in : n.inputs) in = twin_[in];
      n.attributes["axis"].i = 3;
    } else if (op == "Resize") {
      if (!ConvertResize(n)) return false;
    } else {
      return false;
    }
    Leave(n);
    ++converted_;
    return true;
  }

  bool ConvertConv(Node& n) {
    if (n.inputs.size() < 2 || n.outputs.size() != 1 || !IsFloat32(dtypes_, n.inputs[0])) {
      return false;
    }
    const Tensor* w = Constant(n.inputs[1]);
    if (!w || w->rank() != 4 || w->dtype() != DType::kFloat32) return false;
    if (n.inputs.size() > 2 && !n.inputs[2].empty() && !Constant(n.inputs[2])) return false;
    n.inputs[0] = Enter(n.inputs[0]);
    n.domain = kFusedDomain;
    n.op_type = "NhwcConv";
    n.opset = 1;
    Leave(n);
    ++converted_;
    return true;
  }

  // Resize with constant scales or sizes (and no roi): the same op with them permuted.
  bool ConvertResize(Node& n) {
    if (n.attr("axes")) return false;
    size_t scales_at = n.opset < 11 ? 1 : 2;
    if (n.opset >= 11 && n.inputs.size() > 1 && !n.inputs[1].empty()) {
      const Tensor* roi = Constant(n.inputs[1]);
      if (!roi || roi->numel() != 0) return false;
    }
    std::vector<std::pair<size_t, const Tensor*>> perm;
    for (size_t i = scales_at; i < n.inputs.size(); ++i) {
      if (n.inputs[i].empty()) continue;
      const Tensor* c = Constant(n.inputs[i]);
      if (!c) return false;
      if (c->numel() == 0) continue;
      if (c->rank() != 1 || c->numel() != 4) return false;
      perm.push_back({i, c});
    }
    if (perm.empty()) return false;
    for (auto [i, c] : perm) {
      Tensor t = Tensor::Empty(c->dtype(), {4});
      size_t es = DTypeSize(c->dtype());
      const uint8_t* src = static_cast<const uint8_t*>(c->raw());
      uint8_t* dst = static_cast<uint8_t*>(t.raw());
      const int order[4] = {0, 2, 3, 1};
      for (int k = 0; k < 4; ++k) std::memcpy(dst + k * es, src + order[k] * es, es);
      std::string name = Fresh(n.inputs[i] + "_nhwc");
      g_.initializers[name] = std::move(t);
      n.inputs[i] = name;
    }
    n.inputs[0] = twin_[n.inputs[0]];
    return true;
  }

  Graph& g_;
  std::map<std::string, DType> dtypes_;
  int64_t opset_ = 13;
  int64_t converted_ = 0;
  std::map<std::string, std::string> twin_;       // NCHW value -> its NHWC twin
  std::map<std::string, std::string> entered_;    // NCHW value -> Transpose into the region
  std::map<std::string, std::string> constants_;  // NCHW constant -> NHWC constant
  std::set<std::string> materialized_;            // NCHW values recreated by a Transpose
  std::set<std::string> names_;                   // every value name in use
};

// x -> Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(., 6): HardSwish written out (Paddle's
// export). Returns the indices of the four nodes, starting from the consumers of `x`.
std::optional<std::vector<size_t>> HardSwishPattern(const Graph& g, const GraphIndex& index,
                                                    const std::string& x) {
  const auto& users = index.Consumers(x);
  if (users.size() != 2 || index.IsGraphOutput(x)) return std::nullopt;
  for (size_t first = 0; first < 2; ++first) {
    const Node& add = g.nodes[users[first]];
    const Node& mul = g.nodes[users[1 - first]];
    if (!IsOp(add, "Add") || !IsOp(mul, "Mul") || add.inputs.size() != 2) continue;
    const std::string& three = add.inputs[0] == x ? add.inputs[1] : add.inputs[0];
    if (!IsFloatScalar(g, three, 3.0)) continue;
    auto ci = index.SingleConsumer(add.outputs[0]);
    if (!ci) continue;
    const Node& clip = g.nodes[*ci];
    auto relu6 = ops::ActivationOfNode(g, clip);
    if (!relu6 || relu6->kind != ops::ActivationKind::kClip || relu6->p0 != 0.0f ||
        relu6->p1 != 6.0f) {
      continue;
    }
    if (!((mul.inputs[0] == x && mul.inputs[1] == clip.outputs[0]) ||
          (mul.inputs[1] == x && mul.inputs[0] == clip.outputs[0]))) {
      continue;
    }
    auto di = index.SingleConsumer(mul.outputs[0]);
    if (!di || !index.HasSingleConsumer(clip.outputs[0])) continue;
    const Node& div = g.nodes[*di];
    if (!IsOp(div, "Div") || div.inputs.size() != 2 || div.inputs[0] != mul.outputs[0] ||
        !IsFloatScalar(g, div.inputs[1], 6.0)) {
      continue;
    }
    return std::vector<size_t>{users[first], *ci, users[1 - first], *di};
  }
  return std::nullopt;
}

}  // namespace

Status ConvertToNhwc(Graph& graph, int64_t* count) {
  int64_t n = NhwcRewriter(graph).Run();
  if (count) *count = n;
  return Status::Ok();
}

Status FuseNhwcConvEpilogue(Graph& g, int64_t* count) {
  int64_t fused = 0;
  for (bool again = true; again;) {
    again = false;
    GraphIndex index(g);
    std::vector<bool> removed(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      Node& conv = g.nodes[i];
      if (removed[i] || conv.domain != kFusedDomain || conv.op_type != "NhwcConv" ||
          conv.attr("activation")) {
        continue;
      }
      std::string y = conv.outputs[0];
      std::vector<size_t> absorbed;
      // A residual Add of another NHWC value (the sum post-op), first.
      bool sum = false;
      if (auto ai = index.SingleConsumer(y); ai && conv.inputs.size() <= 3) {
        const Node& add = g.nodes[*ai];
        if (IsOp(add, "Add") && add.inputs.size() == 2 && add.inputs[0] != add.inputs[1]) {
          const std::string& z = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
          // The Add was converted with the Conv's output, so Z is an NHWC value or a constant.
          if (!FindInitializer(g, z)) {
            sum = true;
            absorbed.push_back(*ai);
            conv.inputs.resize(4);
            conv.inputs[3] = z;
            y = add.outputs[0];
          }
        }
      }
      ops::Activation activation;
      if (auto hs = HardSwishPattern(g, index, y)) {
        activation.kind = ops::ActivationKind::kHardSwish;
        absorbed.insert(absorbed.end(), hs->begin(), hs->end());
        y = g.nodes[hs->back()].outputs[0];
      } else if (auto ci = index.SingleConsumer(y)) {
        if (auto a = ops::ActivationOfNode(g, g.nodes[*ci])) {
          activation = *a;
          absorbed.push_back(*ci);
          y = g.nodes[*ci].outputs[0];
        }
      }
      const bool activated = activation.kind != ops::ActivationKind::kNone;
      if (!sum && !activated) continue;
      // The fused node takes the place of the last absorbed node (all its inputs exist there).
      size_t last = *std::max_element(absorbed.begin(), absorbed.end());
      Node fusedn = conv;
      fusedn.outputs = {y};
      ops::WriteActivation(fusedn, activation);
      for (size_t k : absorbed) removed[k] = true;
      removed[i] = true;
      removed[last] = false;
      g.nodes[last] = std::move(fusedn);
      ++fused;
      again = true;
      break;  // the index is stale now
    }
    if (again) RemoveNodes(g, removed);
  }
  if (count) *count = fused;
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::cpu
