#include "models/page_ocr.h"

#include <chrono>

#include "models/image_ops.h"

namespace ipfs_accelerate::models {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

PageOcr::PageOcr(std::unique_ptr<TextDetector> detector,
                 std::unique_ptr<TextDirectionClassifier> classifier,
                 std::unique_ptr<TextRecognizer> recognizer, PageOcrOptions options)
    : detector_(std::move(detector)),
      classifier_(std::move(classifier)),
      recognizer_(std::move(recognizer)),
      options_(options) {
  recognizer_->set_resampling(options_.line_resampling);
  if (classifier_) classifier_->set_resampling(options_.line_resampling);
}

Result<std::vector<TextLine>> PageOcr::Read(const RgbImage& image, PageOcrStats* stats) {
  PageOcrStats s;
  IA_ASSIGN_OR_RETURN(std::vector<DetectedBox> found, detector_->Detect(image, &s.detection));
  s.boxes = static_cast<int>(found.size());

  auto t0 = std::chrono::steady_clock::now();
  std::vector<Quad> quads;
  for (const DetectedBox& b : found) quads.push_back(b.box);
  std::vector<Quad> boxes;
  std::vector<RgbImage> crops;
  for (size_t i : ReadingOrder(quads)) {
    RgbImage crop = CropTextLine(image, quads[i]);
    if (crop.width <= 0 || crop.height <= 0) {
      ++s.dropped;
      continue;
    }
    boxes.push_back(quads[i]);
    crops.push_back(std::move(crop));
  }
  s.crop_ms = MsSince(t0);

  if (classifier_ && !crops.empty()) {
    t0 = std::chrono::steady_clock::now();
    IA_ASSIGN_OR_RETURN(auto directions, classifier_->Classify(crops, options_.direction_batch));
    for (size_t i = 0; i < crops.size(); ++i) {
      if (directions[i].upside_down && directions[i].score >= options_.direction_threshold) {
        crops[i] = Rotate180(crops[i]);
        ++s.turned;
      }
    }
    s.direction_ms = MsSince(t0);
  }

  std::vector<RecognizedText> texts;
  if (!crops.empty()) {
    IA_ASSIGN_OR_RETURN(
        texts, recognizer_->RecognizeBatch(crops, options_.recognition_batch, &s.recognition));
  }

  t0 = std::chrono::steady_clock::now();
  std::vector<TextLine> pieces;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].text.empty() || texts[i].confidence < options_.drop_score) {
      ++s.dropped;
      continue;
    }
    pieces.push_back({std::move(texts[i].text), texts[i].confidence, boxes[i]});
  }
  std::vector<TextLine> lines = options_.merge_lines ? MergeLines(pieces) : std::move(pieces);
  s.layout_ms = MsSince(t0);
  if (stats) *stats = s;
  return lines;
}

}  // namespace ipfs_accelerate::models
