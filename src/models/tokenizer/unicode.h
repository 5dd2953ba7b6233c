// Text as the Hugging Face tokenizers see it: UTF-8 decoding and validation, the character
// classes their normalizers and pre-tokenizers test, and lowercasing (normalization forms:
// normalization.h). Unicode data comes from utf8proc; the classes HF takes from older tables come
// from unicode_tables.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_accelerate::models::tokenizers {

// The code point that starts at s[*i], moving *i past it. `s` must be valid UTF-8 (checked once
// where text enters, see FindInvalidUtf8).
inline char32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + *i;
  unsigned char b = p[0];
  if (b < 0x80) {
    *i += 1;
    return b;
  }
  if (b < 0xE0) {
    *i += 2;
    return (char32_t(b & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b < 0xF0) {
    *i += 3;
    return (char32_t(b & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  *i += 4;
  return (char32_t(b & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) |
         (p[3] & 0x3F);
}

// How many bytes the UTF-8 sequence starting with `lead` has (1 for a continuation byte).
inline size_t Utf8SequenceLength(unsigned char lead) {
  return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

inline size_t Utf8Length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

// Appends the UTF-8 encoding of `c` (a Unicode scalar value) to `out`.
void AppendUtf8(char32_t c, std::string* out);

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and values past U+10FFFF included), or npos when `s` is valid.
size_t FindInvalidUtf8(std::string_view s);

// `bytes` with every ill-formed sequence replaced by U+FFFD, one per maximal ill-formed
// subpart, as Rust's String::from_utf8_lossy does (what the HF decoders return).
std::string LossyUtf8(std::string_view bytes);

// The number of code points in valid UTF-8 `s`.
size_t CountChars(std::string_view s);

// Rust's char::is_whitespace: the Unicode White_Space property.
bool IsWhitespace(char32_t c);
// What BertNormalizer's clean_text removes: NUL, U+FFFD and the reference's control, format
// and private-use characters (tab, LF and CR are kept).
bool IsBertCleaned(char32_t c);
// What the StripAccents normalizer removes.
bool IsStripAccentsMark(char32_t c);
// What BertNormalizer's strip_accents removes after NFD (not the same set).
bool IsBertAccentMark(char32_t c);
// ASCII punctuation or the reference's Unicode punctuation (BertPreTokenizer, Punctuation).
bool IsPunctuation(char32_t c);
// Rust's char::is_numeric: general categories Nd, Nl and No.
bool IsNumeric(char32_t c);
// Rust's char::is_alphanumeric: Alphabetic or Numeric.
bool IsAlphanumeric(char32_t c);
// A character of the Rust regex class \w: Alphabetic, marks, decimal digits, connector
// punctuation and the joiners U+200C/U+200D.
bool IsWordChar(char32_t c);
// The CJK ideograph blocks BertNormalizer surrounds with spaces.
bool IsChineseChar(char32_t c);

// Appends the lowercase form of `c` (Rust's char::to_lowercase: full mapping, no context; only
// U+0130 maps to two characters) to `out`.
void AppendLowercase(char32_t c, std::vector<char32_t>* out);

}  // namespace ipfs_accelerate::models::tokenizers
