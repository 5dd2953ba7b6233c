#include "models/tokenizer/pre_tokenizers.h"

#include <vector>

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/json_fields.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

using Parts = std::vector<NormalizedString>;

// Splits every piece on `pattern` with `behavior`.
Status SplitAll(PreTokenizedString* text, const Pattern& pattern, SplitBehavior behavior,
                bool invert = false) {
  return text->Split([&](size_t, NormalizedString&& s, Parts* out) {
    return s.Split(pattern, behavior, invert, out);
  });
}

class BertPreTokenizer : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* text) const override {
    IA_RETURN_IF_ERROR(SplitAll(text, Pattern::Predicate(IsWhitespace), SplitBehavior::kRemoved));
    return SplitAll(text, Pattern::Predicate(IsPunctuation), SplitBehavior::kIsolated);
  }
};

// Runs of word characters and runs of other non-space characters (the reference's regex
// \w+|[^\w\s]+); whitespace is dropped.
class WhitespacePreTokenizer : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* text) const override {
    return text->Split([](size_t, NormalizedString&& s, Parts* out) {
      const std::string& t = s.get();
      size_t i = 0;
      while (i < t.size()) {
        size_t start = i;
        char32_t c = DecodeUtf8(t, &i);
        if (IsWhitespace(c)) continue;
        bool word = IsWordChar(c);
        size_t end = i;
        while (end < t.size()) {
          size_t next = end;
          char32_t d = DecodeUtf8(t, &next);
          if (IsWhitespace(d) || IsWordChar(d) != word) break;
          end = next;
        }
        out->emplace_back();
        if (!s.Slice(start, end, &out->back())) return Status::Internal("Whitespace: bad split");
        i = end;
      }
      return Status::Ok();
    });
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* text) const override {
    return SplitAll(text, Pattern::Predicate(IsWhitespace), SplitBehavior::kRemoved);
  }
};

class CharDelimiterSplit : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(char32_t delimiter) : delimiter_(delimiter) {}
  Status PreTokenize(PreTokenizedString* text) const override {
    return SplitAll(text, Pattern::Char(delimiter_), SplitBehavior::kRemoved);
  }

 private:
  char32_t delimiter_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::optional<Pattern> regex)
      : add_prefix_space_(add_prefix_space), regex_(std::move(regex)) {}

  Status PreTokenize(PreTokenizedString* text) const override {
    IA_RETURN_IF_ERROR(text->Split([&](size_t, NormalizedString&& s, Parts* out) {
      if (add_prefix_space_ && (s.get().empty() || s.get()[0] != ' ')) s.Prepend(" ");
      if (regex_) return s.Split(*regex_, SplitBehavior::kIsolated, false, out);
      out->push_back(std::move(s));
      return Status::Ok();
    }));
    return text->Normalize([](NormalizedString* s) {
      ByteLevelTransform(s);
      return Status::Ok();
    });
  }

 private:
  bool add_prefix_space_;
  std::optional<Pattern> regex_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  Status PreTokenize(PreTokenizedString* text) const override {
    return SplitAll(text, pattern_, behavior_, invert_);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { kAlways, kNever, kFirst };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {
    AppendUtf8(replacement, &replacement_text_);
  }

  Status PreTokenize(PreTokenizedString* text) const override {
    Pattern space = Pattern::Char(U' ');
    Pattern replacement = Pattern::Char(replacement_);
    return text->Split([&](size_t, NormalizedString&& s, Parts* out) {
      IA_RETURN_IF_ERROR(s.Replace(space, replacement_text_));
      bool starts = s.get().compare(0, replacement_text_.size(), replacement_text_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways ||
                      (scheme_ == PrependScheme::kFirst && s.OffsetsOriginalStart() == 0))) {
        s.Prepend(replacement_text_);
      }
      if (split_) return s.Split(replacement, SplitBehavior::kMergedWithNext, false, out);
      out->push_back(std::move(s));
      return Status::Ok();
    });
  }

 private:
  char32_t replacement_;
  std::string replacement_text_;
  PrependScheme scheme_;
  bool split_;
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  Status PreTokenize(PreTokenizedString* text) const override {
    return SplitAll(text, Pattern::Predicate(IsNumeric),
                    individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }

 private:
  bool individual_;
};

class PunctuationPreTokenizer : public PreTokenizer {
 public:
  explicit PunctuationPreTokenizer(SplitBehavior behavior) : behavior_(behavior) {}
  Status PreTokenize(PreTokenizedString* text) const override {
    return SplitAll(text, Pattern::Predicate(IsPunctuation), behavior_);
  }

 private:
  SplitBehavior behavior_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  Status PreTokenize(PreTokenizedString* text) const override {
    for (const auto& part : parts_) IA_RETURN_IF_ERROR(part->PreTokenize(text));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Result<SplitBehavior> ParseBehavior(const JsonObject& o, std::string_view key,
                                    SplitBehavior fallback) {
  if (!o.Get(key)) return fallback;
  IA_ASSIGN_OR_RETURN(std::string name, o.String(key));
  if (name == "Removed" || name == "removed") return SplitBehavior::kRemoved;
  if (name == "Isolated" || name == "isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious" || name == "merged_with_previous") {
    return SplitBehavior::kMergedWithPrevious;
  }
  if (name == "MergedWithNext" || name == "merged_with_next") {
    return SplitBehavior::kMergedWithNext;
  }
  if (name == "Contiguous" || name == "contiguous") return SplitBehavior::kContiguous;
  return Status::InvalidArgument(o.PathOf(key) + ": unknown behavior \"" + name +
                                 "\" (Removed, Isolated, MergedWithPrevious, MergedWithNext or "
                                 "Contiguous)");
}

Result<PrependScheme> ParsePrependScheme(const JsonObject& o) {
  // The older add_prefix_space: false means never; true lets prepend_scheme decide.
  IA_ASSIGN_OR_RETURN(bool add_prefix_space, o.BoolOr("add_prefix_space", true));
  PrependScheme scheme = PrependScheme::kAlways;
  if (o.Get("prepend_scheme")) {
    IA_ASSIGN_OR_RETURN(std::string name, o.String("prepend_scheme"));
    if (name == "always") {
      scheme = PrependScheme::kAlways;
    } else if (name == "never") {
      scheme = PrependScheme::kNever;
    } else if (name == "first") {
      scheme = PrependScheme::kFirst;
    } else {
      return Status::InvalidArgument(o.PathOf("prepend_scheme") + ": unknown scheme \"" + name +
                                     "\" (always, never or first)");
    }
    if (!add_prefix_space && scheme != PrependScheme::kNever) {
      return Status::InvalidArgument(o.PathOf("add_prefix_space") +
                                     ": false contradicts prepend_scheme \"" + name + "\"");
    }
  }
  if (!add_prefix_space) scheme = PrependScheme::kNever;
  return scheme;
}

}  // namespace

Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const nlohmann::json& j,
                                                        const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  IA_ASSIGN_OR_RETURN(std::string type, o.Type());
  using Ptr = std::unique_ptr<PreTokenizer>;
  if (type == "BertPreTokenizer") return Ptr(new BertPreTokenizer());
  if (type == "Whitespace") return Ptr(new WhitespacePreTokenizer());
  if (type == "WhitespaceSplit") return Ptr(new WhitespaceSplit());
  if (type == "CharDelimiterSplit") {
    IA_ASSIGN_OR_RETURN(char32_t delimiter, o.Char("delimiter"));
    return Ptr(new CharDelimiterSplit(delimiter));
  }
  if (type == "ByteLevel") {
    IA_ASSIGN_OR_RETURN(bool add_prefix_space, o.BoolOr("add_prefix_space", true));
    IA_ASSIGN_OR_RETURN(bool use_regex, o.BoolOr("use_regex", true));
    std::optional<Pattern> regex;
    if (use_regex) {
      IA_ASSIGN_OR_RETURN(Pattern p, Pattern::Regex(kGpt2Pattern));
      regex = std::move(p);
    }
    return Ptr(new ByteLevelPreTokenizer(add_prefix_space, std::move(regex)));
  }
  if (type == "Split") {
    const nlohmann::json* p = o.Get("pattern");
    if (!p) return Status::InvalidArgument(o.PathOf("pattern") + ": missing");
    IA_ASSIGN_OR_RETURN(Pattern pattern, ParseStringOrRegex(*p, o.PathOf("pattern")));
    if (!o.Get("behavior")) return Status::InvalidArgument(o.PathOf("behavior") + ": missing");
    IA_ASSIGN_OR_RETURN(SplitBehavior behavior,
                        ParseBehavior(o, "behavior", SplitBehavior::kRemoved));
    IA_ASSIGN_OR_RETURN(bool invert, o.BoolOr("invert", false));
    return Ptr(new SplitPreTokenizer(std::move(pattern), behavior, invert));
  }
  if (type == "Metaspace") {
    IA_ASSIGN_OR_RETURN(char32_t replacement, o.Char("replacement"));
    IA_ASSIGN_OR_RETURN(PrependScheme scheme, ParsePrependScheme(o));
    IA_ASSIGN_OR_RETURN(bool split, o.BoolOr("split", true));
    return Ptr(new MetaspacePreTokenizer(replacement, scheme, split));
  }
  if (type == "Digits") {
    IA_ASSIGN_OR_RETURN(bool individual, o.BoolOr("individual_digits", false));
    return Ptr(new DigitsPreTokenizer(individual));
  }
  if (type == "Punctuation") {
    IA_ASSIGN_OR_RETURN(SplitBehavior behavior,
                        ParseBehavior(o, "behavior", SplitBehavior::kIsolated));
    return Ptr(new PunctuationPreTokenizer(behavior));
  }
  if (type == "Sequence") {
    const nlohmann::json* list = o.Get("pretokenizers");
    if (!list || !list->is_array()) {
      return JsonTypeError(o.PathOf("pretokenizers"), "an array", list ? *list : nlohmann::json());
    }
    std::vector<Ptr> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      IA_ASSIGN_OR_RETURN(Ptr part, ParsePreTokenizer((*list)[i], o.PathOf("pretokenizers") + "[" +
                                                                      std::to_string(i) + "]"));
      parts.push_back(std::move(part));
    }
    return Ptr(new SequencePreTokenizer(std::move(parts)));
  }
  return Status::Unsupported(o.PathOf("type") + ": the pre-tokenizer \"" + type +
                             "\" is not supported (supported: BertPreTokenizer, ByteLevel, Split, "
                             "Metaspace, Whitespace, WhitespaceSplit, CharDelimiterSplit, Digits, "
                             "Punctuation, Sequence)");
}

}  // namespace ipfs_accelerate::models::tokenizers
