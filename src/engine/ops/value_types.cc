#include "engine/ops/value_types.h"

#include <set>

#include "engine/ops/quantize.h"

namespace ipfs_accelerate::engine::ops {
namespace {

// Ops whose outputs all take the type of input `n` (0 unless listed otherwise).
const std::map<std::string, int>& SameAsInput() {
  static const std::map<std::string, int> ops = [] {
    std::map<std::string, int> m;
    for (const char* op :
         {"Abs", "Acos", "Acosh", "Add", "AffineGrid", "Asin", "Asinh", "Atan", "Atanh",
          "AveragePool", "BatchNormalization", "BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr",
          "BitwiseXor", "Ceil", "Celu", "CenterCropPad", "Clip", "Col2Im", "Compress", "Concat",
          "Conv", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "Div", "Einsum", "Elu",
          "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements", "GatherND",
          "Gelu", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool",
          "GroupNormalization", "HardSigmoid", "HardSwish", "Hardmax", "Identity",
          "InstanceNormalization", "LRN", "LeakyRelu", "Log", "LogSoftmax", "LpNormalization",
          "LpPool", "MatMul", "Max", "Mean", "MeanVarianceNormalization", "Min", "Mish", "Mod",
          "Mul", "Neg", "PRelu", "Pad", "Pow", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
          "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
          "ReduceSumSquare", "Relu", "Reshape", "Resize", "ReverseSequence", "Round", "Scatter",
          "ScatterElements", "ScatterND", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh",
          "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze",
          "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose", "Trilu", "Unsqueeze",
          "Upsample",
          // the recurrent operators
          "GRU", "LSTM", "RNN",
          // detection and geometry
          "Det", "GridSample", "MaxUnpool", "RoiAlign",
          // the signal operators that transform their input
          "DFT", "STFT",
          // the fused operators of ai.ipfs_accelerate
          "Attention", "NhwcMaxPool", "NhwcAveragePool", "NhwcGlobalAveragePool"}) {
      m[op] = 0;
    }
    m["Where"] = 1;
    m["Range"] = 0;
    // the optimizers of ai.onnx.preview.training: every output is typed as X1
    for (const char* op : {"Adagrad", "Adam", "Momentum"}) m[op] = 2;
    return m;
  }();
  return ops;
}

const std::set<std::string>& BoolOutputs() {
  static const std::set<std::string> ops = {
      "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And",
      "Or",    "Xor",  "Not",         "IsNaN",   "IsInf"};
  return ops;
}

const std::set<std::string>& Int64Outputs() {
  static const std::set<std::string> ops = {"Shape",  "Size",   "NonZero",
                                            "ArgMax", "ArgMin", "NonMaxSuppression"};
  return ops;
}

DType AttrType(const Node& node, const char* name, DType fallback) {
  const Attribute* a = node.attr(name);
  return a ? DTypeFromOnnx(static_cast<int32_t>(a->i)) : fallback;
}

DType At(const std::vector<DType>& v, size_t i) { return i < v.size() ? v[i] : DType::kUndefined; }

}  // namespace

std::vector<DType> OutputTypes(const Node& node, const std::vector<DType>& in) {
  std::vector<DType> out(node.outputs.size(), DType::kUndefined);
  if (out.empty()) return out;
  const std::string& op = node.op_type;
  if (op == "FusedMatMul" || op == "NhwcConv") {  // float32 whatever their inputs hold
    out[0] = DType::kFloat32;
    return out;
  }
  auto same = SameAsInput().find(op);
  if (same != SameAsInput().end()) {
    out.assign(out.size(), At(in, same->second));
    // The statistics outputs of LayerNormalization are float32 or the stash type; leave them.
    return out;
  }
  if (BoolOutputs().count(op)) {
    out.assign(out.size(), DType::kBool);
  } else if (Int64Outputs().count(op)) {
    out.assign(out.size(), DType::kInt64);
  } else if (op == "Cast") {
    out[0] = AttrType(node, "to", DType::kUndefined);
  } else if (op == "CastLike") {
    out[0] = At(in, 1);
  } else if (op == "LayerNormalization") {
    out[0] = At(in, 0);
  } else if (op == "Dropout") {
    out[0] = At(in, 0);
    if (out.size() > 1) out[1] = DType::kBool;
  } else if (op == "TopK") {
    out[0] = At(in, 0);
    if (out.size() > 1) out[1] = DType::kInt64;
  } else if (op == "Unique") {
    out[0] = At(in, 0);
    for (size_t i = 1; i < out.size(); ++i) out[i] = DType::kInt64;
  } else if (op == "ConstantOfShape") {
    const Attribute* v = node.attr("value");
    out[0] = v && v->t.defined() ? v->t.dtype() : DType::kFloat32;
  } else if (op == "EyeLike") {
    out[0] = AttrType(node, "dtype", At(in, 0));
  } else if (op == "OneHot") {
    out[0] = At(in, 2);
  } else if (op == "MatMulInteger" || op == "ConvInteger") {
    out[0] = DType::kInt32;
  } else if (op == "QLinearMatMul" || op == "QLinearConv") {
    out[0] = At(in, 7);
  } else if (op == "StringNormalizer") {
    out[0] = DType::kString;
  } else if (op == "TfIdfVectorizer") {
    out[0] = DType::kFloat32;
  } else if (op == "HannWindow" || op == "HammingWindow" || op == "BlackmanWindow" ||
             op == "MelWeightMatrix") {
    out[0] = AttrType(node, "output_datatype", DType::kFloat32);
  } else if (op == "QuantizeLinear") {
    out[0] = QuantizeOutputTypeOrUndefined(node, At(in, 2));
  } else if (op == "DequantizeLinear") {
    out[0] = At(in, 1);  // the scale's type
  } else if (op == "DynamicQuantizeLinear") {
    out[0] = DType::kUInt8;
    if (out.size() > 1) out[1] = DType::kFloat32;
    if (out.size() > 2) out[2] = DType::kUInt8;
  } else if (op == "MaxPool") {
    out[0] = At(in, 0);
    if (out.size() > 1) out[1] = DType::kInt64;
  }
  return out;
}

bool TakesNonTensors(const Node& node) {
  static const std::set<std::string> ops = {"Identity",
                                            "If",
                                            "Loop",
                                            "SequenceAt",
                                            "SequenceConstruct",
                                            "SequenceErase",
                                            "SequenceInsert",
                                            "SequenceLength",
                                            "SequenceMap",
                                            "ConcatFromSequence",
                                            "Optional",
                                            "OptionalGetElement",
                                            "OptionalHasElement"};
  return node.domain.empty() && ops.count(node.op_type) > 0;
}

bool TakesStrings(const Node& node) {
  // Those that move values whole (ConcatFromSequence copies bytes), and these.
  static const std::set<std::string> ops = {"Reshape", "Squeeze",  "Unsqueeze",
                                            "Flatten", "Shape",    "Size",
                                            "Cast",    "CastLike", "StringNormalizer"};
  if (TakesNonTensors(node)) return node.op_type != "ConcatFromSequence";
  return node.domain.empty() && ops.count(node.op_type) > 0;
}

std::vector<DType> InputTypes(const Node& node, const std::map<std::string, DType>& types) {
  std::vector<DType> in;
  in.reserve(node.inputs.size());
  for (const std::string& name : node.inputs) {
    auto it = name.empty() ? types.end() : types.find(name);
    in.push_back(it == types.end() ? DType::kUndefined : it->second);
  }
  return in;
}

std::map<std::string, DType> InferValueTypes(const Graph& graph) {
  std::map<std::string, DType> types;
  for (const ValueInfo& v : graph.inputs) {
    if (v.kind == ValueInfo::Kind::kTensor && v.dtype != DType::kUndefined) types[v.name] = v.dtype;
  }
  for (const auto& [name, t] : graph.initializers) types[name] = t.dtype();
  for (const Node& node : graph.nodes) {
    std::vector<DType> out = OutputTypes(node, InputTypes(node, types));
    for (size_t k = 0; k < out.size(); ++k) {
      if (!node.outputs[k].empty() && out[k] != DType::kUndefined) types[node.outputs[k]] = out[k];
    }
  }
  return types;
}

}  // namespace ipfs_accelerate::engine::ops
