// Full-page OCR: text boxes from the detector, each cut out and straightened, turned when the
// direction classifier finds it upside down, read by the recognizer, and put in reading order.
// The defaults follow @gutenye/ocr-node 1.4.8 (the reference this pipeline is tested against)
// where it departs from PaddleOCR; see DetectionOptions.
#pragma once

#include <memory>
#include <vector>

#include "core/status.h"
#include "models/image.h"
#include "models/text_detection.h"
#include "models/text_direction.h"
#include "models/text_layout.h"
#include "models/text_recognition.h"

namespace ipfs_accelerate::models {

struct PageOcrOptions {
  DetectionOptions detection;
  // A line the classifier finds upside down with at least this probability is turned before it
  // is read (PaddleOCR's cls_thresh).
  float direction_threshold = 0.9f;
  int direction_batch = 6;  // lines per run of the direction classifier (PaddleOCR's cls_batch_num)
  // Lines per run of the recognizer. 1: each line alone, padded to 320 columns at most; on a
  // CPU a batch only adds the padding of its shorter lines (PaddleOCR batches 6, for GPUs).
  int recognition_batch = 1;
  float drop_score = 0.5f;  // lines read with a lower confidence are left out
  bool merge_lines = true;  // join the boxes of one line into one (as the reference does)
  // How lines are scaled to the classifier's and the recognizer's height: Lanczos-3 keeps the
  // spaces between small words that bilinear (PaddleOCR) loses.
  Resampling line_resampling = Resampling::kLanczos3;
};

struct PageOcrStats {
  int boxes = 0;    // text boxes the detector found
  int turned = 0;   // lines turned by 180° before reading
  int dropped = 0;  // lines left out for their confidence (or an empty crop)
  DetectionTimings detection;
  double crop_ms = 0;
  double direction_ms = 0;
  RecognitionTimings recognition;
  double layout_ms = 0;
  double total_ms() const {
    return detection.preprocess_ms + detection.inference_ms + detection.postprocess_ms + crop_ms +
           direction_ms + recognition.preprocess_ms + recognition.inference_ms +
           recognition.decode_ms + layout_ms;
  }
};

class PageOcr {
 public:
  // `classifier` may be null: lines are read the way they are cut out.
  PageOcr(std::unique_ptr<TextDetector> detector,
          std::unique_ptr<TextDirectionClassifier> classifier,
          std::unique_ptr<TextRecognizer> recognizer, PageOcrOptions options = {});
  PageOcr(const PageOcr&) = delete;
  PageOcr& operator=(const PageOcr&) = delete;

  // The text lines of `image` in reading order, boxes in its coordinates. A page without text
  // gives no lines; an empty image is an error.
  Result<std::vector<TextLine>> Read(const RgbImage& image, PageOcrStats* stats = nullptr);

  const TextDetector& detector() const { return *detector_; }
  const TextDirectionClassifier* classifier() const { return classifier_.get(); }
  const TextRecognizer& recognizer() const { return *recognizer_; }
  const PageOcrOptions& options() const { return options_; }

 private:
  std::unique_ptr<TextDetector> detector_;
  std::unique_ptr<TextDirectionClassifier> classifier_;
  std::unique_ptr<TextRecognizer> recognizer_;
  PageOcrOptions options_;
};

}  // namespace ipfs_accelerate::models
