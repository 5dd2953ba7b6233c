#include "engine/placement.h"

#include "engine/ops/value_types.h"

namespace ipfs_accelerate::engine {
namespace {

// Whether `backend` runs `node` and, for control flow, every node of its subgraphs.
bool SupportsWithSubgraphs(const Backend& backend, const Node& node,
                           const std::vector<DType>& input_types, std::string* why) {
  if (!backend.SupportsOp(node, input_types, why)) return false;
  for (const auto& [key, attr] : node.attributes) {
    if (!attr.g) continue;
    std::map<std::string, DType> types = ops::InferValueTypes(*attr.g);
    for (const Node& inner : attr.g->nodes) {
      if (!SupportsWithSubgraphs(backend, inner, ops::InputTypes(inner, types), why)) {
        if (why) *why = "subgraph '" + attr.g->name + "': " + *why;
        return false;
      }
    }
  }
  return true;
}

}  // namespace

Result<Placement> PlaceNodes(const Graph& graph, const std::vector<const Backend*>& backends) {
  if (backends.empty()) return Status::InvalidArgument("no backend to place the graph on");
  Placement p;
  std::map<std::string, DType> types = ops::InferValueTypes(graph);
  std::map<std::string, const Backend*> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::vector<DType> input_types = ops::InputTypes(node, types);
    std::string reasons;
    const Backend* chosen = nullptr;
    for (const Backend* b : backends) {
      std::string why;
      if (SupportsWithSubgraphs(*b, node, input_types, &why)) {
        chosen = b;
        break;
      }
      reasons += (reasons.empty() ? "" : "; ") + b->name() + ": " + why;
    }
    if (!chosen) {
      return Status::Unsupported("no backend runs " + node.Describe() + " (" + reasons + ")");
    }
    if (chosen != backends[0]) p.fallbacks.push_back({i, chosen->name(), reasons});
    p.backend_of.push_back(chosen);
    for (const std::string& in : node.inputs) {
      auto it = producer.find(in);
      if (it != producer.end() && it->second != chosen) ++p.crossings;
    }
    for (const std::string& out : node.outputs) producer[out] = chosen;
  }
  return p;
}

std::vector<std::pair<std::string, int64_t>> Placement::Counts(
    const std::vector<const Backend*>& backends) const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const Backend* b : backends) {
    int64_t n = 0;
    for (const Backend* placed : backend_of) n += placed == b;
    out.emplace_back(b->name(), n);
  }
  return out;
}

std::string Placement::Summary(const Graph& graph,
                               const std::vector<const Backend*>& backends) const {
  std::string s;
  for (const auto& [name, n] : Counts(backends)) {
    s += (s.empty() ? "" : ", ") + name + " " + std::to_string(n);
  }
  if (fallbacks.empty()) return s + "; no fallbacks";
  std::map<std::string, int64_t> by_op;
  for (const Fallback& f : fallbacks) by_op[graph.nodes[f.node].op_type]++;
  std::string ops;
  for (const auto& [op, n] : by_op) ops += (ops.empty() ? "" : ", ") + op + " " + std::to_string(n);
  s += "; " + std::to_string(fallbacks.size()) + " fallback" + (fallbacks.size() == 1 ? "" : "s") +
       " (" + ops + ")";
  if (crossings > 0) s += "; " + std::to_string(crossings) + " values cross backends";
  return s;
}

}  // namespace ipfs_accelerate::engine
