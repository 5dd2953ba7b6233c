// Hugging Face tokenizers from their tokenizer.json: text to token ids (with tokens, offsets,
// type ids, attention and special-token masks) and ids back to text, matching the reference
// implementation (the `tokenizers` package) id for id and offset for offset.
//
//   auto tok = models::Tokenizer::Load("tokenizer.json");
//   auto enc = (*tok)->Encode("Hello world");   // enc->ids, enc->offsets, ...
//   auto text = (*tok)->Decode(enc->ids, /*skip_special_tokens=*/true);
//
// A text goes through: added tokens cut out, normalizer, pre-tokenizer, model, truncation,
// post-processor, padding — each configured by the file. Malformed files are errors naming the
// bad field; text that is not UTF-8 is an error; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/encoding.h"

namespace ipfs_accelerate::models {

namespace tokenizers {
class AddedVocabulary;
class Decoder;
class Model;
class Normalizer;
class PostProcessor;
class PreTokenizer;
}  // namespace tokenizers

struct EncodeOptions {
  bool add_special_tokens = true;  // what the post-processor adds ([CLS], [SEP], ...)
  OffsetUnit offsets = OffsetUnit::kChar;
  // Truncation and padding for this call: the tokenizer's (truncation(), padding()) unless
  // turned off here; `max_length` truncates to that many tokens (special tokens included)
  // whatever the tokenizer says. Pipelines that batch pad themselves.
  bool truncate = true;
  std::optional<size_t> max_length;
  bool pad = true;
};

class Tokenizer {
 public:
  // The largest tokenizer.json read (real ones are up to a few tens of MiB).
  static constexpr size_t kMaxFileBytes = size_t{512} << 20;
  // The largest text encoded at once.
  static constexpr size_t kMaxTextBytes = size_t{256} << 20;

  // Reads and parses the tokenizer.json at `path`; errors start with the path.
  static Result<std::unique_ptr<Tokenizer>> Load(const std::string& path);
  // Parses tokenizer.json text; `source` starts error messages.
  static Result<std::unique_ptr<Tokenizer>> FromJson(std::string_view json,
                                                     const std::string& source = "tokenizer.json");

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Encodes one text. kInvalidArgument for text that is not UTF-8 (naming the byte offset) or
  // longer than kMaxTextBytes. Safe to call from many threads at once.
  Result<Encoding> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Encodes a pair of texts (the second gets type id 1 unless the post-processor says otherwise).
  Result<Encoding> EncodePair(std::string_view first, std::string_view second,
                              const EncodeOptions& options = {}) const;

  // Encodes every text as Encode does, then pads them together: the file's "BatchLongest"
  // padding takes them all to the length of the longest (the reference's encode_batch). One
  // thread; a text that fails fails the batch, naming its index.
  Result<std::vector<Encoding>> EncodeBatch(const std::vector<std::string_view>& texts,
                                            const EncodeOptions& options = {}) const;

  // The text of `ids`; ids that are in no vocabulary are left out, and special tokens too with
  // `skip_special_tokens`.
  Result<std::string> Decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const;

  std::optional<uint32_t> TokenToId(std::string_view token) const;
  std::optional<std::string> IdToToken(uint32_t id) const;
  // The model's vocabulary, plus the added tokens with `with_added_tokens`.
  size_t VocabSize(bool with_added_tokens = true) const;

  // Truncation and padding: as the file says until the caller changes them (nullopt: none).
  const std::optional<TruncationParams>& truncation() const { return truncation_; }
  void set_truncation(std::optional<TruncationParams> params) { truncation_ = std::move(params); }
  const std::optional<PaddingParams>& padding() const { return padding_; }
  void set_padding(std::optional<PaddingParams> params) { padding_ = std::move(params); }

 private:
  Tokenizer();
  Result<Encoding> EncodeOne(std::string_view text, uint32_t type_id, OffsetUnit unit) const;
  Result<Encoding> PostProcess(Encoding first, std::optional<Encoding> second,
                               const EncodeOptions& options) const;

  std::unique_ptr<tokenizers::Normalizer> normalizer_;
  std::unique_ptr<tokenizers::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<tokenizers::Model> model_;
  std::unique_ptr<tokenizers::PostProcessor> post_processor_;
  std::unique_ptr<tokenizers::Decoder> decoder_;
  std::unique_ptr<tokenizers::AddedVocabulary> added_;
  std::optional<TruncationParams> truncation_;
  std::optional<PaddingParams> padding_;
};

}  // namespace ipfs_accelerate::models
