// The four Unicode normalization forms, with the per-character bookkeeping that keeps offsets
// pointing into the original text as the reference's normalizer reports it. Data from utf8proc.
#pragma once

#include <string_view>
#include <vector>

namespace ipfs_accelerate::models::tokenizers {

enum class NormalizationForm { kNfc, kNfd, kNfkc, kNfkd };

// One output character of a normalization and how it relates to the input, as HF's
// NormalizedString::transform takes it: 0 replaces the next input character, 1 is inserted
// after the previous one, -N replaces the next input character and removes the N after it.
struct CharChange {
  char32_t c;
  int change;
};

// Normalizes valid UTF-8 `s` to `form` into `out` (cleared first), with the changes the
// reference's alignment-tracking normalizer reports: a decomposition's first character replaces
// its source and the rest are inserted; characters composed together replace the first of them
// and remove the others. Returns false (leaving `out` empty) when `s` is already in `form`, the
// common case, which needs no transform.
bool Normalize(std::string_view s, NormalizationForm form, std::vector<CharChange>* out);

}  // namespace ipfs_accelerate::models::tokenizers
