// The engine's graph IR: what an ONNX model says, in plain C++ types, independent of protobuf.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ipfs_accelerate::engine {

struct Graph;

// One dimension of a declared shape: a number, or a name (dynamic), or unknown.
struct Dim {
  int64_t value = -1;  // -1 when not a fixed number
  std::string param;   // the name of a dynamic dimension ("batch", "seq")
};

// A declared value: a graph input or output, or the type an attribute names (Optional's).
struct ValueInfo {
  // A tensor, a sequence of tensors, an optional (of `element`), or what the engine does not
  // hold (maps, sparse tensors).
  enum class Kind { kTensor, kSequence, kOptional, kOther };
  std::string name;
  DType dtype = DType::kUndefined;        // the tensor's, or the sequence's items'
  std::optional<std::vector<Dim>> shape;  // a tensor's
  Kind kind = Kind::kTensor;
  Kind element = Kind::kTensor;  // an optional's: kTensor or kSequence
};

struct Attribute {
  enum class Kind { kInt, kFloat, kString, kInts, kFloats, kStrings, kTensor, kGraph, kType };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  Tensor t;
  std::shared_ptr<Graph> g;
  ValueInfo type;  // kType: a TypeProto (Optional's "type"), without a name

  // Attributes of each kind, as node builders (the optimizer, tests) write them.
  static Attribute Int(int64_t v);
  static Attribute Float(float v);
  static Attribute String(std::string v);
  static Attribute Ints(std::vector<int64_t> v);
  static Attribute Floats(std::vector<float> v);
  static Attribute Strings(std::vector<std::string> v);
  static Attribute OfTensor(Tensor v);
  static Attribute OfGraph(Graph v);
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;                // "" is the default ONNX domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an unused optional output
  std::map<std::string, Attribute> attributes;
  int64_t opset = 0;  // the opset version of `domain` the model imports

  const Attribute* attr(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? nullptr : &it->second;
  }
  // "Conv (node 'conv1', domain ai.onnx, opset 11)": how errors name a node.
  std::string Describe() const;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  // in topological order once loaded
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::map<std::string, Tensor> initializers;
};

struct Model {
  Graph graph;
  std::map<std::string, int64_t> opsets;  // domain -> version ("" for ai.onnx)
  int64_t ir_version = 0;
  std::string producer;
  // The CID of the stored file the model was parsed from (set by the router when it reads a model
  // from the store): how a backend that loads the file itself (a browser page, from this node's
  // gateway) names it. Empty for a model read from a local file.
  std::string source_cid;
};

}  // namespace ipfs_accelerate::engine
