// Reading order of the text boxes found on a page, and the merging of the boxes of one line.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/box_geometry.h"

namespace ipfs_accelerate::models {

// The order PaddleOCR reads boxes in (sorted_boxes): by the top-left corner's y, then its x; then
// each box moves before the ones above it while its top-left corner is less than 10 pixels lower
// than theirs and to their left (boxes on one line, left to right). Indices into `boxes`.
std::vector<size_t> ReadingOrder(std::span<const Quad> boxes);

struct TextLine {
  std::string text;
  float confidence = 0;
  Quad box;  // top-left, top-right, bottom-right, bottom-left
};

// The boxes of one line joined, as @gutenye/ocr does it: a box joins the first line whose first
// box's midline (the mean of its top-left and bottom-right y) is less than half the mean box
// height away from its own, or starts a new line. A line's boxes go left to right (by top-left x),
// their texts joined with a space, their confidences averaged; its box runs from the first box's
// left side to the last box's right side. Lines go top to bottom (by their first box's top-left
// y); ties keep the order of `pieces`.
std::vector<TextLine> MergeLines(std::span<const TextLine> pieces);

}  // namespace ipfs_accelerate::models
