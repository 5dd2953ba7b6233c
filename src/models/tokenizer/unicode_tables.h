// Code point ranges read off the Hugging Face reference (see unicode_tables.cc for how): the
// character classes its Unicode-category tables give, which differ from today's Unicode data.
#pragma once

#include <cstddef>

namespace ipfs_accelerate::models::tokenizers {

// An inclusive range of code points.
struct CodeRange {
  char32_t first;
  char32_t last;
};

extern const CodeRange kBertCleanedChars[];
extern const size_t kBertCleanedCharsSize;
extern const CodeRange kStripAccentsMarks[];
extern const size_t kStripAccentsMarksSize;
extern const CodeRange kBertAccentMarks[];
extern const size_t kBertAccentMarksSize;
extern const CodeRange kPunctuation[];
extern const size_t kPunctuationSize;

}  // namespace ipfs_accelerate::models::tokenizers
