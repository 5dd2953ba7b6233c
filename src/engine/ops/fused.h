// The schema of the fused operators (domain ai.ipfs_accelerate) that the optimizer writes and
// backends run: their inputs, attributes and shape rules, written once. The optimizer builds
// them only through the Make* functions here; kernels read them only through the Read*
// functions, which name the node and the attribute when one is wrong. A backend that runs a
// fused op registers it like any ONNX op; one that does not simply gets the unfused graph
// (the optimizer asks SupportsOp before fusing).
//
//   FusedMatMul  Y = activation(alpha * A x B' + bias), B' = B or B^T (trans_b)
//     inputs:     A [..., K] float32; B [K, N] ([N, K] with trans_b), a constant, float32,
//                 bfloat16 (then A is rounded to bfloat16 and the products summed in float32)
//                 or int8 (then B' is B times b_scale per column); bias [N] float32, optional;
//                 b_scale [N] float32, for int8 B only; with int8 B, A may be uint8 with
//                 a_scale (input 4, float32 scalar) and a_zero_point (input 5, uint8 scalar),
//                 as DynamicQuantizeLinear gives them, else float32 A is quantized so on every
//                 run (LowerPrecision and FuseDynamicQuantMatMul write these forms)
//     optional attributes: trans_b (int, 0), alpha (float, 1), activation (string, ""),
//                 activation_params (floats; see Activation)
//     output:     [..., N]
//   Attention    Y = softmax(where(C, Q x K * scale + M, O)) x V, the softmax over softmax_axis
//     inputs:     Q [..., S, D], K [..., D, T] (already transposed), V [..., T, Dv]; then, each
//                 optional and broadcasting to the scores [..., S, T]: M (added), C (bool) and
//                 O (where C is false, O replaces the score; C needs O)
//     attributes: scale (float, 1), softmax_axis (int, -1), softmax_opset (int, 13: the
//                 Softmax it replaced; before 13 Softmax flattened the axes from softmax_axis on),
//                 heads_last (int, 0; see below)
//     output:     [..., S, Dv] (the batch dimensions broadcast)
//     heads_last: 1 when Q, K and V come as [B, S, H, D], [B, T, H, D] and [B, T, H, Dv], the
//                 tensors before the Transposes an exporter writes to put the heads first (K's
//                 to [B, H, D, T]), and Y goes out as [B, S, H, Dv], before the Transpose back:
//                 the masks still broadcast to the scores [B, H, S, T]
//   Gelu         Y = x * Phi(x), with Phi the normal CDF (approximate "none") or its tanh form
//     inputs:     X; attributes: approximate (string, "none" or "tanh"); output: X's shape
//
// The CPU backend has its own channels-last ops (NhwcConv, NhwcMaxPool, ...) that only its
// layout transform writes: see engine/backends/cpu/layout_nhwc.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

inline constexpr char kFusedDomain[] = "ai.ipfs_accelerate";

// The activations a fused op applies to its result: attribute `activation` holds the name,
// `activation_params` the parameters (HardSigmoid: alpha, beta; LeakyRelu: alpha; Clip: min,
// max; the others none).
enum class ActivationKind {
  kNone,
  kRelu,
  kGelu,
  kGeluTanh,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kHardSwish,
  kLeakyRelu,
  kClip
};

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float p0 = 0, p1 = 0;  // the parameters, as above
};

// "" (none), "Relu", "Gelu", "GeluTanh", "Sigmoid", ...
const char* ActivationName(ActivationKind kind);

// The activation node `n` of `g` computes, when it is one a fused op can apply (Relu, Sigmoid,
// Tanh, HardSigmoid, HardSwish, LeakyRelu, Clip with constant bounds, ONNX or fused Gelu), with
// its parameters; nullopt otherwise.
std::optional<Activation> ActivationOfNode(const Graph& g, const Node& n);

// The activation attributes of fused node `n` (none when absent), or an error naming the node.
Result<Activation> ReadActivation(const Node& n);
// Sets `n`'s activation attributes (removes them for kNone).
void WriteActivation(Node& n, const Activation& a);

struct FusedMatMulAttrs {
  bool trans_b = false;
  float alpha = 1.f;
  Activation activation;
};
Node MakeFusedMatMul(const std::string& name, std::vector<std::string> inputs,
                     const std::string& output, const FusedMatMulAttrs& attrs);
Result<FusedMatMulAttrs> ReadFusedMatMul(const Node& n);
// A [..., K] x B ([K, N], or [N, K] with trans_b) -> [..., N].
Result<Shape> FusedMatMulShape(const Node& n, const Shape& a, const Shape& b);

struct AttentionAttrs {
  float scale = 1.f;
  int64_t softmax_axis = -1;
  int64_t softmax_opset = 13;
  bool heads_last = false;
};
Node MakeAttention(const std::string& name, std::vector<std::string> inputs,
                   const std::string& output, const AttentionAttrs& attrs);
Result<AttentionAttrs> ReadAttention(const Node& n);
// The scores' shape (Q's and K's batch dimensions broadcast with the masks', then [S, T]) and
// the output's, from the shapes of Q, K, V, M, C, O (null for an omitted input).
struct AttentionShapes {
  Shape scores, output;
};
Result<AttentionShapes> AttentionShape(const Node& n, const std::vector<const Shape*>& inputs);

Node MakeGelu(const std::string& name, const std::string& input, const std::string& output,
              bool tanh);
// Whether the Gelu (fused or ONNX opset 20) uses the tanh form; an error for another word.
Result<bool> ReadGeluTanh(const Node& n);

}  // namespace ipfs_accelerate::engine::ops
