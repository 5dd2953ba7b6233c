#include "engine/graph.h"

#include <utility>

namespace ipfs_accelerate::engine {
namespace {

Attribute OfKind(Attribute::Kind kind) {
  Attribute a;
  a.kind = kind;
  return a;
}

}  // namespace

Attribute Attribute::Int(int64_t v) {
  Attribute a = OfKind(Kind::kInt);
  a.i = v;
  return a;
}
Attribute Attribute::Float(float v) {
  Attribute a = OfKind(Kind::kFloat);
  a.f = v;
  return a;
}
Attribute Attribute::String(std::string v) {
  Attribute a = OfKind(Kind::kString);
  a.s = std::move(v);
  return a;
}
Attribute Attribute::Ints(std::vector<int64_t> v) {
  Attribute a = OfKind(Kind::kInts);
  a.ints = std::move(v);
  return a;
}
Attribute Attribute::Floats(std::vector<float> v) {
  Attribute a = OfKind(Kind::kFloats);
  a.floats = std::move(v);
  return a;
}
Attribute Attribute::Strings(std::vector<std::string> v) {
  Attribute a = OfKind(Kind::kStrings);
  a.strings = std::move(v);
  return a;
}
Attribute Attribute::OfTensor(Tensor v) {
  Attribute a = OfKind(Kind::kTensor);
  a.t = std::move(v);
  return a;
}
Attribute Attribute::OfGraph(Graph v) {
  Attribute a = OfKind(Kind::kGraph);
  a.g = std::make_shared<Graph>(std::move(v));
  return a;
}

std::string Node::Describe() const {
  return op_type + " (node '" + name + "', domain " + (domain.empty() ? "ai.onnx" : domain) +
         ", opset " + std::to_string(opset) + ")";
}

}  // namespace ipfs_accelerate::engine
