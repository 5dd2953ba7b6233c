#include "models/tokenizer/wordpiece.h"

#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {

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
    size_t end = text.size();
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
