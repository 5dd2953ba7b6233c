// Fuzzes tokenizer.json loading and encoding: the input is a tokenizer.json, a NUL byte, then
// texts separated by NUL bytes (any bytes: not always UTF-8). A file loads or gives an error that
// says something; a loaded tokenizer encodes each text (alone, without special tokens, and as a
// pair) or gives an error, never a crash; what it encodes is consistent (every per-token list as
// long as the ids, offsets inside the text, attention 0 only on padding), decodes
// without error, and the same text encodes the same way twice.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/tokenizer.h"

namespace {

using namespace ipfs_accelerate;

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "tokenizer_fuzz: %s\n", what);
  std::abort();
}

void CheckEncoding(const models::Encoding& e, std::string_view text) {
  size_t n = e.ids.size();
  Require(e.type_ids.size() == n && e.tokens.size() == n && e.offsets.size() == n &&
              e.special_tokens_mask.size() == n && e.attention_mask.size() == n &&
              e.words.size() == n,
          "per-token lists of different lengths");
  for (size_t i = 0; i < n; ++i) {
    // Characters or bytes (the reference leaves a few offsets unconverted): bytes bound both.
    Require(e.offsets[i].first <= text.size() && e.offsets[i].second <= text.size(),
            "an offset past the text");
    Require(e.attention_mask[i] == 1 || e.special_tokens_mask[i] == 1,
            "attention 0 on a token that is not padding");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view json = input.substr(0, nul);
  std::vector<std::string_view> texts;
  while (nul != std::string_view::npos) {
    size_t next = input.find('\0', nul + 1);
    texts.push_back(input.substr(nul + 1, next == std::string_view::npos ? next : next - nul - 1));
    nul = next;
  }
  auto tok = models::Tokenizer::FromJson(json, "fuzz");
  if (!tok.ok()) {
    Require(!tok.status().message().empty(), "an error without a message");
    return 0;
  }
  for (std::string_view text : texts) {
    auto e = (*tok)->Encode(text);
    if (!e.ok()) {
      Require(!e.status().message().empty(), "an encode error without a message");
      continue;
    }
    CheckEncoding(*e, text);
    auto again = (*tok)->Encode(text);
    Require(again.ok() && again->ids == e->ids && again->offsets == e->offsets,
            "the same text encoded differently");
    Require((*tok)->Decode(e->ids, false).ok(), "decoding encoded ids failed");
    Require((*tok)->Decode(e->ids, true).ok(), "decoding encoded ids (skipping) failed");
    auto plain =
        (*tok)->Encode(text, {.add_special_tokens = false, .offsets = models::OffsetUnit::kByte});
    if (plain.ok()) CheckEncoding(*plain, text);
    auto pair = (*tok)->EncodePair(text, text);
    if (pair.ok()) CheckEncoding(*pair, std::string(text) + std::string(text));
  }
  // Ids that may be in no vocabulary decode without error too.
  std::vector<uint32_t> ids;
  for (size_t i = 0; i + 1 < json.size() && ids.size() < 64; i += 2) {
    ids.push_back(static_cast<uint8_t>(json[i]) | (static_cast<uint8_t>(json[i + 1]) << 8));
  }
  Require((*tok)->Decode(ids, false).ok(), "decoding arbitrary ids failed");
  return 0;
}
