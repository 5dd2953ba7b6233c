// GPT-2's byte-level alphabet: every byte of the UTF-8 text stands for one printable character
// ("Ġ" for a space), so that a BPE vocabulary of 256 base symbols covers any text.
#pragma once

#include <cstdint>

#include "models/tokenizer/normalized_string.h"

namespace ipfs_accelerate::models::tokenizers {

// The character byte `b` is written as.
char32_t ByteToChar(uint8_t b);
// The byte character `c` stands for, or -1 when `c` is not in the alphabet.
int CharToByte(char32_t c);

// Rewrites every byte of `s` as its character; each keeps the offsets of the character it
// is a byte of.
void ByteLevelTransform(NormalizedString* s);

}  // namespace ipfs_accelerate::models::tokenizers
