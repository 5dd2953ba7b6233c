#include "models/tokenizer/normalizers.h"

#include <vector>

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/json_fields.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

bool KeepForBert(char32_t c) { return !IsBertCleaned(c); }
char32_t WhitespaceToSpace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || IsWhitespace(c) ? U' ' : c;
}
bool IsNotStripAccentsMark(char32_t c) { return !IsStripAccentsMark(c); }
bool IsNotBertAccentMark(char32_t c) { return !IsBertAccentMark(c); }

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        chinese_(chinese),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  Status Normalize(NormalizedString* s) const override {
    if (clean_text_) {
      s->Filter(KeepForBert);
      s->Map(WhitespaceToSpace);
    }
    if (chinese_) PadChineseChars(s);
    if (strip_accents_) {
      s->Normalize(NormalizationForm::kNfd);
      s->Filter(IsNotBertAccentMark);
    }
    if (lowercase_) s->Lowercase();
    return Status::Ok();
  }

 private:
  // " c " for every CJK ideograph c: the first space replaces c, c and the second are inserted.
  static void PadChineseChars(NormalizedString* s) {
    const std::string& text = s->get();
    bool any = false;
    for (size_t i = 0; i < text.size() && !any;) any = IsChineseChar(DecodeUtf8(text, &i));
    if (!any) return;
    std::vector<CharChange> dest;
    dest.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      char32_t c = DecodeUtf8(text, &i);
      if (IsChineseChar(c)) {
        dest.push_back({U' ', 0});
        dest.push_back({c, 1});
        dest.push_back({U' ', 1});
      } else {
        dest.push_back({c, 0});
      }
    }
    s->Transform(dest, 0);
  }

  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

class FormNormalizer : public Normalizer {
 public:
  explicit FormNormalizer(NormalizationForm form) : form_(form) {}
  Status Normalize(NormalizedString* s) const override {
    s->Normalize(form_);
    return Status::Ok();
  }

 private:
  NormalizationForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    s->Lowercase();
    return Status::Ok();
  }
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  Status Normalize(NormalizedString* s) const override {
    s->Strip(left_, right_);
    return Status::Ok();
  }

 private:
  bool left_, right_;
};

class StripAccentsNormalizer : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    s->Filter(IsNotStripAccentsMark);
    return Status::Ok();
  }
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  Status Normalize(NormalizedString* s) const override { return s->Replace(pattern_, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  Status Normalize(NormalizedString* s) const override {
    s->Prepend(prefix_);
    return Status::Ok();
  }

 private:
  std::string prefix_;
};

class ByteLevelNormalizer : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    ByteLevelTransform(s);
    return Status::Ok();
  }
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  Status Normalize(NormalizedString* s) const override {
    for (const auto& part : parts_) IA_RETURN_IF_ERROR(part->Normalize(s));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

Result<std::unique_ptr<Normalizer>> ParseNormalizer(const nlohmann::json& j,
                                                    const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  IA_ASSIGN_OR_RETURN(std::string type, o.Type());
  if (type == "BertNormalizer") {
    IA_ASSIGN_OR_RETURN(bool clean_text, o.BoolOr("clean_text", true));
    IA_ASSIGN_OR_RETURN(bool chinese, o.BoolOr("handle_chinese_chars", true));
    IA_ASSIGN_OR_RETURN(bool lowercase, o.BoolOr("lowercase", true));
    // strip_accents: null follows lowercase, as in the original BERT.
    IA_ASSIGN_OR_RETURN(bool strip_accents, o.BoolOr("strip_accents", lowercase));
    return std::unique_ptr<Normalizer>(
        new BertNormalizer(clean_text, chinese, strip_accents, lowercase));
  }
  if (type == "NFC")
    return std::unique_ptr<Normalizer>(new FormNormalizer(NormalizationForm::kNfc));
  if (type == "NFD")
    return std::unique_ptr<Normalizer>(new FormNormalizer(NormalizationForm::kNfd));
  if (type == "NFKC") {
    return std::unique_ptr<Normalizer>(new FormNormalizer(NormalizationForm::kNfkc));
  }
  if (type == "NFKD") {
    return std::unique_ptr<Normalizer>(new FormNormalizer(NormalizationForm::kNfkd));
  }
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new LowercaseNormalizer());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new StripAccentsNormalizer());
  if (type == "ByteLevel") return std::unique_ptr<Normalizer>(new ByteLevelNormalizer());
  if (type == "Strip") {
    IA_ASSIGN_OR_RETURN(bool left, o.BoolOr("strip_left", true));
    IA_ASSIGN_OR_RETURN(bool right, o.BoolOr("strip_right", true));
    return std::unique_ptr<Normalizer>(new StripNormalizer(left, right));
  }
  if (type == "Replace") {
    const nlohmann::json* p = o.Get("pattern");
    if (!p) return Status::InvalidArgument(o.PathOf("pattern") + ": missing");
    IA_ASSIGN_OR_RETURN(Pattern pattern, ParseStringOrRegex(*p, o.PathOf("pattern")));
    IA_ASSIGN_OR_RETURN(std::string content, o.String("content"));
    return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(pattern), content));
  }
  if (type == "Prepend") {
    IA_ASSIGN_OR_RETURN(std::string prefix, o.String("prepend"));
    return std::unique_ptr<Normalizer>(new PrependNormalizer(prefix));
  }
  if (type == "Sequence") {
    const nlohmann::json* list = o.Get("normalizers");
    if (!list || !list->is_array()) {
      return JsonTypeError(o.PathOf("normalizers"), "an array", list ? *list : nlohmann::json());
    }
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      IA_ASSIGN_OR_RETURN(auto part, ParseNormalizer((*list)[i], o.PathOf("normalizers") + "[" +
                                                                     std::to_string(i) + "]"));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(parts)));
  }
  return Status::Unsupported(o.PathOf("type") + ": the normalizer \"" + type +
                             "\" is not supported (supported: BertNormalizer, NFC, NFD, NFKC, "
                             "NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, ByteLevel, "
                             "Sequence)");
}

}  // namespace ipfs_accelerate::models::tokenizers
