#include "models/tokenizer/model.h"

#include <algorithm>

#include "models/tokenizer/json_fields.h"

namespace ipfs_accelerate::models::tokenizers {

void Vocab::Add(std::string token, uint32_t id) {
  // Ids within a few times the vocabulary size go in a vector; the rest in a map, so a file
  // with a huge id cannot make us allocate for every id below it.
  constexpr uint32_t kDenseSlack = 1 << 16;
  if (id < 4 * (ids_.size() + 1) + kDenseSlack) {
    if (id >= by_id_.size()) {
      by_id_.resize(id + 1);
      has_id_.resize(id + 1);
    }
    by_id_[id] = token;
    has_id_[id] = true;
  } else {
    sparse_[id] = token;
  }
  max_token_bytes_ = std::max(max_token_bytes_, token.size());
  ids_.Set(token, id);
}

const std::string* Vocab::Token(uint32_t id) const {
  if (id < by_id_.size() && has_id_[id]) return &by_id_[id];
  if (sparse_.empty()) return nullptr;
  auto it = sparse_.find(id);
  return it == sparse_.end() ? nullptr : &it->second;
}

Status ParseVocabObject(const nlohmann::json& j, const std::string& path, Vocab* vocab) {
  if (!j.is_object()) return JsonTypeError(path, "an object {\"token\": id, ...}", j);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const nlohmann::json& id = it.value();
    if (!id.is_number_unsigned() && !(id.is_number_integer() && id.get<int64_t>() >= 0)) {
      return JsonTypeError(path + "[\"" + it.key() + "\"]", "a non-negative integer id", id);
    }
    uint64_t n = id.get<uint64_t>();
    if (n > UINT32_MAX) {
      return Status::InvalidArgument(path + "[\"" + it.key() + "\"]: id " + std::to_string(n) +
                                     " does not fit 32 bits");
    }
    vocab->Add(it.key(), static_cast<uint32_t>(n));
  }
  return Status::Ok();
}

namespace {

// A model that knows whole words only (WordLevel).
class WordLevel : public Model {
 public:
  WordLevel(Vocab vocab, std::string unk) : vocab_(std::move(vocab)), unk_(std::move(unk)) {}

  Status Tokenize(std::string_view text, std::vector<Token>* out) const override {
    if (auto id = vocab_.Find(text)) {
      out->push_back({*id, std::string(text), 0, text.size()});
      return Status::Ok();
    }
    if (auto unk = vocab_.Find(unk_)) {
      out->push_back({*unk, unk_, 0, text.size()});
      return Status::Ok();
    }
    return Status::InvalidArgument("WordLevel: \"" + std::string(text) +
                                   "\" is not in the vocabulary, nor is the unknown token \"" +
                                   unk_ + "\"");
  }
  std::optional<uint32_t> TokenToId(std::string_view token) const override {
    return vocab_.Find(token);
  }
  const std::string* IdToToken(uint32_t id) const override { return vocab_.Token(id); }
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  Vocab vocab_;
  std::string unk_;
};

}  // namespace

Result<std::unique_ptr<Model>> ParseWordLevel(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  Vocab vocab;
  const nlohmann::json* v = o.Get("vocab");
  if (!v) return Status::InvalidArgument(o.PathOf("vocab") + ": missing");
  IA_RETURN_IF_ERROR(ParseVocabObject(*v, o.PathOf("vocab"), &vocab));
  IA_ASSIGN_OR_RETURN(std::string unk, o.StringOr("unk_token", "<unk>"));
  return std::unique_ptr<Model>(new WordLevel(std::move(vocab), unk));
}

Result<std::unique_ptr<Model>> ParseModel(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  std::string type;
  if (o.Get("type")) {
    IA_ASSIGN_OR_RETURN(type, o.Type());
  } else if (o.Get("merges")) {  // older files leave the type out
    type = "BPE";
  } else if (o.Get("continuing_subword_prefix") || o.Get("max_input_chars_per_word")) {
    type = "WordPiece";
  } else if (o.Get("vocab") && o.Get("vocab")->is_array()) {
    type = "Unigram";
  } else {
    return Status::InvalidArgument(o.PathOf("type") + ": missing");
  }
  if (type == "BPE") return ParseBpe(j, path);
  if (type == "WordPiece") return ParseWordPiece(j, path);
  if (type == "Unigram") return ParseUnigram(j, path);
  if (type == "WordLevel") return ParseWordLevel(j, path);
  return Status::Unsupported(o.PathOf("type") + ": the model \"" + type +
                             "\" is not supported (BPE, WordPiece, Unigram, WordLevel)");
}

}  // namespace ipfs_accelerate::models::tokenizers
