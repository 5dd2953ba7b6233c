// Which way up a text line is: PaddleOCR's text direction classifier (the "cls" model, two
// classes: 0° and 180°), so that a page's upside-down lines can be turned before they are read.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/image.h"
#include "models/text_recognition.h"

namespace ipfs_accelerate::models {

struct TextDirection {
  bool upside_down = false;  // the model's best class is 180°
  float score = 0;           // the probability of that class
};

class TextDirectionClassifier {
 public:
  // Checks that the model has one N x 3 x H x W float input and an N x 2 output, and creates the
  // session. Lines are fed as PaddleOCR does: 48 x 192 unless the model fixes its own size, each
  // resized to the height, squeezed to the width only when wider, (x/255 - 0.5) / 0.5, BGR.
  static Result<std::unique_ptr<TextDirectionClassifier>> Create(
      engine::Model model, engine::SessionOptions options = {});

  // The direction of each line, up to `batch_size` lines per run of the model. No line may be
  // empty.
  Result<std::vector<TextDirection>> Classify(std::span<const RgbImage> lines, int batch_size);

  const TextLineShape& shape() const { return shape_; }
  void set_resampling(Resampling r) { shape_.resampling = r; }

 private:
  TextDirectionClassifier(std::unique_ptr<engine::Session> session, TextLineShape shape,
                          std::string input_name)
      : session_(std::move(session)), shape_(shape), input_name_(std::move(input_name)) {}

  std::unique_ptr<engine::Session> session_;
  TextLineShape shape_;
  std::string input_name_;
};

}  // namespace ipfs_accelerate::models
