// The result of tokenizing a text: ids and what a model and a user need beside them, and the
// truncation and padding applied to it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models {

// Offsets of a token in the text it came from: [start, end), in characters (code points) or in
// bytes as the caller asked; special and padding tokens have [0, 0).
using TokenOffsets = std::pair<size_t, size_t>;

// kChar counts code points, as the Hugging Face tokenizers report offsets to Python and
// JavaScript; kByte counts UTF-8 bytes.
enum class OffsetUnit { kChar, kByte };

struct Encoding {
  static constexpr int64_t kNoWord = -1;

  std::vector<uint32_t> ids;
  std::vector<uint32_t> type_ids;
  std::vector<std::string> tokens;
  std::vector<TokenOffsets> offsets;
  std::vector<uint32_t> special_tokens_mask;  // 1 for added special and padding tokens
  std::vector<uint32_t> attention_mask;       // 0 for padding
  std::vector<int64_t> words;                 // the pre-token each token came from, or kNoWord

  size_t size() const { return ids.size(); }
  // Appends one token.
  void Push(uint32_t id, std::string token, TokenOffsets offsets, int64_t word, uint32_t type_id,
            bool special);
  // Appends `other`.
  void Append(const Encoding& other);
  // Sets every type id to `type_id`.
  void SetTypeIds(uint32_t type_id);
};

enum class TruncationStrategy { kLongestFirst, kOnlyFirst, kOnlySecond };
enum class Direction { kRight, kLeft };

struct TruncationParams {
  size_t max_length = 512;
  size_t stride = 0;
  TruncationStrategy strategy = TruncationStrategy::kLongestFirst;
  Direction direction = Direction::kRight;
};

// The longest an encoding is padded to (a guard against files asking for absurd lengths).
inline constexpr size_t kMaxPaddedLength = size_t{1} << 20;

struct PaddingParams {
  bool fixed = false;  // false: pad to the longest of the batch (one text: itself)
  size_t length = 0;   // with `fixed`
  size_t pad_to_multiple_of = 0;
  Direction direction = Direction::kRight;
  uint32_t pad_id = 0;
  uint32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

// Keeps `max_length` tokens of `encoding`: the first ones, or the last ones with kLeft. The
// reference also keeps what was cut off, as windows overlapping by `stride` tokens; they are
// not kept here (nothing reads them), but a stride the reference refuses (stride >= max_length >
// 0) is refused the same way (kInvalidArgument).
Status Truncate(Encoding* encoding, size_t max_length, size_t stride, Direction direction);

// Truncates a text, or a pair of texts, to `params.max_length` tokens in all, as the reference's
// truncate_encodings does; `pair` may be null.
Status TruncateEncodings(Encoding* encoding, Encoding* pair, const TruncationParams& params);

// Pads `encoding` to `target` tokens (never shortens it).
void Pad(Encoding* encoding, size_t target, const PaddingParams& params);

// Pads every encoding of a batch as `params` says.
void PadBatch(std::vector<Encoding>* batch, const PaddingParams& params);

// {"ids", "tokens", "offsets" ([start, end] pairs), "attention_mask", "type_ids",
// "special_tokens_mask", "words" (null for none)}: what `ipfs-accelerate tokenize --json` prints.
nlohmann::json ToJson(const Encoding& encoding);

// Token ids written as `tokenize` prints them: decimal numbers separated by spaces, commas, or
// brackets ("101 2023 102", "[101, 2023, 102]"). kInvalidArgument naming what is not an id.
Result<std::vector<uint32_t>> ParseTokenIds(std::string_view text);

}  // namespace ipfs_accelerate::models
