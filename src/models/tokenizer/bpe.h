// Byte-pair encoding: a word starts as its characters (or, with byte_fallback, the <0xNN> tokens
// of unknown ones) and the adjacent pair with the lowest merge rank is merged until none is left,
// exactly as the reference orders equal ranks (leftmost first). Words already seen come from a
// bounded cache.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/tokenizer/model.h"

namespace ipfs_accelerate::models::tokenizers {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::optional<std::string> continuing_subword_prefix;
  std::optional<std::string> end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;  // a word that is itself in the vocabulary is one token
};

class Bpe : public Model {
 public:
  // `merges` in rank order; each pair and its concatenation (the second part without the
  // continuing_subword_prefix) must be in `vocab`. kInvalidArgument naming the merge otherwise.
  static Result<std::unique_ptr<Bpe>> Create(
      Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
      BpeOptions options);

  Status Tokenize(std::string_view text, std::vector<Token>* out) const override;
  std::optional<uint32_t> TokenToId(std::string_view token) const override {
    return vocab_.Find(token);
  }
  const std::string* IdToToken(uint32_t id) const override { return vocab_.Token(id); }
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  struct Piece {
    uint32_t id;
    uint32_t len;  // bytes of the word
  };
  Bpe(Vocab vocab, BpeOptions options) : vocab_(std::move(vocab)), options_(std::move(options)) {}
  // The merged pieces of `word`.
  Status MergeWord(std::string_view word, std::vector<Piece>* out) const;
  void MergeAll(std::vector<Piece>* pieces) const;
  // MergeAll for short words: scans the ranks of the adjacent pairs instead of keeping a heap
  // (the same order: lowest rank, then leftmost).
  void MergeShort(std::vector<Piece>* pieces) const;

  Vocab vocab_;
  BpeOptions options_;
  std::optional<uint32_t> unk_id_;
  uint32_t byte_ids_[256];  // <0xNN> ids, UINT32_MAX when absent
  // (left id, right id) -> (rank, merged id), open addressing: looked up for every adjacent pair
  // of every new word.
  struct Merge {
    uint64_t pair;
    uint32_t rank;  // kNoRank: an empty slot
    uint32_t new_id;
  };
  static constexpr uint32_t kNoRank = UINT32_MAX;
  static constexpr size_t kShortWord = 48;
  void AddMerge(uint64_t pair, uint32_t rank, uint32_t new_id);
  const Merge* FindMerge(uint32_t left, uint32_t right) const {
    uint64_t pair = (uint64_t{left} << 32) | right;
    for (size_t i = (pair * 0x9E3779B97F4A7C15ULL) >> merge_shift_;; i = (i + 1) & merge_mask_) {
      const Merge& m = merge_slots_[i];
      if (m.rank == kNoRank) return nullptr;
      if (m.pair == pair) return &m;
    }
  }
  std::vector<Merge> merge_slots_;
  size_t merge_mask_ = 0;
  int merge_shift_ = 64;

  // Words seen, up to kCacheCapacity of at most kCacheWordBytes bytes each (the reference's
  // bounds). Shared by the threads encoding with this model; a busy lock skips the cache.
  static constexpr size_t kCacheCapacity = 10000;
  static constexpr size_t kCacheWordBytes = 256;
  mutable std::mutex cache_mu_;
  mutable StringIndex cache_index_;  // word -> index into cache_entries_
  mutable std::vector<std::pair<uint32_t, uint32_t>> cache_entries_;  // (first piece, count)
  mutable std::vector<Piece> cache_pieces_;
};

Result<std::unique_ptr<Model>> ParseBpe(const nlohmann::json& j, const std::string& path);

}  // namespace ipfs_accelerate::models::tokenizers
