// What normalizers and pre-tokenizers split on or replace: a character, a character class, a
// literal string or a regular expression (PCRE2 in UTF mode with Unicode properties, JIT
// compiled). Regular expressions from tokenizer.json are written for Oniguruma; the few
// constructs whose meaning differs in PCRE2 (\s, \w, \h) are rewritten to Oniguruma's meaning.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models::tokenizers {

// A piece of the searched text: [start, end) in bytes, and whether the pattern matched it.
struct PatternSpan {
  size_t start;
  size_t end;
  bool is_match;
};

class CompiledRegex;

class Pattern {
 public:
  // A single character.
  static Pattern Char(char32_t c);
  // Any character for which `predicate` is true (each one is a match of its own).
  static Pattern Predicate(bool (*predicate)(char32_t));
  // Every non-overlapping occurrence of `literal`, left to right. An empty literal matches
  // nothing (the whole text is one non-match, as the reference does).
  static Pattern Literal(std::string literal);
  // A regular expression in Oniguruma syntax; kInvalidArgument naming the pattern and PCRE2's
  // message when it does not compile.
  static Result<Pattern> Regex(std::string_view pattern);

  Pattern(const Pattern&) = default;
  Pattern& operator=(const Pattern&) = default;
  ~Pattern();

  // Splits valid UTF-8 `text` into contiguous spans covering it, each a match or not (the
  // reference's Pattern::find_matches): "" gives one empty non-match. An empty regex match right
  // after the previous match is skipped, as Oniguruma's iterator does. Fails with
  // kResourceExhausted when a regex exceeds its backtracking limit on `text`.
  Status FindMatches(std::string_view text, std::vector<PatternSpan>* out) const;

 private:
  enum class Kind { kChar, kPredicate, kLiteral, kRegex };
  Pattern() = default;
  Kind kind_ = Kind::kChar;
  char32_t char_ = 0;
  bool (*predicate_)(char32_t) = nullptr;
  std::string literal_;
  std::shared_ptr<const CompiledRegex> regex_;
};

// A compiled PCRE2 expression, safe to use from many threads at once.
class CompiledRegex {
 public:
  // Compiles `pattern` (Oniguruma syntax, rewritten as said above).
  static Result<std::shared_ptr<const CompiledRegex>> Compile(std::string_view pattern);
  ~CompiledRegex();
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;

  const std::string& source() const { return source_; }

 private:
  friend class Pattern;
  CompiledRegex() = default;
  std::string source_;
  void* code_ = nullptr;     // pcre2_code_8
  void* context_ = nullptr;  // pcre2_match_context_8 (limits)
};

// `pattern` with the Oniguruma classes whose PCRE2 meaning differs spelled out: \s and \S
// (White_Space, without U+180E), \w and \W (letters, marks, decimal digits, connector
// punctuation), \h and \H (hexadecimal digits). Exposed for tests.
std::string RewriteOnigurumaPattern(std::string_view pattern);

}  // namespace ipfs_accelerate::models::tokenizers
