#include "models/tokenizer/pre_tokenized_string.h"

#include <utility>

namespace ipfs_accelerate::models::tokenizers {

PreTokenizedString::PreTokenizedString(std::string_view text) : original_(text) {
  pieces_.push_back({NormalizedString(text), std::nullopt});
}

Status PreTokenizedString::Split(const SplitFn& split) {
  std::vector<PreToken> pieces;
  pieces.reserve(pieces_.size());
  std::vector<NormalizedString> parts;
  for (size_t i = 0; i < pieces_.size(); ++i) {
    PreToken& piece = pieces_[i];
    if (piece.tokens) {
      pieces.push_back(std::move(piece));
      continue;
    }
    parts.clear();
    IA_RETURN_IF_ERROR(split(i, std::move(piece.normalized), &parts));
    for (NormalizedString& part : parts) {
      if (!part.empty()) pieces.push_back({std::move(part), std::nullopt});
    }
  }
  pieces_ = std::move(pieces);
  return Status::Ok();
}

Status PreTokenizedString::SplitWithTokens(const SplitWithTokensFn& split) {
  std::vector<PreToken> pieces;
  pieces.reserve(pieces_.size());
  std::vector<PreToken> parts;
  for (PreToken& piece : pieces_) {
    if (piece.tokens) {
      pieces.push_back(std::move(piece));
      continue;
    }
    parts.clear();
    IA_RETURN_IF_ERROR(split(std::move(piece.normalized), &parts));
    for (PreToken& part : parts) {
      if (!part.normalized.empty()) pieces.push_back(std::move(part));
    }
  }
  pieces_ = std::move(pieces);
  return Status::Ok();
}

Status PreTokenizedString::Normalize(const std::function<Status(NormalizedString*)>& normalize) {
  for (PreToken& piece : pieces_) {
    if (!piece.tokens) IA_RETURN_IF_ERROR(normalize(&piece.normalized));
  }
  return Status::Ok();
}

Status PreTokenizedString::Tokenize(
    const std::function<Status(std::string_view, std::vector<Token>*)>& tokenize) {
  for (PreToken& piece : pieces_) {
    if (piece.tokens) continue;
    piece.tokens.emplace();
    IA_RETURN_IF_ERROR(tokenize(piece.normalized.get(), &*piece.tokens));
  }
  return Status::Ok();
}

Encoding PreTokenizedString::IntoEncoding(uint32_t type_id, OffsetUnit unit) {
  Encoding out;
  // Byte -> character index of the original, when characters are asked for and differ.
  std::vector<uint32_t> char_of;
  if (unit == OffsetUnit::kChar) {
    bool ascii = true;
    for (char ch : original_) ascii &= static_cast<unsigned char>(ch) < 0x80;
    if (!ascii) {
      char_of.resize(original_.size());
      uint32_t index = 0;
      for (size_t i = 0; i < original_.size(); ++index) {
        size_t n = Utf8SequenceLength(static_cast<unsigned char>(original_[i]));
        for (size_t k = 0; k < n && i + k < original_.size(); ++k) char_of[i + k] = index;
        i += n;
      }
    }
  }
  // The reference's BytesToCharOffsetConverter: a start past the text leaves the byte offsets.
  auto to_chars = [&](TokenOffsets o) -> TokenOffsets {
    if (char_of.empty() || o.first >= char_of.size()) return o;
    size_t start = char_of[o.first];
    if (o.second < char_of.size()) return {start, char_of[o.second]};
    size_t last =
        o.second >= 1 && o.second - 1 < char_of.size() ? char_of[o.second - 1] : start + 1;
    return {start, last + 1};
  };
  size_t total = 0;
  for (const PreToken& piece : pieces_) total += piece.tokens ? piece.tokens->size() : 0;
  out.ids.reserve(total);
  out.type_ids.reserve(total);
  out.tokens.reserve(total);
  out.offsets.reserve(total);
  out.special_tokens_mask.reserve(total);
  out.attention_mask.reserve(total);
  out.words.reserve(total);
  for (size_t i = 0; i < pieces_.size(); ++i) {
    PreToken& piece = pieces_[i];
    if (!piece.tokens) continue;
    size_t shift = piece.normalized.OffsetsOriginalStart();
    for (Token& token : *piece.tokens) {
      size_t o_start, o_end;
      TokenOffsets offsets{token.start, token.end};
      if (piece.normalized.NormalizedToOriginal(token.start, token.end, &o_start, &o_end)) {
        offsets = {shift + o_start, shift + o_end};
      }
      out.Push(token.id, std::move(token.value), to_chars(offsets), static_cast<int64_t>(i),
               type_id, /*special=*/false);
    }
  }
  return out;
}

}  // namespace ipfs_accelerate::models::tokenizers
