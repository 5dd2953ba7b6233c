#include "models/tokenizer/post_processors.h"

#include <map>

#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

constexpr char32_t kByteLevelSpace = 0x120;  // "Ġ"

bool IsTrimmedSpace(char32_t c) { return c == kByteLevelSpace || IsWhitespace(c); }

Encoding SpecialTokens(const std::vector<uint32_t>& ids, const std::vector<std::string>& tokens,
                       uint32_t type_id) {
  Encoding e;
  for (size_t i = 0; i < ids.size(); ++i) {
    e.Push(ids[i], tokens[i], {0, 0}, Encoding::kNoWord, type_id, /*special=*/true);
  }
  return e;
}

class ByteLevelProcessor : public PostProcessor {
 public:
  ByteLevelProcessor(bool add_prefix_space, bool trim_offsets)
      : add_prefix_space_(add_prefix_space), trim_offsets_(trim_offsets) {}
  size_t AddedTokens(bool) const override { return 0; }
  Status ProcessEncodings(std::vector<Encoding>* encodings, bool) const override {
    for (size_t i = 0; i < encodings->size(); ++i) {
      if (trim_offsets_) TrimByteLevelOffsets(&(*encodings)[i], add_prefix_space_);
      (*encodings)[i].SetTypeIds(static_cast<uint32_t>(i));
    }
    return Status::Ok();
  }

 private:
  bool add_prefix_space_, trim_offsets_;
};

// [CLS] A [SEP] and, for a pair, B [SEP] of type 1.
class BertProcessor : public PostProcessor {
 public:
  BertProcessor(std::pair<std::string, uint32_t> sep, std::pair<std::string, uint32_t> cls)
      : sep_(std::move(sep)), cls_(std::move(cls)) {}
  size_t AddedTokens(bool pair) const override { return pair ? 3 : 2; }
  Status ProcessEncodings(std::vector<Encoding>* encodings,
                          bool add_special_tokens) const override {
    if (!add_special_tokens) return Status::Ok();
    std::vector<Encoding> out;
    for (size_t i = 0; i < encodings->size(); ++i) {
      Encoding& e = (*encodings)[i];
      uint32_t type = i == 0 ? 0 : 1;
      Encoding r;
      if (i == 0) r = SpecialTokens({cls_.second}, {cls_.first}, type);
      e.SetTypeIds(type);
      r.Append(e);
      r.Append(SpecialTokens({sep_.second}, {sep_.first}, type));
      out.push_back(std::move(r));
    }
    *encodings = std::move(out);
    return Status::Ok();
  }

 private:
  std::pair<std::string, uint32_t> sep_, cls_;
};

// <s> A </s> and, for a pair, </s> B </s>; every type id 0.
class RobertaProcessor : public PostProcessor {
 public:
  RobertaProcessor(std::pair<std::string, uint32_t> sep, std::pair<std::string, uint32_t> cls,
                   bool trim_offsets, bool add_prefix_space)
      : sep_(std::move(sep)),
        cls_(std::move(cls)),
        trim_offsets_(trim_offsets),
        add_prefix_space_(add_prefix_space) {}
  size_t AddedTokens(bool pair) const override { return pair ? 4 : 2; }
  Status ProcessEncodings(std::vector<Encoding>* encodings,
                          bool add_special_tokens) const override {
    for (Encoding& e : *encodings) {
      if (trim_offsets_) TrimByteLevelOffsets(&e, add_prefix_space_);
      e.SetTypeIds(0);
    }
    if (!add_special_tokens) return Status::Ok();
    std::vector<Encoding> out;
    for (size_t i = 0; i < encodings->size(); ++i) {
      Encoding r = i == 0 ? SpecialTokens({cls_.second}, {cls_.first}, 0)
                          : SpecialTokens({sep_.second}, {sep_.first}, 0);
      r.Append((*encodings)[i]);
      r.Append(SpecialTokens({sep_.second}, {sep_.first}, 0));
      out.push_back(std::move(r));
    }
    *encodings = std::move(out);
    return Status::Ok();
  }

 private:
  std::pair<std::string, uint32_t> sep_, cls_;
  bool trim_offsets_, add_prefix_space_;
};

class TemplateProcessor : public PostProcessor {
 public:
  struct Piece {
    bool is_sequence;
    int sequence;       // 0 for A, 1 for B
    std::string token;  // a special token's name
    uint32_t type_id;
  };
  struct Special {
    std::vector<uint32_t> ids;
    std::vector<std::string> tokens;
  };
  TemplateProcessor(std::vector<Piece> single, std::vector<Piece> pair,
                    std::map<std::string, Special> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

  size_t AddedTokens(bool pair) const override {
    size_t n = 0;
    for (const Piece& p : pair ? pair_ : single_) {
      if (!p.is_sequence) n += specials_.at(p.token).ids.size();
    }
    return n;
  }

  Status ProcessEncodings(std::vector<Encoding>* encodings,
                          bool add_special_tokens) const override {
    const std::vector<Piece>& pieces = encodings->size() > 1 ? pair_ : single_;
    std::vector<Encoding> out;
    for (const Piece& p : pieces) {
      if (p.is_sequence) {
        if (static_cast<size_t>(p.sequence) >= encodings->size()) continue;
        Encoding e = (*encodings)[p.sequence];
        e.SetTypeIds(p.type_id);
        out.push_back(std::move(e));
      } else if (add_special_tokens) {
        const Special& s = specials_.at(p.token);
        out.push_back(SpecialTokens(s.ids, s.tokens, p.type_id));
      }
    }
    *encodings = std::move(out);
    return Status::Ok();
  }

 private:
  std::vector<Piece> single_, pair_;
  std::map<std::string, Special> specials_;
};

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts)
      : parts_(std::move(parts)) {}
  size_t AddedTokens(bool pair) const override {
    size_t n = 0;
    for (const auto& p : parts_) n += p->AddedTokens(pair);
    return n;
  }
  Status ProcessEncodings(std::vector<Encoding>* encodings,
                          bool add_special_tokens) const override {
    for (const auto& p : parts_) {
      IA_RETURN_IF_ERROR(p->ProcessEncodings(encodings, add_special_tokens));
    }
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

// ["[SEP]", 102]
Result<std::pair<std::string, uint32_t>> ParseTokenPair(const JsonObject& o, std::string_view key) {
  const nlohmann::json* v = o.Get(key);
  if (!v || !v->is_array() || v->size() != 2 || !(*v)[0].is_string() ||
      !(*v)[1].is_number_unsigned()) {
    return JsonTypeError(o.PathOf(key), "a [token, id] pair", v ? *v : nlohmann::json());
  }
  uint64_t id = (*v)[1].get<uint64_t>();
  if (id > UINT32_MAX) return Status::InvalidArgument(o.PathOf(key) + ": id out of range");
  return std::make_pair((*v)[0].get<std::string>(), static_cast<uint32_t>(id));
}

Result<std::vector<TemplateProcessor::Piece>> ParseTemplate(
    const JsonObject& o, std::string_view key,
    const std::map<std::string, TemplateProcessor::Special>& specials) {
  const nlohmann::json* v = o.Get(key);
  if (!v || !v->is_array())
    return JsonTypeError(o.PathOf(key), "an array of pieces", v ? *v : nlohmann::json());
  std::vector<TemplateProcessor::Piece> pieces;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string where = o.PathOf(key) + "[" + std::to_string(i) + "]";
    IA_ASSIGN_OR_RETURN(JsonObject piece, JsonObject::From((*v)[i], where));
    if (const nlohmann::json* seq = piece.Get("Sequence")) {
      IA_ASSIGN_OR_RETURN(JsonObject s, JsonObject::From(*seq, where + ".Sequence"));
      auto id = s.String("id");
      if (!id.ok()) return id.status();
      if (*id != "A" && *id != "B") {
        return Status::InvalidArgument(s.PathOf("id") + ": expected \"A\" or \"B\", got \"" + *id +
                                       "\"");
      }
      IA_ASSIGN_OR_RETURN(uint64_t type_id, s.UintOr("type_id", 0));
      pieces.push_back({true, *id == "A" ? 0 : 1, "", static_cast<uint32_t>(type_id)});
    } else if (const nlohmann::json* tok = piece.Get("SpecialToken")) {
      IA_ASSIGN_OR_RETURN(JsonObject s, JsonObject::From(*tok, where + ".SpecialToken"));
      IA_ASSIGN_OR_RETURN(std::string id, s.String("id"));
      if (!specials.count(id)) {
        return Status::InvalidArgument(s.PathOf("id") + ": \"" + id +
                                       "\" is not in post_processor.special_tokens");
      }
      IA_ASSIGN_OR_RETURN(uint64_t type_id, s.UintOr("type_id", 0));
      pieces.push_back({false, 0, id, static_cast<uint32_t>(type_id)});
    } else {
      return Status::InvalidArgument(where +
                                     ": expected {\"Sequence\": ...} or "
                                     "{\"SpecialToken\": ...}");
    }
  }
  return pieces;
}

}  // namespace

void TrimByteLevelOffsets(Encoding* encoding, bool add_prefix_space) {
  for (size_t i = 0; i < encoding->size(); ++i) {
    const std::string& token = encoding->tokens[i];
    TokenOffsets& offsets = encoding->offsets[i];
    std::vector<char32_t> chars;
    for (size_t k = 0; k < token.size();) chars.push_back(DecodeUtf8(token, &k));
    size_t leading = 0, trailing = 0;
    while (leading < chars.size() && IsTrimmedSpace(chars[leading])) ++leading;
    while (trailing < chars.size() && IsTrimmedSpace(chars[chars.size() - 1 - trailing])) {
      ++trailing;
    }
    if (leading == 0 && trailing == 0) continue;
    if (leading > 0) {
      bool is_first = i == 0 || offsets.first == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      offsets.first = std::min(offsets.first + leading, offsets.second);
    }
    if (trailing > 0 && offsets.second >= trailing) {
      offsets.second = std::max(offsets.second - trailing, offsets.first);
    }
  }
}

Result<std::unique_ptr<PostProcessor>> ParsePostProcessor(const nlohmann::json& j,
                                                          const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  IA_ASSIGN_OR_RETURN(std::string type, o.Type());
  using Ptr = std::unique_ptr<PostProcessor>;
  if (type == "ByteLevel") {
    IA_ASSIGN_OR_RETURN(bool add_prefix_space, o.BoolOr("add_prefix_space", true));
    IA_ASSIGN_OR_RETURN(bool trim_offsets, o.BoolOr("trim_offsets", true));
    return Ptr(new ByteLevelProcessor(add_prefix_space, trim_offsets));
  }
  if (type == "BertProcessing") {
    IA_ASSIGN_OR_RETURN(auto sep, ParseTokenPair(o, "sep"));
    IA_ASSIGN_OR_RETURN(auto cls, ParseTokenPair(o, "cls"));
    return Ptr(new BertProcessor(sep, cls));
  }
  if (type == "RobertaProcessing") {
    IA_ASSIGN_OR_RETURN(auto sep, ParseTokenPair(o, "sep"));
    IA_ASSIGN_OR_RETURN(auto cls, ParseTokenPair(o, "cls"));
    IA_ASSIGN_OR_RETURN(bool trim_offsets, o.BoolOr("trim_offsets", true));
    IA_ASSIGN_OR_RETURN(bool add_prefix_space, o.BoolOr("add_prefix_space", true));
    return Ptr(new RobertaProcessor(sep, cls, trim_offsets, add_prefix_space));
  }
  if (type == "TemplateProcessing") {
    std::map<std::string, TemplateProcessor::Special> specials;
    if (const nlohmann::json* st = o.Get("special_tokens")) {
      if (!st->is_object()) return JsonTypeError(o.PathOf("special_tokens"), "an object", *st);
      for (auto it = st->begin(); it != st->end(); ++it) {
        std::string where = o.PathOf("special_tokens") + "[\"" + it.key() + "\"]";
        IA_ASSIGN_OR_RETURN(JsonObject s, JsonObject::From(it.value(), where));
        const nlohmann::json* ids = s.Get("ids");
        const nlohmann::json* tokens = s.Get("tokens");
        if (!ids || !ids->is_array()) {
          return JsonTypeError(s.PathOf("ids"), "an array of ids", ids ? *ids : nlohmann::json());
        }
        if (!tokens || !tokens->is_array() || tokens->size() != ids->size()) {
          return Status::InvalidArgument(s.PathOf("tokens") + ": expected an array as long as ids");
        }
        TemplateProcessor::Special special;
        for (size_t k = 0; k < ids->size(); ++k) {
          if (!(*ids)[k].is_number_unsigned() || (*ids)[k].get<uint64_t>() > UINT32_MAX ||
              !(*tokens)[k].is_string()) {
            return Status::InvalidArgument(where + ": ids must be numbers, tokens strings");
          }
          special.ids.push_back(static_cast<uint32_t>((*ids)[k].get<uint64_t>()));
          special.tokens.push_back((*tokens)[k].get<std::string>());
        }
        specials[it.key()] = std::move(special);
      }
    }
    IA_ASSIGN_OR_RETURN(auto single, ParseTemplate(o, "single", specials));
    std::vector<TemplateProcessor::Piece> pair = single;  // a file without "pair" encodes pairs as
    if (o.Get("pair")) {                                  // single texts would be, B left out
      IA_ASSIGN_OR_RETURN(pair, ParseTemplate(o, "pair", specials));
    }
    return Ptr(new TemplateProcessor(std::move(single), std::move(pair), std::move(specials)));
  }
  if (type == "Sequence") {
    const nlohmann::json* list = o.Get("processors");
    if (!list || !list->is_array()) {
      return JsonTypeError(o.PathOf("processors"), "an array", list ? *list : nlohmann::json());
    }
    std::vector<Ptr> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      IA_ASSIGN_OR_RETURN(Ptr part, ParsePostProcessor((*list)[i], o.PathOf("processors") + "[" +
                                                                       std::to_string(i) + "]"));
      parts.push_back(std::move(part));
    }
    return Ptr(new SequenceProcessor(std::move(parts)));
  }
  return Status::Unsupported(o.PathOf("type") + ": the post-processor \"" + type +
                             "\" is not supported (TemplateProcessing, BertProcessing, "
                             "RobertaProcessing, ByteLevel, Sequence)");
}

}  // namespace ipfs_accelerate::models::tokenizers
