// The engine room's one model builder for tests: graphs written node by node in C++, with the
// attribute and tensor helpers they need, so no test copies its own fixture.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::test {

// A float32 tensor of `shape` with values uniform in [lo, hi), the same for the same seed.
inline Tensor Random(Shape shape, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

inline Tensor Scalar(float v) { return Tensor::Scalar<float>(DType::kFloat32, v); }

// A 1-D int64 tensor holding `v`.
inline Tensor Ints(std::vector<int64_t> v) {
  Tensor t = Tensor::Empty(DType::kInt64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

// A 1-D float32 tensor holding `v`.
inline Tensor Floats(std::vector<float> v) {
  Tensor t = Tensor::Empty(DType::kFloat32, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

inline Attribute IntAttr(int64_t i) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = i;
  return a;
}
inline Attribute IntsAttr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute FloatAttr(float f) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = f;
  return a;
}
inline Attribute StringAttr(std::string s) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = std::move(s);
  return a;
}
inline Attribute GraphAttr(Graph g) {
  Attribute a;
  a.kind = Attribute::Kind::kGraph;
  a.g = std::make_shared<Graph>(std::move(g));
  return a;
}

// Builds a model node by node; -1 in an input shape is a dynamic dimension. Nodes are named
// "<op><index>" ("Conv0"), so errors can be checked for the node's name.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 17) : opset_(opset) { model_.opsets[""] = opset; }
  ModelBuilder& Input(const std::string& name, const std::vector<int64_t>& shape,
                      DType dtype = DType::kFloat32) {
    ValueInfo v;
    v.name = name;
    v.dtype = dtype;
    std::vector<Dim> dims;
    for (int64_t d : shape)
      dims.push_back(d < 0 ? Dim{-1, "d" + std::to_string(dims.size())} : Dim{d, ""});
    v.shape = dims;
    model_.graph.inputs.push_back(v);
    shapes_[name] = shape;
    return *this;
  }
  ModelBuilder& Output(const std::string& name, DType dtype = DType::kUndefined) {
    ValueInfo v;
    v.name = name;
    v.dtype = dtype;
    model_.graph.outputs.push_back(v);
    return *this;
  }
  ModelBuilder& Init(const std::string& name, Tensor t) {
    model_.graph.initializers[name] = std::move(t);
    return *this;
  }
  ModelBuilder& Op(const std::string& op, std::vector<std::string> ins,
                   std::vector<std::string> outs, std::map<std::string, Attribute> attrs = {}) {
    Node n;
    n.name = op + std::to_string(model_.graph.nodes.size());
    n.op_type = op;
    n.opset = opset_;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    n.attributes = std::move(attrs);
    model_.graph.nodes.push_back(std::move(n));
    return *this;
  }
  const Model& model() const { return model_; }
  Model& mutable_model() { return model_; }
  // The graph alone, as the body of a Loop, Scan or If (see GraphAttr).
  const Graph& graph() const { return model_.graph; }
  // Concrete inputs: dynamic dimensions become `dynamic`; floats random, booleans a pattern.
  std::map<std::string, Tensor> Inputs(int64_t dynamic = 3) const {
    std::map<std::string, Tensor> ins;
    uint32_t seed = 1;
    for (const auto& in : model_.graph.inputs) {
      Shape s;
      for (int64_t d : shapes_.at(in.name)) s.push_back(d < 0 ? dynamic : d);
      if (in.dtype == DType::kBool) {
        Tensor t = Tensor::Empty(DType::kBool, s);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<bool>()[i] = (i * 7 + seed) % 3 != 0;
        ins[in.name] = t;
      } else {
        ins[in.name] = Random(s, seed);
      }
      ++seed;
    }
    return ins;
  }

 private:
  int64_t opset_;
  Model model_;
  std::map<std::string, std::vector<int64_t>> shapes_;
};

}  // namespace ipfs_accelerate::engine::test
