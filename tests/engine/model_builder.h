// The engine room's one model builder for tests: graphs written node by node in C++, one-node
// models, the attribute and tensor helpers they need, and runs of a model on a session or of a
// node straight on a backend, so no test copies its own fixture.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/kernel.h"
#include "engine/session.h"

namespace ipfs_accelerate::engine::test {

// A float32 tensor of `shape` with values uniform in [lo, hi), the same for the same seed.
inline Tensor Random(Shape shape, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// A float32 scalar (rank 0) holding `v`.
inline Tensor Scalar(float v) { return Tensor::Scalar<float>(DType::kFloat32, v); }

// An int64 tensor of `shape` holding `v`.
inline Tensor Ints(Shape shape, std::vector<int64_t> v) {
  Tensor t = Tensor::Empty(DType::kInt64, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

// A 1-D int64 tensor holding `v`.
inline Tensor Ints(std::vector<int64_t> v) {
  Shape shape = {static_cast<int64_t>(v.size())};
  return Ints(std::move(shape), std::move(v));
}

// A float32 tensor of `shape` holding `v`.
inline Tensor Floats(Shape shape, std::vector<float> v) {
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

// A 1-D float32 tensor holding `v`.
inline Tensor Floats(std::vector<float> v) {
  Shape shape = {static_cast<int64_t>(v.size())};
  return Floats(std::move(shape), std::move(v));
}

// A float32 tensor of `shape` holding 0, 1, 2, ... in order.
inline Tensor Iota(Shape shape) {
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

// Attributes by kind, as the Attribute factories build them.
inline Attribute IntAttr(int64_t i) { return Attribute::Int(i); }
inline Attribute IntsAttr(std::vector<int64_t> v) { return Attribute::Ints(std::move(v)); }
inline Attribute FloatAttr(float f) { return Attribute::Float(f); }
inline Attribute StringAttr(std::string s) { return Attribute::String(std::move(s)); }
inline Attribute GraphAttr(Graph g) { return Attribute::OfGraph(std::move(g)); }

// A node of `op` at `opset` reading `inputs` and writing `outputs`, named after its op.
inline Node MakeNode(const std::string& op, std::vector<std::string> inputs,
                     std::vector<std::string> outputs, std::map<std::string, Attribute> attrs = {},
                     int64_t opset = 17) {
  Node n;
  n.name = op;
  n.op_type = op;
  n.opset = opset;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return n;
}

// A graph input or output declared with `dtype` (kUndefined: no dtype) and no shape.
inline ValueInfo Info(const std::string& name, DType dtype = DType::kUndefined) {
  ValueInfo v;
  v.name = name;
  v.dtype = dtype;
  return v;
}

// A model of `node` alone, importing its opset: graph inputs `inputs` (fed at run time),
// outputs `outputs` and initializers `inits`.
inline Model OneNode(Node node, std::vector<ValueInfo> inputs, std::vector<ValueInfo> outputs,
                     std::map<std::string, Tensor> inits = {}) {
  Model m;
  m.opsets[""] = node.opset;
  m.graph.nodes.push_back(std::move(node));
  m.graph.inputs = std::move(inputs);
  m.graph.outputs = std::move(outputs);
  m.graph.initializers = std::move(inits);
  return m;
}

// A model of one `op` node (see MakeNode) whose named inputs are all graph inputs; they and its
// named outputs are declared with `dtype` (kUndefined: no dtype) and no shape.
inline Model OneNode(const std::string& op, std::vector<std::string> inputs,
                     std::vector<std::string> outputs, std::map<std::string, Attribute> attrs = {},
                     int64_t opset = 17, DType dtype = DType::kUndefined) {
  std::vector<ValueInfo> ins, outs;
  for (const auto& name : inputs) {
    if (!name.empty()) ins.push_back(Info(name, dtype));
  }
  for (const auto& name : outputs) {
    if (!name.empty()) outs.push_back(Info(name, dtype));
  }
  return OneNode(MakeNode(op, std::move(inputs), std::move(outputs), std::move(attrs), opset),
                 std::move(ins), std::move(outs));
}

// Creates a session of `model` with `threads` threads (and the optimizer when `optimize`) and
// runs it once on `feeds`: its outputs, or the first error of either step.
inline Result<std::map<std::string, Tensor>> RunModel(Model model,
                                                      const std::map<std::string, Tensor>& feeds,
                                                      int threads = 1, bool optimize = true) {
  IA_ASSIGN_OR_RETURN(
      auto session, Session::Create(std::move(model), {.threads = threads, .optimize = optimize}));
  return session->Run(feeds);
}

// Runs `node` on `inputs` straight on `backend`, without a session, with `pool`'s threads;
// `outputs` is cleared first and holds at least one slot per output of the node after.
inline Status RunNode(const Backend& backend, const Node& node, std::vector<const Tensor*> inputs,
                      std::vector<Tensor>* outputs, ThreadPool* pool) {
  std::vector<Value> values;
  KernelContext ctx(node, inputs, &values, pool, &backend);
  Status status = backend.Run(ctx);
  outputs->assign(std::max(values.size(), node.outputs.size()), Tensor());
  for (size_t i = 0; i < values.size(); ++i) (*outputs)[i] = values[i].tensor();
  return status;
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
    Node n = MakeNode(op, std::move(ins), std::move(outs), std::move(attrs), opset_);
    n.name = op + std::to_string(model_.graph.nodes.size());
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
