// Quantized MatMuls as onnxruntime's quantizer writes them (dynamic, and QDQ) -> FusedMatMul with
// int8 weights and uint8 A (its schema: engine/ops/fused.h).
#include <algorithm>

#include "engine/ops/quantize.h"
#include "engine/ops/value_types.h"
#include "engine/optimizer/graph_util.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine::optimizer {
namespace {

// Whether `name` is absent, or an int8/uint8 initializer of zeros.
bool ZeroOrAbsent(const Graph& g, const std::string& name) {
  if (name.empty()) return true;
  const Tensor* t = FindInitializer(g, name);
  if (!t || (t->dtype() != DType::kInt8 && t->dtype() != DType::kUInt8)) return false;
  const uint8_t* p = static_cast<const uint8_t*>(t->raw());
  return std::all_of(p, p + t->numel(), [](uint8_t v) { return v == 0; });
}

// B's scale as one value per column [N]: `scale` holds one, or N (per axis, along B's columns).
Tensor ColumnScales(const Tensor& scale, int64_t n) {
  Tensor columns = Tensor::Empty(DType::kFloat32, {n});
  for (int64_t j = 0; j < n; ++j) {
    columns.data<float>()[j] = scale.data<float>()[scale.numel() == 1 ? 0 : j];
  }
  return columns;
}

}  // namespace

Status FuseQdqMatMul(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  NameAllocator names(g);
  const std::map<std::string, DType> dtypes = ops::InferValueTypes(g);
  auto dequantize_of = [&](const std::string& value) -> const Node* {
    auto p = index.Producer(value);
    if (!p || removed[*p] || !IsOp(g.nodes[*p], "DequantizeLinear")) return nullptr;
    const Node& dq = g.nodes[*p];
    auto attrs = ops::ReadQuantAttrs(dq);
    return dq.inputs.size() >= 2 && attrs.ok() && attrs->block_size == 0 ? &dq : nullptr;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& mm = g.nodes[i];
    if (removed[i] || !IsOp(mm, "MatMul") || mm.inputs.size() != 2 || mm.outputs.size() != 1) {
      continue;
    }
    const Node* a_dq = dequantize_of(mm.inputs[0]);
    const Node* b_dq = dequantize_of(mm.inputs[1]);
    if (!a_dq || !b_dq) continue;
    // B: int8 [K, N] with zero point 0, scaled per tensor or per column (axis 1).
    const Tensor* w = FindInitializer(g, b_dq->inputs[0]);
    const Tensor* ws = FindInitializer(g, b_dq->inputs[1]);
    if (!w || w->dtype() != DType::kInt8 || w->rank() != 2 || !ws ||
        ws->dtype() != DType::kFloat32 ||
        !ZeroOrAbsent(g, b_dq->inputs.size() > 2 ? b_dq->inputs[2] : "")) {
      continue;
    }
    const int64_t n = w->dim(1);
    const int64_t axis = ops::ReadQuantAttrs(*b_dq)->axis;
    if (ws->numel() != 1 && !(ws->rank() == 1 && ws->numel() == n && (axis == 1 || axis == -1))) {
      continue;
    }
    // A: uint8, one scale and zero point (a QuantizeLinear's, usually).
    auto a_type = dtypes.find(a_dq->inputs[0]);
    const Tensor* as = FindInitializer(g, a_dq->inputs[1]);
    const std::string a_zero = a_dq->inputs.size() > 2 ? a_dq->inputs[2] : "";
    const Tensor* az = a_zero.empty() ? nullptr : FindInitializer(g, a_zero);
    if (a_type == dtypes.end() || a_type->second != DType::kUInt8 || !as ||
        as->dtype() != DType::kFloat32 || as->numel() != 1 ||
        (!a_zero.empty() && (!az || az->dtype() != DType::kUInt8 || az->numel() != 1))) {
      continue;
    }
    const std::string columns_name = names.Fresh(b_dq->inputs[0] + "_column_scale");
    g.initializers[columns_name] = ColumnScales(*ws, n);
    Node f = ops::MakeFusedMatMul(
        mm.name + "_fused",
        {a_dq->inputs[0], b_dq->inputs[0], "", columns_name, a_dq->inputs[1], a_zero},
        mm.outputs[0], {});
    std::vector<size_t> absorbed = {i};
    for (const std::string& v : {mm.inputs[0], mm.inputs[1]}) {
      if (index.HasSingleConsumer(v) &&
          std::find(absorbed.begin(), absorbed.end(), *index.Producer(v)) == absorbed.end()) {
        absorbed.push_back(*index.Producer(v));
      }
    }
    rw.Replace(absorbed, std::move(f));
  }
  if (count) *count = rw.Finish();
  RemoveUnusedInitializers(g);
  return Status::Ok();
}

Status FuseDynamicQuantMatMul(Graph& g, int64_t* count) {
  Rewriter rw(g);
  const GraphIndex& index = rw.index();
  const std::vector<bool>& removed = rw.removed();
  NameAllocator names(g);
  // The producer of `value` when it is an op_type node not absorbed yet.
  auto producer = [&](const std::string& value, const char* op_type) -> const Node* {
    auto p = index.Producer(value);
    return p && !removed[*p] && IsOp(g.nodes[*p], op_type) ? &g.nodes[*p] : nullptr;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& mul = g.nodes[i];
    if (removed[i] || !IsOp(mul, "Mul") || mul.inputs.size() != 2 || mul.outputs.size() != 1) {
      continue;
    }
    for (int side = 0; side < 2; ++side) {
      const std::string& product = mul.inputs[side];
      const std::string& scales = mul.inputs[1 - side];
      const Node* cast = producer(product, "Cast");
      if (!cast || !index.HasSingleConsumer(product) || !cast->attr("to") ||
          cast->attr("to")->i != static_cast<int64_t>(DType::kFloat32)) {
        continue;
      }
      const Node* mmi = producer(cast->inputs[0], "MatMulInteger");
      if (!mmi || !index.HasSingleConsumer(cast->inputs[0]) || mmi->inputs.size() < 2) continue;
      const Tensor* w = FindInitializer(g, mmi->inputs[1]);
      if (!w || w->dtype() != DType::kInt8 || w->rank() != 2 ||
          !ZeroOrAbsent(g, mmi->inputs.size() > 3 ? mmi->inputs[3] : "")) {
        continue;
      }
      const Node* dq = producer(mmi->inputs[0], "DynamicQuantizeLinear");
      if (!dq || dq->outputs.size() != 3 || mmi->inputs.size() < 3 ||
          mmi->inputs[2] != dq->outputs[2]) {
        continue;
      }
      // scales = a_scale * B's scale (one, or one per column).
      const Node* scale_mul = producer(scales, "Mul");
      if (!scale_mul || scale_mul->inputs.size() != 2) continue;
      const int64_t n = w->dim(1);
      const Tensor* b_scale = nullptr;
      for (int s = 0; s < 2; ++s) {
        const Tensor* t = FindInitializer(g, scale_mul->inputs[1 - s]);
        if (scale_mul->inputs[s] == dq->outputs[1] && t && t->dtype() == DType::kFloat32 &&
            (t->numel() == 1 || (t->rank() == 1 && t->numel() == n))) {
          b_scale = t;
        }
      }
      if (!b_scale) continue;
      Tensor columns = ColumnScales(*b_scale, n);
      const std::string columns_name = names.Fresh(mmi->inputs[1] + "_column_scale");
      Node f = ops::MakeFusedMatMul(
          mmi->name + "_fused",
          {dq->outputs[0], mmi->inputs[1], "", columns_name, dq->outputs[1], dq->outputs[2]},
          mul.outputs[0], {});
      std::vector<size_t> absorbed = {*index.Producer(product), *index.Producer(cast->inputs[0]),
                                      i};
      if (index.HasSingleConsumer(scales)) absorbed.push_back(*index.Producer(scales));
      g.initializers[columns_name] = std::move(columns);
      rw.Replace(absorbed, std::move(f));
      break;
    }
  }
  if (count) *count = rw.Finish();
  RemoveUnusedInitializers(g);
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::optimizer
