#include "models/tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

}  // namespace

void Bpe::AddMerge(uint64_t pair, uint32_t rank, uint32_t new_id) {
  for (size_t i = (pair * 0x9E3779B97F4A7C15ULL) >> merge_shift_;; i = (i + 1) & merge_mask_) {
    Merge& m = merge_slots_[i];
    if (m.rank == kNoRank || m.pair == pair) {  // a pair listed twice keeps its last rank
      m = {pair, rank, new_id};
      return;
    }
  }
}

Result<std::unique_ptr<Bpe>> Bpe::Create(
    Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
    BpeOptions options) {
  std::unique_ptr<Bpe> bpe(new Bpe(std::move(vocab), std::move(options)));
  const Vocab& v = bpe->vocab_;
  size_t prefix_len =
      bpe->options_.continuing_subword_prefix ? bpe->options_.continuing_subword_prefix->size() : 0;
  size_t slots = 16;
  while (slots < merges.size() * 2) slots *= 2;  // at most half full
  bpe->merge_slots_.assign(slots, Merge{0, kNoRank, 0});
  bpe->merge_mask_ = slots - 1;
  bpe->merge_shift_ = 64 - __builtin_ctzll(slots);
  std::string merged;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& a = merges[rank].first;
    const std::string& b = merges[rank].second;
    auto where = [&] { return "merges[" + std::to_string(rank) + "] \"" + a + " " + b + "\": "; };
    auto a_id = v.Find(a);
    if (!a_id) return Status::InvalidArgument(where() + "\"" + a + "\" is not in the vocabulary");
    auto b_id = v.Find(b);
    if (!b_id) return Status::InvalidArgument(where() + "\"" + b + "\" is not in the vocabulary");
    if (b.size() < prefix_len ||
        (prefix_len > 0 && (static_cast<unsigned char>(b[prefix_len]) & 0xC0) == 0x80)) {
      return Status::InvalidArgument(where() + "\"" + b +
                                     "\" is shorter than the continuing_subword_prefix");
    }
    merged.assign(a);
    merged.append(b, prefix_len);
    auto new_id = v.Find(merged);
    if (!new_id) {
      return Status::InvalidArgument(where() + "the merged token \"" + merged +
                                     "\" is not in the vocabulary");
    }
    // A pair listed twice keeps its last rank, as the reference's map does.
    bpe->AddMerge(PairKey(*a_id, *b_id), static_cast<uint32_t>(rank), *new_id);
  }
  if (bpe->options_.unk_token) bpe->unk_id_ = v.Find(*bpe->options_.unk_token);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto id = v.Find(name);
    bpe->byte_ids_[b] = id ? *id : UINT32_MAX;
  }
  return bpe;
}

Status Bpe::MergeWord(std::string_view word, std::vector<Piece>* out) const {
  out->clear();
  const std::string& prefix =
      options_.continuing_subword_prefix ? *options_.continuing_subword_prefix : std::string();
  const std::string& suffix =
      options_.end_of_word_suffix ? *options_.end_of_word_suffix : std::string();
  bool have_unk = false;
  Piece unk{0, 0};
  std::string key;
  for (size_t i = 0; i < word.size();) {
    size_t start = i;
    i += Utf8SequenceLength(static_cast<unsigned char>(word[i]));
    i = std::min(i, word.size());
    uint32_t len = static_cast<uint32_t>(i - start);
    std::string_view ch = word.substr(start, len);
    std::string_view lookup = ch;
    if ((start > 0 && !prefix.empty()) || (i == word.size() && !suffix.empty())) {
      key.clear();
      if (start > 0) key += prefix;
      key += ch;
      if (i == word.size()) key += suffix;
      lookup = key;
    }
    if (auto id = vocab_.Find(lookup)) {
      if (have_unk) {
        out->push_back(unk);
        have_unk = false;
      }
      out->push_back({*id, len});
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (char b : lookup) all &= byte_ids_[static_cast<unsigned char>(b)] != UINT32_MAX;
      if (all) {
        // As the reference: every byte of the looked-up text, prefix and suffix included, one
        // byte of the word each (a pending unknown token is not flushed first).
        for (char b : lookup) out->push_back({byte_ids_[static_cast<unsigned char>(b)], 1});
        continue;
      }
    }
    if (options_.unk_token) {
      if (!unk_id_) {
        return Status::InvalidArgument("BPE: the unknown token \"" + *options_.unk_token +
                                       "\" is not in the vocabulary");
      }
      if (have_unk && options_.fuse_unk) {
        unk.len += len;
      } else {
        if (have_unk) out->push_back(unk);
        unk = {*unk_id_, len};
        have_unk = true;
      }
    }
    // Without an unknown token the character is dropped, as the reference does.
  }
  if (have_unk) out->push_back(unk);
  MergeAll(out);
  return Status::Ok();
}

void Bpe::MergeShort(std::vector<Piece>* pieces) const {
  std::vector<Piece>& p = *pieces;
  // ranks[i]: the rank of (p[i], p[i + 1]), kNoRank when they do not merge.
  uint32_t ranks[kShortWord];
  uint32_t new_ids[kShortWord];
  size_t n = p.size();
  auto rank_at = [&](size_t i) {
    const Merge* m = FindMerge(p[i].id, p[i + 1].id);
    ranks[i] = m ? m->rank : kNoRank;
    new_ids[i] = m ? m->new_id : 0;
  };
  for (size_t i = 0; i + 1 < n; ++i) rank_at(i);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i) {
      if (ranks[i] < ranks[best]) best = i;
    }
    if (ranks[best] == kNoRank) break;
    p[best] = {new_ids[best], p[best].len + p[best + 1].len};
    p.erase(p.begin() + best + 1);
    if (best + 2 < n) {  // the pairs right of the merged one move one place left
      std::copy(ranks + best + 2, ranks + n - 1, ranks + best + 1);
      std::copy(new_ids + best + 2, new_ids + n - 1, new_ids + best + 1);
    }
    --n;
    if (best + 1 < n) rank_at(best);
    if (best > 0) rank_at(best - 1);
  }
}

void Bpe::MergeAll(std::vector<Piece>* pieces) const {
  const size_t n = pieces->size();
  if (n < 2) return;
  if (n <= kShortWord) return MergeShort(pieces);
  struct Symbol {
    uint32_t id;
    uint32_t len;  // 0: merged into the symbol on its left
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    uint32_t rank;
    uint32_t pos;
    uint32_t new_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<Symbol> symbols(n);
  for (size_t i = 0; i < n; ++i) {
    symbols[i] = {(*pieces)[i].id, (*pieces)[i].len, static_cast<int32_t>(i) - 1,
                  i + 1 < n ? static_cast<int32_t>(i + 1) : -1};
  }
  std::vector<Candidate> heap_storage;
  heap_storage.reserve(n);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue(
      std::greater<Candidate>(), std::move(heap_storage));
  for (size_t i = 0; i + 1 < n; ++i) {
    if (const Merge* m = FindMerge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({m->rank, static_cast<uint32_t>(i), m->new_id});
    }
  }
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next == -1) continue;
    Symbol right = symbols[left.next];
    const Merge* m = FindMerge(left.id, right.id);
    if (!m || m->new_id != top.new_id) continue;  // a stale entry
    int32_t right_pos = left.next;
    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    symbols[right_pos].len = 0;
    if (right.next >= 0) symbols[right.next].prev = static_cast<int32_t>(top.pos);
    if (left.prev >= 0) {
      if (const Merge* p = FindMerge(symbols[left.prev].id, left.id)) {
        queue.push({p->rank, static_cast<uint32_t>(left.prev), p->new_id});
      }
    }
    if (left.next >= 0) {
      if (const Merge* p = FindMerge(left.id, symbols[left.next].id)) {
        queue.push({p->rank, top.pos, p->new_id});
      }
    }
  }
  pieces->clear();
  for (const Symbol& s : symbols) {
    if (s.len != 0) pieces->push_back({s.id, s.len});
  }
}

Status Bpe::Tokenize(std::string_view text, std::vector<Token>* out) const {
  if (text.empty()) return Status::Ok();
  if (options_.ignore_merges) {
    if (auto id = vocab_.Find(text)) {
      out->push_back({*id, std::string(text), 0, text.size()});
      return Status::Ok();
    }
  }
  auto emit = [&](const std::vector<Piece>& pieces) {
    size_t pos = 0;
    for (const Piece& p : pieces) {
      const std::string* token = vocab_.Token(p.id);
      out->push_back({p.id, token ? *token : std::string(), pos, pos + p.len});
      pos += p.len;
    }
  };
  {
    std::unique_lock<std::mutex> lock(cache_mu_, std::try_to_lock);
    if (lock.owns_lock()) {
      if (auto entry = cache_index_.Find(text)) {
        auto [first, count] = cache_entries_[*entry];
        size_t pos = 0;
        for (size_t k = first; k < first + count; ++k) {
          const Piece& p = cache_pieces_[k];
          const std::string* token = vocab_.Token(p.id);
          out->push_back({p.id, token ? *token : std::string(), pos, pos + p.len});
          pos += p.len;
        }
        return Status::Ok();
      }
    }
  }
  std::vector<Piece> pieces;
  IA_RETURN_IF_ERROR(MergeWord(text, &pieces));
  emit(pieces);
  if (text.size() < kCacheWordBytes) {
    std::unique_lock<std::mutex> lock(cache_mu_, std::try_to_lock);
    if (lock.owns_lock() && cache_index_.size() < kCacheCapacity) {
      cache_index_.Set(text, static_cast<uint32_t>(cache_entries_.size()));
      cache_entries_.push_back(
          {static_cast<uint32_t>(cache_pieces_.size()), static_cast<uint32_t>(pieces.size())});
      cache_pieces_.insert(cache_pieces_.end(), pieces.begin(), pieces.end());
    }
  }
  return Status::Ok();
}

namespace {

Status ParseMerges(const nlohmann::json& j, const std::string& path,
                   std::vector<std::pair<std::string, std::string>>* merges) {
  if (!j.is_array()) return JsonTypeError(path, "an array of merges", j);
  merges->reserve(j.size());
  // All "a b" strings (the older form) or all [a, b] pairs, as the reference reads them.
  bool strings = !j.empty() && j[0].is_string();
  for (size_t i = 0; i < j.size(); ++i) {
    if (j[i].is_string() != strings) {
      return Status::InvalidArgument(path + "[" + std::to_string(i) +
                                     "]: the merges mix \"a b\" strings and [\"a\", \"b\"] "
                                     "pairs; write them all in one form");
    }
    const nlohmann::json& m = j[i];
    auto where = [&] { return path + "[" + std::to_string(i) + "]"; };
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return Status::InvalidArgument(where() + ": \"" + s +
                                       "\" is not two tokens separated by one space");
      }
      merges->emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges->emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return JsonTypeError(where(), "a string \"a b\" or a pair [\"a\", \"b\"]", m);
    }
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptionalString(const JsonObject& o, std::string_view key) {
  if (!o.Get(key)) return std::optional<std::string>();
  IA_ASSIGN_OR_RETURN(std::string s, o.String(key));
  return std::optional<std::string>(s);
}

}  // namespace

Result<std::unique_ptr<Model>> ParseBpe(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  BpeOptions options;
  IA_ASSIGN_OR_RETURN(options.unk_token, OptionalString(o, "unk_token"));
  IA_ASSIGN_OR_RETURN(options.continuing_subword_prefix,
                      OptionalString(o, "continuing_subword_prefix"));
  IA_ASSIGN_OR_RETURN(options.end_of_word_suffix, OptionalString(o, "end_of_word_suffix"));
  IA_ASSIGN_OR_RETURN(options.fuse_unk, o.BoolOr("fuse_unk", false));
  IA_ASSIGN_OR_RETURN(options.byte_fallback, o.BoolOr("byte_fallback", false));
  IA_ASSIGN_OR_RETURN(options.ignore_merges, o.BoolOr("ignore_merges", false));
  if (const nlohmann::json* d = o.Get("dropout")) {  // used in training only: checked, ignored
    if (!d->is_number() || d->get<double>() < 0 || d->get<double>() > 1) {
      return JsonTypeError(o.PathOf("dropout"), "a number between 0 and 1", *d);
    }
  }
  const nlohmann::json* v = o.Get("vocab");
  if (!v) return Status::InvalidArgument(o.PathOf("vocab") + ": missing");
  Vocab vocab;
  IA_RETURN_IF_ERROR(ParseVocabObject(*v, o.PathOf("vocab"), &vocab));
  std::vector<std::pair<std::string, std::string>> merges;
  if (const nlohmann::json* m = o.Get("merges")) {
    IA_RETURN_IF_ERROR(ParseMerges(*m, o.PathOf("merges"), &merges));
  } else {
    return Status::InvalidArgument(o.PathOf("merges") + ": missing");
  }
  auto bpe = Bpe::Create(std::move(vocab), merges, std::move(options));
  if (!bpe.ok()) return bpe.status().WithMessage(path + "." + bpe.status().message());
  return std::unique_ptr<Model>(std::move(bpe).value());
}

}  // namespace ipfs_accelerate::models::tokenizers
