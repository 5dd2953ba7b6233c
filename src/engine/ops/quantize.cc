#include "engine/ops/quantize.h"

#include <algorithm>

#include "engine/ops/attributes.h"
#include "engine/ops/axis.h"

namespace ipfs_accelerate::engine::ops {
namespace {

// The names of the ONNX element types QuantizeLinear may name that the engine has no tensors of.
const char* UnheldTypeName(int64_t onnx_type) {
  switch (onnx_type) {
    case 17:
      return "float8e4m3fn";
    case 18:
      return "float8e4m3fnuz";
    case 19:
      return "float8e5m2";
    case 20:
      return "float8e5m2fnuz";
    case 21:
      return "uint4";
    case 22:
      return "int4";
    case 23:
      return "float4e2m1";
    default:
      return nullptr;
  }
}

// A scale (or zero point) of one element read as per tensor: a scalar or a 1-D tensor of one.
bool IsPerTensorShape(const Shape& s) { return s.empty() || (s.size() == 1 && s[0] == 1); }

}  // namespace

Result<QuantAttrs> ReadQuantAttrs(const Node& node) {
  QuantAttrs a;
  if (node.opset >= 13) {
    IA_ASSIGN_OR_RETURN(a.axis, IntAttrOr(node, "axis", 1));
  }
  if (node.opset >= 19 && node.op_type == "QuantizeLinear") {
    IA_ASSIGN_OR_RETURN(int64_t saturate, IntAttrOr(node, "saturate", 1));
    a.saturate = saturate != 0;
  }
  if (node.opset >= 21) {
    IA_ASSIGN_OR_RETURN(a.block_size, IntAttrOr(node, "block_size", 0));
    if (a.block_size < 0) {
      return NodeError(node, "block_size must be 0 (per tensor or per axis) or positive, got " +
                                 std::to_string(a.block_size));
    }
    if (node.op_type == "QuantizeLinear") {
      IA_ASSIGN_OR_RETURN(a.output_dtype, IntAttrOr(node, "output_dtype", 0));
    }
  }
  return a;
}

Result<QuantLayout> PlanQuantLayout(const Node& node, const QuantAttrs& attrs, const Shape& x,
                                    const Shape& scale, const Shape* zero_point) {
  QuantLayout l;
  const std::string scale_name = node.op_type == "QuantizeLinear" ? "y_scale" : "x_scale";
  const std::string zp_name = node.op_type == "QuantizeLinear" ? "y_zero_point" : "x_zero_point";
  const int64_t rank = static_cast<int64_t>(x.size());
  if (zero_point && *zero_point != scale) {
    // Per tensor, a scalar and a 1-D tensor of one element are the same parameter.
    if (!(attrs.block_size == 0 && IsPerTensorShape(*zero_point) && IsPerTensorShape(scale))) {
      return NodeError(node, zp_name + " must have the shape of " + scale_name + " " +
                                 ShapeToString(scale) + ", got " + ShapeToString(*zero_point));
    }
  }
  if (attrs.block_size > 0) {
    l.granularity = QuantGranularity::kBlocked;
    if (static_cast<int64_t>(scale.size()) != rank || rank == 0) {
      return NodeError(node, "blocked quantization (block_size " +
                                 std::to_string(attrs.block_size) + ") needs " + scale_name +
                                 " of x's rank " + std::to_string(rank) + " (x " +
                                 ShapeToString(x) + "), got " + ShapeToString(scale));
    }
    IA_ASSIGN_OR_RETURN(l.axis, NormalizeAxis(node, attrs.axis, rank));
    l.block_size = attrs.block_size;
    const int64_t d = x[l.axis];
    const int64_t blocks = d / l.block_size + (d % l.block_size != 0);
    for (int64_t i = 0; i < rank; ++i) {
      const int64_t want = i == l.axis ? blocks : x[i];
      if (scale[i] != want) {
        Shape expected = x;
        expected[l.axis] = blocks;
        return NodeError(
            node, scale_name + " must have shape " + ShapeToString(expected) + " for x " +
                      ShapeToString(x) + ", axis " + std::to_string(l.axis) + " and block_size " +
                      std::to_string(l.block_size) + " (ceil(" + std::to_string(d) + " / " +
                      std::to_string(l.block_size) + ") = " + std::to_string(blocks) +
                      " blocks), got " + ShapeToString(scale));
      }
    }
    l.scale_axis_dim = blocks;
  } else if (IsPerTensorShape(scale)) {
    l.granularity = QuantGranularity::kPerTensor;
    l.axis_dim = NumElements(x);
    return l;
  } else {
    if (node.opset < 13) {
      return NodeError(
          node, scale_name + " must be a scalar at opset " + std::to_string(node.opset) +
                    " (per-axis quantization came with opset 13), got " + ShapeToString(scale));
    }
    l.granularity = QuantGranularity::kPerAxis;
    if (scale.size() != 1) {
      return NodeError(node, scale_name + " must be a scalar (per tensor) or 1-D (per axis)" +
                                 std::string(node.opset >= 21 ? ", or set block_size for blocked "
                                                                "quantization"
                                                              : "") +
                                 ", got " + ShapeToString(scale));
    }
    IA_ASSIGN_OR_RETURN(l.axis, NormalizeAxis(node, attrs.axis, rank));
    if (scale[0] != x[l.axis]) {
      return NodeError(node, "per-axis " + scale_name + " must hold x.shape[" +
                                 std::to_string(l.axis) + "] = " + std::to_string(x[l.axis]) +
                                 " values (x " + ShapeToString(x) + "), got " +
                                 ShapeToString(scale));
    }
    l.scale_axis_dim = x[l.axis];
  }
  l.axis_dim = x[l.axis];
  l.outer = 1;
  l.inner = 1;
  for (int i = 0; i < l.axis; ++i) l.outer *= x[i];
  for (int64_t i = l.axis + 1; i < rank; ++i) l.inner *= x[i];
  return l;
}

bool IsQuantizedIntType(DType t) {
  return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16 || t == DType::kUInt16;
}

QuantRange QuantRangeOf(DType t) {
  switch (t) {
    case DType::kInt8:
      return {-128, 127};
    case DType::kUInt8:
      return {0, 255};
    case DType::kInt16:
      return {-32768, 32767};
    case DType::kUInt16:
      return {0, 65535};
    default:
      return {INT32_MIN, INT32_MAX};
  }
}

Result<DType> QuantizeOutputType(const Node& node, const QuantAttrs& attrs, DType zero_point) {
  DType from_attr = DType::kUndefined;
  if (attrs.output_dtype != 0) {
    if (const char* unheld = UnheldTypeName(attrs.output_dtype)) {
      return Status::Unsupported(node.Describe() + ": output_dtype " + unheld +
                                 " is not supported: the engine quantizes to int8, uint8, int16 "
                                 "and uint16 only (it has no float8 or 4-bit tensors)");
    }
    from_attr = DTypeFromOnnx(static_cast<int32_t>(attrs.output_dtype));
    if (!IsQuantizedIntType(from_attr)) {
      return NodeError(node, "output_dtype " + std::to_string(attrs.output_dtype) +
                                 " is not a quantized type (int8, uint8, int16, uint16, float8, "
                                 "int4, uint4)");
    }
  }
  if (zero_point != DType::kUndefined) {
    if (!IsQuantizedIntType(zero_point)) {
      return Status::Unsupported(node.Describe() + ": y_zero_point of type " +
                                 DTypeName(zero_point) +
                                 " is not supported: the engine quantizes to int8, uint8, int16 "
                                 "and uint16");
    }
    if (from_attr != DType::kUndefined && from_attr != zero_point) {
      return NodeError(node, "output_dtype " + DTypeName(from_attr) +
                                 " does not match the type of y_zero_point, " +
                                 DTypeName(zero_point));
    }
    return zero_point;
  }
  return from_attr != DType::kUndefined ? from_attr : DType::kUInt8;
}

DType QuantizeOutputTypeOrUndefined(const Node& node, DType zero_point) {
  Result<QuantAttrs> attrs = ReadQuantAttrs(node);
  if (!attrs.ok()) return DType::kUndefined;
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && zero_point == DType::kUndefined) {
    return DType::kUndefined;  // a zero point of a type not known yet
  }
  Result<DType> t = QuantizeOutputType(node, *attrs, zero_point);
  return t.ok() ? *t : DType::kUndefined;
}

DynamicQuantParams DynamicQuantizeParams(float min, float max, float qmax) {
  // The range includes 0 (written so that NaN leaves the bound at 0).
  min = min < 0.f ? min : 0.f;
  max = max > 0.f ? max : 0.f;
  DynamicQuantParams p;
  p.scale = max == min ? 1.f : (max - min) / qmax;
  float zp = 0.f - min / p.scale;  // qmin - min / scale, qmin = 0
  zp = zp > 0.f ? zp : 0.f;
  zp = zp < qmax ? zp : qmax;
  p.zero_point = static_cast<uint8_t>(std::nearbyint(zp));
  return p;
}

}  // namespace ipfs_accelerate::engine::ops
