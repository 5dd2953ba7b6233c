#include "models/tokenizer/normalization.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

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
