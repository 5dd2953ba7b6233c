// A piece of the input text as normalizers and pre-tokenizers rewrite it, with, for every byte
// of the rewritten ("normalized") text, the range of the original text it came from. That is how
// token offsets point into what the user passed, whatever was lowercased, decomposed, replaced or
// prepended on the way. The bookkeeping follows Hugging Face's NormalizedString rule for rule,
// because offsets are compared with it: a replaced character takes the range of the character it
// replaces, an inserted one that of the character before it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/normalization.h"
#include "models/tokenizer/pattern.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {

// A byte range [start, end) of the original text.
struct Alignment {
  uint32_t start;
  uint32_t end;
};

// What Split does with the parts the pattern matched ("delimiters"); for '-' in
// "the-final--countdown": kRemoved [the, final, countdown]; kIsolated [the, -, final, -, -,
// countdown]; kMergedWithPrevious [the-, final-, -, countdown]; kMergedWithNext [the, -final, -,
// -countdown]; kContiguous [the, -, final, --, countdown].
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class NormalizedString {
 public:
  NormalizedString() = default;
  // `original` (valid UTF-8) unchanged so far.
  explicit NormalizedString(std::string_view original);

  const std::string& get() const { return normalized_; }
  const std::string& original() const { return original_; }
  bool empty() const { return normalized_.empty(); }
  // Where this piece lies in the whole input: [shift, shift + original size) in bytes.
  size_t OffsetsOriginalStart() const { return shift_; }
  size_t OffsetsOriginalEnd() const { return shift_ + original_.size(); }

  // The original byte range (relative to this piece) that normalized bytes [start, end) come
  // from. An empty range is returned as given (the reference does so); false when [start, end)
  // is reversed or runs past the end.
  bool NormalizedToOriginal(size_t start, size_t end, size_t* o_start, size_t* o_end) const;

  // The piece covering normalized bytes [start, end): false when they are not on character
  // boundaries.
  bool Slice(size_t start, size_t end, NormalizedString* out) const;

  // Rewrites normalized bytes [start, end) into `dest` (see CharChange); `initial_offset`
  // characters at the start of the range are removed first.
  void TransformRange(size_t start, size_t end, const std::vector<CharChange>& dest,
                      size_t initial_offset);
  // TransformRange over the normalized range that the whole original text maps to.
  void Transform(const std::vector<CharChange>& dest, size_t initial_offset);

  // Replaces every byte b of the text by the character table[b] (below U+0800), which keeps the
  // offsets of the character b is a byte of: the ByteLevel transform, without the general
  // bookkeeping.
  void MapBytes(const char32_t* table);
  // Keeps the characters for which `keep` is true.
  void Filter(bool (*keep)(char32_t));
  // Replaces every character by `map`(character).
  void Map(char32_t (*map)(char32_t));
  void Lowercase();
  void Normalize(NormalizationForm form);
  // Puts `prefix` in front (nothing when the text is empty); it maps to the first character.
  void Prepend(std::string_view prefix);
  // Replaces every match of `pattern` with `content`.
  Status Replace(const Pattern& pattern, std::string_view content);
  // Removes leading and/or trailing whitespace (White_Space).
  void Strip(bool left, bool right);

  // Appends the pieces of this text cut by `pattern` (matches and non-matches swapped when
  // `invert`), keeping or merging the matches as `behavior` says. Empty pieces are appended too;
  // callers drop them.
  Status Split(const Pattern& pattern, SplitBehavior behavior, bool invert,
               std::vector<NormalizedString>* out) const;

 private:
  std::string original_;
  std::string normalized_;
  std::vector<Alignment> alignments_;  // one per byte of normalized_
  size_t shift_ = 0;
};

}  // namespace ipfs_accelerate::models::tokenizers
