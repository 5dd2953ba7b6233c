// Images for the vision models: decoded to 8-bit RGB, whatever the file held.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models {

// 8-bit RGB pixels, row-major, interleaved (R, G, B), no row padding.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3 bytes

  const uint8_t* Pixel(int x, int y) const {
    return &rgb[(static_cast<size_t>(y) * width + x) * 3];
  }
};

// The most pixels DecodePng accepts (a guard against a tiny file that claims a huge image).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 27;

// Decodes a PNG of any colour type and bit depth: grey, grey+alpha, RGB, RGBA, palette (with
// tRNS), 1-16 bits, interlaced or not. 16-bit samples are scaled to 8 bits (rounded); an alpha
// channel is composited over white (text on a transparent background stays readable).
// Corrupt, truncated or non-PNG bytes give kCorruption / kInvalidArgument naming the problem.
Result<RgbImage> DecodePng(std::span<const uint8_t> bytes);

// Reads and decodes the PNG file at `path`; errors name the path.
Result<RgbImage> ReadPng(const std::string& path);

}  // namespace ipfs_accelerate::models
