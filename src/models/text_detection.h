// Text detection with PaddleOCR's DB models (PP-OCRv4 det): the page is scaled onto an input
// whose sides are multiples of 32, the model gives a text probability per pixel, and DB's
// post-processing turns the thresholded map into boxes (contours, minimum-area rectangles,
// unclip). The constants default to what @gutenye/ocr-node 1.4.8, this pipeline's reference, uses.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/box_geometry.h"
#include "models/image.h"

namespace ipfs_accelerate::models {

enum class SideLimit {
  kNone,  // the image as it is (the reference)
  kMax,   // scaled down so that its longer side is at most `limit_side_len` (PaddleOCR's "max")
  kMin,   // scaled up so that its shorter side is at least `limit_side_len` (PaddleOCR's "min")
};

struct DetectionOptions {
  SideLimit limit_type = SideLimit::kNone;
  int limit_side_len = 960;
  // Per channel (R, G, B), applied to x / 255. The reference feeds x / 255 as is; PaddleOCR
  // trains with ImageNet's mean and std (0.485, 0.456, 0.406), (0.229, 0.224, 0.225).
  std::array<float, 3> mean = {0, 0, 0};
  std::array<float, 3> std = {1, 1, 1};
  float threshold = 0.03f;    // a pixel is text when its probability is above (PaddleOCR: 0.3)
  float box_threshold = 0;    // boxes of a lower mean probability are dropped (PaddleOCR: 0.6)
  double unclip_ratio = 1.5;  // how far a box grows: area * ratio / perimeter
  int min_size = 3;           // shorter side below this: dropped (min_size + 2 after unclip)
};

// Where the image sits in the detector's input: scaled by `scale` (never distorted) to
// scaled_width x scaled_height, at (left, top) of a black width x height canvas whose sides are
// the (limited) image's rounded up to multiples of 32, as sharp's fit "contain" places it for
// @gutenye/ocr-node (with sharp's resampling, see ResizeSharp).
struct DetectorInput {
  int width = 0, height = 0;
  double scale = 1;
  int scaled_width = 0, scaled_height = 0;
  int left = 0, top = 0;

  // Whether the image is resampled at all.
  bool resized() const { return scale != 1; }
  // The image point at input point p (both in pixel coordinates): sharp's resampling puts image
  // pixel u at (u + 0.5) * scale, so half a pixel comes off when it resampled.
  PointF ToImage(const PointF& p) const {
    const double shift = resized() ? 0.5 : 0;
    return {(p.x - left) / scale - shift, (p.y - top) / scale - shift};
  }
};

// The detector input for an image of width x height (both > 0).
DetectorInput PlanDetectorInput(int width, int height, const DetectionOptions& options);

// The model input (1 x 3 x H x W float32, BGR planes, (x/255 - mean) / std) for `image` on `plan`.
Tensor PreprocessForDetection(const RgbImage& image, const DetectorInput& plan,
                              const DetectionOptions& options);

struct DetectedBox {
  Quad box;         // top-left, top-right, bottom-right, bottom-left (see GetMiniBox)
  float score = 0;  // the mean probability inside the box before unclip
};

// The mean of `prob` (width x height, row-major) over the pixels inside `quad` (PaddleOCR's
// box_score_fast: the quad's corners truncated to the pixel grid, its edges included).
float BoxScore(std::span<const float> prob, int width, int height, const Quad& quad);

// DB post-processing of a width x height probability map: every border of the regions above
// `threshold` (holes too, as OpenCV's RETR_LIST finds them) gives its minimum-area rectangle;
// one with a short side under min_size, or a score under box_threshold, is dropped; the rest are
// unclipped, boxed again (dropped under min_size + 2), their corners rounded and clipped to the
// map ([0, width] x [0, height]), and dropped when a side is 3 pixels or less. Boxes in map
// coordinates, in the order their borders were found.
std::vector<DetectedBox> DbPostprocess(std::span<const float> prob, int width, int height,
                                       const DetectionOptions& options);

struct DetectionTimings {
  double preprocess_ms = 0;
  double inference_ms = 0;
  double postprocess_ms = 0;
};

// A det model, ready to find the text boxes of a page.
class TextDetector {
 public:
  // Checks that the model has one N x 3 x H x W float input and an output, and creates the
  // session.
  static Result<std::unique_ptr<TextDetector>> Create(engine::Model model,
                                                      DetectionOptions options = {},
                                                      engine::SessionOptions session = {});

  // The text boxes of `image` in its own coordinates (clipped to [0, width] x [0, height]), in
  // the order DbPostprocess found them. Refuses an empty image.
  Result<std::vector<DetectedBox>> Detect(const RgbImage& image,
                                          DetectionTimings* timings = nullptr);

  const DetectionOptions& options() const { return options_; }
  const engine::Session& session() const { return *session_; }

 private:
  TextDetector(std::unique_ptr<engine::Session> session, DetectionOptions options,
               std::string input_name)
      : session_(std::move(session)), options_(options), input_name_(std::move(input_name)) {}

  std::unique_ptr<engine::Session> session_;
  DetectionOptions options_;
  std::string input_name_;
};

}  // namespace ipfs_accelerate::models
