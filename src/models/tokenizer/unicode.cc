#include "models/tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "models/tokenizer/unicode_tables.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

bool InRanges(const CodeRange* ranges, size_t n, char32_t c) {
  const CodeRange* end = ranges + n;
  const CodeRange* it =
      std::upper_bound(ranges, end, c, [](char32_t v, const CodeRange& r) { return v < r.first; });
  return it != ranges && c <= (it - 1)->last;
}

// A set of code points: a bitmap for the Basic Multilingual Plane, the ranges above it.
class RangeSet {
 public:
  RangeSet(const CodeRange* ranges, size_t n) : ranges_(ranges), n_(n) {
    for (size_t i = 0; i < n; ++i) {
      for (char32_t c = ranges[i].first; c <= ranges[i].last && c < 0x10000; ++c) {
        bits_[c >> 6] |= uint64_t{1} << (c & 63);
      }
    }
  }
  bool Contains(char32_t c) const {
    if (c < 0x10000) return (bits_[c >> 6] >> (c & 63)) & 1;
    return InRanges(ranges_, n_, c);
  }

 private:
  const CodeRange* ranges_;
  size_t n_;
  uint64_t bits_[0x10000 / 64] = {};
};

utf8proc_category_t Category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

bool IsLetter(utf8proc_category_t cat) {
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

bool IsMark(utf8proc_category_t cat) {
  return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

// Other_Alphabetic symbols: circled and squared Latin letters (Alphabetic, yet So).
bool IsAlphabeticSymbol(char32_t c) {
  return (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
         (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189);
}

bool IsAlphabetic(char32_t c) {
  utf8proc_category_t cat = Category(c);
  return IsLetter(cat) || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_MN ||
         cat == UTF8PROC_CATEGORY_MC || IsAlphabeticSymbol(c);
}

int CombiningClass(char32_t c) {
  if (c < 0x300) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

constexpr char32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr int kHangulVCount = 21, kHangulTCount = 28, kHangulSCount = 11172;

uint64_t PairKey(char32_t a, char32_t b) { return (uint64_t{a} << 32) | b; }

// The canonical compositions (a, b) -> c of every primary composite but Hangul, derived from
// utf8proc once: c composes back from its decomposition (NFC(c) == c), and its first-level pair
// is (NFC of all but the last decomposed character, the last one).
struct CompositionData {
  std::unordered_map<uint64_t, char32_t> pairs;
  std::unordered_set<char32_t> seconds;     // characters that compose with the one before
  std::unordered_set<char32_t> composites;  // characters that compositions produce
};

const CompositionData& Compositions() {
  static const CompositionData data = [] {
    // STABLE leaves composition exclusions decomposed.
    constexpr auto kCompose = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    CompositionData d;
    utf8proc_int32_t buf[8];
    for (utf8proc_int32_t c = 0xC0; c <= 0x10FFFF; ++c) {
      if (c >= static_cast<utf8proc_int32_t>(kHangulS) &&
          c < static_cast<utf8proc_int32_t>(kHangulS + kHangulSCount)) {
        continue;
      }
      const utf8proc_property_t* p = utf8proc_get_property(c);
      if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0) continue;
      int last_boundclass = 0;
      utf8proc_ssize_t n = utf8proc_decompose_char(c, buf, 8, UTF8PROC_DECOMPOSE, &last_boundclass);
      if (n < 2 || n > 8) continue;
      utf8proc_int32_t composed[8];
      std::copy(buf, buf + n, composed);
      utf8proc_ssize_t m2 = utf8proc_normalize_utf32(composed, n, kCompose);
      if (m2 != 1 || composed[0] != c) continue;  // excluded from composition, or a singleton
      std::copy(buf, buf + n - 1, composed);
      utf8proc_ssize_t first_len = utf8proc_normalize_utf32(composed, n - 1, kCompose);
      if (first_len != 1) continue;
      char32_t second = static_cast<char32_t>(buf[n - 1]);
      d.pairs.emplace(PairKey(static_cast<char32_t>(composed[0]), second),
                      static_cast<char32_t>(c));
      d.seconds.insert(second);
      d.composites.insert(static_cast<char32_t>(c));
    }
    return d;
  }();
  return data;
}

// Whether `form` leaves `c` as it is whatever surrounds it: a starter that does not decompose
// (under the form) and that no composition takes as its second character.
bool IsInertSlow(char32_t c, NormalizationForm form) {
  bool compose = form == NormalizationForm::kNfc || form == NormalizationForm::kNfkc;
  if (c >= kHangulS && c < kHangulS + kHangulSCount) return compose;
  if ((c >= kHangulV && c < kHangulV + kHangulVCount) ||
      (c > kHangulT && c < kHangulT + kHangulTCount)) {
    return !compose;
  }
  if (CombiningClass(c) != 0) return false;
  if (compose && Compositions().seconds.count(c)) return false;
  // The character alone, normalized by utf8proc: unchanged?
  utf8proc_option_t options = static_cast<utf8proc_option_t>(
      UTF8PROC_STABLE | (compose ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE) |
      (form == NormalizationForm::kNfkc || form == NormalizationForm::kNfkd ? UTF8PROC_COMPAT : 0));
  utf8proc_int32_t buf[32];
  int last_boundclass = 0;
  utf8proc_ssize_t n =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32, options, &last_boundclass);
  if (n <= 0 || n > 32) return false;
  if (compose) n = utf8proc_normalize_utf32(buf, n, options);
  return n == 1 && buf[0] == static_cast<utf8proc_int32_t>(c);
}

// IsInertSlow for the Basic Multilingual Plane, one bitmap per form.
struct InertBits {
  uint64_t bits[4][0x10000 / 64] = {};
};

bool IsInert(char32_t c, NormalizationForm form) {
  if (c < 0x80) return true;
  if (c >= 0x10000) return IsInertSlow(c, form);
  static const InertBits inert = [] {
    InertBits b;
    for (int f = 0; f < 4; ++f) {
      for (char32_t x = 0; x < 0x10000; ++x) {
        if ((x < 0xD800 || x > 0xDFFF) && IsInertSlow(x, static_cast<NormalizationForm>(f))) {
          b.bits[f][x >> 6] |= uint64_t{1} << (x & 63);
        }
      }
    }
    return b;
  }();
  return (inert.bits[static_cast<int>(form)][c >> 6] >> (c & 63)) & 1;
}

bool Compose(char32_t a, char32_t b, char32_t* out) {
  if (a >= kHangulL && a < kHangulL + 19 && b >= kHangulV && b < kHangulV + kHangulVCount) {
    *out = kHangulS + ((a - kHangulL) * kHangulVCount + (b - kHangulV)) * kHangulTCount;
    return true;
  }
  if (a >= kHangulS && a < kHangulS + kHangulSCount && (a - kHangulS) % kHangulTCount == 0 &&
      b > kHangulT && b < kHangulT + kHangulTCount) {
    *out = a + (b - kHangulT);
    return true;
  }
  if (b < 0x300) return false;  // no composition has a second character below U+0300
  const auto& pairs = Compositions().pairs;
  auto it = pairs.find(PairKey(a, b));
  if (it == pairs.end()) return false;
  *out = it->second;
  return true;
}

struct Decomposed {
  char32_t c;
  int change;
  int ccc;
};

// Canonical or compatibility decomposition with stable canonical ordering of each run of
// non-starters, keeping every character's change.
void Decompose(std::string_view s, bool compat, std::vector<Decomposed>* out) {
  utf8proc_int32_t buf[32];
  utf8proc_option_t options =
      compat ? static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT)
             : UTF8PROC_DECOMPOSE;
  size_t run_start = 0;  // first non-starter of the current run
  auto flush_run = [&] {
    std::stable_sort(out->begin() + run_start, out->end(),
                     [](const Decomposed& x, const Decomposed& y) { return x.ccc < y.ccc; });
  };
  for (size_t i = 0; i < s.size();) {
    char32_t c = DecodeUtf8(s, &i);
    int last_boundclass = 0;
    // Nothing below U+00A0 decomposes (U+00A0..U+00BF only under compatibility).
    utf8proc_ssize_t n = c < 0xA0 ? 0
                                  : utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf,
                                                            32, options, &last_boundclass);
    if (n <= 0 || n > 32) {
      buf[0] = static_cast<utf8proc_int32_t>(c);
      n = 1;
    }
    for (utf8proc_ssize_t j = 0; j < n; ++j) {
      char32_t d = static_cast<char32_t>(buf[j]);
      int ccc = CombiningClass(d);
      if (ccc == 0) {
        flush_run();
        out->push_back({d, j == 0 ? 0 : 1, 0});
        run_start = out->size();
      } else {
        out->push_back({d, j == 0 ? 0 : 1, ccc});
      }
    }
  }
  flush_run();
}

// Canonical composition over decomposed characters: a character composed into the starter
// before it adds its change, minus one, to the starter's.
void Recompose(const std::vector<Decomposed>& in, std::vector<CharChange>* out) {
  bool have_composee = false;
  CharChange composee{};
  int last_ccc = -1;  // -1: nothing blocked since the composee
  std::vector<CharChange> blocked;
  auto flush = [&] {
    out->push_back(composee);
    out->insert(out->end(), blocked.begin(), blocked.end());
    blocked.clear();
  };
  for (const Decomposed& d : in) {
    if (!have_composee) {
      if (d.ccc != 0) {
        out->push_back({d.c, d.change});
        continue;
      }
      composee = {d.c, d.change};
      have_composee = true;
      continue;
    }
    char32_t r;
    if (last_ccc < 0) {
      if (Compose(composee.c, d.c, &r)) {
        composee = {r, composee.change + d.change - 1};
        continue;
      }
      if (d.ccc == 0) {
        out->push_back(composee);
        composee = {d.c, d.change};
        continue;
      }
      last_ccc = d.ccc;
      blocked.push_back({d.c, d.change});
      continue;
    }
    if (last_ccc >= d.ccc) {
      if (d.ccc == 0) {
        flush();
        composee = {d.c, d.change};
        last_ccc = -1;
        continue;
      }
      last_ccc = d.ccc;
      blocked.push_back({d.c, d.change});
      continue;
    }
    if (Compose(composee.c, d.c, &r)) {
      composee = {r, composee.change + d.change - 1};
      continue;
    }
    last_ccc = d.ccc;
    blocked.push_back({d.c, d.change});
  }
  if (have_composee) flush();
}

}  // namespace

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

namespace {

// The length of the well-formed sequence at s[i], or of its maximal ill-formed subpart
// (at least 1) with *valid false (Unicode 3.9, table 3-7).
size_t ScanSequence(std::string_view s, size_t i, bool* valid) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = at(i);
  *valid = false;
  if (b < 0x80) {
    *valid = true;
    return 1;
  }
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) return k;
    unsigned char c = at(i + k);
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (c < l || c > h) return k;
  }
  *valid = true;
  return need + 1;
}

}  // namespace

size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // Eight ASCII bytes at a time: most text is mostly ASCII.
    while (i + 8 <= s.size()) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= s.size()) break;
    bool valid;
    size_t n = ScanSequence(s, i, &valid);
    if (!valid) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string LossyUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    bool valid;
    size_t n = ScanSequence(bytes, i, &valid);
    if (valid) {
      out.append(bytes.substr(i, n));
    } else {
      out.append("\xEF\xBF\xBD");
    }
    i += n;
  }
  return out;
}

size_t CountChars(std::string_view s) {
  size_t n = 0;
  for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

bool IsWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsBertCleaned(char32_t c) {
  if (c < 0x80) return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  static const RangeSet set(kBertCleanedChars, kBertCleanedCharsSize);
  return set.Contains(c);
}

bool IsStripAccentsMark(char32_t c) {
  if (c < 0x300) return false;
  static const RangeSet set(kStripAccentsMarks, kStripAccentsMarksSize);
  return set.Contains(c);
}

bool IsBertAccentMark(char32_t c) {
  if (c < 0x300) return false;
  static const RangeSet set(kBertAccentMarks, kBertAccentMarksSize);
  return set.Contains(c);
}

bool IsPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  static const RangeSet set(kPunctuation, kPunctuationSize);
  return set.Contains(c);
}

bool IsNumeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  utf8proc_category_t cat = Category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool IsAlphanumeric(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  return IsAlphabetic(c) || IsNumeric(c);
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
  }
  if (c == 0x200C || c == 0x200D) return true;
  utf8proc_category_t cat = Category(c);
  return IsLetter(cat) || IsMark(cat) || cat == UTF8PROC_CATEGORY_ND ||
         cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_PC || IsAlphabeticSymbol(c);
}

bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void AppendLowercase(char32_t c, std::vector<char32_t>* out) {
  if (c < 0x80) {
    out->push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
  } else if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE
    out->push_back('i');
    out->push_back(0x307);
  } else {
    out->push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
}

bool Normalize(std::string_view s, NormalizationForm form, std::vector<CharChange>* out) {
  out->clear();
  // Below U+00C0 nothing decomposes or composes (U+00A0 and others only under compatibility).
  unsigned char limit = form == NormalizationForm::kNfc || form == NormalizationForm::kNfd
                            ? 0xC3
                            : 0xC2;  // lead bytes of U+00C0 and U+0080
  bool simple = true;
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= limit) {
      simple = false;
      break;
    }
  }
  if (simple) return false;
  // Text splits before every inert character into parts that normalize independently: only
  // the parts with other characters need the work.
  bool compat = form == NormalizationForm::kNfkc || form == NormalizationForm::kNfkd;
  bool compose = form == NormalizationForm::kNfc || form == NormalizationForm::kNfkc;
  bool any = false;
  std::vector<Decomposed> decomposed;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t c = DecodeUtf8(s, &i);
    bool inert = IsInert(c, form);
    size_t end = i;
    while (end < s.size()) {
      size_t next = end;
      if (IsInert(DecodeUtf8(s, &next), form)) break;
      end = next;
    }
    if (inert && end == i) {
      out->push_back({c, 0});
      continue;
    }
    any = true;
    decomposed.clear();
    Decompose(s.substr(start, end - start), compat, &decomposed);
    if (compose) {
      Recompose(decomposed, out);
    } else {
      for (const Decomposed& d : decomposed) out->push_back({d.c, d.change});
    }
    i = end;
  }
  if (!any) {
    out->clear();
    return false;
  }
  // Unchanged text (the same characters, so every change is 0) needs no transform.
  size_t i = 0;
  for (const CharChange& cc : *out) {
    if (i >= s.size() || DecodeUtf8(s, &i) != cc.c) return true;
  }
  if (i != s.size()) return true;
  out->clear();
  return false;
}

}  // namespace ipfs_accelerate::models::tokenizers
