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

// B quantized to int8 per output column, symmetric (zero point 0, values in [-127, 127]), and
// the columns' scales [N]. B is [K, N], or [N, K] with trans_b. Rows are walked in memory order.
std::pair<Tensor, Tensor> QuantizePerColumn(const Tensor& b, bool trans_b) {
  const int64_t rows = b.dim(0), cols = b.dim(1);
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
  NameAllocator names(g);
  // Converted weights by the name of the float32 initializer (shared weights convert once):
  // the weights and, for int8, their scales.
  std::map<std::string, std::pair<std::string, std::string>> converted;
  // int8: the DynamicQuantizeLinear of each A (its outputs), shared by the products reading it.
  std::map<std::string, std::vector<std::string>> quantized;
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size());
  for (Node& node : g.nodes) {
    // bf16: the CPU backend's channels-last convolutions too (their weights are input 1).
    if (target == DType::kBFloat16 && node.domain == kFusedDomain && node.op_type == "NhwcConv" &&
        node.inputs.size() >= 2) {
      const Tensor* w = FindInitializer(g, node.inputs[1]);
      if (w && w->dtype() == DType::kFloat32 && w->numel() > 0 &&
          backend.SupportsOp(node, {DType::kFloat32, DType::kBFloat16})) {
        auto [it, fresh] = converted.try_emplace(node.inputs[1]);
        if (fresh) {
          it->second.first = names.Fresh(node.inputs[1] + "_bf16");
          st.bytes_before += w->nbytes();
          Tensor low = ToBFloat16(*w);
          st.bytes_after += low.nbytes();
          g.initializers[it->second.first] = std::move(low);
        }
        node.inputs[1] = it->second.first;
        ++st.convolutions;
      }
      nodes.push_back(std::move(node));
      continue;
    }
    Node f;
    if (node.domain == kFusedDomain && node.op_type == "FusedMatMul") {
      f = node;
    } else if (std::optional<Node> as_fused = AsFusedMatMul(g, node)) {
      f = std::move(*as_fused);
      f.name = node.name;
    }
    const Tensor* b = !f.op_type.empty() && f.inputs.size() >= 2 && f.inputs.size() <= 3
                          ? FindInitializer(g, f.inputs[1])
                          : nullptr;
    if (!b || b->dtype() != DType::kFloat32 || b->rank() != 2 || b->numel() == 0) {
      nodes.push_back(std::move(node));
      continue;
    }
    IA_ASSIGN_OR_RETURN(ops::FusedMatMulAttrs attrs, ops::ReadFusedMatMul(f));
    f.inputs.resize(3);
    std::vector<DType> types = {DType::kFloat32, target, DType::kFloat32};
    if (target == DType::kInt8) {
      types = {DType::kUInt8,   target,          DType::kFloat32,
               DType::kFloat32, DType::kFloat32, DType::kUInt8};
    }
    if (!backend.SupportsOp(f, types) ||
        (target == DType::kInt8 &&
         !backend.SupportsOp(DynamicQuantize("", "x", {"y", "s", "z"}), {DType::kFloat32}))) {
      nodes.push_back(std::move(node));
      continue;
    }
    auto [it, fresh] = converted.try_emplace(f.inputs[1]);
    if (fresh) {
      const std::string base = f.inputs[1];
      it->second.first = names.Fresh(base + (target == DType::kInt8 ? "_int8" : "_bf16"));
      st.bytes_before += b->nbytes();
      if (target == DType::kBFloat16) {
        Tensor w = ToBFloat16(*b);
        st.bytes_after += w.nbytes();
        g.initializers[it->second.first] = std::move(w);
      } else {
        auto [q, scales] = QuantizePerColumn(*b, attrs.trans_b);
        it->second.second = names.Fresh(base + "_scale");
        st.bytes_after += q.nbytes() + scales.nbytes();
        g.initializers[it->second.first] = std::move(q);
        g.initializers[it->second.second] = std::move(scales);
      }
    }
    f.inputs[1] = it->second.first;
    if (target == DType::kInt8) {
      const std::string a = f.inputs[0];
      auto [qa, first] = quantized.try_emplace(a);
      if (first) {
        qa->second = {names.Fresh(a + "_quantized"), names.Fresh(a + "_scale"),
                      names.Fresh(a + "_zero_point")};
        nodes.push_back(DynamicQuantize(names.Fresh(a + "_QuantizeLinear"), a, qa->second));
      }
      f.inputs = {qa->second[0],     f.inputs[1],   f.inputs[2],
                  it->second.second, qa->second[1], qa->second[2]};
    } else if (f.inputs[2].empty()) {
      f.inputs.resize(2);
    }
    nodes.push_back(std::move(f));
    ++st.products;
  }
  g.nodes = std::move(nodes);
  // The float32 weights nothing reads any more.
  return EliminateDeadNodes(g);
}

}  // namespace ipfs_accelerate::engine::optimizer
