#include "models/image_classification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/image_ops.h"
#include "models/model_inputs.h"

namespace ipfs_accelerate::models {

Tensor PreprocessForClassification(const RgbImage& image, const PackageManifest& m) {
  const int shorter = std::min(image.width, image.height);
  const int w =
      std::max(m.crop, static_cast<int>(std::lround(double(image.width) * m.resize / shorter)));
  const int h =
      std::max(m.crop, static_cast<int>(std::lround(double(image.height) * m.resize / shorter)));
  RgbImage resized = ResizeBilinear(image, w, h);
  const int left = (w - m.crop) / 2, top = (h - m.crop) / 2, c = m.crop;
  Tensor out = Tensor::Empty(DType::kFloat32, {1, 3, c, c});
  float* data = out.data<float>();
  for (int ch = 0; ch < 3; ++ch) {
    for (int y = 0; y < c; ++y) {
      for (int x = 0; x < c; ++x) {
        float v = resized.Pixel(left + x, top + y)[ch] / 255.0f;
        data[(static_cast<size_t>(ch) * c + y) * c + x] = (v - m.mean[ch]) / m.std[ch];
      }
    }
  }
  return out;
}

Result<std::unique_ptr<ImageClassifier>> ImageClassifier::Create(engine::Model model,
                                                                 PackageManifest manifest,
                                                                 engine::SessionOptions options) {
  if (manifest.task != Task::kImageClassification) {
    return Status::InvalidArgument(std::string("the package's task is ") + TaskName(manifest.task) +
                                   ", not image-classification");
  }
  const engine::Graph& g = model.graph;
  std::vector<const engine::ValueInfo*> inputs = FedInputs(g);
  if (inputs.size() != 1 || g.outputs.empty() ||
      (inputs[0]->shape && (inputs[0]->shape->size() != 4 || (*inputs[0]->shape)[1].value != 3))) {
    return Status::InvalidArgument(
        "an image classifier takes one N x 3 x H x W image and answers logits");
  }
  if (inputs[0]->shape) {
    const auto& d = *inputs[0]->shape;
    if ((d[2].value > 0 && d[2].value != manifest.crop) ||
        (d[3].value > 0 && d[3].value != manifest.crop)) {
      return Status::InvalidArgument("the model takes " + std::to_string(d[2].value) + "x" +
                                     std::to_string(d[3].value) + " images; the package crops to " +
                                     std::to_string(manifest.crop) +
                                     " (accelerate.json image.crop)");
    }
  }
  const auto& out = g.outputs[0];
  if (out.shape && out.shape->size() == 2 && out.shape->back().value > 0 &&
      !manifest.labels.empty() &&
      out.shape->back().value != static_cast<int64_t>(manifest.labels.size())) {
    return Status::InvalidArgument("the model scores " + std::to_string(out.shape->back().value) +
                                   " classes; the package names " +
                                   std::to_string(manifest.labels.size()));
  }
  std::unique_ptr<ImageClassifier> c(new ImageClassifier());
  c->input_ = inputs[0]->name;
  IA_ASSIGN_OR_RETURN(c->session_, engine::Session::Create(std::move(model), std::move(options)));
  c->manifest_ = std::move(manifest);
  return c;
}

Result<std::vector<ImageClass>> ImageClassifier::Classify(const RgbImage& image, int top_k) const {
  if (image.width <= 0 || image.height <= 0) return Status::InvalidArgument("the image is empty");
  IA_ASSIGN_OR_RETURN(auto outputs,
                      session_->Run({{input_, PreprocessForClassification(image, manifest_)}}));
  const Tensor& logits = outputs.begin()->second;
  if (logits.dtype() != DType::kFloat32 || logits.numel() == 0 || logits.dim(0) != 1) {
    return Status::InvalidArgument("the model answered " + ShapeToString(logits.shape()) +
                                   ", not float32 logits [1, classes]");
  }
  const int64_t n = logits.numel();
  const float* l = logits.data<float>();
  const float max = *std::max_element(l, l + n);
  std::vector<double> p(static_cast<size_t>(n));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += p[static_cast<size_t>(i)] = std::exp(double(l[i]) - max);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(static_cast<size_t>(std::max(top_k, 1)), order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
    return p[static_cast<size_t>(a)] != p[static_cast<size_t>(b)]
               ? p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)]
               : a < b;
  });
  std::vector<ImageClass> out;
  for (size_t i = 0; i < k; ++i) {
    const int64_t c = order[i];
    out.push_back({c,
                   static_cast<size_t>(c) < manifest_.labels.size()
                       ? manifest_.labels[static_cast<size_t>(c)]
                       : "",
                   static_cast<float>(p[static_cast<size_t>(c)] / sum)});
  }
  return out;
}

}  // namespace ipfs_accelerate::models
