#include "engine/optimizer/graph_util.h"

#include <algorithm>
#include <cmath>

namespace ipfs_accelerate::engine::optimizer {
namespace {

const std::vector<size_t> kNoConsumers;

}  // namespace

GraphIndex::GraphIndex(const Graph& graph) {
  for (const auto& out : graph.outputs) graph_outputs_.insert(out.name);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    std::set<std::string> reads(n.inputs.begin(), n.inputs.end());
    for (const auto& [key, attr] : n.attributes) {
      if (attr.g) CollectReads(*attr.g, &reads);
    }
    for (const auto& r : reads) {
      if (!r.empty()) consumers_[r].push_back(i);
    }
    for (const auto& out : n.outputs) {
      if (!out.empty()) producers_[out] = i;
    }
  }
}

const std::vector<size_t>& GraphIndex::Consumers(const std::string& value) const {
  auto it = consumers_.find(value);
  return it == consumers_.end() ? kNoConsumers : it->second;
}

std::optional<size_t> GraphIndex::Producer(const std::string& value) const {
  auto it = producers_.find(value);
  if (it == producers_.end()) return std::nullopt;
  return it->second;
}

bool GraphIndex::HasSingleConsumer(const std::string& value) const {
  return !IsGraphOutput(value) && Consumers(value).size() == 1;
}

std::optional<size_t> GraphIndex::SingleConsumer(const std::string& value) const {
  if (!HasSingleConsumer(value)) return std::nullopt;
  return Consumers(value)[0];
}

void CollectReads(const Graph& graph, std::set<std::string>* reads) {
  for (const Node& n : graph.nodes) {
    for (const auto& in : n.inputs) {
      if (!in.empty()) reads->insert(in);
    }
    for (const auto& [key, attr] : n.attributes) {
      if (attr.g) CollectReads(*attr.g, reads);
    }
  }
  // A subgraph's outputs may name outer values directly.
  for (const auto& out : graph.outputs) reads->insert(out.name);
}

bool HasSubgraph(const Node& node) {
  for (const auto& [key, attr] : node.attributes) {
    if (attr.g || attr.kind == Attribute::Kind::kGraph) return true;
  }
  return false;
}

bool IsOp(const Node& node, const char* op_type) {
  return node.domain.empty() && node.op_type == op_type;
}

const Tensor* FindInitializer(const Graph& graph, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = graph.initializers.find(name);
  return it == graph.initializers.end() ? nullptr : &it->second;
}

std::optional<double> ScalarConstant(const Graph& graph, const std::string& name) {
  const Tensor* t = FindInitializer(graph, name);
  if (!t || t->numel() != 1) return std::nullopt;
  switch (t->dtype()) {
    case DType::kFloat32:
      return static_cast<double>(*t->data<float>());
    case DType::kFloat64:
      return *t->data<double>();
    case DType::kInt32:
      return static_cast<double>(*t->data<int32_t>());
    case DType::kInt64:
      return static_cast<double>(*t->data<int64_t>());
    default:
      return std::nullopt;
  }
}

bool IsFloatScalar(const Graph& graph, const std::string& name, double expected) {
  const Tensor* t = FindInitializer(graph, name);
  if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return false;
  double v = *t->data<float>();
  return std::abs(v - expected) <= 1e-4 * std::max(1.0, std::abs(expected));
}

NameAllocator::NameAllocator(const Graph& graph) {
  for (const auto& [name, t] : graph.initializers) used_.insert(name);
  for (const auto& in : graph.inputs) used_.insert(in.name);
  for (const auto& out : graph.outputs) used_.insert(out.name);
  for (const Node& n : graph.nodes) {
    used_.insert(n.outputs.begin(), n.outputs.end());
    used_.insert(n.inputs.begin(), n.inputs.end());
  }
}

std::string NameAllocator::Fresh(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

std::string UniqueName(const Graph& graph, const std::string& base) {
  return NameAllocator(graph).Fresh(base);
}

Rewriter::Rewriter(Graph& graph)
    : graph_(graph), index_(graph), removed_(graph.nodes.size(), false) {}

void Rewriter::Replace(const std::vector<size_t>& absorbed, Node node) {
  const size_t last = *std::max_element(absorbed.begin(), absorbed.end());
  for (size_t k : absorbed) removed_[k] = true;
  removed_[last] = false;
  graph_.nodes[last] = std::move(node);
  ++rewrites_;
}

int64_t Rewriter::Finish() {
  if (rewrites_ > 0) RemoveNodes(graph_, removed_);
  return rewrites_;
}

void RemoveNodes(Graph& graph, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
}

int64_t RemoveUnusedInitializers(Graph& graph) {
  std::set<std::string> reads;
  CollectReads(graph, &reads);
  int64_t removed = 0;
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    if (reads.count(it->first)) {
      ++it;
    } else {
      it = graph.initializers.erase(it);
      ++removed;
    }
  }
  return removed;
}

std::map<std::string, DType> InferDTypes(const Graph& graph) {
  static const std::set<std::string> kBoolOps = {
      "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
      "And",   "Or",   "Xor",     "IsNaN",       "IsInf"};
  static const std::set<std::string> kInt64Ops = {"Shape", "Size", "NonZero", "ArgMax", "ArgMin"};
  std::map<std::string, DType> types;
  for (const auto& in : graph.inputs) {
    if (in.dtype != DType::kUndefined) types[in.name] = in.dtype;
  }
  for (const auto& [name, t] : graph.initializers) types[name] = t.dtype();
  for (const Node& n : graph.nodes) {
    if (n.outputs.empty() || n.outputs[0].empty()) continue;
    DType dt = DType::kUndefined;
    if (!n.domain.empty() && n.domain != kFusedDomain) continue;
    if (n.op_type == "Cast") {
      if (const Attribute* a = n.attr("to")) dt = DTypeFromOnnx(static_cast<int32_t>(a->i));
    } else if (kBoolOps.count(n.op_type)) {
      dt = DType::kBool;
    } else if (kInt64Ops.count(n.op_type)) {
      dt = DType::kInt64;
    } else if (n.op_type == "ConstantOfShape") {
      const Attribute* a = n.attr("value");
      dt = a ? a->t.dtype() : DType::kFloat32;
    } else if (n.op_type == "Where") {
      if (n.inputs.size() > 1 && types.count(n.inputs[1])) dt = types[n.inputs[1]];
    } else if (n.op_type == "CastLike") {
      if (n.inputs.size() > 1 && types.count(n.inputs[1])) dt = types[n.inputs[1]];
    } else if (n.op_type == "If" || n.op_type == "Loop" || n.op_type == "Scan" ||
               n.op_type == "EyeLike" || n.op_type == "RandomNormalLike" ||
               n.op_type == "RandomUniformLike" || n.op_type == "Multinomial" ||
               n.op_type.find("Quantize") != std::string::npos ||
               n.op_type.find("Integer") != std::string::npos ||
               n.op_type.rfind("QLinear", 0) == 0) {
      continue;  // output type not simply an input's
    } else {
      for (const auto& in : n.inputs) {
        auto it = types.find(in);
        if (it != types.end()) {
          dt = it->second;
          break;
        }
      }
    }
    if (dt != DType::kUndefined) types[n.outputs[0]] = dt;
  }
  return types;
}

bool IsFloat32(const std::map<std::string, DType>& dtypes, const std::string& value) {
  auto it = dtypes.find(value);
  return it != dtypes.end() && it->second == DType::kFloat32;
}

}  // namespace ipfs_accelerate::engine::optimizer
