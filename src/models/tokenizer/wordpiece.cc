#include "models/tokenizer/wordpiece.h"

#include <algorithm>

#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {

WordPiece::WordPiece(Vocab vocab, std::string unk_token, std::string prefix, size_t max_chars)
    : vocab_(std::move(vocab)),
      unk_token_(std::move(unk_token)),
      prefix_(std::move(prefix)),
      max_chars_(max_chars) {
  max_token_bytes_ = vocab_.MaxTokenBytes();
}

Status WordPiece::Unknown(std::string_view text, std::vector<Token>* out) const {
  auto id = vocab_.Find(unk_token_);
  if (!id) {
    return Status::InvalidArgument("WordPiece: the unknown token \"" + unk_token_ +
                                   "\" is not in the vocabulary (needed for \"" +
                                   std::string(text) + "\")");
  }
  out->push_back({*id, unk_token_, 0, text.size()});
  return Status::Ok();
}

Status WordPiece::Tokenize(std::string_view text, std::vector<Token>* out) const {
  if (CountChars(text) > max_chars_) return Unknown(text, out);
  size_t first = out->size();
  std::string candidate;
  size_t start = 0;
  while (start < text.size()) {
    // The longest candidate that can be in the vocabulary, cut back to a character boundary.
    size_t limit = max_token_bytes_ - (start > 0 ? std::min(max_token_bytes_, prefix_.size()) : 0);
    size_t end = text.size() - start > limit ? start + limit : text.size();
    while (end > start && end < text.size() &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    bool found = false;
    while (start < end) {
      std::string_view piece = text.substr(start, end - start);
      std::optional<uint32_t> id;
      if (start > 0) {
        candidate.assign(prefix_);
        candidate.append(piece);
        id = vocab_.Find(candidate);
      } else {
        id = vocab_.Find(piece);
      }
      if (id) {
        out->push_back({*id, start > 0 ? candidate : std::string(piece), start, end});
        found = true;
        break;
      }
      // One character shorter.
      do {
        --end;
      } while (end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80);
    }
    if (!found) {
      out->resize(first);
      return Unknown(text, out);
    }
    start = end;
  }
  return Status::Ok();
}

Result<std::unique_ptr<Model>> ParseWordPiece(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  const nlohmann::json* v = o.Get("vocab");
  if (!v) return Status::InvalidArgument(o.PathOf("vocab") + ": missing");
  Vocab vocab;
  IA_RETURN_IF_ERROR(ParseVocabObject(*v, o.PathOf("vocab"), &vocab));
  IA_ASSIGN_OR_RETURN(std::string unk, o.StringOr("unk_token", "[UNK]"));
  IA_ASSIGN_OR_RETURN(std::string prefix, o.StringOr("continuing_subword_prefix", "##"));
  IA_ASSIGN_OR_RETURN(uint64_t max_chars,
                      o.UintOr("max_input_chars_per_word", 100, uint64_t{1} << 40));
  return std::unique_ptr<Model>(new WordPiece(std::move(vocab), unk, prefix, max_chars));
}

}  // namespace ipfs_accelerate::models::tokenizers
