// TfIdfVectorizer (its rules: engine/ops/tfidf_vectorizer.h): n-gram counts of integer rows.
#include "engine/ops/tfidf_vectorizer.h"

#include <algorithm>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using Mode = ops::TfIdfVectorizerAttrs::Mode;

// Counts, for the row `x` of `c` items, every n-gram of the pool into `counts` (one per pool
// place): n from min_gram to max_gram, items skip + 1 apart for every skip up to max_skip (1-grams
// once).
void CountRow(const ops::TfIdfVectorizerAttrs& a, const int64_t* x, int64_t c,
              std::vector<float>& counts) {
  std::vector<int64_t> gram;
  const int64_t longest = std::min<int64_t>(a.max_gram, static_cast<int64_t>(a.pool.size()));
  for (int64_t n = a.min_gram; n <= longest; ++n) {
    const auto& pool = a.pool[n - 1];
    if (pool.empty()) continue;
    const int64_t skips = n == 1 ? 0 : a.max_skip;
    for (int64_t skip = 0; skip <= skips; ++skip) {
      const int64_t step = skip + 1, span = (n - 1) * step;
      for (int64_t i = 0; i + span < c; ++i) {
        gram.clear();
        for (int64_t k = 0; k < n; ++k) gram.push_back(x[i + k * step]);
        auto it = pool.find(gram);
        if (it != pool.end()) counts[it->second] += 1.f;
      }
    }
  }
}

Status TfIdfVectorizer(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kInt32 && x->dtype() != DType::kInt64) {
    return ctx.Unsupported("X of dtype " + DTypeName(x->dtype()) + " (int32 and int64 run)");
  }
  IA_ASSIGN_OR_RETURN(ops::TfIdfVectorizerAttrs a, ops::ReadTfIdfVectorizer(ctx.node()));
  IA_ASSIGN_OR_RETURN(Shape shape, ops::TfIdfVectorizerShape(ctx.node(), a, x->shape()));
  const int64_t rows = x->rank() == 2 ? x->dim(0) : 1, c = x->rank() == 2 ? x->dim(1) : x->dim(0);
  std::vector<int64_t> items(x->numel());
  for (int64_t i = 0; i < x->numel(); ++i) {
    items[i] = x->dtype() == DType::kInt32 ? x->data<int32_t>()[i] : x->data<int64_t>()[i];
  }
  Tensor& y = ctx.Allocate(0, DType::kFloat32, shape);
  float* py = y.data<float>();
  std::fill(py, py + y.numel(), 0.f);
  const size_t places = a.output_index.size();
  ParallelFor(ctx.pool(), rows, c * (a.max_skip + 1) * a.max_gram * 16, [&](int64_t b, int64_t e) {
    std::vector<float> counts(places);
    for (int64_t r = b; r < e; ++r) {
      std::fill(counts.begin(), counts.end(), 0.f);
      CountRow(a, items.data() + r * c, c, counts);
      float* out = py + r * a.width;
      for (size_t p = 0; p < places; ++p) {
        if (counts[p] == 0) continue;
        const float v = a.mode == Mode::kTf    ? counts[p]
                        : a.mode == Mode::kIdf ? a.weights[p]
                                               : counts[p] * a.weights[p];
        out[a.output_index[p]] += v;
      }
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterTfIdfVectorizerKernels(KernelRegistry& r) {
  r.Add("TfIdfVectorizer", TfIdfVectorizer, 9).Types({DType::kInt32, DType::kInt64});
}

}  // namespace ipfs_accelerate::engine::cpu
