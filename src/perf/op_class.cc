#include "perf/op_class.h"

#include <array>
#include <set>

namespace ipfs_accelerate::perf {
namespace {

struct ClassName {
  OpClass c;
  const char* name;
};
constexpr std::array<ClassName, 10> kNames = {{
    {OpClass::kMatMul, "matmul"},
    {OpClass::kConv, "conv"},
    {OpClass::kDepthwiseConv, "depthwise_conv"},
    {OpClass::kAttention, "attention"},
    {OpClass::kRecurrent, "recurrent"},
    {OpClass::kNormalization, "normalization"},
    {OpClass::kElementwise, "elementwise"},
    {OpClass::kDataMovement, "data_movement"},
    {OpClass::kReduction, "reduction"},
    {OpClass::kOther, "other"},
}};

const std::set<std::string> kMatMulOps = {"MatMul",        "Gemm",          "FusedMatMul",
                                          "MatMulInteger", "QLinearMatMul", "Einsum"};
const std::set<std::string> kConvOps = {"Conv",        "NhwcConv",    "ConvTranspose",
                                        "ConvInteger", "QLinearConv", "FusedConv"};
const std::set<std::string> kRecurrentOps = {"RNN", "GRU", "LSTM"};
const std::set<std::string> kNormalizationOps = {"LayerNormalization",
                                                 "BatchNormalization",
                                                 "InstanceNormalization",
                                                 "GroupNormalization",
                                                 "Softmax",
                                                 "LogSoftmax",
                                                 "LpNormalization",
                                                 "MeanVarianceNormalization",
                                                 "SkipLayerNormalization",
                                                 "RMSNormalization",
                                                 "SimplifiedLayerNormalization"};
const std::set<std::string> kDataMovementOps = {
    "Transpose",    "Reshape",         "Concat",   "Slice",
    "Gather",       "GatherElements",  "GatherND", "Split",
    "Pad",          "Expand",          "Tile",     "Resize",
    "Squeeze",      "Unsqueeze",       "Identity", "Flatten",
    "DepthToSpace", "SpaceToDepth",    "Shape",    "Size",
    "ScatterND",    "ScatterElements", "Upsample", "NhwcToNchw",
    "NchwToNhwc",   "ConstantOfShape", "Range",    "Trilu",
    "Compress",     "OneHot"};
const std::set<std::string> kReductionOps = {"ReduceMean",
                                             "ReduceSum",
                                             "ReduceMax",
                                             "ReduceMin",
                                             "ReduceProd",
                                             "ReduceL1",
                                             "ReduceL2",
                                             "ReduceLogSum",
                                             "ReduceLogSumExp",
                                             "ReduceSumSquare",
                                             "MaxPool",
                                             "AveragePool",
                                             "GlobalAveragePool",
                                             "GlobalMaxPool",
                                             "LpPool",
                                             "GlobalLpPool",
                                             "NhwcMaxPool",
                                             "NhwcAveragePool",
                                             "NhwcGlobalAveragePool",
                                             "ArgMax",
                                             "ArgMin",
                                             "TopK",
                                             "CumSum"};
const std::set<std::string> kOtherOps = {"If",       "Loop",  "Scan", "NonMaxSuppression",
                                         "RoiAlign", "DFT",   "STFT", "GridSample",
                                         "NonZero",  "Unique"};

}  // namespace

const std::vector<OpClass>& AllOpClasses() {
  static const std::vector<OpClass> all = [] {
    std::vector<OpClass> v;
    for (const ClassName& n : kNames) v.push_back(n.c);
    return v;
  }();
  return all;
}

std::string ToString(OpClass c) {
  for (const ClassName& n : kNames) {
    if (n.c == c) return n.name;
  }
  return "other";
}

Result<OpClass> ParseOpClass(const std::string& name) {
  std::string names;
  for (const ClassName& n : kNames) {
    if (name == n.name) return n.c;
    names += (names.empty() ? "" : ", ") + std::string(n.name);
  }
  return Status::InvalidArgument("unknown operator class '" + name + "' (the classes: " + names +
                                 ")");
}

bool IsComputeClass(OpClass c) {
  return c == OpClass::kMatMul || c == OpClass::kConv || c == OpClass::kDepthwiseConv ||
         c == OpClass::kAttention || c == OpClass::kRecurrent;
}

OpClass ClassifyNode(const engine::Node& node, int64_t in_channels_per_group) {
  const std::string& op = node.op_type;
  if (kMatMulOps.count(op)) return OpClass::kMatMul;
  if (kConvOps.count(op)) {
    return in_channels_per_group > 0 && in_channels_per_group <= 2 ? OpClass::kDepthwiseConv
                                                                   : OpClass::kConv;
  }
  if (op == "Attention" || op == "MultiHeadAttention") return OpClass::kAttention;
  if (kRecurrentOps.count(op)) return OpClass::kRecurrent;
  if (kNormalizationOps.count(op)) return OpClass::kNormalization;
  if (kDataMovementOps.count(op)) return OpClass::kDataMovement;
  if (kReductionOps.count(op)) return OpClass::kReduction;
  if (kOtherOps.count(op)) return OpClass::kOther;
  return OpClass::kElementwise;  // the long tail: arithmetic, activations, casts, quantization
}

}  // namespace ipfs_accelerate::perf
