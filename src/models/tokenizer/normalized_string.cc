#include "models/tokenizer/normalized_string.h"

#include <algorithm>

namespace ipfs_accelerate::models::tokenizers {
namespace {

bool IsCharBoundary(const std::string& s, size_t i) {
  return i == s.size() || (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80);
}

}  // namespace

NormalizedString::NormalizedString(std::string_view original)
    : original_(original), normalized_(original) {
  alignments_.resize(original.size());
  for (size_t i = 0; i < original.size();) {
    size_t n = Utf8SequenceLength(static_cast<unsigned char>(original[i]));
    for (size_t k = 0; k < n && i + k < original.size(); ++k) {
      alignments_[i + k] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i + n)};
    }
    i += n;
  }
}

bool NormalizedString::NormalizedToOriginal(size_t start, size_t end, size_t* o_start,
                                            size_t* o_end) const {
  if (start == end) {
    *o_start = start;
    *o_end = end;
    return true;
  }
  if (start > end || end > alignments_.size()) return false;
  *o_start = alignments_[start].start;
  *o_end = alignments_[end - 1].end;
  return true;
}

bool NormalizedString::Slice(size_t start, size_t end, NormalizedString* out) const {
  if (start > end || !IsCharBoundary(normalized_, start) || !IsCharBoundary(normalized_, end)) {
    return false;
  }
  size_t o_start, o_end;
  if (!NormalizedToOriginal(start, end, &o_start, &o_end)) return false;
  if (o_start <= o_end && o_end <= original_.size() && IsCharBoundary(original_, o_start) &&
      IsCharBoundary(original_, o_end)) {
    out->original_.assign(original_, o_start, o_end - o_start);
  } else {
    out->original_.clear();
  }
  out->normalized_.assign(normalized_, start, end - start);
  out->alignments_.resize(end - start);
  const uint32_t n_shift = static_cast<uint32_t>(o_start);
  for (size_t i = start; i < end; ++i) {
    Alignment a = alignments_[i];
    out->alignments_[i - start] = {a.start >= n_shift ? a.start - n_shift : 0,
                                   a.end >= n_shift ? a.end - n_shift : 0};
  }
  out->shift_ = shift_ + o_start;
  return true;
}

void NormalizedString::TransformRange(size_t start, size_t end, const std::vector<CharChange>& dest,
                                      size_t initial_offset) {
  end = std::min(end, normalized_.size());
  start = std::min(start, end);
  // The characters being replaced, consumed in order.
  std::string_view old(normalized_.data() + start, end - start);
  size_t cursor = 0;                 // into `old`
  auto next_old = [&]() -> size_t {  // the byte length of the next replaced character, or 0
    if (cursor >= old.size()) return 0;
    size_t n = Utf8SequenceLength(static_cast<unsigned char>(old[cursor]));
    cursor += n;
    return n;
  };
  size_t offset = start;
  for (size_t k = 0; k < initial_offset; ++k) offset += next_old();
  const Alignment kNone{0, 0};
  auto align_at = [&](size_t idx) {
    if (idx < alignments_.size()) return alignments_[idx];
    return alignments_.empty() ? kNone : alignments_.back();  // the reference would panic here
  };
  std::string text;
  std::vector<Alignment> aligns;
  text.reserve(old.size() + dest.size());
  aligns.reserve(old.size() + dest.size());
  for (const CharChange& cc : dest) {
    Alignment a = cc.change > 0 ? (offset < 1 ? kNone : align_at(offset - 1)) : align_at(offset);
    if (cc.change <= 0) offset += next_old();
    for (int k = 0; k < -cc.change; ++k) offset += next_old();
    size_t before = text.size();
    AppendUtf8(cc.c, &text);
    aligns.insert(aligns.end(), text.size() - before, a);
  }
  if (start == 0 && end == normalized_.size()) {  // the whole text, the common case
    normalized_ = std::move(text);
    alignments_ = std::move(aligns);
    return;
  }
  normalized_.replace(start, end - start, text);
  alignments_.erase(alignments_.begin() + start, alignments_.begin() + end);
  alignments_.insert(alignments_.begin() + start, aligns.begin(), aligns.end());
}

void NormalizedString::Transform(const std::vector<CharChange>& dest, size_t initial_offset) {
  // The normalized range the whole original maps to: from the first byte with a non-empty
  // alignment to the last byte (the reference's convert_offsets from the original referential).
  if (original_.empty()) {
    TransformRange(0, 0, dest, initial_offset);
    return;
  }
  if (alignments_.empty()) return;
  size_t first = 0;
  while (first < alignments_.size() && alignments_[first].start == alignments_[first].end) {
    ++first;
  }
  if (first == alignments_.size()) first = alignments_.size();
  TransformRange(first, alignments_.size(), dest, initial_offset);
}

void NormalizedString::MapBytes(const char32_t* table) {
  if (!alignments_.empty() && alignments_[0].start == alignments_[0].end) {
    // Text that starts with characters of no original width: Transform's range rules apply.
    std::vector<CharChange> dest;
    for (size_t i = 0; i < normalized_.size();) {
      size_t n = Utf8SequenceLength(static_cast<unsigned char>(normalized_[i]));
      for (size_t k = 0; k < n && i + k < normalized_.size(); ++k) {
        dest.push_back({table[static_cast<unsigned char>(normalized_[i + k])], k == 0 ? 0 : 1});
      }
      i += n;
    }
    Transform(dest, 0);
    return;
  }
  std::string text;
  std::vector<Alignment> aligns;
  text.reserve(normalized_.size() * 2);
  aligns.reserve(normalized_.size() * 2);
  for (size_t i = 0; i < normalized_.size(); ++i) {
    char32_t c = table[static_cast<unsigned char>(normalized_[i])];
    if (c < 0x80) {
      text.push_back(static_cast<char>(c));
      aligns.push_back(alignments_[i]);
    } else {
      text.push_back(static_cast<char>(0xC0 | (c >> 6)));
      text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      aligns.push_back(alignments_[i]);
      aligns.push_back(alignments_[i]);
    }
  }
  normalized_ = std::move(text);
  alignments_ = std::move(aligns);
}

void NormalizedString::Filter(bool (*keep)(char32_t)) {
  std::vector<CharChange> dest;
  bool removed_any = false;
  size_t removed_start = 0;
  int removed = 0;
  bool have_last = false;
  char32_t last = 0;
  for (size_t i = 0; i < normalized_.size();) {
    char32_t c = DecodeUtf8(normalized_, &i);
    if (keep(c)) {
      if (have_last) {
        dest.push_back({last, -removed});
      } else {
        removed_start = static_cast<size_t>(removed);
      }
      last = c;
      have_last = true;
      removed = 0;
    } else {
      ++removed;
      removed_any = true;
    }
  }
  if (!removed_any) return;
  if (have_last) dest.push_back({last, -removed});
  Transform(dest, removed_start);
}

void NormalizedString::Map(char32_t (*map)(char32_t)) {
  std::vector<CharChange> dest;
  bool same_size = true, changed = false;
  for (size_t i = 0; i < normalized_.size();) {
    char32_t c = DecodeUtf8(normalized_, &i);
    char32_t m = map(c);
    changed |= m != c;
    same_size &= Utf8Length(m) == Utf8Length(c);
    dest.push_back({m, 0});
  }
  if (!changed) return;
  if (same_size) {  // every byte keeps its alignment: rewrite in place
    std::string text;
    text.reserve(normalized_.size());
    for (const CharChange& cc : dest) AppendUtf8(cc.c, &text);
    normalized_ = std::move(text);
    return;
  }
  Transform(dest, 0);
}

void NormalizedString::Lowercase() {
  bool ascii = true;
  for (char ch : normalized_) ascii &= static_cast<unsigned char>(ch) < 0x80;
  if (ascii) {
    for (char& ch : normalized_) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    }
    return;
  }
  std::vector<CharChange> dest;
  std::vector<char32_t> lower;
  bool in_place = true, changed = false;
  for (size_t i = 0; i < normalized_.size();) {
    char32_t c = DecodeUtf8(normalized_, &i);
    lower.clear();
    AppendLowercase(c, &lower);
    for (size_t k = 0; k < lower.size(); ++k) dest.push_back({lower[k], k == 0 ? 0 : 1});
    changed |= lower.size() != 1 || lower[0] != c;
    in_place &= lower.size() == 1 && Utf8Length(lower[0]) == Utf8Length(c);
  }
  if (!changed) return;
  if (in_place) {
    std::string text;
    text.reserve(normalized_.size());
    for (const CharChange& cc : dest) AppendUtf8(cc.c, &text);
    normalized_ = std::move(text);
    return;
  }
  Transform(dest, 0);
}

void NormalizedString::Normalize(NormalizationForm form) {
  std::vector<CharChange> dest;
  if (tokenizers::Normalize(normalized_, form, &dest)) Transform(dest, 0);
}

void NormalizedString::Prepend(std::string_view prefix) {
  if (normalized_.empty() || prefix.empty()) return;
  size_t i = 0;
  char32_t first = DecodeUtf8(normalized_, &i);
  std::vector<CharChange> dest;
  for (size_t k = 0; k < prefix.size();) {
    char32_t c = DecodeUtf8(prefix, &k);
    dest.push_back({c, dest.empty() ? 0 : 1});
  }
  dest.push_back({first, 1});
  TransformRange(0, i, dest, 0);
}

Status NormalizedString::Replace(const Pattern& pattern, std::string_view content) {
  std::vector<PatternSpan> spans;
  IA_RETURN_IF_ERROR(pattern.FindMatches(normalized_, &spans));
  std::vector<CharChange> dest;
  for (size_t k = 0; k < content.size();) dest.push_back({DecodeUtf8(content, &k), 1});
  long long shift = 0;  // how much earlier replacements grew (or shrank) the text
  for (const PatternSpan& span : spans) {
    if (!span.is_match) continue;
    size_t start = static_cast<size_t>(std::max<long long>(0, span.start + shift));
    size_t end = static_cast<size_t>(std::max<long long>(0, span.end + shift));
    size_t removed_chars = CountChars(std::string_view(normalized_).substr(start, end - start));
    TransformRange(start, end, dest, removed_chars);
    shift += static_cast<long long>(content.size()) - static_cast<long long>(span.end - span.start);
  }
  return Status::Ok();
}

void NormalizedString::Strip(bool left, bool right) {
  std::vector<char32_t> chars;
  for (size_t i = 0; i < normalized_.size();) chars.push_back(DecodeUtf8(normalized_, &i));
  size_t leading = 0, trailing = 0;
  if (left) {
    while (leading < chars.size() && IsWhitespace(chars[leading])) ++leading;
  }
  if (right) {
    while (trailing < chars.size() - leading && IsWhitespace(chars[chars.size() - 1 - trailing])) {
      ++trailing;
    }
  }
  if (leading == 0 && trailing == 0) return;
  std::vector<CharChange> dest;
  size_t n = chars.size();
  for (size_t i = 0; i < n; ++i) {
    if (i < leading || i >= n - trailing) continue;
    dest.push_back({chars[i], i == n - trailing - 1 ? -static_cast<int>(trailing) : 0});
  }
  Transform(dest, leading);
}

Status NormalizedString::Split(const Pattern& pattern, SplitBehavior behavior, bool invert,
                               std::vector<NormalizedString>* out) const {
  std::vector<PatternSpan> spans;
  IA_RETURN_IF_ERROR(pattern.FindMatches(normalized_, &spans));
  if (invert) {
    for (PatternSpan& s : spans) s.is_match = !s.is_match;
  }
  struct Piece {
    size_t start, end;
    bool remove;
  };
  std::vector<Piece> pieces;
  pieces.reserve(spans.size());
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const PatternSpan& s : spans) pieces.push_back({s.start, s.end, false});
      break;
    case SplitBehavior::kRemoved:
      for (const PatternSpan& s : spans) pieces.push_back({s.start, s.end, s.is_match});
      break;
    case SplitBehavior::kContiguous: {
      bool previous = false;
      for (const PatternSpan& s : spans) {
        if (s.is_match == previous && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.start, s.end, false});
        }
        previous = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous = false;
      for (const PatternSpan& s : spans) {
        if (s.is_match && !previous && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.start, s.end, false});
        }
        previous = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous && !pieces.empty()) {
          pieces.back().start = it->start;
        } else {
          pieces.push_back({it->start, it->end, false});
        }
        previous = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    }
  }
  for (const Piece& p : pieces) {
    if (p.remove) continue;
    out->emplace_back();
    if (!Slice(p.start, p.end, &out->back())) {
      return Status::InvalidArgument("a split of \"" + normalized_ + "\" at bytes [" +
                                     std::to_string(p.start) + ", " + std::to_string(p.end) +
                                     ") is not on character boundaries");
    }
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::models::tokenizers
