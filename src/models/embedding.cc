#include "models/embedding.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace ipfs_accelerate::models {
namespace {

bool HasInput(const engine::Graph& g, const std::string& name) {
  for (const auto& v : g.inputs) {
    if (v.name == name) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<EmbeddingPipeline>> EmbeddingPipeline::Create(
    engine::Model model, std::unique_ptr<Tokenizer> tokenizer, PackageManifest manifest,
    engine::SessionOptions options) {
  if (manifest.task != Task::kFeatureExtraction) {
    return Status::InvalidArgument(std::string("the package's task is ") + TaskName(manifest.task) +
                                   ", not feature-extraction");
  }
  const engine::Graph& g = model.graph;
  if (!HasInput(g, "input_ids") || g.outputs.empty()) {
    return Status::InvalidArgument("an embedding model takes input_ids and answers hidden states");
  }
  std::unique_ptr<EmbeddingPipeline> p(new EmbeddingPipeline());
  p->ids_input_ = "input_ids";
  if (HasInput(g, "attention_mask")) p->mask_input_ = "attention_mask";
  if (HasInput(g, "token_type_ids")) p->types_input_ = "token_type_ids";
  p->output_ = g.outputs[0].name;
  for (const auto& o : g.outputs) {
    if (o.name == "last_hidden_state" || o.name == "sentence_embedding") p->output_ = o.name;
  }
  if (tokenizer->padding()) p->pad_id_ = tokenizer->padding()->pad_id;
  IA_ASSIGN_OR_RETURN(p->session_, engine::Session::Create(std::move(model), std::move(options)));
  p->tokenizer_ = std::move(tokenizer);
  p->manifest_ = std::move(manifest);
  return p;
}

Result<Embeddings> EmbeddingPipeline::Embed(const std::vector<std::string>& texts,
                                            const EmbedOptions& options) const {
  Embeddings result;
  std::vector<std::vector<uint32_t>> encoded(texts.size());
  const int64_t limit = max_tokens();
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string which = "text " + std::to_string(i);
    auto e = tokenizer_->Encode(texts[i], {.truncate = false, .pad = false});
    if (!e.ok()) return e.status().WithContext(which);
    if (limit > 0 && static_cast<int64_t>(e->ids.size()) > limit) {
      if (!options.truncate) {
        return Status::InvalidArgument(which + " holds " + std::to_string(e->ids.size()) +
                                       " tokens; the model reads at most " + std::to_string(limit) +
                                       ": send shorter texts or ask for truncation");
      }
      e = tokenizer_->Encode(
          texts[i], {.truncate = false, .max_length = static_cast<size_t>(limit), .pad = false});
      if (!e.ok()) return e.status().WithContext(which);
    }
    if (e->ids.empty()) return Status::InvalidArgument(which + " has no tokens");
    result.tokens += static_cast<int64_t>(e->ids.size());
    encoded[i] = std::move(e->ids);
  }
  // Longest first, so each batch pads to its own first text.
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return encoded[a].size() > encoded[b].size(); });
  result.vectors.resize(texts.size());
  const size_t max_rows = static_cast<size_t>(std::max(1, manifest_.max_batch));
  for (size_t first = 0; first < order.size();) {
    const int64_t width = static_cast<int64_t>(encoded[order[first]].size());
    size_t last = first + 1;
    while (last < order.size() && last - first < max_rows &&
           static_cast<int64_t>(last - first + 1) * width <= options.max_batch_tokens) {
      ++last;
    }
    IA_RETURN_IF_ERROR(RunBatch(encoded, order, first, last, &result.vectors));
    ++result.runs;
    first = last;
  }
  return result;
}

Status EmbeddingPipeline::RunBatch(const std::vector<std::vector<uint32_t>>& encoded,
                                   const std::vector<size_t>& order, size_t first, size_t last,
                                   std::vector<std::vector<float>>* out) const {
  const int64_t rows = static_cast<int64_t>(last - first);
  const int64_t width = static_cast<int64_t>(encoded[order[first]].size());
  Tensor ids = Tensor::Zeros(DType::kInt64, {rows, width});
  Tensor mask = Tensor::Zeros(DType::kInt64, {rows, width});
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<uint32_t>& e = encoded[order[first + static_cast<size_t>(r)]];
    for (int64_t j = 0; j < width; ++j) {
      const bool real = j < static_cast<int64_t>(e.size());
      ids.data<int64_t>()[r * width + j] = real ? e[static_cast<size_t>(j)] : pad_id_;
      mask.data<int64_t>()[r * width + j] = real ? 1 : 0;
    }
  }
  std::map<std::string, Tensor> feeds{{ids_input_, ids}};
  if (!mask_input_.empty()) feeds[mask_input_] = mask;
  if (!types_input_.empty()) feeds[types_input_] = Tensor::Zeros(DType::kInt64, {rows, width});
  IA_ASSIGN_OR_RETURN(auto outputs, session_->Run(feeds));
  const Tensor& h = outputs[output_];
  if (h.dtype() != DType::kFloat32 || h.rank() < 2 || h.dim(0) != rows ||
      (h.rank() == 3 && h.dim(1) != width) || h.rank() > 3) {
    return Status::InvalidArgument("the model answered " + output_ + " " +
                                   ShapeToString(h.shape()) +
                                   ", not float32 [batch, sequence, hidden] or [batch, hidden]");
  }
  const int64_t dim = h.shape().back();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t len = static_cast<int64_t>(encoded[order[first + static_cast<size_t>(r)]].size());
    std::vector<double> sum(static_cast<size_t>(dim), 0.0);
    if (h.rank() == 2) {  // already pooled (sentence_embedding)
      const float* v = h.data<float>() + r * dim;
      std::copy(v, v + dim, sum.begin());
    } else {
      const float* base = h.data<float>() + r * width * dim;
      if (manifest_.pooling == Pooling::kMean) {
        for (int64_t t = 0; t < len; ++t) {
          for (int64_t k = 0; k < dim; ++k) sum[static_cast<size_t>(k)] += base[t * dim + k];
        }
        for (double& v : sum) v /= static_cast<double>(len);
      } else {
        const int64_t t = manifest_.pooling == Pooling::kCls ? 0 : len - 1;
        std::copy(base + t * dim, base + (t + 1) * dim, sum.begin());
      }
    }
    if (manifest_.normalize) {
      double norm = 0;
      for (double v : sum) norm += v * v;
      norm = std::sqrt(norm);
      if (norm > 0) {
        for (double& v : sum) v /= norm;
      }
    }
    (*out)[order[first + static_cast<size_t>(r)]].assign(sum.begin(), sum.end());
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::models
