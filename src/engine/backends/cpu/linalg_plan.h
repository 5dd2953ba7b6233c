// How the CPU kernels of MatMul-like ops (MatMul, MatMulInteger, QLinearMatMul) walk their
// batches; the shape rule itself is ops::MatMulShape.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/ops/broadcast.h"
#include "engine/ops/shape_rules.h"

namespace ipfs_accelerate::engine::cpu {

struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> a, b;  // per output batch: which matrix of A and of B it reads
  bool b_single = false;      // B holds one matrix, shared by every batch
  bool a_contiguous = false;  // batch t reads A's matrix t
};

// The plan for `node`'s A x B (shapes checked by ops::MatMulShape), or its error.
inline Result<MatMulPlan> PlanMatMul(const Node& node, const Shape& a_shape, const Shape& b_shape) {
  MatMulPlan p;
  IA_ASSIGN_OR_RETURN(p.out_shape, ops::MatMulShape(node, a_shape, b_shape));
  Shape as = a_shape, bs = b_shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  p.m = as[as.size() - 2];
  p.k = as.back();
  p.n = bs.back();
  Shape abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
  const Shape batch(p.out_shape.begin(),
                    p.out_shape.end() - (a_shape.size() > 1) - (b_shape.size() > 1));
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
