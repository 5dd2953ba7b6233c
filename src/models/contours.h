// Borders of the connected regions of a binary map (Suzuki & Abe's border following, the algorithm
// behind OpenCV's findContours): what the text detector turns its thresholded probability map into.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ipfs_accelerate::models {

struct PixelPoint {
  int x = 0;
  int y = 0;
  bool operator==(const PixelPoint&) const = default;
};

struct Contour {
  std::vector<PixelPoint> points;  // the border's pixels in the order they are followed
  bool hole = false;               // the border of a hole inside a region, not of the region
};

// Every border of `mask` (width x height bytes, row-major; nonzero is foreground): one outer border
// per 8-connected region and one per 4-connected hole inside a region, like OpenCV's findContours
// with RETR_LIST and CHAIN_APPROX_NONE. Pixels beyond the map count as background. Borders come in
// the order a raster scan (rows top to bottom, left to right) first meets them; every point is a
// foreground pixel, and a lone pixel is a border of one point. Sizes must match the span.
std::vector<Contour> FindContours(std::span<const uint8_t> mask, int width, int height);

}  // namespace ipfs_accelerate::models
