#include "models/tokenizer/byte_level.h"

#include <array>

namespace ipfs_accelerate::models::tokenizers {
namespace {

struct Tables {
  std::array<char32_t, 256> to_char;
  std::array<int16_t, 0x144> to_byte;  // every character of the alphabet is below U+0144
};

// Printable bytes stand for themselves; the others, in order, for U+0100, U+0101, ...
Tables MakeTables() {
  Tables t;
  t.to_byte.fill(-1);
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    t.to_char[b] = printable ? static_cast<char32_t>(b) : next++;
    t.to_byte[t.to_char[b]] = static_cast<int16_t>(b);
  }
  return t;
}

const Tables& GetTables() {
  static const Tables tables = MakeTables();
  return tables;
}

}  // namespace

char32_t ByteToChar(uint8_t b) { return GetTables().to_char[b]; }

int CharToByte(char32_t c) { return c < 0x144 ? GetTables().to_byte[c] : -1; }

void ByteLevelTransform(NormalizedString* s) { s->MapBytes(GetTables().to_char.data()); }

}  // namespace ipfs_accelerate::models::tokenizers
