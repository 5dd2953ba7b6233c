// The classes of operators the performance model tells apart: each class has its own efficiency
// per device (fitted from measured runs), because a GEMM, a depthwise convolution and a Transpose
// reach very different fractions of a device's peak.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/graph.h"

namespace ipfs_accelerate::perf {

enum class OpClass {
  kMatMul,         // MatMul, Gemm, FusedMatMul and their integer forms
  kConv,           // dense convolutions (group 1 or few channels per group)
  kDepthwiseConv,  // convolutions with one or two input channels per group
  kAttention,      // the fused Attention: its two products and softmax
  kRecurrent,      // RNN, GRU, LSTM
  kNormalization,  // LayerNorm, BatchNorm, GroupNorm, Softmax, ...
  kElementwise,    // arithmetic, activations, casts, quantization
  kDataMovement,   // Transpose, Concat, Slice, Gather, Pad, Resize, ... (bytes, no arithmetic)
  kReduction,      // Reduce*, pooling, ArgMax, TopK
  kOther,
};

// Every class, in declaration order.
const std::vector<OpClass>& AllOpClasses();
// "matmul", "conv", "depthwise_conv", "attention", "recurrent", "normalization", "elementwise",
// "data_movement", "reduction", "other".
std::string ToString(OpClass c);
// The class named `name`; kInvalidArgument listing the names otherwise.
Result<OpClass> ParseOpClass(const std::string& name);
// Whether the class does enough arithmetic per byte for compute to bound it (the products and
// convolutions); the others are costed by the bytes they move.
bool IsComputeClass(OpClass c);

// The class of `node`. `in_channels_per_group` is the convolution's input channels per group
// (0 when not a convolution or unknown).
OpClass ClassifyNode(const engine::Node& node, int64_t in_channels_per_group);

}  // namespace ipfs_accelerate::perf
