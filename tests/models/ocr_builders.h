// Builders for the OCR pipeline's tests (tests/models/*_test.cc): binary masks and probability
// maps drawn as ASCII art, and small images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/box_geometry.h"
#include "models/image.h"

namespace ipfs_accelerate::models::test {

// A map drawn one string per row, all rows as wide: '#' is foreground (or probability `high`),
// anything else background (0).
struct Drawn {
  int width = 0, height = 0;
  std::vector<uint8_t> mask;
  std::vector<float> prob;
};

inline Drawn Draw(const std::vector<std::string>& rows, float high = 0.9f) {
  Drawn d;
  d.height = static_cast<int>(rows.size());
  d.width = rows.empty() ? 0 : static_cast<int>(rows[0].size());
  for (const std::string& row : rows) {
    for (char c : row) {
      d.mask.push_back(c == '#');
      d.prob.push_back(c == '#' ? high : 0.0f);
    }
  }
  return d;
}

// A width x height map with the rectangle [x0, x1) x [y0, y1) set to `value`.
inline std::vector<float> RectMap(int width, int height, int x0, int y0, int x1, int y1,
                                  float value, std::vector<float> base = {}) {
  if (base.empty()) base.assign(static_cast<size_t>(width) * height, 0.0f);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) base[static_cast<size_t>(y) * width + x] = value;
  }
  return base;
}

// An image whose pixel (x, y) is (x, y, x + y) modulo 256.
inline RgbImage Ramp(int width, int height) {
  RgbImage img;
  img.width = width;
  img.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.rgb.push_back(static_cast<uint8_t>(x));
      img.rgb.push_back(static_cast<uint8_t>(y));
      img.rgb.push_back(static_cast<uint8_t>(x + y));
    }
  }
  return img;
}

inline Quad Rect(double x0, double y0, double x1, double y1) {
  return {PointF{x0, y0}, PointF{x1, y0}, PointF{x1, y1}, PointF{x0, y1}};
}

}  // namespace ipfs_accelerate::models::test
