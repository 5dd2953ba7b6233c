// TfIdfVectorizer (opset 9): the n-gram pool its attributes describe, checked, and its output
// shape, written once for every backend.
//
//   X [C] or [N, C] of int32/int64 (strings are not supported: the engine has no string tensors)
//   Y [W] or [N, W] float32, W = max(ngram_indexes) + 1
// For each row, every n-gram of X with min_gram_length <= n <= max_gram_length (its items
// skip + 1 apart, 0 <= skip <= max_skip_count; 1-grams counted once) that is in the pool adds 1
// to Y[ngram_indexes[i]], i its place in the pool. Mode TF keeps the counts, IDF turns every
// count above 0 into 1, and both IDF and TFIDF multiply by weights[i] (all 1 when absent).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

struct TfIdfVectorizerAttrs {
  enum class Mode { kTf, kIdf, kTfIdf };
  Mode mode = Mode::kTf;
  int64_t min_gram = 1, max_gram = 1, max_skip = 0;
  // By n-gram length (index n - 1): each n-gram of the pool to its place in the pool.
  std::vector<std::map<std::vector<int64_t>, int64_t>> pool;
  std::vector<int64_t> output_index;  // ngram_indexes: pool place -> output column
  std::vector<float> weights;         // per pool place (1 when the attribute is absent)
  int64_t width = 0;                  // max(ngram_indexes) + 1
};

// The node's attributes, checked (pool_int64s split by ngram_counts into whole n-grams, one
// ngram_indexes entry per n-gram, weights of the same length), or an error naming the node.
Result<TfIdfVectorizerAttrs> ReadTfIdfVectorizer(const Node& node);

// Y's shape for X of `x` (rank 1 or 2).
Result<Shape> TfIdfVectorizerShape(const Node& node, const TfIdfVectorizerAttrs& attrs,
                                   const Shape& x);

}  // namespace ipfs_accelerate::engine::ops
