// GELU written out in elementwise ops -> one Gelu node (its schema: engine/ops/fused.h).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

struct Matcher {
  const Graph& g;
  const GraphIndex& index;
  const std::vector<bool>& removed;

  // The live node producing `value`, when it is `op` and `value` has no other reader.
  const Node* Inner(const std::string& value, const char* op, size_t* at) const {
    auto p = index.Producer(value);
    if (!p || removed[*p] || !index.HasSingleConsumer(value)) return nullptr;
    const Node& n = g.nodes[*p];
    if (!IsOp(n, op) || n.outputs.size() != 1) return nullptr;
    *at = *p;
    return &n;
  }
  // The single live consumer of `value` when it is `op`.
  const Node* Next(const std::string& value, const char* op, size_t* at) const {
    auto c = index.SingleConsumer(value);
    if (!c || removed[*c]) return nullptr;
    const Node& n = g.nodes[*c];
    if (!IsOp(n, op) || n.outputs.size() != 1) return nullptr;
    *at = *c;
    return &n;
  }
  // For a binary node with `value` as one input: the other input.
  static const std::string* Other(const Node& n, const std::string& value) {
    if (n.inputs.size() != 2) return nullptr;
    if (n.inputs[0] == value) return &n.inputs[1];
    if (n.inputs[1] == value) return &n.inputs[0];
    return nullptr;
  }
  bool Scalar(const std::string& name, double v) const { return IsFloatScalar(g, name, v); }
};

// Matches the "1 + f" Add after Erf/Tanh and the products with x and 0.5, in the three orders
// exporters produce: (x*(1+f))*0.5, (x*0.5)*(1+f), x*((1+f)*0.5); Div by 2 for *0.5 too.
// Appends the nodes it covers and returns the final output, or "" when nothing matches.
std::string MatchTail(const Matcher& m, const std::string& x, const std::string& f,
                      std::vector<size_t>* nodes) {
  size_t at;
  const Node* add = m.Next(f, "Add", &at);
  const std::string* one = add ? Matcher::Other(*add, f) : nullptr;
  if (!one || !m.Scalar(*one, 1.0)) return "";
  nodes->push_back(at);
  const std::string& a = add->outputs[0];
  const Node* mul = m.Next(a, "Mul", &at);
  const std::string* o = mul ? Matcher::Other(*mul, a) : nullptr;
  if (!o) return "";
  nodes->push_back(at);
  const std::string& y1 = mul->outputs[0];
  auto half_of = [&](const std::string& v) -> const Node* {  // v*0.5 or v/2
    size_t k;
    const Node* h = m.Next(v, "Mul", &k);
    if (h && Matcher::Other(*h, v) && m.Scalar(*Matcher::Other(*h, v), 0.5)) {
      nodes->push_back(k);
      return h;
    }
    h = m.Next(v, "Div", &k);
    if (h && h->inputs[0] == v && m.Scalar(h->inputs[1], 2.0)) {
      nodes->push_back(k);
      return h;
    }
    return nullptr;
  };
  if (*o == x) {  // (x*(1+f)) then *0.5
    const Node* h = half_of(y1);
    return h ? h->outputs[0] : "";
  }
  if (m.Scalar(*o, 0.5)) {  // ((1+f)*0.5) then *x
    const Node* last = m.Next(y1, "Mul", &at);
    const std::string* ox = last ? Matcher::Other(*last, y1) : nullptr;
    if (!ox || *ox != x) return "";
    nodes->push_back(at);
    return last->outputs[0];
  }
  // (x*0.5) * (1+f): `o` comes from x*0.5 (or x/2).
  for (const char* op : {"Mul", "Div"}) {
    const Node* h = m.Inner(*o, op, &at);
    if (!h) continue;
    bool is_half = std::string(op) == "Mul"
                       ? Matcher::Other(*h, x) && m.Scalar(*Matcher::Other(*h, x), 0.5)
                       : h->inputs[0] == x && m.Scalar(h->inputs[1], 2.0);
    if (!is_half) continue;
    nodes->push_back(at);
    return y1;
  }
  return "";
}

// Erf form, from the Erf node: x/sqrt2 (or x*(1/sqrt2)) -> Erf -> tail.
std::string MatchErf(const Matcher& m, const Node& erf, size_t erf_at, std::string* x,
                     std::vector<size_t>* nodes) {
  size_t at;
  const Node* d = m.Inner(erf.inputs[0], "Div", &at);
  if (d && m.Scalar(d->inputs[1], std::sqrt(2.0))) {
    *x = d->inputs[0];
  } else {
    d = m.Inner(erf.inputs[0], "Mul", &at);
    if (!d) return "";
    if (m.Scalar(d->inputs[1], std::sqrt(0.5))) {
      *x = d->inputs[0];
    } else if (m.Scalar(d->inputs[0], std::sqrt(0.5))) {
      *x = d->inputs[1];
    } else {
      return "";
    }
  }
  nodes->push_back(at);
  nodes->push_back(erf_at);
  return MatchTail(m, *x, erf.outputs[0], nodes);
}

// Whether `v` is x^3 as Pow(x, 3), (x*x)*x or x*(x*x); appends the nodes.
bool MatchCube(const Matcher& m, const std::string& v, const std::string& x,
               std::vector<size_t>* nodes) {
  size_t at, at2;
  if (const Node* p = m.Inner(v, "Pow", &at)) {
    if (p->inputs[0] != x || !m.Scalar(p->inputs[1], 3.0)) return false;
    nodes->push_back(at);
    return true;
  }
  const Node* p = m.Inner(v, "Mul", &at);
  if (!p || p->inputs.size() != 2) return false;
  for (int side = 0; side < 2; ++side) {
    if (p->inputs[1 - side] != x) continue;
    const Node* sq = m.Inner(p->inputs[side], "Mul", &at2);
    if (sq && sq->inputs.size() == 2 && sq->inputs[0] == x && sq->inputs[1] == x) {
      nodes->push_back(at);
      nodes->push_back(at2);
      return true;
    }
  }
  return false;
}

// Tanh form, from the Tanh node: sqrt(2/pi) * (x + 0.044715 * x^3) -> Tanh -> tail.
std::string MatchTanh(const Matcher& m, const Node& tanh, size_t tanh_at, std::string* x,
                      std::vector<size_t>* nodes) {
  size_t at;
  const Node* s = m.Inner(tanh.inputs[0], "Mul", &at);
  if (!s || s->inputs.size() != 2) return "";
  const double kC = std::sqrt(2.0 / std::numbers::pi);
  std::string sum;
  if (m.Scalar(s->inputs[1], kC)) {
    sum = s->inputs[0];
  } else if (m.Scalar(s->inputs[0], kC)) {
    sum = s->inputs[1];
  } else {
    return "";
  }
  nodes->push_back(at);
  const Node* add = m.Inner(sum, "Add", &at);
  if (!add || add->inputs.size() != 2) return "";
  nodes->push_back(at);
  for (int side = 0; side < 2; ++side) {
    size_t mark = nodes->size(), at2;
    *x = add->inputs[side];
    const Node* k = m.Inner(add->inputs[1 - side], "Mul", &at2);
    if (!k || k->inputs.size() != 2) continue;
    nodes->push_back(at2);
    bool ok = false;
    for (int ks = 0; ks < 2 && !ok; ++ks) {
      size_t mark2 = nodes->size();
      ok = m.Scalar(k->inputs[ks], 0.044715) && MatchCube(m, k->inputs[1 - ks], *x, nodes);
      if (!ok) nodes->resize(mark2);
    }
    if (ok) {
      nodes->push_back(tanh_at);
      return MatchTail(m, *x, tanh.outputs[0], nodes);
    }
    nodes->resize(mark);
  }
  return "";
}

}  // namespace

Status FuseGelu(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  Matcher m{g, index, removed};
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (removed[i]) continue;
    const Node& n = g.nodes[i];
    bool erf = IsOp(n, "Erf"), tanh = IsOp(n, "Tanh");
    if ((!erf && !tanh) || n.inputs.size() != 1 || n.outputs.size() != 1) continue;
    std::string x;
    std::vector<size_t> nodes;
    std::string y = erf ? MatchErf(m, n, i, &x, &nodes) : MatchTanh(m, n, i, &x, &nodes);
    if (y.empty() || x.empty()) continue;
    size_t last = *std::max_element(nodes.begin(), nodes.end());
    Node gelu = ops::MakeGelu(
        g.nodes[last].name.empty() ? y + "_gelu" : g.nodes[last].name + "_gelu", x, y, tanh);
    rw.Replace(nodes, std::move(gelu));
  }
  if (count) *count = rw.Finish();
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
