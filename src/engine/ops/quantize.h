// The linear quantization operators QuantizeLinear and DequantizeLinear (opsets 10, 13, 19, 21)
// and DynamicQuantizeLinear (opset 11): their attributes, output types and the rule that maps the
// scale and zero point onto x, written once for every backend's kernels.
//
//   QuantizeLinear:   y = saturate(round_half_even(x / y_scale) + y_zero_point)
//   DequantizeLinear: y = (x - x_zero_point) * x_scale
//
// Granularity, from the scale's shape (the zero point must have the same shape):
//   per tensor: a scalar, or a 1-D tensor of one element (as onnxruntime and the ONNX reference
//               read it); the only kind before opset 13;
//   per axis (13+): a 1-D tensor of x.shape[axis] values;
//   blocked (21+, block_size > 0): x's rank, x's shape except ceil(x.shape[axis] / block_size)
//               along `axis`; element i along the axis uses scale entry i / block_size.
//
// Types the engine runs: integer outputs int8, uint8, int16, uint16 (QuantizeLinear; the type of
// y_zero_point, else opset 21's output_dtype, else uint8), those and int32 as DequantizeLinear's
// x (int32 only with zero points that are 0, as the spec says it has none). float8 and 4-bit
// types are refused with a clear error: the engine has no tensors of them (a model holding one is
// refused by the loader; output_dtype naming one, here). `saturate` (opset 19+) only concerns
// float8 and so changes nothing for the integer types.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

enum class QuantGranularity { kPerTensor, kPerAxis, kBlocked };

// The attributes of a QuantizeLinear or DequantizeLinear node as its opset defines them: axis from
// 13, saturate from 19 (QuantizeLinear), block_size and output_dtype from 21 (output_dtype:
// QuantizeLinear only; 0 when not given). Attributes the node's opset does not define keep their
// defaults.
struct QuantAttrs {
  int64_t axis = 1;
  int64_t block_size = 0;
  bool saturate = true;
  int64_t output_dtype = 0;  // an ONNX TensorProto.DataType number
};
Result<QuantAttrs> ReadQuantAttrs(const Node& node);

// How the scale and zero point apply to x, which is viewed as [outer, axis_dim, inner] around
// `axis` (per tensor: outer = inner = 1, axis_dim = all of x).
struct QuantLayout {
  QuantGranularity granularity = QuantGranularity::kPerTensor;
  int axis = 0;            // made non-negative (per axis and blocked)
  int64_t block_size = 0;  // blocked
  int64_t outer = 1, axis_dim = 1, inner = 1;
  int64_t scale_axis_dim = 1;  // entries of the scale along the axis: axis_dim, or the blocks
};

// The layout for x of shape `x` with a scale of shape `scale` and a zero point of shape
// `zero_point` (null when absent): the granularity the shapes and the opset give, every shape
// checked (errors name the node, the parameter and the shape expected).
Result<QuantLayout> PlanQuantLayout(const Node& node, const QuantAttrs& attrs, const Shape& x,
                                    const Shape& scale, const Shape* zero_point);

// Whether the engine quantizes to `t` (int8, uint8, int16, uint16).
bool IsQuantizedIntType(DType t);

// The saturation range of a quantized integer type (int8, uint8, int16, uint16, int32).
struct QuantRange {
  int32_t lo = 0, hi = 0;
};
QuantRange QuantRangeOf(DType t);

// QuantizeLinear's output type: y_zero_point's (`zero_point`; kUndefined when absent), else the
// output_dtype attribute's, else uint8. An error when both are given and differ, and a clear
// refusal for the types the engine has no tensors of (float8, int4, uint4).
Result<DType> QuantizeOutputType(const Node& node, const QuantAttrs& attrs, DType zero_point);

// The same for the graph's type rules (value_types.h): kUndefined where it cannot tell.
DType QuantizeOutputTypeOrUndefined(const Node& node, DType zero_point);

// DynamicQuantizeLinear's scale and zero point (uint8) for data whose least and greatest values
// are `min` and `max`, as the spec's formulas give them: the range widened to include 0, scale =
// (max - min) / 255, zero point = saturate(round_half_even(0 - min / scale)). An all-zero range
// (max == min == 0) would divide by 0: the scale is 1 there, as onnxruntime makes it (x is all
// zeros, so every y is the zero point 0 whatever the scale).
struct DynamicQuantParams {
  float scale = 1.f;
  uint8_t zero_point = 0;
};
// `qmax` narrows the range to [0, qmax] (127 keeps uint8 x int8 products from saturating int16
// on CPUs without VNNI); ONNX's operator is qmax 255.
DynamicQuantParams DynamicQuantizeParams(float min, float max, float qmax = 255.f);

}  // namespace ipfs_accelerate::engine::ops
