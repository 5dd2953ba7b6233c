#include "models/tokenizer/encoding.h"

#include <algorithm>

namespace ipfs_accelerate::models {
namespace {

template <typename T>
void KeepRange(std::vector<T>* v, size_t start, size_t stop) {
  v->erase(v->begin() + stop, v->end());
  v->erase(v->begin(), v->begin() + start);
}

}  // namespace

void Encoding::Push(uint32_t id, std::string token, TokenOffsets token_offsets, int64_t word,
                    uint32_t type_id, bool special) {
  ids.push_back(id);
  type_ids.push_back(type_id);
  tokens.push_back(std::move(token));
  offsets.push_back(token_offsets);
  special_tokens_mask.push_back(special ? 1 : 0);
  attention_mask.push_back(1);
  words.push_back(word);
}

void Encoding::Append(const Encoding& other) {
  ids.insert(ids.end(), other.ids.begin(), other.ids.end());
  type_ids.insert(type_ids.end(), other.type_ids.begin(), other.type_ids.end());
  tokens.insert(tokens.end(), other.tokens.begin(), other.tokens.end());
  offsets.insert(offsets.end(), other.offsets.begin(), other.offsets.end());
  special_tokens_mask.insert(special_tokens_mask.end(), other.special_tokens_mask.begin(),
                             other.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), other.attention_mask.begin(),
                        other.attention_mask.end());
  words.insert(words.end(), other.words.begin(), other.words.end());
}

void Encoding::SetTypeIds(uint32_t type_id) {
  std::fill(type_ids.begin(), type_ids.end(), type_id);
}

Status Truncate(Encoding* e, size_t max_length, size_t stride, Direction direction) {
  size_t n = e->size();
  if (max_length >= n) return Status::Ok();
  if (max_length > 0 && stride >= max_length) {
    return Status::InvalidArgument(
        "truncation stride " + std::to_string(stride) + " must be below the length kept, " +
        std::to_string(max_length) +
        " (max_length less the special tokens the post-processor adds): lower the stride");
  }
  size_t start = direction == Direction::kRight ? 0 : n - max_length;
  size_t stop = start + max_length;
  KeepRange(&e->ids, start, stop);
  KeepRange(&e->type_ids, start, stop);
  KeepRange(&e->tokens, start, stop);
  KeepRange(&e->offsets, start, stop);
  KeepRange(&e->special_tokens_mask, start, stop);
  KeepRange(&e->attention_mask, start, stop);
  KeepRange(&e->words, start, stop);
  return Status::Ok();
}

Status TruncateEncodings(Encoding* encoding, Encoding* pair, const TruncationParams& params) {
  if (params.max_length == 0) {
    IA_RETURN_IF_ERROR(Truncate(encoding, 0, params.stride, params.direction));
    if (pair) IA_RETURN_IF_ERROR(Truncate(pair, 0, params.stride, params.direction));
    return Status::Ok();
  }
  size_t total = encoding->size() + (pair ? pair->size() : 0);
  if (total <= params.max_length) return Status::Ok();
  size_t to_remove = total - params.max_length;
  switch (params.strategy) {
    case TruncationStrategy::kLongestFirst: {
      if (!pair) return Truncate(encoding, total - to_remove, params.stride, params.direction);
      size_t n1 = encoding->size(), n2 = pair->size();
      bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > params.max_length ? n1 : std::max(n1, params.max_length - n1);
      if (n1 + n2 > params.max_length) {
        n1 = params.max_length / 2;
        n2 = n1 + params.max_length % 2;
      }
      if (swap) std::swap(n1, n2);
      IA_RETURN_IF_ERROR(Truncate(encoding, n1, params.stride, params.direction));
      return Truncate(pair, n2, params.stride, params.direction);
    }
    case TruncationStrategy::kOnlyFirst:
    case TruncationStrategy::kOnlySecond: {
      Encoding* target = params.strategy == TruncationStrategy::kOnlyFirst ? encoding : pair;
      if (!target) {
        return Status::InvalidArgument(
            "truncation strategy only_second needs a pair of texts; use longest_first for one");
      }
      if (target->size() <= to_remove) {
        return Status::InvalidArgument(
            "the text to truncate is too short to remove " + std::to_string(to_remove) +
            " tokens from it: use the longest_first strategy or a larger max_length");
      }
      return Truncate(target, target->size() - to_remove, params.stride, params.direction);
    }
  }
  return Status::Ok();
}

void Pad(Encoding* e, size_t target, const PaddingParams& params) {
  if (e->size() >= target) return;
  size_t n = target - e->size();
  auto pad = [&](auto* v, auto value) {
    using T = typename std::remove_pointer_t<decltype(v)>::value_type;
    if (params.direction == Direction::kRight) {
      v->insert(v->end(), n, T(value));
    } else {
      v->insert(v->begin(), n, T(value));
    }
  };
  pad(&e->ids, params.pad_id);
  pad(&e->type_ids, params.pad_type_id);
  pad(&e->tokens, params.pad_token);
  pad(&e->offsets, TokenOffsets{0, 0});
  pad(&e->special_tokens_mask, 1u);
  pad(&e->attention_mask, 0u);
  pad(&e->words, Encoding::kNoWord);
}

void PadBatch(std::vector<Encoding>* batch, const PaddingParams& params) {
  if (batch->empty()) return;
  size_t length = params.length;
  if (!params.fixed) {
    length = 0;
    for (const Encoding& e : *batch) length = std::max(length, e.size());
  }
  if (params.pad_to_multiple_of > 0 && length % params.pad_to_multiple_of > 0) {
    length += params.pad_to_multiple_of - length % params.pad_to_multiple_of;
  }
  for (Encoding& e : *batch) Pad(&e, length, params);
}

nlohmann::json ToJson(const Encoding& e) {
  nlohmann::json offsets = nlohmann::json::array();
  for (const TokenOffsets& o : e.offsets) offsets.push_back({o.first, o.second});
  nlohmann::json words = nlohmann::json::array();
  for (int64_t w : e.words)
    words.push_back(w == Encoding::kNoWord ? nlohmann::json() : nlohmann::json(w));
  return {{"ids", e.ids},
          {"tokens", e.tokens},
          {"offsets", std::move(offsets)},
          {"attention_mask", e.attention_mask},
          {"type_ids", e.type_ids},
          {"special_tokens_mask", e.special_tokens_mask},
          {"words", std::move(words)}};
}

Result<std::vector<uint32_t>> ParseTokenIds(std::string_view text) {
  std::vector<uint32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == ',' || c == '\t' || c == '[' || c == ']' || c == '\r') {
      ++i;
      continue;
    }
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("\"" + std::string(text) + "\": '" + std::string(1, c) +
                                     "' at column " + std::to_string(i + 1) +
                                     " is not part of a token id (ids are decimal numbers)");
    }
    uint64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<uint64_t>(text[i] - '0');
      if (v > UINT32_MAX) {
        return Status::InvalidArgument("\"" + std::string(text) +
                                       "\": a token id does not fit 32 bits");
      }
      ++i;
    }
    ids.push_back(static_cast<uint32_t>(v));
  }
  return ids;
}

}  // namespace ipfs_accelerate::models
