// Geometric operations on RGB images for the OCR pipeline: resizing, placing on a canvas, the
// perspective warp that cuts a text box out of a page, and quarter turns.
#pragma once

#include "models/box_geometry.h"
#include "models/image.h"

namespace ipfs_accelerate::models {

// `image` resized to width x height (both > 0) with OpenCV's INTER_LINEAR: half-pixel centres,
// clamped borders, weights in 1/2048ths, rounded to the nearest 8-bit value.
RgbImage ResizeBilinear(const RgbImage& image, int width, int height);

// `image` resized to width x height (both > 0) as sharp (libvips 8.15) resizes with its default
// kernel, per axis: enlarged with Catmull-Rom bicubic where output x samples the input at
// x / scale - 0.5 (vips_affine, border copied), shrunk with a Lanczos-3 filter widened by the
// shrink factor (vips_reduce). `scale_x` and `scale_y` are the factors of the two axes (sharp
// scales both by one factor and rounds the size).
RgbImage ResizeSharp(const RgbImage& image, int width, int height, double scale_x, double scale_y);

// `image` resized to width x height (both > 0) with a Lanczos-3 filter both ways (widened when
// shrinking, so that it averages instead of aliasing), pixel centres aligned. On small text
// scaled up to a model's height it keeps the gaps between words that bilinear blurs away.
RgbImage ResizeLanczos3(const RgbImage& image, int width, int height);

enum class Resampling {
  kBilinear,  // OpenCV's INTER_LINEAR, what PaddleOCR uses
  kLanczos3,  // ResizeLanczos3
};

RgbImage Resize(const RgbImage& image, int width, int height, Resampling resampling);

// A width x height image of `fill` (r = g = b) with `image` copied in at (left, top); what falls
// outside the canvas is cut off.
RgbImage PlaceOnCanvas(const RgbImage& image, int width, int height, int left, int top,
                       uint8_t fill);

// The width x height image whose pixel (x, y) is `image` sampled at matrix * (x, y, 1) (a
// projective map from the output to the input), bicubic (a = -0.75, as OpenCV's INTER_CUBIC) with
// the border replicated.
RgbImage WarpPerspective(const RgbImage& image, const std::array<double, 9>& matrix, int width,
                         int height);

RgbImage Rotate90CounterClockwise(const RgbImage& image);
RgbImage Rotate180(const RgbImage& image);

// The text line inside `box` (top-left, top-right, bottom-right, bottom-left, in image
// coordinates) straightened into a horizontal image, as PaddleOCR's get_rotate_crop_image: the
// width is the longer of the top and bottom sides, the height the longer of the left and right
// sides (truncated, at least 1), the box warped onto it; a result at least 1.5 times as high as
// wide is turned a quarter counterclockwise (vertical text). An empty image when the box is
// degenerate (three corners on a line).
RgbImage CropTextLine(const RgbImage& image, const Quad& box);

}  // namespace ipfs_accelerate::models
