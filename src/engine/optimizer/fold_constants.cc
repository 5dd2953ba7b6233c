// Constant folding (with Shape/Size of statically shaped values) and dead-node elimination.
#include <new>
#include <set>

#include "core/buffer_pool.h"
#include "core/thread_pool.h"
#include "engine/kernel.h"
#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"
#include "engine/optimizer/shape_inference.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

constexpr size_t kMaxFoldedBytes = size_t{64} << 20;
constexpr size_t kMaxExpandedBytes = size_t{1} << 20;

const std::set<std::string> kNondeterministic = {"RandomNormal",     "RandomUniform",
                                                 "RandomNormalLike", "RandomUniformLike",
                                                 "Bernoulli",        "Multinomial"};
const std::set<std::string> kExpanding = {"ConstantOfShape", "Expand", "Tile"};

bool FullyStatic(const ValueInfo& in, Shape* shape) {
  if (!in.shape) return false;
  shape->clear();
  for (const Dim& d : *in.shape) {
    if (d.value < 0) return false;
    shape->push_back(d.value);
  }
  return true;
}

// Whether every input of `node` is an initializer (or omitted) and it may be computed once.
bool Foldable(const Node& node, const Graph& graph) {
  if (kNondeterministic.count(node.op_type) || HasSubgraph(node)) return false;
  bool any = false;
  for (const auto& in : node.inputs) {
    if (in.empty()) continue;
    const Tensor* t = FindInitializer(graph, in);
    if (!t || t->dtype() == DType::kString) return false;
    any = true;
  }
  return any;
}

// Runs `node` on its constant inputs; false when the kernel fails or the result is too big. The
// kernel's tensors come from a pool of its own whose budget stops a huge result (a folded
// ConstantOfShape of terabytes) before it is allocated; the node then runs in the session.
bool Evaluate(const Node& node, Graph& graph, const Backend& backend, ThreadPool* pool,
              std::vector<Value>* outs) {
  if (!backend.SupportsOp(node)) return false;
  std::vector<const Tensor*> ins;
  for (const auto& in : node.inputs) ins.push_back(in.empty() ? nullptr : &graph.initializers[in]);
  outs->assign(node.outputs.size(), Value());
  KernelContext ctx(node, ins, outs, pool, &backend);  // no subgraphs (Foldable): no scope
  BufferPool budget(0, 2 * kMaxFoldedBytes);
  ScopedBufferPool scope(&budget);
  try {
    if (!backend.Run(ctx).ok()) return false;
  } catch (const AllocationError&) {
    return false;
  } catch (const std::bad_alloc&) {
    return false;
  }
  size_t bytes = 0;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (node.outputs[k].empty()) continue;
    if (!(*outs)[k].is_tensor()) return false;  // a sequence stays a node
    const Tensor& t = (*outs)[k].tensor();
    if (t.dtype() == DType::kString) return false;
    bytes += t.nbytes();
  }
  return bytes <= (kExpanding.count(node.op_type) ? kMaxExpandedBytes : kMaxFoldedBytes);
}

Tensor ShapeTensor(const Shape& dims) {
  Tensor t = Tensor::Empty(DType::kInt64, {static_cast<int64_t>(dims.size())});
  std::copy(dims.begin(), dims.end(), t.data<int64_t>());
  return t;
}

// Shape (with opset 15's start/end) or Size of a value of known shape, as a constant.
std::optional<Tensor> FoldShapeOp(const Node& node, const Shape& shape) {
  if (node.op_type == "Size") return Tensor::Scalar<int64_t>(DType::kInt64, NumElements(shape));
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t start = node.attr("start") ? node.attr("start")->i : 0;
  int64_t end = node.attr("end") ? node.attr("end")->i : rank;
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  return ShapeTensor(Shape(shape.begin() + start, shape.begin() + end));
}

}  // namespace

Status FoldConstants(Graph& graph, const Backend& backend,
                     const std::map<std::string, std::vector<int64_t>>& input_shapes,
                     int64_t* count) {
  std::map<std::string, Shape> shapes;
  for (const auto& in : graph.inputs) {
    auto it = input_shapes.find(in.name);
    Shape s;
    if (it != input_shapes.end()) {
      shapes[in.name] = it->second;
    } else if (FullyStatic(in, &s)) {
      shapes[in.name] = s;
    }
  }
  for (const auto& [name, t] : graph.initializers) shapes[name] = t.shape();
  ThreadPool pool(1);
  std::set<std::string> outputs;
  for (const auto& o : graph.outputs) outputs.insert(o.name);
  std::vector<bool> removed(graph.nodes.size(), false);
  int64_t folded = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    bool shape_op = (IsOp(node, "Shape") || IsOp(node, "Size")) && node.inputs.size() == 1 &&
                    node.outputs.size() == 1 && shapes.count(node.inputs[0]);
    if (shape_op) {
      auto t = FoldShapeOp(node, shapes[node.inputs[0]]);
      if (t) {
        shapes[node.outputs[0]] = t->shape();
        graph.initializers[node.outputs[0]] = std::move(*t);
        removed[i] = true;
        ++folded;
        continue;
      }
    }
    std::vector<Value> outs;
    if (Foldable(node, graph) && Evaluate(node, graph, backend, &pool, &outs)) {
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k].empty()) continue;
        shapes[node.outputs[k]] = outs[k].tensor().shape();
        graph.initializers[node.outputs[k]] = std::move(outs[k].tensor());
      }
      removed[i] = true;
      ++folded;
      continue;
    }
    InferNodeShapes(node, graph, shapes);
  }
  RemoveNodes(graph, removed);
  if (folded > 0) RemoveUnusedInitializers(graph);
  if (count) *count = folded;
  return Status::Ok();
}

Status EliminateDeadNodes(Graph& graph, int64_t* count) {
  std::set<std::string> needed;
  for (const auto& o : graph.outputs) needed.insert(o.name);
  std::vector<bool> removed(graph.nodes.size(), false);
  int64_t dead = 0;
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& n = graph.nodes[i];
    bool live = false;
    for (const auto& out : n.outputs) live |= !out.empty() && needed.count(out) > 0;
    if (!live) {
      removed[i] = true;
      ++dead;
      continue;
    }
    for (const auto& in : n.inputs) {
      if (!in.empty()) needed.insert(in);
    }
    for (const auto& [key, attr] : n.attributes) {
      if (attr.g) CollectReads(*attr.g, &needed);
    }
  }
  if (dead > 0) RemoveNodes(graph, removed);
  RemoveUnusedInitializers(graph);
  if (count) *count = dead;
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
