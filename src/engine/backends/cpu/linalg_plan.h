// The shape rule of MatMul-like ops (MatMul, MatMulInteger, QLinearMatMul), written once:
// 1-D operands promoted, batch dimensions broadcast numpy-style.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "engine/ops/broadcast.h"

namespace ipfs_accelerate::engine::cpu {

struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> a, b;  // per output batch: which matrix of A and of B it reads
  bool b_single = false;      // B holds one matrix, shared by every batch
  bool a_contiguous = false;  // batch t reads A's matrix t
};

// The plan for A x B, or an error message naming the shapes.
inline std::optional<MatMulPlan> PlanMatMul(const Shape& a_shape, const Shape& b_shape,
                                            std::string* error) {
  Shape as = a_shape, bs = b_shape;
  if (as.empty() || bs.empty()) {
    *error = "inputs must have rank >= 1, got " + ShapeToString(a_shape) + " x " +
             ShapeToString(b_shape);
    return std::nullopt;
  }
  bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  MatMulPlan p;
  p.m = as[as.size() - 2];
  p.k = as.back();
  p.n = bs.back();
  if (p.k != bs[bs.size() - 2]) {
    *error = "inner dimensions differ: " + ShapeToString(a_shape) + " x " + ShapeToString(b_shape);
    return std::nullopt;
  }
  Shape abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
  auto batch_or = ops::BroadcastShapes({abatch, bbatch});
  if (!batch_or.ok()) {
    *error = "batch dimensions do not broadcast: " + ShapeToString(a_shape) + " x " +
             ShapeToString(b_shape);
    return std::nullopt;
  }
  const Shape& batch = *batch_or;
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);
  auto sa = ops::BroadcastStrides(abatch, batch);
  auto sb = ops::BroadcastStrides(bbatch, batch);
  int64_t batches = NumElements(batch);
  p.a.resize(batches);
  p.b.resize(batches);
  std::vector<int64_t> idx(batch.size(), 0);
  p.a_contiguous = true;
  for (int64_t t = 0; t < batches; ++t) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    p.a[t] = oa;
    p.b[t] = ob;
    p.a_contiguous = p.a_contiguous && oa == t;
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  p.b_single = NumElements(bbatch) == 1;
  return p;
}

}  // namespace ipfs_accelerate::engine::cpu
