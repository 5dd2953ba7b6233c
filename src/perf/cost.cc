#include "perf/cost.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/inputs.h"
#include "engine/ops/attributes.h"
#include "engine/ops/value_types.h"
#include "engine/optimizer/shape_inference.h"
#include "engine/session.h"

namespace ipfs_accelerate::perf {
namespace {

double Elements(const Shape* s) { return s ? static_cast<double>(NumElements(*s)) : 0; }

double BytesOf(const Shape* s, DType t) {
  if (!s) return 0;
  size_t size = t == DType::kUndefined ? 4 : DTypeSize(t);  // unknown type: assume 4 bytes
  return Elements(s) * static_cast<double>(size);
}

// An int attribute, or `fallback` when absent or of another kind (the kernels report those).
int64_t IntAttr(const engine::Node& n, const char* name, int64_t fallback) {
  Result<int64_t> v = engine::ops::IntAttrOr(n, name, fallback);
  return v.ok() ? *v : fallback;
}

// Arithmetic per output element of the element-wise and normalization ops: 1 for plain
// arithmetic, more for transcendental functions and normalizations (a convention, as
// fvcore's and ptflops' are; these ops are costed by their bytes anyway).
double FlopsPerElement(const std::string& op) {
  static const std::set<std::string> kTranscendental = {
      "Exp", "Log", "Tanh", "Sigmoid",   "Erf", "Gelu", "Softplus",   "Mish", "Sin",
      "Cos", "Pow", "Sqrt", "HardSwish", "Elu", "Selu", "Reciprocal", "Div"};
  if (kTranscendental.count(op)) return 4;
  if (op == "LayerNormalization" || op == "GroupNormalization" || op == "InstanceNormalization" ||
      op == "SkipLayerNormalization") {
    return 8;
  }
  if (op == "Softmax" || op == "LogSoftmax") return 5;
  if (op == "BatchNormalization") return 2;
  return 1;
}

// The product of a shape's dimensions from `from` on.
double ProductFrom(const Shape& s, size_t from) {
  double p = 1;
  for (size_t i = from; i < s.size(); ++i) p *= static_cast<double>(s[i]);
  return p;
}

// The ops whose output is a view of their first input (the CPU backend reshapes in place).
bool IsView(const std::string& op) {
  return op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten" ||
         op == "Identity";
}

}  // namespace

NodeCost CostOfNode(const engine::Node& n, const std::vector<const Shape*>& in,
                    const std::vector<DType>& in_types, const std::vector<bool>& initializer,
                    const std::vector<const Shape*>& out, const std::vector<DType>& out_types) {
  NodeCost c;
  c.name = n.name;
  c.op_type = n.op_type;
  for (size_t i = 0; i < in.size(); ++i) {
    if (n.inputs[i].empty()) continue;
    if (!in[i]) c.known = false;
    double b = BytesOf(in[i], in_types[i]);
    c.bytes_read += b;
    if (initializer[i]) c.weight_bytes += b;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (n.outputs[i].empty()) continue;
    if (!out[i]) c.known = false;
    c.bytes_written += BytesOf(out[i], out_types[i]);
  }
  auto input = [&](size_t i) -> const Shape* { return i < in.size() ? in[i] : nullptr; };
  const Shape* x = input(0);
  const Shape* y = out.empty() ? nullptr : out[0];
  const std::string& op = n.op_type;

  int64_t channels_per_group = 0;
  const bool conv = op == "Conv" || op == "ConvInteger" || op == "QLinearConv" ||
                    op == "ConvTranspose" || op == "NhwcConv" || op == "FusedConv";
  const Shape* w = op == "QLinearConv" ? input(3) : input(1);
  if (conv && w && w->size() >= 2) {
    // Conv's W is [M, C/group, k...]; ConvTranspose's [C, M/group, k...].
    channels_per_group =
        op == "ConvTranspose" ? (*w)[0] / std::max<int64_t>(1, IntAttr(n, "group", 1)) : (*w)[1];
  }
  c.op_class = ClassifyNode(n, channels_per_group);
  if (!c.known) return c;
  if (IsView(op)) {
    c.bytes_read = c.bytes_written = 0;  // the same buffer under another shape: nothing moves
    return c;
  }
  if ((op == "Gather" || op == "GatherElements" || op == "GatherND") && !in.empty()) {
    // Reads the rows it picks (as many bytes as it writes), not the whole table.
    double table = BytesOf(in[0], in_types[0]);
    double picked = std::min(table, c.bytes_written);
    c.bytes_read -= table - picked;
    if (initializer[0]) c.weight_bytes -= table - picked;
  }

  switch (c.op_class) {
    case OpClass::kMatMul: {
      if (!x || !y) break;
      double k = 0;
      if (op == "Gemm") {
        k = IntAttr(n, "transA", 0) ? static_cast<double>((*x)[0]) : static_cast<double>(x->back());
      } else if (op == "QLinearMatMul") {
        k = static_cast<double>(x->back());
      } else {
        k = x->empty() ? 0 : static_cast<double>(x->back());
      }
      c.flops = 2 * Elements(y) * k;
      c.depth = std::min(k, y->empty() ? 1.0 : static_cast<double>(y->back()));
      if (op == "Gemm" && input(2)) c.flops += Elements(y);
      if (op == "FusedMatMul" && input(2)) c.flops += Elements(y);
      break;
    }
    case OpClass::kConv:
    case OpClass::kDepthwiseConv: {
      if (!x || !y || !w || w->size() < 2) break;
      if (op == "ConvTranspose") {
        c.flops = 2 * Elements(x) * static_cast<double>((*w)[1]) * ProductFrom(*w, 2);
      } else {
        c.flops = 2 * Elements(y) * static_cast<double>((*w)[1]) * ProductFrom(*w, 2);
      }
      c.flops += Elements(y);  // bias or epilogue
      // As a GEMM: K = input channels per group x window, N = output channels per group.
      double group = static_cast<double>(std::max<int64_t>(1, IntAttr(n, "group", 1)));
      double k = static_cast<double>((*w)[1]) * ProductFrom(*w, 2);
      double outs = op == "ConvTranspose" ? static_cast<double>((*w)[1])
                                          : static_cast<double>((*w)[0]) / group;
      // A depthwise convolution is no GEMM: its own class's efficiency covers it.
      c.depth = c.op_class == OpClass::kDepthwiseConv ? 0 : std::max(1.0, std::min(k, outs));
      break;
    }
    case OpClass::kAttention: {
      // Q [..., S, D], K [..., D, T], V [..., T, Dv] -> Y [..., S, Dv]; scores [..., S, T]. With
      // heads_last (engine/ops/fused.h) K is [B, T, H, D] and Y [B, S, H, Dv].
      const Shape *q = input(0), *k = input(1);
      if (!q || !k || !y || q->size() < 2 || k->size() < 2 || y->size() < 2) break;
      const bool heads_last = IntAttr(n, "heads_last", 0) == 1 && k->size() == 4;
      double d = static_cast<double>(q->back());
      double t = static_cast<double>(heads_last ? (*k)[1] : k->back());
      double dv = static_cast<double>(y->back());
      double rows = Elements(y) / dv;  // batch dimensions times S
      c.flops = 2 * rows * t * d + 2 * rows * t * dv + 5 * rows * t;
      c.depth = std::max(1.0, std::min(d, t));
      break;
    }
    case OpClass::kRecurrent: {
      // X [seq, batch, input] (layout 0) or [batch, seq, input]; W [dirs, gates*H, input];
      // R [dirs, gates*H, H].
      const Shape *wx = input(1), *r = input(2);
      if (!x || !wx || !r || x->size() != 3 || wx->size() != 3 || r->size() != 3) break;
      double steps_batch = static_cast<double>((*x)[0]) * static_cast<double>((*x)[1]);
      double dirs = static_cast<double>((*wx)[0]), rows = static_cast<double>((*wx)[1]);
      double hidden = static_cast<double>((*r)[2]);
      c.flops = 2 * steps_batch * dirs * rows * (static_cast<double>((*wx)[2]) + hidden) +
                10 * steps_batch * dirs * rows;
      break;
    }
    case OpClass::kNormalization:
    case OpClass::kElementwise:
      c.flops = Elements(y) * FlopsPerElement(op);
      break;
    case OpClass::kReduction: {
      if (!x) break;
      c.flops = Elements(x);
      // Windowed pooling (MaxPool, AveragePool, LpPool and the CPU's Nhwc forms): the window per
      // output; global pooling and reductions: one per input element.
      if (const engine::Attribute* k = n.attr("kernel_shape"); k && y) {
        double window = 1;
        for (int64_t v : k->ints) window *= static_cast<double>(v);
        c.flops = Elements(y) * window;
      }
      break;
    }
    case OpClass::kDataMovement:
    case OpClass::kOther:
      break;
  }
  return c;
}

namespace {

// Shapes of every node output, by running `session` once on `inputs`.
Result<std::map<std::string, Shape>> TraceShapes(engine::Session& session,
                                                 const std::map<std::string, Tensor>& inputs) {
  const engine::Graph& g = session.model().graph;
  std::map<std::string, Shape> shapes;
  engine::RunOptions o;
  o.on_node = [&](size_t i, const std::vector<engine::Value>& outs) {
    for (size_t k = 0; k < outs.size() && k < g.nodes[i].outputs.size(); ++k) {
      if (outs[k].is_tensor() && !g.nodes[i].outputs[k].empty()) {
        shapes[g.nodes[i].outputs[k]] = outs[k].tensor().shape();
      }
    }
  };
  IA_RETURN_IF_ERROR(
      session.Run(inputs, o).status().WithContext("running the model once to learn its shapes"));
  return shapes;
}

// The most bytes of node outputs alive at once when each is freed after its last reader (graph
// outputs live to the end; a view is freed with its source).
struct Lifetimes {
  double peak = 0;   // the most bytes alive at once
  double arena = 0;  // what the arena holds after a run (GraphCost::arena_bytes)
};
Lifetimes SimulateLifetimes(const engine::Graph& g, const std::map<std::string, Shape>& shapes,
                            const std::map<std::string, DType>& types) {
  std::map<std::string, std::string> root;  // view -> the value owning its bytes
  auto root_of = [&](const std::string& v) {
    auto it = root.find(v);
    return it == root.end() ? v : it->second;
  };
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const engine::Node& n = g.nodes[i];
    if (IsView(n.op_type) && !n.inputs.empty() && !n.outputs.empty() &&
        !g.initializers.count(n.inputs[0])) {
      root[n.outputs[0]] = root_of(n.inputs[0]);
    }
    for (const std::string& in : n.inputs) {
      if (!in.empty()) last_use[root_of(in)] = i;
    }
  }
  for (const engine::ValueInfo& o : g.outputs) last_use[root_of(o.name)] = g.nodes.size();
  constexpr double kPooled = 16 * 1024, kMaxCached = 1 << 30;  // core/buffer_pool.h
  double live = 0, small_live = 0, small_peak = 0;
  Lifetimes l;
  std::map<double, std::pair<int64_t, int64_t>> by_size;  // pooled size -> (alive, most alive)
  std::vector<std::vector<double>> frees(g.nodes.size() + 1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const engine::Node& n = g.nodes[i];
    for (const std::string& out : n.outputs) {
      if (out.empty() || root.count(out)) continue;
      auto s = shapes.find(out);
      if (s == shapes.end()) continue;
      auto t = types.find(out);
      double b = BytesOf(&s->second, t == types.end() ? DType::kUndefined : t->second);
      b = std::ceil(b / 64) * 64;  // the arena's rounding
      live += b;
      if (b >= kPooled) {
        auto& [alive, most] = by_size[b];
        most = std::max(most, ++alive);
      } else {
        small_live += b;
      }
      auto lu = last_use.find(out);
      frees[lu == last_use.end() ? i : lu->second].push_back(b);  // unread: freed at once
    }
    l.peak = std::max(l.peak, live);
    small_peak = std::max(small_peak, small_live);
    for (double b : frees[i]) {
      live -= b;
      if (b >= kPooled) {
        --by_size[b].first;
      } else {
        small_live -= b;
      }
    }
  }
  double pooled = 0;
  for (const auto& [size, counts] : by_size) pooled += size * static_cast<double>(counts.second);
  l.arena = std::min(pooled, l.peak + kMaxCached) + small_peak;
  return l;
}

// Bytes per weight element at `precision` for a lowered product or convolution.
double LoweredWeightScale(engine::Precision p) {
  switch (p) {
    case engine::Precision::kBf16:
      return 0.5;
    case engine::Precision::kInt8:
      return 0.25;
    case engine::Precision::kFp32:
      break;
  }
  return 1;
}

}  // namespace

Result<GraphCost> AnalyzeModel(const engine::Model& model, const AnalyzeOptions& options) {
  bench::InputShape sizes;
  sizes.batch = options.batch;
  sizes.seq = options.seq;
  sizes.dims = options.dims;
  IA_ASSIGN_OR_RETURN(auto inputs, bench::SynthesizeInputs(model, sizes, {}, /*seed=*/1));

  GraphCost cost;
  cost.precision = options.precision;
  engine::SessionOptions so;
  for (const auto& [name, t] : inputs) {
    so.input_shapes[name] = t.shape();
    cost.input_shapes[name] = t.shape();
    cost.input_bytes += static_cast<double>(t.nbytes());
  }
  // The graph as the engine runs it: folded at these shapes, fused, in the CPU backend's layout.
  auto created = engine::Session::Create(model, so);
  if (!created.ok()) return created.status().WithContext("preparing the model for its analysis");
  std::unique_ptr<engine::Session> session = std::move(created).value();
  cost.optimizer_summary = session->optimizer_summary();
  const engine::Graph& g = session->model().graph;

  std::map<std::string, Shape> shapes = so.input_shapes;
  for (const auto& [name, t] : g.initializers) shapes[name] = t.shape();
  for (const engine::Node& n : g.nodes) engine::optimizer::InferNodeShapes(n, g, shapes);
  bool complete = true;
  for (const engine::Node& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (!o.empty() && !shapes.count(o)) complete = false;
    }
  }
  if (!complete && options.allow_trace) {
    using ShapeMap = std::map<std::string, Shape>;
    IA_ASSIGN_OR_RETURN(ShapeMap traced, TraceShapes(*session, inputs));
    shapes.insert(traced.begin(), traced.end());
    cost.traced = true;
  }

  std::map<std::string, DType> types = engine::ops::InferValueTypes(g);
  for (const auto& [name, t] : inputs) types[name] = t.dtype();
  for (const engine::Node& n : g.nodes) {
    std::vector<const Shape*> in, out;
    std::vector<DType> in_types, out_types;
    std::vector<bool> initializer;
    for (const std::string& v : n.inputs) {
      auto s = v.empty() ? shapes.end() : shapes.find(v);
      in.push_back(s == shapes.end() ? nullptr : &s->second);
      auto t = types.find(v);
      in_types.push_back(t == types.end() ? DType::kUndefined : t->second);
      initializer.push_back(!v.empty() && g.initializers.count(v) > 0);
    }
    for (const std::string& v : n.outputs) {
      auto s = v.empty() ? shapes.end() : shapes.find(v);
      out.push_back(s == shapes.end() ? nullptr : &s->second);
      auto t = types.find(v);
      out_types.push_back(t == types.end() ? DType::kUndefined : t->second);
    }
    NodeCost c = CostOfNode(n, in, in_types, initializer, out, out_types);
    // What LowerPrecision converts: products and 2-D convolutions with constant float weights.
    c.lowerable = n.inputs.size() > 1 && initializer[1] && in_types[1] == DType::kFloat32 &&
                  (c.op_class == OpClass::kMatMul || c.op_class == OpClass::kConv ||
                   c.op_class == OpClass::kDepthwiseConv);
    if (c.lowerable) c.lowerable_bytes = BytesOf(in[1], in_types[1]);
    if (!c.known) ++cost.unknown_nodes;
    cost.flops += c.flops;
    cost.nodes.push_back(std::move(c));
  }
  for (const auto& [name, t] : g.initializers) cost.weight_bytes += static_cast<double>(t.nbytes());
  for (const engine::ValueInfo& o : g.outputs) {
    auto s = shapes.find(o.name);
    auto t = types.find(o.name);
    if (s != shapes.end()) {
      cost.output_bytes += BytesOf(&s->second, t == types.end() ? DType::kUndefined : t->second);
    }
  }
  Lifetimes lifetimes = SimulateLifetimes(g, shapes, types);
  cost.activation_peak_bytes = lifetimes.peak;
  cost.arena_bytes = lifetimes.arena;
  return AtPrecision(cost, options.precision);
}

GraphCost AtPrecision(const GraphCost& fp32, engine::Precision precision) {
  GraphCost cost = fp32;
  cost.precision = precision;
  cost.bytes = 0;
  cost.conv_weight_bytes = 0;
  cost.by_class.clear();
  cost.by_op_type.clear();
  const double scale = LoweredWeightScale(precision);
  for (NodeCost& c : cost.nodes) {
    if (c.lowerable && precision != engine::Precision::kFp32 && !c.lowered) {
      c.lowered = true;
      double saved = c.lowerable_bytes * (1 - scale);
      c.weight_bytes -= saved;
      c.bytes_read -= saved;
      cost.weight_bytes -= saved;  // a weight shared by two products is counted once per reader
    }
    cost.bytes += c.Bytes();
    if (c.op_class == OpClass::kConv || c.op_class == OpClass::kDepthwiseConv) {
      cost.conv_weight_bytes += c.weight_bytes;
    }
    ClassCost& k = cost.by_class[c.op_class];
    ++k.nodes, k.flops += c.flops, k.bytes += c.Bytes();
    ClassCost& o = cost.by_op_type[c.op_type];
    ++o.nodes, o.flops += c.flops, o.bytes += c.Bytes();
  }
  return cost;
}

nlohmann::json ToJson(const GraphCost& c, bool nodes) {
  auto totals = [](const ClassCost& k) {
    return nlohmann::json{{"nodes", k.nodes}, {"flops", k.flops}, {"bytes", k.bytes}};
  };
  nlohmann::json j = {{"precision", engine::PrecisionName(c.precision)},
                      {"flops", c.flops},
                      {"bytes", c.bytes},
                      {"weight_bytes", c.weight_bytes},
                      {"input_bytes", c.input_bytes},
                      {"output_bytes", c.output_bytes},
                      {"activation_peak_bytes", c.activation_peak_bytes},
                      {"arena_bytes", c.arena_bytes},
                      {"arithmetic_intensity", c.ArithmeticIntensity()},
                      {"unknown_nodes", c.unknown_nodes},
                      {"traced", c.traced},
                      {"optimizer", c.optimizer_summary}};
  j["input_shapes"] = c.input_shapes;
  for (const auto& [k, v] : c.by_class) j["by_class"][ToString(k)] = totals(v);
  for (const auto& [k, v] : c.by_op_type) j["by_op_type"][k] = totals(v);
  if (nodes) {
    j["nodes"] = nlohmann::json::array();
    for (const NodeCost& n : c.nodes) {
      j["nodes"].push_back({{"name", n.name},
                            {"op_type", n.op_type},
                            {"class", ToString(n.op_class)},
                            {"flops", n.flops},
                            {"bytes_read", n.bytes_read},
                            {"bytes_written", n.bytes_written},
                            {"weight_bytes", n.weight_bytes},
                            {"depth", n.depth},
                            {"lowered", n.lowered},
                            {"known", n.known}});
    }
  }
  return j;
}

}  // namespace ipfs_accelerate::perf
