#include "store/multibase.h"

#include <array>
#include <cstdint>
#include <cstdio>

namespace ipfs_accelerate::store {
namespace {

constexpr char kBase32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr char kBase58Alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    out += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) ? c : '?';
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

// One character of untrusted text, printable in a message: 'x', or '\xNN' for control and
// non-ASCII bytes so that an error cannot carry terminal escapes.
std::string ShowChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return "'" + std::string(1, c) + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "'\\x%02x'", u);
  return buf;
}

}  // namespace

std::string Base32Lower(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::string> DecodeBase32(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return Status::InvalidArgument("character " + ShowChar(c) + " is not base32 in " +
                                     Quote(text));
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // RFC 4648 without padding: leftover bits must be fewer than 5 and all zero.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return Status::InvalidArgument("base32 text has trailing bits: " + Quote(text));
  }
  return out;
}

std::string Base58Btc(std::span<const uint8_t> bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
  std::string digits;  // base58 digits, least significant first
  for (size_t i = zeros; i < bytes.size(); ++i) {
    int carry = bytes[i];
    for (char& d : digits) {
      carry += static_cast<uint8_t>(d) << 8;
      d = static_cast<char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    out.push_back(kBase58Alphabet[static_cast<uint8_t>(*it)]);
  return out;
}

Result<std::string> DecodeBase58Btc(std::string_view text) {
  static const std::array<int8_t, 128> kIndex = [] {
    std::array<int8_t, 128> t{};
    t.fill(-1);
    for (int i = 0; i < 58; ++i)
      t[static_cast<uint8_t>(kBase58Alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::string bytes;  // little-endian base256
  for (size_t i = zeros; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 128 || kIndex[c] < 0) {
      return Status::InvalidArgument("character " + ShowChar(text[i]) + " is not base58btc in " +
                                     Quote(text));
    }
    int carry = kIndex[c];
    for (char& b : bytes) {
      carry += static_cast<uint8_t>(b) * 58;
      b = static_cast<char>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<char>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string out(zeros, '\0');
  out.append(bytes.rbegin(), bytes.rend());
  return out;
}

Result<std::string> DecodeMultibase(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty multibase string");
  std::string_view body = text.substr(1);
  switch (text[0]) {
    case 'b':
    case 'B':
      return DecodeBase32(body);
    case 'z':
      return DecodeBase58Btc(body);
    case 'f':
    case 'F': {
      if (body.size() % 2 != 0)
        return Status::InvalidArgument("odd-length base16 text " + Quote(text));
      std::string out;
      for (size_t i = 0; i < body.size(); i += 2) {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        int hi = hex(body[i]), lo = hex(body[i + 1]);
        if (hi < 0 || lo < 0) return Status::InvalidArgument("not base16: " + Quote(text));
        out.push_back(static_cast<char>(hi * 16 + lo));
      }
      return out;
    }
    default:
      return Status::InvalidArgument("unknown multibase prefix " + ShowChar(text[0]) + " in " +
                                     Quote(text) + " (expected b… base32 or z… base58btc)");
  }
}

}  // namespace ipfs_accelerate::store
