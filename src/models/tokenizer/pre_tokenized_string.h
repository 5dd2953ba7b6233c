// The input text cut into pieces ("pre-tokens"): added tokens found whole, and the rest as the
// normalizer and pre-tokenizer leave it, each piece tokenized by the model and then gathered into
// an Encoding with offsets into the original text.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/encoding.h"
#include "models/tokenizer/normalized_string.h"

namespace ipfs_accelerate::models::tokenizers {

// A token of one piece: its id, its text, and its byte range in the piece's normalized text.
struct Token {
  uint32_t id;
  std::string value;
  size_t start;
  size_t end;
};

struct PreToken {
  NormalizedString normalized;
  std::optional<std::vector<Token>> tokens;  // set for added tokens, and once tokenized
};

class PreTokenizedString {
 public:
  // The whole of valid UTF-8 `text` as one piece.
  explicit PreTokenizedString(std::string_view text);

  // Calls `split`(index, piece, &out) for every piece without tokens and puts what it appends to
  // `out` in its place, dropping empty pieces. Pieces with tokens are kept as they are.
  using SplitFn = std::function<Status(size_t, NormalizedString&&, std::vector<NormalizedString>*)>;
  Status Split(const SplitFn& split);
  // The same for a splitter that may also attach tokens (added tokens).
  using SplitWithTokensFn = std::function<Status(NormalizedString&&, std::vector<PreToken>*)>;
  Status SplitWithTokens(const SplitWithTokensFn& split);

  // Applies `normalize` to every piece without tokens.
  Status Normalize(const std::function<Status(NormalizedString*)>& normalize);

  // Sets the tokens of every piece without tokens to `tokenize`(piece's normalized text).
  Status Tokenize(const std::function<Status(std::string_view, std::vector<Token>*)>& tokenize);

  // The tokens of all pieces, in order, with offsets in the original text in `unit` (the
  // reference's into_encoding: each token's word is the index of its piece). Pieces must all be
  // tokenized. Moves the token strings out: call it last.
  Encoding IntoEncoding(uint32_t type_id, OffsetUnit unit);

  const std::vector<PreToken>& pieces() const { return pieces_; }
  const std::string& original() const { return original_; }

 private:
  std::string original_;
  std::vector<PreToken> pieces_;
};

}  // namespace ipfs_accelerate::models::tokenizers
