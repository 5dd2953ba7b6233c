#include "models/contours.h"

namespace ipfs_accelerate::models {
namespace {

// The 8 neighbours, clockwise as the image is shown (y grows downwards), from the east.
constexpr int kDx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
constexpr int kDy[8] = {0, 1, 1, 1, 0, -1, -1, -1};

// Follows one border from `start` (Suzuki & Abe's steps 3.1-3.5), marking it with `nbd` in the
// padded label image `f` (0 background, 1 unvisited foreground, ±n border n), and returns its
// pixels in padded coordinates. `from` is the direction of the background pixel that made `start` a
// border.
std::vector<size_t> FollowBorder(std::vector<int32_t>& f, const int (&offset)[8], size_t start,
                                 int from, int32_t nbd) {
  std::vector<size_t> border;
  int first = -1;
  for (int k = 0; k < 8 && first < 0; ++k) {
    const int d = (from + k) & 7;  // clockwise from the background neighbour
    if (f[start + offset[d]] != 0) first = d;
  }
  if (first < 0) {  // a lone pixel
    f[start] = -nbd;
    border.push_back(start);
    return border;
  }
  const size_t second = start + offset[first];
  size_t current = start;
  int back = first;  // the direction from `current` to the pixel it was reached from
  while (true) {
    // Counterclockwise from the neighbour after the previous pixel: the next border pixel.
    bool east_is_background = false;
    int next_dir = back;
    for (int s = 1; s <= 8; ++s) {
      const int d = (back - s + 8) & 7;
      if (f[current + offset[d]] != 0) {
        next_dir = d;
        break;
      }
      if (d == 0) east_is_background = true;
    }
    if (east_is_background) {
      f[current] = -nbd;  // the right end of a run: never the start of a hole border
    } else if (f[current] == 1) {
      f[current] = nbd;
    }
    border.push_back(current);
    const size_t next = current + offset[next_dir];
    if (next == start && current == second) break;  // back where it began, going the same way
    back = (next_dir + 4) & 7;
    current = next;
  }
  return border;
}

}  // namespace

std::vector<Contour> FindContours(std::span<const uint8_t> mask, int width, int height) {
  std::vector<Contour> contours;
  if (width <= 0 || height <= 0 || mask.size() < static_cast<size_t>(width) * height) {
    return contours;
  }
  // One pixel of background around the map: the border following never leaves the image.
  const int pw = width + 2;
  std::vector<int32_t> f(static_cast<size_t>(pw) * (height + 2), 0);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = mask.data() + static_cast<size_t>(y) * width;
    int32_t* out = f.data() + static_cast<size_t>(y + 1) * pw + 1;
    for (int x = 0; x < width; ++x) out[x] = row[x] != 0;
  }
  int offset[8];
  for (int d = 0; d < 8; ++d) offset[d] = kDy[d] * pw + kDx[d];

  int32_t nbd = 1;
  for (int y = 1; y <= height; ++y) {
    for (int x = 1; x <= width; ++x) {
      const size_t p = static_cast<size_t>(y) * pw + x;
      const int32_t v = f[p];
      if (v == 0) continue;
      int from;
      bool hole;
      if (v == 1 && f[p - 1] == 0) {
        from = 4;  // an outer border: background to the west
        hole = false;
      } else if (v >= 1 && f[p + 1] == 0) {
        from = 0;  // a hole border: background to the east
        hole = true;
      } else {
        continue;
      }
      ++nbd;
      Contour c;
      c.hole = hole;
      for (size_t q : FollowBorder(f, offset, p, from, nbd)) {
        c.points.push_back({static_cast<int>(q % pw) - 1, static_cast<int>(q / pw) - 1});
      }
      contours.push_back(std::move(c));
    }
  }
  return contours;
}

}  // namespace ipfs_accelerate::models
