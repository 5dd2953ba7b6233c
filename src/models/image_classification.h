// Image classification: an image-classification package's preprocessing (the shorter side
// resized, the center cropped, normalized per channel), its model, and the top classes by
// probability (softmax of the logits) with their names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/image.h"
#include "models/package.h"

namespace ipfs_accelerate::models {

struct ImageClass {
  int64_t index = 0;
  std::string label;  // "" when the package names no classes
  float probability = 0;
};

// The model input for `image` under `m`: 1x3xCxC float32, RGB, the shorter side resized to
// m.resize (bilinear, as OpenCV's INTER_LINEAR, the aspect ratio kept), the center C×C crop
// (C = m.crop), x/255 then (x - mean) / std.
Tensor PreprocessForClassification(const RgbImage& image, const PackageManifest& m);

class ImageClassifier {
 public:
  // kInvalidArgument when the model does not take one Nx3xHxW float input, or answers logits
  // whose class count differs from the package's labels.
  static Result<std::unique_ptr<ImageClassifier>> Create(engine::Model model,
                                                         PackageManifest manifest,
                                                         engine::SessionOptions options = {});
  // The `top_k` most probable classes, most probable first.
  Result<std::vector<ImageClass>> Classify(const RgbImage& image, int top_k = 5) const;

 private:
  ImageClassifier() = default;
  std::unique_ptr<engine::Session> session_;
  PackageManifest manifest_;
  std::string input_;
};

}  // namespace ipfs_accelerate::models
