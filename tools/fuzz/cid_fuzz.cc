// Fuzzes the CID and multibase parsers: any bytes, read as text and as a binary CID, must give a
// value or an error, and whatever parses must survive a round trip through its canonical form.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "store/cid.h"
#include "store/multibase.h"
#include "store/varint.h"

namespace {

using namespace ipfs_accelerate::store;

// Base58 is quadratic in the length; longer inputs only slow the fuzzer down.
constexpr size_t kMaxBase58Bytes = 1024;

void Require(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "round trip failed: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// Everything a parsed CID promises: its text and binary forms read back as itself, and a
// dag-pb sha2-256 CID converts between versions without loss.
void CheckCid(const Cid& cid, std::string_view input) {
  auto text = Cid::Parse(cid.ToString());
  Require(text.ok() && *text == cid, "Parse(ToString()) != cid", input);
  std::string bytes = cid.Bytes();
  auto binary = Cid::FromBytes(AsBytes(bytes));
  Require(binary.ok() && *binary == cid, "FromBytes(Bytes()) != cid", input);
  size_t pos = 0;
  auto read = Cid::Read(AsBytes(bytes), &pos);
  Require(read.ok() && *read == cid && pos == bytes.size(), "Read(Bytes()) != cid", input);
  auto v1 = cid.ToVersion(1);
  Require(v1.ok() && v1->version() == 1 && v1->multihash() == cid.multihash(), "ToVersion(1)",
          input);
  auto v0 = cid.ToVersion(0);
  if (v0.ok()) {
    Require(cid.codec() == kCodecDagPb, "ToVersion(0) of a non-dag-pb CID", input);
    auto back = v0->ToVersion(cid.version());
    Require(back.ok() && *back == cid, "ToVersion(0) then back != cid", input);
  }
  (void)CodecName(cid.codec());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::span<const uint8_t> bytes(data, size);

  // The input as CID text.
  auto parsed = Cid::Parse(text);
  if (parsed.ok()) {
    CheckCid(*parsed, text);
    // Canonical text (v0 base58btc, v1 lower-case base32) is reproduced exactly.
    if (parsed->version() == 0 || text[0] == 'b') {
      Require(parsed->ToString() == (parsed->version() == 0 ? std::string(text) : Lower(text)),
              "ToString() != canonical input text", text);
    }
  }

  // The input as a binary CID: the binary form is canonical (minimal varints), so it must
  // come back byte for byte.
  auto binary = Cid::FromBytes(bytes);
  if (binary.ok()) {
    CheckCid(*binary, text);
    Require(binary->Bytes() == text, "Bytes() != input bytes", text);
  }
  size_t pos = 0;
  auto read = Cid::Read(bytes, &pos);
  Require(pos <= size, "Read advanced past the end", text);
  if (read.ok()) Require(binary.ok() == (pos == size), "Read and FromBytes disagree", text);

  // The multibase decoders: what decodes re-encodes to the same text. Base32 is unpadded with
  // zero trailing bits, so it is canonical up to case; base58btc is canonical.
  auto b32 = DecodeBase32(text);
  if (b32.ok()) {
    Require(Base32Lower(AsBytes(*b32)) == Lower(text), "Base32Lower(DecodeBase32)", text);
  }
  const bool short_enough_for_base58 = size <= kMaxBase58Bytes;
  if (short_enough_for_base58) {
    auto b58 = DecodeBase58Btc(text);
    if (b58.ok()) Require(Base58Btc(AsBytes(*b58)) == text, "Base58Btc(DecodeBase58Btc)", text);
  }
  if (size > 0 && (text[0] != 'z' || short_enough_for_base58)) {
    auto multibase = DecodeMultibase(text);
    if (multibase.ok()) {
      std::string_view body = text.substr(1);
      std::string again;
      switch (text[0]) {
        case 'b':
        case 'B':
          again = Base32Lower(AsBytes(*multibase));
          break;
        case 'z':
          again = Base58Btc(AsBytes(*multibase));
          break;
        default:  // 'f' and 'F'
          again = Hex(AsBytes(*multibase));
          break;
      }
      // Base58btc is case-sensitive; base32 and base16 are canonical in lower case.
      std::string expected = text[0] == 'z' ? std::string(body) : Lower(body);
      Require(again == expected, "multibase re-encoding", text);
    }
  }

  // And the encoders: every byte string survives encode then decode.
  auto b32_back = DecodeBase32(Base32Lower(bytes));
  Require(b32_back.ok() && *b32_back == text, "DecodeBase32(Base32Lower)", text);
  if (short_enough_for_base58) {
    auto b58_back = DecodeBase58Btc(Base58Btc(bytes));
    Require(b58_back.ok() && *b58_back == text, "DecodeBase58Btc(Base58Btc)", text);
  }
  return 0;
}
