// LowerPrecision: the matrix products with constant weights run in bfloat16 or int8 (the
// FusedMatMul forms of engine/ops/fused.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "core/half.h"
#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

Tensor ToBFloat16(const Tensor& b) {
  Tensor out = Tensor::Empty(DType::kBFloat16, b.shape());
  const float* src = b.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  for (int64_t i = 0; i < b.numel(); ++i) dst[i] = FloatToBFloat16(src[i]);
  return out;
}

// W quantized to int8 per output channel, symmetric (zero point 0, values in [-127, 127]), and
// the channels' scales. W is seen as [dim 0, the rest]; the channels are its rows when
// `channel_is_row` (a product's B with trans_b, a convolution's W), else its columns (B [K, N]).
// Rows are walked in memory order.
std::pair<Tensor, Tensor> QuantizePerChannel(const Tensor& b, bool channel_is_row) {
  const bool trans_b = channel_is_row;
  const int64_t rows = b.dim(0), cols = b.numel() / std::max<int64_t>(1, rows);
  const int64_t n = trans_b ? rows : cols;
  const float* src = b.data<float>();
  std::vector<float> max_abs(n, 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = src + r * cols;
    if (trans_b) {
      float m = 0.f;
      for (int64_t c = 0; c < cols; ++c) m = std::max(m, std::fabs(row[c]));
      max_abs[r] = m;
    } else {
      for (int64_t c = 0; c < cols; ++c) max_abs[c] = std::max(max_abs[c], std::fabs(row[c]));
    }
  }
  Tensor scales = Tensor::Empty(DType::kFloat32, {n});
  std::vector<float> inverse(n);
  for (int64_t j = 0; j < n; ++j) {
    const float m = max_abs[j];
    scales.data<float>()[j] = m > 0 && std::isfinite(m) ? m / 127.f : 1.f;
    inverse[j] = 1.f / scales.data<float>()[j];
  }
  Tensor q = Tensor::Empty(DType::kInt8, b.shape());
  int8_t* pq = q.data<int8_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = src + r * cols;
    int8_t* out = pq + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      float v = row[c] * inverse[trans_b ? r : c];
      v = v > -127.f ? v : -127.f;  // NaN too
      v = v < 127.f ? v : 127.f;
      out[c] = static_cast<int8_t>(std::lrint(v));
    }
  }
  return {std::move(q), std::move(scales)};
}

// DynamicQuantizeLinear (opset 11) of `a` into `outputs` (y, scale, zero point).
Node DynamicQuantize(const std::string& name, const std::string& a,
                     std::vector<std::string> outputs) {
  Node n;
  n.name = name;
  n.op_type = "DynamicQuantizeLinear";
  n.opset = 11;
  n.inputs = {a};
  n.outputs = std::move(outputs);
  return n;
}

}  // namespace

Status LowerPrecision(Graph& g, Precision precision, const Backend& backend,
                      PrecisionStats* stats) {
  PrecisionStats local;
  PrecisionStats& st = stats ? *stats : local;
  if (precision == Precision::kFp32) return Status::Ok();
  const DType target = precision == Precision::kBf16 ? DType::kBFloat16 : DType::kInt8;
  const bool int8 = target == DType::kInt8;
  if (int8 && !backend.SupportsOp(DynamicQuantize("", "x", {"y", "s", "z"}), {DType::kFloat32})) {
    return Status::Ok();
  }
  NameAllocator names(g);
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size());
  // The weights `w` (float32) in the target type, and for int8 their scales per channel; once
  // per initializer, however many nodes read it.
  struct Converted {
    std::string weights, scales;
  };
  std::map<std::string, Converted> converted;
  auto convert = [&](const std::string& w, bool channel_is_row) -> const Converted& {
    auto [it, fresh] = converted.try_emplace(w);
    if (!fresh) return it->second;
    const Tensor& t = g.initializers.at(w);
    st.bytes_before += t.nbytes();
    it->second.weights = names.Fresh(w + (int8 ? "_int8" : "_bf16"));
    if (int8) {
      auto [q, scales] = QuantizePerChannel(t, channel_is_row);
      it->second.scales = names.Fresh(w + "_scale");
      st.bytes_after += q.nbytes() + scales.nbytes();
      g.initializers[it->second.weights] = std::move(q);
      g.initializers[it->second.scales] = std::move(scales);
    } else {
      Tensor low = ToBFloat16(t);
      st.bytes_after += low.nbytes();
      g.initializers[it->second.weights] = std::move(low);
    }
    return it->second;
  };
  // int8: the outputs (y, scale, zero point) of the DynamicQuantizeLinear of `a`, made before its
  // first reader and shared by the others.
  std::map<std::string, std::vector<std::string>> quantized;
  auto quantize = [&](const std::string& a) -> const std::vector<std::string>& {
    auto [it, first] = quantized.try_emplace(a);
    if (first) {
      it->second = {names.Fresh(a + "_quantized"), names.Fresh(a + "_scale"),
                    names.Fresh(a + "_zero_point")};
      nodes.push_back(DynamicQuantize(names.Fresh(a + "_QuantizeLinear"), a, it->second));
    }
    return it->second;
  };
  auto float_weight = [&](const Node& n, int rank) {
    const Tensor* w = n.inputs.size() >= 2 ? FindInitializer(g, n.inputs[1]) : nullptr;
    return w && w->dtype() == DType::kFloat32 && w->rank() == rank && w->numel() > 0;
  };

  for (Node& node : g.nodes) {
    // The CPU backend's channels-last convolutions (engine/backends/cpu/layout_nhwc.h).
    if (node.domain == kFusedDomain && node.op_type == "NhwcConv" && float_weight(node, 4)) {
      std::vector<DType> types = {int8 ? DType::kUInt8 : DType::kFloat32, target};
      if (backend.SupportsOp(node, types)) {
        const Converted& c = convert(node.inputs[1], /*channel_is_row=*/true);
        if (int8) {
          const std::vector<std::string>& q = quantize(node.inputs[0]);
          node.inputs.resize(std::max<size_t>(node.inputs.size(), 4));
          node.inputs = {q[0], c.weights, node.inputs[2], node.inputs[3], c.scales, q[1], q[2]};
        } else {
          node.inputs[1] = c.weights;
        }
        ++st.convolutions;
      }
      nodes.push_back(std::move(node));
      continue;
    }
    // Matrix products with constant weights.
    Node f;
    if (node.domain == kFusedDomain && node.op_type == "FusedMatMul") {
      f = node;
    } else if (std::optional<Node> as_fused = AsFusedMatMul(g, node)) {
      f = std::move(*as_fused);
      f.name = node.name;
    }
    if (f.op_type.empty() || f.inputs.size() > 3 || !float_weight(f, 2)) {
      nodes.push_back(std::move(node));
      continue;
    }
    IA_ASSIGN_OR_RETURN(ops::FusedMatMulAttrs attrs, ops::ReadFusedMatMul(f));
    f.inputs.resize(3);
    std::vector<DType> types = {DType::kFloat32, target, DType::kFloat32};
    if (int8) {
      types = {DType::kUInt8,   target,          DType::kFloat32,
               DType::kFloat32, DType::kFloat32, DType::kUInt8};
    }
    if (!backend.SupportsOp(f, types)) {
      nodes.push_back(std::move(node));
      continue;
    }
    const Converted& c = convert(f.inputs[1], attrs.trans_b);
    if (int8) {
      const std::vector<std::string>& q = quantize(f.inputs[0]);
      f.inputs = {q[0], c.weights, f.inputs[2], c.scales, q[1], q[2]};
    } else {
      f.inputs[1] = c.weights;
      if (f.inputs[2].empty()) f.inputs.resize(2);
    }
    nodes.push_back(std::move(f));
    ++st.products;
  }
  g.nodes = std::move(nodes);
  // The float32 weights nothing reads any more.
  return EliminateDeadNodes(g);
}

}  // namespace ipfs_accelerate::engine::optimizer
