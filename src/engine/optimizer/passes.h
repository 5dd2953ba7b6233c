// The optimizer's passes, each usable on its own. Every pass keeps the graph's outputs (names,
// values), keeps nodes topologically sorted, never fuses through a value that is a graph output
// or has another consumer, and leaves what it does not recognise untouched. Nodes inside
// subgraphs (If/Loop/Scan bodies) are left alone. `count`, when given, receives the number of
// rewrites the pass made (nodes folded, nodes removed, patterns fused).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/precision.h"

namespace ipfs_accelerate::engine::optimizer {

// Replaces nodes whose inputs are all initializers (and which are deterministic and hold no
// subgraph) by initializers holding their outputs, computed once with `backend`. Shape and Size
// of values whose shape is known (from `input_shapes`, fully static declared input shapes, and
// propagation through simple ops) become initializers too. Outputs over 64 MiB, and outputs of
// ops that only expand data (ConstantOfShape, Expand, Tile) over 1 MiB, are not folded.
Status FoldConstants(Graph& graph, const Backend& backend,
                     const std::map<std::string, std::vector<int64_t>>& input_shapes,
                     int64_t* count = nullptr);

// Whether some node of `graph` reads a 16-bit float (float16, bfloat16) that none of `backends`
// runs at that type (SupportsOp with the inputs' inferred types).
bool NeedsFloat32Compute(const Graph& graph, const std::vector<const Backend*>& backends);

// Computes a 16-bit float model in float32, with 16-bit floats only at its edges: initializers
// and constant attributes widened, Casts and dtype attributes that name a 16-bit type made
// float32, each 16-bit graph input read through a Cast to float32 and each 16-bit graph output
// cast back from float32 at the end; subgraphs declare float32 inside. The model's inputs and
// outputs keep their names and types. `count` receives the number of changes.
Status ComputeHalfFloatsInFloat32(Graph& graph, int64_t* count = nullptr);

// Removes nodes none of whose outputs reach a graph output, then initializers nothing reads.
// `count` receives the number of nodes removed.
Status EliminateDeadNodes(Graph& graph, int64_t* count = nullptr);

// Conv followed by BatchNormalization (inference, constant parameters) -> one Conv with
// rescaled weights and bias, as new initializers.
Status FuseConvBatchNorm(Graph& graph, int64_t* count = nullptr);

// Conv followed by Mul by a per-channel (or scalar) constant -> one Conv with scaled weights
// and bias (Paddle exports BatchNormalization as this Mul and an Add).
Status FuseConvMul(Graph& graph, int64_t* count = nullptr);

// Conv followed by Add of a per-channel constant -> one Conv whose bias holds the constant.
Status FuseConvAdd(Graph& graph, int64_t* count = nullptr);

// The Erf form x*0.5*(1+erf(x/sqrt2)) and the tanh form
// 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))), in the orders exporters write them -> Gelu
// (domain ai.ipfs_accelerate, attribute approximate = "none" | "tanh").
Status FuseGelu(Graph& graph, int64_t* count = nullptr);

// ReduceMean/Sub/Pow(2)/ReduceMean/Add(eps)/Sqrt/Div[/Mul(gamma)][/Add(beta)] over the last
// axis -> ONNX LayerNormalization (opset 17 semantics).
Status FuseLayerNorm(Graph& graph, int64_t* count = nullptr);

// MatMul(Q, K^T) [-> Mul|Div by a scalar] [-> Add(mask)] [-> Where(cond, ., other)] ->
// Softmax(last axis) -> MatMul(., V)  ->  Attention (domain ai.ipfs_accelerate).
Status FuseAttention(Graph& graph, int64_t* count = nullptr);

// onnxruntime's dynamic quantization of a MatMul: DynamicQuantizeLinear(x) -> MatMulInteger(
// x_q, B int8 constant 2-D, x_zero_point, B zero point 0 or absent) -> Cast(float) -> Mul by
// Mul(x_scale, B's scale: one, or one per column) -> FusedMatMul with uint8 A, int8 B and B's
// scale per column. The DynamicQuantizeLinear stays (other products may share it).
Status FuseDynamicQuantMatMul(Graph& graph, int64_t* count = nullptr);
// onnxruntime's QDQ (static) quantization of a MatMul: MatMul(DequantizeLinear(A uint8, one
// scale and zero point), DequantizeLinear(B int8 constant 2-D, zero point 0, one scale or one per
// column)) -> FusedMatMul with uint8 A, int8 B and B's scale per column. Must run before
// FoldConstants, which would otherwise fold B's DequantizeLinear into float32 weights.
Status FuseQdqMatMul(Graph& graph, int64_t* count = nullptr);
// MatMul(A, B constant 2-D) + Add(bias constant [N]) -> FusedMatMul (domain ai.ipfs_accelerate);
// also FusedMatMul without bias or activation + Add(bias).
Status FuseMatMulBias(Graph& graph, int64_t* count = nullptr);

// MatMul | Gemm (bias-like C) | FusedMatMul without activation, followed by Relu, Gelu,
// Sigmoid, Tanh, HardSigmoid, LeakyRelu or Clip -> FusedMatMul with that activation.
Status FuseMatMulActivation(Graph& graph, int64_t* count = nullptr);

// What LowerPrecision converted: matrix products, convolutions, and the bytes of their weights
// before and after.
struct PrecisionStats {
  int64_t products = 0;
  int64_t convolutions = 0;  // the CPU backend's NhwcConv
  uint64_t bytes_before = 0, bytes_after = 0;
};

// The matrix products whose weights are constant (FusedMatMul, and MatMul/Gemm that
// AsFusedMatMul turns into one) computed at `precision`, where `backend` runs that form:
// bf16 turns B into a bfloat16 initializer; int8 quantizes B per output column (symmetric,
// int8, with a float32 scale per column) and A is quantized on every run by a
// DynamicQuantizeLinear shared by the products that read it (engine/ops/fused.h). The CPU
// backend's NhwcConv converts the same way (weights per output channel). Weights shared by
// several nodes convert once; the float32 weights nothing reads any more are dropped. Leaves
// alone: products of two computed values (attention scores), other convolutions (1-D, 3-D,
// transposed), and everything at fp32.
Status LowerPrecision(Graph& graph, Precision precision, const Backend& backend,
                      PrecisionStats* stats = nullptr);

}  // namespace ipfs_accelerate::engine::optimizer
