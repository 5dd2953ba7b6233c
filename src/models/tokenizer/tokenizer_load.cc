// Tokenizer::Load and FromJson: the top level of tokenizer.json.
#include <sys/stat.h>

#include "core/file_util.h"
#include "core/json_util.h"
#include "models/tokenizer/added_vocabulary.h"
#include "models/tokenizer/decoders.h"
#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/post_processors.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "models/tokenizer/tokenizer.h"

namespace ipfs_accelerate::models {
namespace {

using tokenizers::JsonObject;
using tokenizers::JsonTypeError;

Result<Direction> ParseDirection(const JsonObject& o) {
  IA_ASSIGN_OR_RETURN(std::string d, o.StringOr("direction", "Right"));
  if (d == "Right" || d == "right") return Direction::kRight;
  if (d == "Left" || d == "left") return Direction::kLeft;
  return Status::InvalidArgument(o.PathOf("direction") +
                                 ": expected \"Right\" or \"Left\", got \"" + d + "\"");
}

Result<TruncationParams> ParseTruncation(const nlohmann::json& j) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, "truncation"));
  TruncationParams p;
  IA_ASSIGN_OR_RETURN(p.max_length, o.Uint("max_length", UINT32_MAX));
  IA_ASSIGN_OR_RETURN(p.stride, o.UintOr("stride", 0));
  IA_ASSIGN_OR_RETURN(std::string strategy, o.StringOr("strategy", "LongestFirst"));
  if (strategy == "LongestFirst" || strategy == "longest_first") {
    p.strategy = TruncationStrategy::kLongestFirst;
  } else if (strategy == "OnlyFirst" || strategy == "only_first") {
    p.strategy = TruncationStrategy::kOnlyFirst;
  } else if (strategy == "OnlySecond" || strategy == "only_second") {
    p.strategy = TruncationStrategy::kOnlySecond;
  } else {
    return Status::InvalidArgument("truncation.strategy: unknown strategy \"" + strategy +
                                   "\" (LongestFirst, OnlyFirst or OnlySecond)");
  }
  IA_ASSIGN_OR_RETURN(p.direction, ParseDirection(o));
  return p;
}

Result<PaddingParams> ParsePadding(const nlohmann::json& j) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, "padding"));
  PaddingParams p;
  if (const nlohmann::json* s = o.Get("strategy")) {
    if (s->is_string() && s->get<std::string>() == "BatchLongest") {
      p.fixed = false;
    } else if (s->is_object() && s->contains("Fixed")) {
      IA_ASSIGN_OR_RETURN(JsonObject fixed, JsonObject::From(*s, "padding.strategy"));
      IA_ASSIGN_OR_RETURN(p.length, fixed.Uint("Fixed", kMaxPaddedLength));
      p.fixed = true;
    } else {
      return JsonTypeError("padding.strategy", "\"BatchLongest\" or {\"Fixed\": N}", *s);
    }
  }
  IA_ASSIGN_OR_RETURN(p.direction, ParseDirection(o));
  IA_ASSIGN_OR_RETURN(p.pad_to_multiple_of, o.UintOr("pad_to_multiple_of", 0, kMaxPaddedLength));
  IA_ASSIGN_OR_RETURN(uint64_t pad_id, o.UintOr("pad_id", 0));
  IA_ASSIGN_OR_RETURN(uint64_t pad_type_id, o.UintOr("pad_type_id", 0));
  p.pad_id = static_cast<uint32_t>(pad_id);
  p.pad_type_id = static_cast<uint32_t>(pad_type_id);
  IA_ASSIGN_OR_RETURN(p.pad_token, o.StringOr("pad_token", "[PAD]"));
  return p;
}

Result<std::vector<tokenizers::AddedToken>> ParseAddedTokens(const nlohmann::json& j) {
  if (!j.is_array()) return JsonTypeError("added_tokens", "an array", j);
  std::vector<tokenizers::AddedToken> tokens;
  for (size_t i = 0; i < j.size(); ++i) {
    IA_ASSIGN_OR_RETURN(JsonObject o,
                        JsonObject::From(j[i], "added_tokens[" + std::to_string(i) + "]"));
    tokenizers::AddedToken t;
    IA_ASSIGN_OR_RETURN(t.content, o.String("content"));
    IA_ASSIGN_OR_RETURN(t.single_word, o.BoolOr("single_word", false));
    IA_ASSIGN_OR_RETURN(t.lstrip, o.BoolOr("lstrip", false));
    IA_ASSIGN_OR_RETURN(t.rstrip, o.BoolOr("rstrip", false));
    IA_ASSIGN_OR_RETURN(t.normalized, o.BoolOr("normalized", true));
    IA_ASSIGN_OR_RETURN(t.special, o.BoolOr("special", false));
    if (o.Get("id")) IA_RETURN_IF_ERROR(o.Uint("id").status());
    tokens.push_back(std::move(t));
  }
  return tokens;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                   " bytes is larger than any tokenizer.json (at most " +
                                   std::to_string(kMaxFileBytes) + " are read)");
  }
  IA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return FromJson(text, path);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view json,
                                                       const std::string& source) {
  if (json.size() > kMaxFileBytes) {
    return Status::InvalidArgument(source + ": larger than any tokenizer.json (" +
                                   std::to_string(json.size()) + " bytes)");
  }
  auto parsed = ParseJson(json, source);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& root = *parsed;
  auto in_source = [&](const Status& s) { return s.WithContext(source); };
  auto object = JsonObject::From(root, "tokenizer.json");
  if (!object.ok()) return in_source(object.status());
  const JsonObject& o = *object;

  std::unique_ptr<Tokenizer> t(new Tokenizer());
  if (o.Get("version")) {
    auto version = o.String("version");
    if (!version.ok()) return in_source(version.status());
    if (*version != "1.0") {
      return Status::Unsupported(source + ": version \"" + *version +
                                 "\" of the tokenizer.json format is unknown (1.0 is read)");
    }
  }
  const nlohmann::json* model = o.Get("model");
  if (!model) return Status::InvalidArgument(source + ": model: missing (every tokenizer has one)");
  auto m = tokenizers::ParseModel(*model, "model");
  if (!m.ok()) return in_source(m.status());
  t->model_ = std::move(m).value();
  if (const nlohmann::json* n = o.Get("normalizer")) {
    auto r = tokenizers::ParseNormalizer(*n, "normalizer");
    if (!r.ok()) return in_source(r.status());
    t->normalizer_ = std::move(r).value();
  }
  if (const nlohmann::json* p = o.Get("pre_tokenizer")) {
    auto r = tokenizers::ParsePreTokenizer(*p, "pre_tokenizer");
    if (!r.ok()) return in_source(r.status());
    t->pre_tokenizer_ = std::move(r).value();
  }
  if (const nlohmann::json* p = o.Get("post_processor")) {
    auto r = tokenizers::ParsePostProcessor(*p, "post_processor");
    if (!r.ok()) return in_source(r.status());
    t->post_processor_ = std::move(r).value();
  }
  if (const nlohmann::json* d = o.Get("decoder")) {
    auto r = tokenizers::ParseDecoder(*d, "decoder");
    if (!r.ok()) return in_source(r.status());
    t->decoder_ = std::move(r).value();
  }
  if (const nlohmann::json* tr = o.Get("truncation")) {
    auto r = ParseTruncation(*tr);
    if (!r.ok()) return in_source(r.status());
    t->truncation_ = *r;
  }
  if (const nlohmann::json* pad = o.Get("padding")) {
    auto r = ParsePadding(*pad);
    if (!r.ok()) return in_source(r.status());
    t->padding_ = *r;
  }
  t->added_ = std::make_unique<tokenizers::AddedVocabulary>();
  if (const nlohmann::json* added = o.Get("added_tokens")) {
    auto tokens = ParseAddedTokens(*added);
    if (!tokens.ok()) return in_source(tokens.status());
    // In file order, as the reference loads them: ids depend on it.
    Status s = t->added_->Add(*tokens, *t->model_, t->normalizer_.get());
    if (!s.ok()) return in_source(s);
  }
  return t;
}

}  // namespace ipfs_accelerate::models
