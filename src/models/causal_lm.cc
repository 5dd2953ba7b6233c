#include "models/causal_lm.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace ipfs_accelerate::models {
namespace {

const engine::ValueInfo* FindValue(const std::vector<engine::ValueInfo>& values,
                                   const std::string& name) {
  for (const auto& v : values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// The first of `names` that `values` holds, or "".
std::string FirstOf(const std::vector<engine::ValueInfo>& values,
                    std::initializer_list<std::string> names) {
  for (const std::string& n : names) {
    if (FindValue(values, n)) return n;
  }
  return "";
}

Tensor Ids(DType dtype, const Shape& shape, const std::vector<int64_t>& values) {
  Tensor t = Tensor::Empty(dtype, shape);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kInt32) {
      t.data<int32_t>()[i] = static_cast<int32_t>(values[i]);
    } else {
      t.data<int64_t>()[i] = values[i];
    }
  }
  return t;
}

// Copies rows of `from` ([R, H, T, D]) into `to` ([R', H, W, D]): row `src` of `from`, its last
// `length` positions, into row `dst` of `to`, right-aligned.
void CopyRow(const Tensor& from, int64_t src, Tensor& to, int64_t dst, int64_t length) {
  const int64_t heads = from.dim(1), t = from.dim(2), d = from.dim(3), w = to.dim(2);
  for (int64_t h = 0; h < heads; ++h) {
    const float* in = from.data<float>() + ((src * heads + h) * t + (t - length)) * d;
    float* out = to.data<float>() + ((dst * heads + h) * w + (w - length)) * d;
    std::memcpy(out, in, static_cast<size_t>(length * d) * sizeof(float));
  }
}

}  // namespace

Result<std::unique_ptr<CausalLm>> CausalLm::Create(engine::Model model,
                                                   engine::SessionOptions options,
                                                   int64_t max_positions) {
  std::unique_ptr<CausalLm> lm(new CausalLm());
  const engine::Graph& g = model.graph;
  lm->ids_input_ = FirstOf(g.inputs, {"input_ids"});
  lm->logits_output_ = FirstOf(g.outputs, {"logits"});
  if (lm->ids_input_.empty() || lm->logits_output_.empty()) {
    return Status::InvalidArgument(
        "a text-generation model takes input_ids and answers logits; this one does not");
  }
  lm->ids_dtype_ = FindValue(g.inputs, lm->ids_input_)->dtype;
  if (lm->ids_dtype_ != DType::kInt64 && lm->ids_dtype_ != DType::kInt32) {
    return Status::InvalidArgument("input_ids must be int64 or int32");
  }
  lm->mask_input_ = FirstOf(g.inputs, {"attention_mask"});
  lm->position_input_ = FirstOf(g.inputs, {"position_ids"});
  for (int i = 0;; ++i) {
    const std::string n = std::to_string(i);
    std::string key = FirstOf(g.inputs, {"past_key_values." + n + ".key", "past_key_" + n});
    std::string value = FirstOf(g.inputs, {"past_key_values." + n + ".value", "past_value_" + n});
    std::string pkey = FirstOf(g.outputs, {"present." + n + ".key", "present_key_" + n});
    std::string pvalue = FirstOf(g.outputs, {"present." + n + ".value", "present_value_" + n});
    if (key.empty() && value.empty()) break;
    if (key.empty() || value.empty() || pkey.empty() || pvalue.empty()) {
      return Status::InvalidArgument("layer " + n +
                                     " of the model's KV cache lacks a past or present key or "
                                     "value (past_key_values." +
                                     n + ".key/.value, present." + n + ".key/.value)");
    }
    lm->past_inputs_.insert(lm->past_inputs_.end(), {key, value});
    lm->present_outputs_.insert(lm->present_outputs_.end(), {pkey, pvalue});
  }
  if (lm->past_inputs_.empty()) {
    return Status::InvalidArgument(
        "the model has no KV cache inputs (past_key_values.0.key, …): export it with its cache "
        "(e.g. optimum's text-generation-with-past)");
  }
  const engine::ValueInfo* past = FindValue(g.inputs, lm->past_inputs_[0]);
  if (!past->shape || past->shape->size() != 4 || (*past->shape)[1].value <= 0 ||
      (*past->shape)[3].value <= 0 || past->dtype != DType::kFloat32) {
    return Status::InvalidArgument(
        "the past keys must be float32 [batch, heads, length, head_dim] "
        "with fixed heads and head_dim");
  }
  lm->heads_ = (*past->shape)[1].value;
  lm->head_dim_ = (*past->shape)[3].value;
  const engine::ValueInfo* logits = FindValue(g.outputs, lm->logits_output_);
  if (logits->shape && logits->shape->size() == 3)
    lm->vocab_ = std::max<int64_t>(0, logits->shape->back().value);
  lm->max_positions_ = max_positions;
  IA_ASSIGN_OR_RETURN(lm->session_, engine::Session::Create(std::move(model), std::move(options)));
  return lm;
}

Tensor CausalLm::EmptyPast(int64_t rows) const {
  return Tensor::Empty(DType::kFloat32, {rows, heads_, 0, head_dim_});
}

Result<std::vector<float>> CausalLm::Run(std::map<std::string, Tensor> feeds, int64_t rows,
                                         std::vector<Tensor>* presents) const {
  IA_ASSIGN_OR_RETURN(auto outputs, session_->Run(feeds));
  const Tensor& logits = outputs[logits_output_];
  if (logits.dtype() != DType::kFloat32 || logits.rank() != 3 || logits.dim(0) != rows) {
    return Status::InvalidArgument("the model answered logits " + ShapeToString(logits.shape()) +
                                   ", not float32 [" + std::to_string(rows) + ", sequence, vocab]");
  }
  const int64_t steps = logits.dim(1), vocab = logits.dim(2);
  std::vector<float> last(static_cast<size_t>(rows * vocab));
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = logits.data<float>() + (r * steps + steps - 1) * vocab;
    std::copy_n(src, vocab, last.data() + r * vocab);
  }
  presents->clear();
  for (const std::string& name : present_outputs_) {
    Tensor& t = outputs[name];
    if (t.dtype() != DType::kFloat32 || t.rank() != 4 || t.dim(0) != rows || t.dim(1) != heads_ ||
        t.dim(3) != head_dim_) {
      return Status::InvalidArgument("the model answered " + name + " " + ShapeToString(t.shape()) +
                                     ", not [rows, heads, length, " + "head_dim] float32");
    }
    presents->push_back(std::move(t));
  }
  return last;
}

Result<std::vector<float>> CausalLm::Prefill(std::span<const uint32_t> tokens,
                                             KvCache* cache) const {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return Status::InvalidArgument("the prompt holds no tokens");
  if (max_positions_ > 0 && n > max_positions_) {
    return Status::InvalidArgument("the prompt holds " + std::to_string(n) +
                                   " tokens; the model reads at most " +
                                   std::to_string(max_positions_));
  }
  std::vector<int64_t> ids(tokens.begin(), tokens.end()), positions(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) positions[static_cast<size_t>(i)] = i;
  std::map<std::string, Tensor> feeds{{ids_input_, Ids(ids_dtype_, {1, n}, ids)}};
  if (!mask_input_.empty()) {
    feeds[mask_input_] =
        Ids(DType::kInt64, {1, n}, std::vector<int64_t>(static_cast<size_t>(n), 1));
  }
  if (!position_input_.empty()) feeds[position_input_] = Ids(DType::kInt64, {1, n}, positions);
  for (const std::string& name : past_inputs_) feeds[name] = EmptyPast(1);
  IA_ASSIGN_OR_RETURN(std::vector<float> logits, Run(std::move(feeds), 1, &cache->kv));
  cache->length = n;
  return logits;
}

Result<std::vector<float>> CausalLm::Step(KvBatch& batch, std::span<const uint32_t> tokens) const {
  const int64_t rows = static_cast<int64_t>(batch.rows());
  if (rows == 0 || tokens.size() != batch.rows()) {
    return Status::InvalidArgument("a decode step needs one token per row");
  }
  if (!batches_ragged() && rows > 1) {
    return Status::InvalidArgument(
        "this model takes no attention_mask and position_ids: one row "
        "a step");
  }
  const int64_t width = batch.width;
  for (int64_t len : batch.lengths) {
    if (max_positions_ > 0 && len + 1 > max_positions_) {
      return Status::InvalidArgument("the sequence reached the model's context of " +
                                     std::to_string(max_positions_) + " tokens");
    }
  }
  std::vector<int64_t> ids(tokens.begin(), tokens.end()), mask, positions;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t len = batch.lengths[static_cast<size_t>(r)];
    for (int64_t j = 0; j <= width; ++j) mask.push_back(j >= width - len ? 1 : 0);
    positions.push_back(len);
  }
  std::map<std::string, Tensor> feeds{{ids_input_, Ids(ids_dtype_, {rows, 1}, ids)}};
  if (!mask_input_.empty()) feeds[mask_input_] = Ids(DType::kInt64, {rows, width + 1}, mask);
  if (!position_input_.empty()) feeds[position_input_] = Ids(DType::kInt64, {rows, 1}, positions);
  for (size_t i = 0; i < past_inputs_.size(); ++i) feeds[past_inputs_[i]] = batch.kv[i];
  std::vector<Tensor> presents;
  IA_ASSIGN_OR_RETURN(std::vector<float> logits, Run(std::move(feeds), rows, &presents));
  batch.kv = std::move(presents);
  batch.width = width + 1;
  for (int64_t& len : batch.lengths) ++len;
  return logits;
}

void CausalLm::AddRow(KvBatch& batch, KvCache cache) const {
  if (batch.rows() == 0) {
    batch.kv = std::move(cache.kv);
    batch.width = cache.length;
    batch.lengths = {cache.length};
    return;
  }
  const int64_t rows = static_cast<int64_t>(batch.rows());
  const int64_t width = std::max(batch.width, cache.length);
  for (size_t i = 0; i < batch.kv.size(); ++i) {
    Tensor grown = Tensor::Zeros(DType::kFloat32, {rows + 1, heads_, width, head_dim_});
    for (int64_t r = 0; r < rows; ++r) {
      CopyRow(batch.kv[i], r, grown, r, batch.lengths[static_cast<size_t>(r)]);
    }
    CopyRow(cache.kv[i], 0, grown, rows, cache.length);
    batch.kv[i] = std::move(grown);
  }
  batch.width = width;
  batch.lengths.push_back(cache.length);
}

void CausalLm::KeepRows(KvBatch& batch, const std::vector<bool>& keep) const {
  std::vector<int64_t> lengths;
  std::vector<int64_t> kept;
  for (size_t r = 0; r < batch.rows(); ++r) {
    if (keep[r]) kept.push_back(static_cast<int64_t>(r)), lengths.push_back(batch.lengths[r]);
  }
  if (kept.size() == batch.rows()) return;
  const int64_t width = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  for (Tensor& t : batch.kv) {
    Tensor kept_rows = Tensor::Zeros(DType::kFloat32,
                                     {static_cast<int64_t>(kept.size()), heads_, width, head_dim_});
    for (size_t k = 0; k < kept.size(); ++k) {
      CopyRow(t, kept[k], kept_rows, static_cast<int64_t>(k), lengths[k]);
    }
    t = std::move(kept_rows);
  }
  if (kept.empty()) batch.kv.clear();
  batch.lengths = std::move(lengths);
  batch.width = width;
}

}  // namespace ipfs_accelerate::models
