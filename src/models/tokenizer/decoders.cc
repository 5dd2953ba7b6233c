#include "models/tokenizer/decoders.h"

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/normalized_string.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  for (size_t hit = s.find(from); hit != std::string::npos; hit = s.find(from, pos)) {
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

class ByteLevelDecoder : public Decoder {
 public:
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    std::string bytes;
    for (const std::string& t : *tokens) {
      size_t start = bytes.size();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        int b = CharToByte(DecodeUtf8(t, &i));
        if (b < 0) {
          all = false;
        } else {
          bytes.push_back(static_cast<char>(b));
        }
      }
      if (!all) {  // not byte-level text: taken as it is
        bytes.resize(start);
        bytes += t;
      }
    }
    tokens->assign(1, LossyUtf8(bytes));
    return Status::Ok();
  }
};

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t.insert(0, " ");
        }
      }
      if (cleanup_) t = WordPieceCleanup(std::move(t));
    }
    return Status::Ok();
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first)
      : replacement_(replacement), strip_first_(strip_first) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      std::string out;
      for (size_t k = 0; k < t.size();) {
        char32_t c = DecodeUtf8(t, &k);
        if (c != replacement_) {
          AppendUtf8(c, &out);
        } else if (!(i == 0 && strip_first_)) {
          out.push_back(' ');
        }
      }
      t = std::move(out);
    }
    return Status::Ok();
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      (*tokens)[i] =
          ReplaceAll(std::move((*tokens)[i]), suffix_, i + 1 == tokens->size() ? "" : " ");
    }
    return Status::Ok();
  }

 private:
  std::string suffix_;
};

// Runs of <0xNN> tokens become the text their bytes spell, or one U+FFFD per byte when they
// are not valid UTF-8.
class ByteFallbackDecoder : public Decoder {
 public:
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t count = 0;
    auto flush = [&] {
      if (count == 0) return;
      if (FindInvalidUtf8(bytes) == std::string::npos) {
        out.push_back(bytes);
      } else {
        for (size_t k = 0; k < count; ++k) out.push_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (std::string& t : *tokens) {
      int value = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        auto hex = [](char c) {
          return c >= '0' && c <= '9'   ? c - '0'
                 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                 : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : -1;
        };
        int hi = hex(t[3]), lo = hex(t[4]);
        if (hi >= 0 && lo >= 0) value = hi * 16 + lo;
      }
      if (value >= 0) {
        bytes.push_back(static_cast<char>(value));
        ++count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    *tokens = std::move(out);
    return Status::Ok();
  }
};

class FuseDecoder : public Decoder {
 public:
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    std::string all;
    for (const std::string& t : *tokens) all += t;
    tokens->assign(1, std::move(all));
    return Status::Ok();
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& t : *tokens) {
      std::vector<char32_t> chars;
      for (size_t k = 0; k < t.size();) chars.push_back(DecodeUtf8(t, &k));
      size_t begin = 0;
      while (begin < start_ && begin < chars.size() && chars[begin] == content_) ++begin;
      size_t end = chars.size();
      for (size_t k = 0; k < stop_ && end > begin && chars[end - 1] == content_; ++k) --end;
      std::string out;
      for (size_t k = begin; k < end; ++k) AppendUtf8(chars[k], &out);
      t = std::move(out);
    }
    return Status::Ok();
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& t : *tokens) {
      NormalizedString s(t);
      IA_RETURN_IF_ERROR(s.Replace(pattern_, content_));
      t = s.get();
    }
    return Status::Ok();
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class CtcDecoder : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens->size(); ++i) {
      if (i > 0 && (*tokens)[i] == (*tokens)[i - 1]) continue;  // repeats collapse
      std::string t = ReplaceAll((*tokens)[i], pad_, "");
      if (cleanup_) t = ReplaceAll(WordPieceCleanup(std::move(t)), delimiter_, " ");
      if (!t.empty()) out.push_back(std::move(t));
    }
    *tokens = std::move(out);
    return Status::Ok();
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  Status DecodeChain(std::vector<std::string>* tokens) const override {
    for (const auto& p : parts_) IA_RETURN_IF_ERROR(p->DecodeChain(tokens));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

}  // namespace

std::string WordPieceCleanup(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) text = ReplaceAll(std::move(text), from, to);
  return text;
}

Result<std::unique_ptr<Decoder>> ParseDecoder(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  IA_ASSIGN_OR_RETURN(std::string type, o.Type());
  using Ptr = std::unique_ptr<Decoder>;
  if (type == "ByteLevel") return Ptr(new ByteLevelDecoder());
  if (type == "WordPiece") {
    IA_ASSIGN_OR_RETURN(std::string prefix, o.StringOr("prefix", "##"));
    IA_ASSIGN_OR_RETURN(bool cleanup, o.BoolOr("cleanup", true));
    return Ptr(new WordPieceDecoder(prefix, cleanup));
  }
  if (type == "Metaspace") {
    IA_ASSIGN_OR_RETURN(char32_t replacement, o.Char("replacement"));
    IA_ASSIGN_OR_RETURN(bool add_prefix_space, o.BoolOr("add_prefix_space", true));
    IA_ASSIGN_OR_RETURN(std::string scheme, o.StringOr("prepend_scheme", "always"));
    bool strip_first = add_prefix_space && scheme != "never";
    return Ptr(new MetaspaceDecoder(replacement, strip_first));
  }
  if (type == "BPEDecoder") {
    IA_ASSIGN_OR_RETURN(std::string suffix, o.StringOr("suffix", "</w>"));
    return Ptr(new BpeDecoder(suffix));
  }
  if (type == "ByteFallback") return Ptr(new ByteFallbackDecoder());
  if (type == "Fuse") return Ptr(new FuseDecoder());
  if (type == "Strip") {
    IA_ASSIGN_OR_RETURN(char32_t content, o.Char("content"));
    IA_ASSIGN_OR_RETURN(uint64_t start, o.UintOr("start", 0));
    IA_ASSIGN_OR_RETURN(uint64_t stop, o.UintOr("stop", 0));
    return Ptr(new StripDecoder(content, start, stop));
  }
  if (type == "Replace") {
    const nlohmann::json* p = o.Get("pattern");
    if (!p) return Status::InvalidArgument(o.PathOf("pattern") + ": missing");
    IA_ASSIGN_OR_RETURN(Pattern pattern, ParseStringOrRegex(*p, o.PathOf("pattern")));
    IA_ASSIGN_OR_RETURN(std::string content, o.String("content"));
    return Ptr(new ReplaceDecoder(std::move(pattern), content));
  }
  if (type == "CTC") {
    IA_ASSIGN_OR_RETURN(std::string pad, o.StringOr("pad_token", "<pad>"));
    IA_ASSIGN_OR_RETURN(std::string delimiter, o.StringOr("word_delimiter_token", "|"));
    IA_ASSIGN_OR_RETURN(bool cleanup, o.BoolOr("cleanup", true));
    return Ptr(new CtcDecoder(pad, delimiter, cleanup));
  }
  if (type == "Sequence") {
    const nlohmann::json* list = o.Get("decoders");
    if (!list || !list->is_array()) {
      return JsonTypeError(o.PathOf("decoders"), "an array", list ? *list : nlohmann::json());
    }
    std::vector<Ptr> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      IA_ASSIGN_OR_RETURN(
          Ptr part, ParseDecoder((*list)[i], o.PathOf("decoders") + "[" + std::to_string(i) + "]"));
      parts.push_back(std::move(part));
    }
    return Ptr(new SequenceDecoder(std::move(parts)));
  }
  return Status::Unsupported(o.PathOf("type") + ": the decoder \"" + type +
                             "\" is not supported (ByteLevel, WordPiece, Metaspace, BPEDecoder, "
                             "ByteFallback, Fuse, Strip, Replace, CTC, Sequence)");
}

}  // namespace ipfs_accelerate::models::tokenizers
