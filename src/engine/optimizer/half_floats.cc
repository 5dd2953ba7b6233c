// 16-bit float models computed in float32 where the backends lack 16-bit kernels (see passes.h).
#include <algorithm>
#include <set>

#include "core/half.h"
#include "engine/ops/value_types.h"
#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

constexpr int64_t kOnnxFloat = 1, kOnnxFloat16 = 10, kOnnxBFloat16 = 16;

bool IsHalf(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }
bool IsHalfOnnx(int64_t t) { return t == kOnnxFloat16 || t == kOnnxBFloat16; }

// `t` as float32 when it holds 16-bit floats; otherwise `t` itself.
Tensor Widen(const Tensor& t) {
  if (!IsHalf(t.dtype())) return t;
  Tensor out = Tensor::Empty(DType::kFloat32, t.shape());
  const uint16_t* in = t.data<uint16_t>();
  float* o = out.data<float>();
  const bool half = t.dtype() == DType::kFloat16;
  for (int64_t i = 0; i < t.numel(); ++i) o[i] = half ? HalfToFloat(in[i]) : BFloat16ToFloat(in[i]);
  return out;
}

Node MakeCast(const std::string& in, const std::string& out, int64_t to) {
  Node n;
  n.name = out + "_cast";
  n.op_type = "Cast";
  n.opset = 13;
  n.inputs = {in};
  n.outputs = {out};
  n.attributes["to"] = Attribute::Int(to);
  return n;
}

// Whether `g` defines `name` itself (an input, initializer or node output), hiding an outer value.
bool Defines(const Graph& g, const std::string& name) {
  for (const ValueInfo& v : g.inputs) {
    if (v.name == name) return true;
  }
  if (g.initializers.count(name)) return true;
  for (const Node& n : g.nodes) {
    for (const std::string& out : n.outputs) {
      if (out == name) return true;
    }
  }
  return false;
}

// Renames the reads of `from` to `to` in `nodes` (from node `begin` on) and in their subgraphs
// that do not define `from` themselves.
void RenameReads(std::vector<Node>& nodes, size_t begin, const std::string& from,
                 const std::string& to) {
  for (size_t i = begin; i < nodes.size(); ++i) {
    for (std::string& in : nodes[i].inputs) {
      if (in == from) in = to;
    }
    for (auto& [key, attr] : nodes[i].attributes) {
      if (attr.g && !Defines(*attr.g, from)) RenameReads(attr.g->nodes, 0, from, to);
    }
  }
}

// What every graph level gets: initializers and constant attributes widened, 16-bit targets of
// Cast and of the dtype attributes made float32, subgraph inputs and outputs declared float32.
// Returns how many things it changed.
int64_t WidenInside(Graph& g, bool top_level) {
  int64_t changed = 0;
  for (auto& [name, t] : g.initializers) {
    if (IsHalf(t.dtype())) t = Widen(t), ++changed;
  }
  if (!top_level) {
    for (ValueInfo& v : g.inputs) {
      if (IsHalf(v.dtype)) v.dtype = DType::kFloat32, ++changed;
    }
    for (ValueInfo& v : g.outputs) {
      if (IsHalf(v.dtype)) v.dtype = DType::kFloat32, ++changed;
    }
  }
  for (Node& n : g.nodes) {
    if (!n.domain.empty()) continue;
    for (auto& [key, attr] : n.attributes) {
      if (attr.g) changed += WidenInside(*attr.g, false);
      if (attr.kind == Attribute::Kind::kTensor && IsHalf(attr.t.dtype())) {
        attr.t = Widen(attr.t);  // Constant's value, ConstantOfShape's value
        ++changed;
      }
      const bool type_attr =
          (n.op_type == "Cast" && key == "to") || key == "dtype" || key == "output_datatype";
      if (type_attr && attr.kind == Attribute::Kind::kInt && IsHalfOnnx(attr.i)) {
        attr.i = kOnnxFloat;
        ++changed;
      }
    }
  }
  return changed;
}

}  // namespace

bool NeedsFloat32Compute(const Graph& graph, const std::vector<const Backend*>& backends) {
  const std::map<std::string, DType> types = ops::InferValueTypes(graph);
  for (const Node& n : graph.nodes) {
    const std::vector<DType> in = ops::InputTypes(n, types);
    if (std::none_of(in.begin(), in.end(), IsHalf)) continue;
    bool runs = false;
    for (const Backend* b : backends) runs = runs || b->SupportsOp(n, in);
    if (!runs) return true;
  }
  return false;
}

Status ComputeHalfFloatsInFloat32(Graph& g, int64_t* count) {
  int64_t changed = WidenInside(g, true);
  // 16-bit graph inputs: read through a Cast to float32 at the top.
  std::vector<Node> front;
  for (const ValueInfo& v : g.inputs) {
    if (!IsHalf(v.dtype)) continue;
    const std::string wide = UniqueName(g, v.name + "_float32");
    RenameReads(g.nodes, 0, v.name, wide);
    front.push_back(MakeCast(v.name, wide, kOnnxFloat));
  }
  g.nodes.insert(g.nodes.begin(), front.begin(), front.end());
  changed += static_cast<int64_t>(front.size());
  // 16-bit graph outputs: computed under another name, cast back at the end.
  std::set<std::string> inputs;
  for (const ValueInfo& v : g.inputs) inputs.insert(v.name);
  for (const ValueInfo& v : g.outputs) {
    if (!IsHalf(v.dtype)) continue;
    const int64_t to = v.dtype == DType::kFloat16 ? kOnnxFloat16 : kOnnxBFloat16;
    const std::string wide = UniqueName(g, v.name + "_float32");
    if (inputs.count(v.name)) continue;  // an input passed straight through stays as it came
    if (g.initializers.count(v.name)) {
      g.initializers[wide] = g.initializers[v.name];
      g.initializers.erase(v.name);
    } else {
      for (size_t i = 0; i < g.nodes.size(); ++i) {
        for (std::string& out : g.nodes[i].outputs) {
          if (out != v.name) continue;
          out = wide;
          RenameReads(g.nodes, i + 1, v.name, wide);
        }
      }
    }
    g.nodes.push_back(MakeCast(wide, v.name, to));
    ++changed;
  }
  if (count) *count = changed;
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
