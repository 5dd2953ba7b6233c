#include "engine/ops/fused.h"

#include <limits>
#include <utility>

#include "engine/ops/attributes.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::ops {
namespace {

constexpr std::pair<ActivationKind, const char*> kActivationNames[] = {
    {ActivationKind::kNone, ""},
    {ActivationKind::kRelu, "Relu"},
    {ActivationKind::kGelu, "Gelu"},
    {ActivationKind::kGeluTanh, "GeluTanh"},
    {ActivationKind::kSigmoid, "Sigmoid"},
    {ActivationKind::kTanh, "Tanh"},
    {ActivationKind::kHardSigmoid, "HardSigmoid"},
    {ActivationKind::kHardSwish, "HardSwish"},
    {ActivationKind::kLeakyRelu, "LeakyRelu"},
    {ActivationKind::kClip, "Clip"}};

// How many of activation_params the kind reads.
size_t ParamCount(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kHardSigmoid:
    case ActivationKind::kClip:
      return 2;
    case ActivationKind::kLeakyRelu:
      return 1;
    default:
      return 0;
  }
}

Node MakeNode(const std::string& op, const std::string& name, std::vector<std::string> inputs,
              const std::string& output) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.domain = kFusedDomain;
  n.opset = 1;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  return n;
}

// The float value of scalar constant `name` of `g`, or nullopt.
std::optional<float> ConstantFloat(const Graph& g, const std::string& name) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.numel() != 1) return std::nullopt;
  if (it->second.dtype() != DType::kFloat32) return std::nullopt;
  return *it->second.data<float>();
}

}  // namespace

const char* ActivationName(ActivationKind kind) {
  for (const auto& [k, name] : kActivationNames) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<Activation> ActivationOfNode(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
  auto fattr = [&](const char* key, float fallback) {
    const Attribute* a = n.attr(key);
    return a && a->kind == Attribute::Kind::kFloat ? a->f : fallback;
  };
  const std::string& op = n.op_type;
  if (op == "Gelu" && (n.domain == kFusedDomain || n.domain.empty())) {
    auto tanh = ReadGeluTanh(n);
    if (!tanh.ok()) return std::nullopt;
    return Activation{*tanh ? ActivationKind::kGeluTanh : ActivationKind::kGelu};
  }
  if (!n.domain.empty()) return std::nullopt;
  if (op == "Relu") return Activation{ActivationKind::kRelu};
  if (op == "Sigmoid") return Activation{ActivationKind::kSigmoid};
  if (op == "Tanh") return Activation{ActivationKind::kTanh};
  if (op == "HardSwish") return Activation{ActivationKind::kHardSwish};
  if (op == "HardSigmoid") {
    return Activation{ActivationKind::kHardSigmoid, fattr("alpha", 0.2f), fattr("beta", 0.5f)};
  }
  if (op == "LeakyRelu") return Activation{ActivationKind::kLeakyRelu, fattr("alpha", 0.01f)};
  if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (n.opset < 11) {
      lo = fattr("min", lo);
      hi = fattr("max", hi);
    } else {
      for (size_t k = 1; k < n.inputs.size() && k < 3; ++k) {
        if (n.inputs[k].empty()) continue;
        std::optional<float> v = ConstantFloat(g, n.inputs[k]);
        if (!v) return std::nullopt;
        (k == 1 ? lo : hi) = *v;
      }
    }
    return Activation{ActivationKind::kClip, lo, hi};
  }
  return std::nullopt;
}

Result<Activation> ReadActivation(const Node& n) {
  IA_ASSIGN_OR_RETURN(const Attribute* word, TypedAttr(n, "activation", Attribute::Kind::kString));
  const std::string name = word ? word->s : "";
  Activation a;
  bool known = false;
  for (const auto& [k, word] : kActivationNames) {
    if (name == word) {
      a.kind = k;
      known = true;
    }
  }
  if (!known) return NodeError(n, "unknown activation '" + name + "'");
  IA_ASSIGN_OR_RETURN(const Attribute* p,
                      TypedAttr(n, "activation_params", Attribute::Kind::kFloats));
  const size_t need = ParamCount(a.kind), have = p ? p->floats.size() : 0;
  if (have < need) {
    return NodeError(n, "activation " + name + " needs " + std::to_string(need) +
                            " activation_params, got " + std::to_string(have));
  }
  if (need > 0) a.p0 = p->floats[0];
  if (need > 1) a.p1 = p->floats[1];
  return a;
}

void WriteActivation(Node& n, const Activation& a) {
  n.attributes.erase("activation");
  n.attributes.erase("activation_params");
  if (a.kind == ActivationKind::kNone) return;
  n.attributes["activation"] = Attribute::String(ActivationName(a.kind));
  const size_t count = ParamCount(a.kind);
  if (count == 0) return;
  std::vector<float> params = {a.p0, a.p1};
  params.resize(count);
  n.attributes["activation_params"] = Attribute::Floats(std::move(params));
}

Node MakeFusedMatMul(const std::string& name, std::vector<std::string> inputs,
                     const std::string& output, const FusedMatMulAttrs& attrs) {
  Node n = MakeNode("FusedMatMul", name, std::move(inputs), output);
  if (attrs.trans_b) n.attributes["trans_b"] = Attribute::Int(1);
  if (attrs.alpha != 1.f) n.attributes["alpha"] = Attribute::Float(attrs.alpha);
  WriteActivation(n, attrs.activation);
  return n;
}

Result<FusedMatMulAttrs> ReadFusedMatMul(const Node& n) {
  FusedMatMulAttrs a;
  IA_ASSIGN_OR_RETURN(int64_t tb, IntAttrOr(n, "trans_b", 0));
  a.trans_b = tb != 0;
  IA_ASSIGN_OR_RETURN(a.alpha, FloatAttrOr(n, "alpha", 1.f));
  IA_ASSIGN_OR_RETURN(a.activation, ReadActivation(n));
  return a;
}

Result<Shape> FusedMatMulShape(const Node& n, const Shape& a, const Shape& b) {
  IA_ASSIGN_OR_RETURN(FusedMatMulAttrs attrs, ReadFusedMatMul(n));
  if (a.empty() || b.size() != 2) {
    return NodeError(n, "wants A of rank >= 1 and a 2-D B, got " + ShapeToString(a) + " and " +
                            ShapeToString(b));
  }
  const int64_t k = attrs.trans_b ? b[1] : b[0], cols = attrs.trans_b ? b[0] : b[1];
  if (a.back() != k) {
    return NodeError(n, "inner dimensions differ: " + ShapeToString(a) + " x " + ShapeToString(b) +
                            (attrs.trans_b ? "^T" : ""));
  }
  Shape out(a.begin(), a.end() - 1);
  out.push_back(cols);
  return out;
}

Node MakeAttention(const std::string& name, std::vector<std::string> inputs,
                   const std::string& output, const AttentionAttrs& attrs) {
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  Node n = MakeNode("Attention", name, std::move(inputs), output);
  n.attributes["scale"] = Attribute::Float(attrs.scale);
  n.attributes["softmax_axis"] = Attribute::Int(attrs.softmax_axis);
  n.attributes["softmax_opset"] = Attribute::Int(attrs.softmax_opset);
  if (attrs.heads_last) n.attributes["heads_last"] = Attribute::Int(1);
  return n;
}

Result<AttentionAttrs> ReadAttention(const Node& n) {
  AttentionAttrs a;
  IA_ASSIGN_OR_RETURN(a.scale, FloatAttrOr(n, "scale", 1.f));
  IA_ASSIGN_OR_RETURN(a.softmax_axis, IntAttrOr(n, "softmax_axis", -1));
  IA_ASSIGN_OR_RETURN(a.softmax_opset, IntAttrOr(n, "softmax_opset", 13));
  IA_ASSIGN_OR_RETURN(int64_t heads_last, IntAttrOr(n, "heads_last", 0));
  if (heads_last != 0 && heads_last != 1) {
    return NodeError(n, "attribute heads_last must be 0 or 1, got " + std::to_string(heads_last));
  }
  a.heads_last = heads_last == 1;
  return a;
}

namespace {
// [B, S, H, D] -> [B, H, S, D], or -> [B, H, D, S] (K^T).
Shape HeadsFirst(const Shape& s, bool transposed) {
  return transposed ? Shape{s[0], s[2], s[3], s[1]} : Shape{s[0], s[2], s[1], s[3]};
}
}  // namespace

Result<AttentionShapes> AttentionShape(const Node& n, const std::vector<const Shape*>& in) {
  if (in.size() < 3 || !in[0] || !in[1] || !in[2]) return NodeError(n, "needs Q, K and V");
  if (in.size() > 4 && in[4] && (in.size() < 6 || !in[5])) {
    return NodeError(n, "the where condition (input 4) needs its other value (input 5)");
  }
  IA_ASSIGN_OR_RETURN(AttentionAttrs attrs, ReadAttention(n));
  if (attrs.heads_last) {
    for (int i = 0; i < 3; ++i) {
      if (in[i]->size() != 4) {
        return NodeError(n, "with heads_last, Q, K and V must have rank 4 ([B, S, H, D]), got " +
                                ShapeToString(*in[i]));
      }
    }
    const Shape q = HeadsFirst(*in[0], false), k = HeadsFirst(*in[1], true),
                v = HeadsFirst(*in[2], false);
    std::vector<const Shape*> standard = in;
    standard[0] = &q;
    standard[1] = &k;
    standard[2] = &v;
    Node plain = n;
    plain.attributes.erase("heads_last");
    IA_ASSIGN_OR_RETURN(AttentionShapes r, AttentionShape(plain, standard));
    if (r.output.size() != 4) {
      return NodeError(n, "with heads_last, the masks must not raise the scores' rank above 4");
    }
    r.output = HeadsFirst(r.output, false);  // [B, H, S, Dv] -> [B, S, H, Dv]: its own inverse
    return r;
  }
  const Shape &q = *in[0], &k = *in[1], &v = *in[2];
  if (q.size() < 2 || k.size() < 2 || v.size() < 2) {
    return NodeError(n, "Q, K and V must have rank >= 2, got " + ShapeToString(q) + ", " +
                            ShapeToString(k) + ", " + ShapeToString(v));
  }
  if (k[k.size() - 2] != q.back() || v[v.size() - 2] != k.back()) {
    return NodeError(n, "Q " + ShapeToString(q) + ", K " + ShapeToString(k) + " and V " +
                            ShapeToString(v) + " do not chain");
  }
  auto batch = [](const Shape& t) { return Shape(t.begin(), t.end() - 2); };
  auto qk = BroadcastShapes({batch(q), batch(k)});
  if (!qk.ok()) return NodeError(n, "the batch dimensions of Q and K do not broadcast");
  Shape scores = *qk;
  scores.push_back(q[q.size() - 2]);
  scores.push_back(k.back());
  std::vector<Shape> all = {scores};
  for (size_t i = 3; i < in.size(); ++i) {
    if (in[i]) all.push_back(*in[i]);
  }
  auto full = BroadcastShapes(all);
  if (!full.ok())
    return NodeError(n, "the masks do not broadcast to the scores " + ShapeToString(scores));
  auto out = BroadcastShapes({batch(*full), batch(v)});
  if (!out.ok()) return NodeError(n, "V's batch dimensions do not broadcast with the scores'");
  AttentionShapes r{*full, *out};
  r.output.push_back(q[q.size() - 2]);
  r.output.push_back(v.back());
  return r;
}

Node MakeGelu(const std::string& name, const std::string& input, const std::string& output,
              bool tanh) {
  Node n = MakeNode("Gelu", name, {input}, output);
  n.attributes["approximate"] = Attribute::String(tanh ? "tanh" : "none");
  return n;
}

Result<bool> ReadGeluTanh(const Node& n) {
  IA_ASSIGN_OR_RETURN(const Attribute* a, TypedAttr(n, "approximate", Attribute::Kind::kString));
  const std::string approx = a ? a->s : "none";
  if (approx != "none" && approx != "tanh") {
    return NodeError(n, "approximate must be \"none\" or \"tanh\", got \"" + approx + "\"");
  }
  return approx == "tanh";
}

}  // namespace ipfs_accelerate::engine::ops
