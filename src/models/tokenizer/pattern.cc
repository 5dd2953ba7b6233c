#include "models/tokenizer/pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

// Oniguruma's \s: the White_Space property (PCRE2's also takes U+180E).
constexpr char kSpaceClass[] =
    "\\t\\n\\x0B\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}";
// Oniguruma's \w: letters, marks, decimal digits, connector punctuation (PCRE2's takes all
// numbers and no marks).
constexpr char kWordClass[] = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
constexpr char kHexClass[] = "0-9a-fA-F";

// Backtracking budget per search: a pathological expression fails instead of hanging.
constexpr uint32_t kMatchLimit = 20'000'000;

std::string Pcre2Message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf));
}

}  // namespace

std::string RewriteOnigurumaPattern(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[++i];
      const char* cls = e == 's' || e == 'S'   ? kSpaceClass
                        : e == 'w' || e == 'W' ? kWordClass
                        : e == 'h' || e == 'H' ? kHexClass
                                               : nullptr;
      bool negated = e == 'S' || e == 'W' || e == 'H';
      if (cls && !in_class) {
        out += negated ? "[^" : "[";
        out += cls;
        out += ']';
      } else if (cls && !negated) {
        out += cls;
      } else if (cls && e == 'H') {
        out += "\\x00-/:-@G-`g-\\x{10FFFF}";  // not a hex digit
      } else {
        out += '\\';
        out += e;
      }
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // POSIX class [:alpha:]
        size_t close = p.find(":]", i + 2);
        if (close != std::string_view::npos) {
          out.append(p.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
      }
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    out += c;
  }
  return out;
}

CompiledRegex::~CompiledRegex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
  pcre2_match_context_free(static_cast<pcre2_match_context*>(context_));
}

Result<std::shared_ptr<const CompiledRegex>> CompiledRegex::Compile(std::string_view pattern) {
  if (FindInvalidUtf8(pattern) != std::string_view::npos) {
    return Status::InvalidArgument("the regular expression is not valid UTF-8");
  }
  std::shared_ptr<CompiledRegex> re(new CompiledRegex());
  re->source_ = std::string(pattern);
  std::string rewritten = RewriteOnigurumaPattern(pattern);
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rewritten.data()), rewritten.size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &error_offset, nullptr);
  if (!code) {
    return Status::InvalidArgument("the regular expression \"" + std::string(pattern) +
                                   "\" does not compile (PCRE2, at offset " +
                                   std::to_string(error_offset) + " of \"" + rewritten +
                                   "\"): " + Pcre2Message(error));
  }
  re->code_ = code;
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // without JIT (unsupported CPU) it interprets
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  if (!context) return Status::ResourceExhausted("out of memory for a regular expression");
  pcre2_set_match_limit(context, kMatchLimit);
  pcre2_set_depth_limit(context, 100'000);
  pcre2_set_heap_limit(context, 64 * 1024);  // KiB
  re->context_ = context;
  return std::shared_ptr<const CompiledRegex>(std::move(re));
}

Pattern::~Pattern() = default;

Pattern Pattern::Char(char32_t c) {
  Pattern p;
  p.kind_ = Kind::kChar;
  p.char_ = c;
  return p;
}

Pattern Pattern::Predicate(bool (*predicate)(char32_t)) {
  Pattern p;
  p.kind_ = Kind::kPredicate;
  p.predicate_ = predicate;
  return p;
}

Pattern Pattern::Literal(std::string literal) {
  Pattern p;
  p.kind_ = Kind::kLiteral;
  p.literal_ = std::move(literal);
  return p;
}

Result<Pattern> Pattern::Regex(std::string_view pattern) {
  IA_ASSIGN_OR_RETURN(auto re, CompiledRegex::Compile(pattern));
  Pattern p;
  p.kind_ = Kind::kRegex;
  p.regex_ = std::move(re);
  return p;
}

namespace {

// Turns the matches [start, end) found in order into spans covering `size` bytes.
class SpanBuilder {
 public:
  SpanBuilder(size_t size, std::vector<PatternSpan>* out) : size_(size), out_(out) {}
  void Match(size_t start, size_t end) {
    if (prev_ != start) out_->push_back({prev_, start, false});
    out_->push_back({start, end, true});
    prev_ = end;
  }
  void Finish() {
    if (prev_ != size_) out_->push_back({prev_, size_, false});
  }

 private:
  size_t size_;
  size_t prev_ = 0;
  std::vector<PatternSpan>* out_;
};

}  // namespace

Status Pattern::FindMatches(std::string_view text, std::vector<PatternSpan>* out) const {
  out->clear();
  if (text.empty()) {
    out->push_back({0, 0, false});
    return Status::Ok();
  }
  SpanBuilder spans(text.size(), out);
  switch (kind_) {
    case Kind::kChar:
    case Kind::kPredicate: {
      for (size_t i = 0; i < text.size();) {
        size_t start = i;
        char32_t c = DecodeUtf8(text, &i);
        if (kind_ == Kind::kChar ? c == char_ : predicate_(c)) spans.Match(start, i);
      }
      break;
    }
    case Kind::kLiteral: {
      if (literal_.empty()) {
        // The reference reports the length in characters here, not bytes.
        out->push_back({0, CountChars(text), false});
        return Status::Ok();
      }
      for (size_t pos = text.find(literal_); pos != std::string_view::npos;
           pos = text.find(literal_, pos + literal_.size())) {
        spans.Match(pos, pos + literal_.size());
      }
      break;
    }
    case Kind::kRegex: {
      auto* code = static_cast<pcre2_code*>(regex_->code_);
      auto* context = static_cast<pcre2_match_context*>(regex_->context_);
      pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
      if (!md) return Status::ResourceExhausted("out of memory matching a regular expression");
      size_t pos = 0;
      bool have_last = false;
      size_t last_end = 0;
      Status status;
      while (pos <= text.size()) {
        int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos,
                             PCRE2_NO_UTF_CHECK, md, context);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {  // deep backtracking: the interpreter has more room
          rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos,
                           PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, context);
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
          status = Status::ResourceExhausted(
              "the regular expression \"" + regex_->source() + "\" failed on a text of " +
              std::to_string(text.size()) + " bytes: " + Pcre2Message(rc));
          break;
        }
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        if (s == e && have_last && last_end == e) {
          // An empty match where the previous one ended: step one character, as Oniguruma does.
          if (pos >= text.size()) break;
          pos += Utf8SequenceLength(static_cast<unsigned char>(text[pos]));
          continue;
        }
        spans.Match(s, e);
        have_last = true;
        last_end = e;
        pos = e;
      }
      pcre2_match_data_free(md);
      IA_RETURN_IF_ERROR(status);
      break;
    }
  }
  spans.Finish();
  return Status::Ok();
}

}  // namespace ipfs_accelerate::models::tokenizers
