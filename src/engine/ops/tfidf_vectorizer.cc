#include "engine/ops/tfidf_vectorizer.h"

#include <algorithm>
#include <string>

#include "engine/ops/attributes.h"

namespace ipfs_accelerate::engine::ops {

Result<TfIdfVectorizerAttrs> ReadTfIdfVectorizer(const Node& node) {
  TfIdfVectorizerAttrs a;
  auto get_int = [&](const char* name, int64_t fallback) {
    const Attribute* at = node.attr(name);
    return at ? at->i : fallback;
  };
  auto get_ints = [&](const char* name) {
    const Attribute* at = node.attr(name);
    return at ? at->ints : std::vector<int64_t>{};
  };
  const Attribute* mode = node.attr("mode");
  const std::string m = mode ? mode->s : "";
  if (m == "TF") {
    a.mode = TfIdfVectorizerAttrs::Mode::kTf;
  } else if (m == "IDF") {
    a.mode = TfIdfVectorizerAttrs::Mode::kIdf;
  } else if (m == "TFIDF") {
    a.mode = TfIdfVectorizerAttrs::Mode::kTfIdf;
  } else {
    return NodeError(node, "mode must be TF, IDF or TFIDF, got '" + m + "'");
  }
  if (node.attr("pool_strings")) {
    return Status::Unsupported(node.Describe() +
                               ": pool_strings (string tensors are not supported)");
  }
  a.min_gram = get_int("min_gram_length", 0);
  a.max_gram = get_int("max_gram_length", 0);
  a.max_skip = get_int("max_skip_count", 0);
  if (a.min_gram < 1 || a.max_gram < a.min_gram || a.max_skip < 0) {
    return NodeError(node,
                     "wants 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0, got " +
                         std::to_string(a.min_gram) + ", " + std::to_string(a.max_gram) + ", " +
                         std::to_string(a.max_skip));
  }
  const std::vector<int64_t> pool = get_ints("pool_int64s"), counts = get_ints("ngram_counts");
  a.output_index = get_ints("ngram_indexes");
  if (counts.empty()) return NodeError(node, "ngram_counts is required");
  const auto items = static_cast<int64_t>(pool.size());
  int64_t place = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    const int64_t n = static_cast<int64_t>(k) + 1;
    const int64_t begin = counts[k], end = k + 1 < counts.size() ? counts[k + 1] : items;
    if (begin < 0 || end < begin || end > items || (end - begin) % n != 0) {
      return NodeError(node, "ngram_counts " + ShapeToString(counts) + " does not split the " +
                                 std::to_string(items) + " items of pool_int64s into whole " +
                                 std::to_string(n) + "-grams");
    }
    a.pool.emplace_back();
    for (int64_t i = begin; i < end; i += n, ++place) {
      a.pool.back().emplace(std::vector<int64_t>(pool.begin() + i, pool.begin() + i + n), place);
    }
  }
  if (static_cast<int64_t>(a.output_index.size()) != place) {
    return NodeError(node, "ngram_indexes has " + std::to_string(a.output_index.size()) +
                               " entries for " + std::to_string(place) + " n-grams in the pool");
  }
  for (int64_t i : a.output_index) {
    if (i < 0) return NodeError(node, "ngram_indexes has a negative entry");
    a.width = std::max(a.width, i + 1);
  }
  if (const Attribute* w = node.attr("weights")) {
    a.weights = w->floats;
    if (static_cast<int64_t>(a.weights.size()) != place) {
      return NodeError(node, "weights has " + std::to_string(a.weights.size()) + " entries for " +
                                 std::to_string(place) + " n-grams");
    }
  } else {
    a.weights.assign(place, 1.f);
  }
  return a;
}

Result<Shape> TfIdfVectorizerShape(const Node& node, const TfIdfVectorizerAttrs& attrs,
                                   const Shape& x) {
  if (x.size() == 1) return Shape{attrs.width};
  if (x.size() == 2) return Shape{x[0], attrs.width};
  return NodeError(node, "X must be 1-D or 2-D, got " + ShapeToString(x));
}

}  // namespace ipfs_accelerate::engine::ops
