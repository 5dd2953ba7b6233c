#include "models/tokenizer/tokenizer.h"

#include <cstdio>

#include "models/tokenizer/added_vocabulary.h"
#include "models/tokenizer/decoders.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/post_processors.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models {

using tokenizers::PreTokenizedString;

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

namespace {

Status CheckText(std::string_view text) {
  if (text.size() > Tokenizer::kMaxTextBytes) {
    return Status::InvalidArgument(
        "the text is " + std::to_string(text.size()) + " bytes long; at most " +
        std::to_string(Tokenizer::kMaxTextBytes) + " are encoded at once: split it");
  }
  size_t bad = tokenizers::FindInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
    return Status::InvalidArgument("the text is not valid UTF-8: byte " + std::to_string(bad) +
                                   " (" + byte +
                                   ") does not start a well-formed sequence; convert the text "
                                   "to UTF-8 first");
  }
  return Status::Ok();
}

}  // namespace

Result<Encoding> Tokenizer::EncodeOne(std::string_view text, uint32_t type_id,
                                      OffsetUnit unit) const {
  IA_RETURN_IF_ERROR(CheckText(text));
  PreTokenizedString pieces(text);
  IA_RETURN_IF_ERROR(added_->ExtractAndNormalize(normalizer_.get(), &pieces));
  if (pre_tokenizer_) IA_RETURN_IF_ERROR(pre_tokenizer_->PreTokenize(&pieces));
  IA_RETURN_IF_ERROR(
      pieces.Tokenize([&](std::string_view piece, std::vector<tokenizers::Token>* out) {
        return model_->Tokenize(piece, out);
      }));
  return pieces.IntoEncoding(type_id, unit);
}

Result<Encoding> Tokenizer::PostProcess(Encoding first, std::optional<Encoding> second,
                                        const EncodeOptions& options) const {
  const bool add_special_tokens = options.add_special_tokens;
  bool pair = second.has_value();
  std::optional<TruncationParams> truncation = options.truncate ? truncation_ : std::nullopt;
  if (options.max_length) {
    if (!truncation) truncation = TruncationParams{};
    truncation->max_length = *options.max_length;
  }
  if (truncation) {
    TruncationParams params = *truncation;
    size_t added = post_processor_ ? post_processor_->AddedTokens(pair) : 0;
    bool truncate = true;
    if (add_special_tokens && added > 0) {
      // The reference subtracts in unsigned arithmetic: a max_length below the special tokens
      // wraps around, and nothing is truncated.
      truncate = params.max_length >= added;
      params.max_length -= truncate ? added : 0;
    }
    if (truncate) {
      IA_RETURN_IF_ERROR(TruncateEncodings(&first, pair ? &*second : nullptr, params));
    }
  }
  std::vector<Encoding> parts;
  parts.push_back(std::move(first));
  if (pair) parts.push_back(std::move(*second));
  if (post_processor_) {
    IA_RETURN_IF_ERROR(post_processor_->ProcessEncodings(&parts, add_special_tokens));
  }
  Encoding out;
  if (!parts.empty()) {
    out = std::move(parts[0]);
    for (size_t i = 1; i < parts.size(); ++i) out.Append(parts[i]);
  }
  if (padding_ && options.pad) {
    size_t target = padding_->fixed ? padding_->length : out.size();
    if (target > kMaxPaddedLength || padding_->pad_to_multiple_of > kMaxPaddedLength) {
      return Status::InvalidArgument("padding to " + std::to_string(target) + " tokens: at most " +
                                     std::to_string(kMaxPaddedLength) + " are padded to");
    }
    std::vector<Encoding> batch;
    batch.push_back(std::move(out));
    PadBatch(&batch, *padding_);
    out = std::move(batch[0]);
  }
  return out;
}

Result<Encoding> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  IA_ASSIGN_OR_RETURN(Encoding e, EncodeOne(text, 0, options.offsets));
  return PostProcess(std::move(e), std::nullopt, options);
}

Result<Encoding> Tokenizer::EncodePair(std::string_view first, std::string_view second,
                                       const EncodeOptions& options) const {
  IA_ASSIGN_OR_RETURN(Encoding a, EncodeOne(first, 0, options.offsets));
  IA_ASSIGN_OR_RETURN(Encoding b, EncodeOne(second, 1, options.offsets));
  return PostProcess(std::move(a), std::move(b), options);
}

Result<std::vector<Encoding>> Tokenizer::EncodeBatch(const std::vector<std::string_view>& texts,
                                                     const EncodeOptions& options) const {
  std::vector<Encoding> batch;
  batch.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto e = Encode(texts[i], options);
    if (!e.ok()) return e.status().WithContext("text " + std::to_string(i));
    batch.push_back(std::move(e).value());
  }
  if (padding_) PadBatch(&batch, *padding_);
  return batch;
}

Result<std::string> Tokenizer::Decode(const std::vector<uint32_t>& ids,
                                      bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (uint32_t id : ids) {
    const std::string* token = nullptr;
    if (const tokenizers::AddedToken* added = added_->Find(id)) {
      token = &added->content;
    } else {
      token = model_->IdToToken(id);
    }
    if (!token) continue;  // not in any vocabulary: left out, as the reference does
    if (skip_special_tokens && added_->IsSpecial(*token)) continue;
    tokens.push_back(*token);
  }
  if (decoder_) IA_RETURN_IF_ERROR(decoder_->DecodeChain(&tokens));
  std::string text;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!decoder_ && i > 0) text += ' ';
    text += tokens[i];
  }
  return text;
}

std::optional<uint32_t> Tokenizer::TokenToId(std::string_view token) const {
  if (auto id = added_->TokenToId(token)) return id;
  return model_->TokenToId(token);
}

std::optional<std::string> Tokenizer::IdToToken(uint32_t id) const {
  if (const tokenizers::AddedToken* added = added_->Find(id)) return added->content;
  if (const std::string* token = model_->IdToToken(id)) return *token;
  return std::nullopt;
}

size_t Tokenizer::VocabSize(bool with_added_tokens) const {
  return model_->VocabSize() + (with_added_tokens ? added_->size() : 0);
}

}  // namespace ipfs_accelerate::models
