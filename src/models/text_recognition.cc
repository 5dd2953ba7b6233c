#include "models/text_recognition.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/file_util.h"
#include "models/model_inputs.h"

namespace ipfs_accelerate::models {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<CharDictionary> CharDictionary::Parse(std::string_view text) {
  CharDictionary dict;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    dict.chars_.emplace_back(line);
    start = end + 1;
  }
  if (dict.chars_.empty()) return Status::InvalidArgument("the character dictionary is empty");
  return dict;
}

Result<CharDictionary> CharDictionary::Load(const std::string& path) {
  IA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto dict = Parse(text);
  if (!dict.ok()) return dict.status().WithContext(path);
  return dict;
}

Status CharDictionary::MatchClasses(int64_t num_classes) {
  const int64_t n = static_cast<int64_t>(chars_.size());
  if (num_classes == n + 2) {
    space_class_ = true;
  } else if (num_classes == n + 1) {
    space_class_ = false;
  } else {
    return Status::InvalidArgument(
        "the model scores " + std::to_string(num_classes) +
        " classes per step, but the dictionary has " + std::to_string(n) +
        " lines (a CTC head needs lines + 1 for the blank, + 1 more with the space " +
        "class): pass the dictionary that was trained with this model");
  }
  return Status::Ok();
}

const std::string& CharDictionary::Label(int64_t index) const {
  if (index == static_cast<int64_t>(chars_.size()) + 1) return space_;
  return chars_[index - 1];
}

Tensor PreprocessTextLine(const RgbImage& image, const TextLineShape& shape) {
  const int h = shape.height;
  const double ratio = static_cast<double>(image.width) / image.height;
  int width = shape.fixed_width;
  if (width <= 0) {
    width = static_cast<int>(h * std::max(static_cast<double>(shape.min_width) / h, ratio));
    width = std::clamp(width, 1, std::max(shape.max_width, 1));
  }
  const int resized = std::clamp(static_cast<int>(std::ceil(h * ratio)), 1, width);

  Tensor out = Tensor::Zeros(DType::kFloat32, {1, 3, h, width});
  float* data = out.data<float>();
  const RgbImage scaled = Resize(image, resized, h, shape.resampling);
  const size_t plane = static_cast<size_t>(h) * width;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < resized; ++x) {
      const uint8_t* p = scaled.Pixel(x, y);
      for (int c = 0; c < 3; ++c) {
        // PaddleOCR's models read BGR (OpenCV's order): channel 0 is blue.
        data[(2 - c) * plane + static_cast<size_t>(y) * width + x] =
            (static_cast<float>(p[c]) / 255.0f - 0.5f) / 0.5f;
      }
    }
  }
  return out;
}

Tensor PreprocessTextLines(std::span<const RgbImage* const> images, const TextLineShape& shape) {
  const int h = shape.height;
  TextLineShape common = shape;
  if (common.fixed_width <= 0) {
    double widest = static_cast<double>(shape.min_width) / h;
    for (const RgbImage* image : images) {
      widest = std::max(widest, static_cast<double>(image->width) / image->height);
    }
    common.fixed_width = std::clamp(static_cast<int>(h * widest), 1, std::max(shape.max_width, 1));
  }
  const int64_t n = static_cast<int64_t>(images.size());
  Tensor out = Tensor::Empty(DType::kFloat32, {n, 3, h, common.fixed_width});
  const size_t each = static_cast<size_t>(3) * h * common.fixed_width;
  for (int64_t i = 0; i < n; ++i) {
    Tensor one = PreprocessTextLine(*images[i], common);
    std::copy(one.data<float>(), one.data<float>() + each, out.data<float>() + i * each);
  }
  return out;
}

Result<std::vector<RecognizedText>> CtcGreedyDecode(const Tensor& probs,
                                                    const CharDictionary& dict) {
  if (probs.dtype() != DType::kFloat32 || probs.rank() != 3) {
    return Status::InvalidArgument("CTC decoding wants N x T x C float32 scores, got " +
                                   DTypeName(probs.dtype()) + " " + ShapeToString(probs.shape()));
  }
  const int64_t n = probs.dim(0), steps = probs.dim(1), classes = probs.dim(2);
  if (classes != dict.num_classes()) {
    return Status::InvalidArgument("CTC scores have " + std::to_string(classes) +
                                   " classes, the dictionary " +
                                   std::to_string(dict.num_classes()));
  }
  std::vector<RecognizedText> results(n);
  for (int64_t b = 0; b < n; ++b) {
    int64_t previous = -1;
    double sum = 0;
    int kept = 0;
    for (int64_t t = 0; t < steps; ++t) {
      const float* p = probs.data<float>() + (b * steps + t) * classes;
      const int64_t best = std::max_element(p, p + classes) - p;
      if (best != 0 && best != previous) {
        results[b].text += dict.Label(best);
        sum += p[best];
        ++kept;
      }
      previous = best;
    }
    results[b].confidence = kept ? static_cast<float>(sum / kept) : 0.0f;
  }
  return results;
}

Result<std::unique_ptr<TextRecognizer>> TextRecognizer::Create(engine::Model model,
                                                               CharDictionary dict,
                                                               engine::SessionOptions options) {
  const engine::Graph& g = model.graph;
  std::vector<const engine::ValueInfo*> inputs = FedInputs(g);
  if (inputs.size() != 1 || g.outputs.empty()) {
    return Status::InvalidArgument(
        "a text recognition model has one image input and a score output; this one has " +
        std::to_string(inputs.size()) + " inputs and " + std::to_string(g.outputs.size()) +
        " outputs");
  }
  TextLineShape shape;
  const engine::ValueInfo& in = *inputs[0];
  if (in.shape) {
    const auto& d = *in.shape;
    if (d.size() != 4 || (d[1].value != -1 && d[1].value != 3)) {
      return Status::InvalidArgument("the model's input \"" + in.name + "\" is not N x 3 x H x W");
    }
    if (d[2].value > 0) shape.height = static_cast<int>(d[2].value);
    if (d[3].value > 0) shape.fixed_width = static_cast<int>(d[3].value);
  }
  const engine::ValueInfo& out = g.outputs[0];
  if (out.shape && out.shape->size() == 3 && out.shape->back().value > 0) {
    IA_RETURN_IF_ERROR(dict.MatchClasses(out.shape->back().value));
  }
  std::string input_name = in.name;
  IA_ASSIGN_OR_RETURN(auto session, engine::Session::Create(std::move(model), options));
  return std::unique_ptr<TextRecognizer>(
      new TextRecognizer(std::move(session), std::move(dict), shape, std::move(input_name)));
}

Result<RecognizedText> TextRecognizer::Recognize(const RgbImage& image,
                                                 RecognitionTimings* timings) {
  IA_ASSIGN_OR_RETURN(auto texts, RecognizeBatch({&image, 1}, 1, timings));
  return std::move(texts[0]);
}

Result<std::vector<RecognizedText>> TextRecognizer::RecognizeBatch(std::span<const RgbImage> images,
                                                                   int batch_size,
                                                                   RecognitionTimings* timings) {
  RecognitionTimings total;
  std::vector<size_t> order(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i].width <= 0 || images[i].height <= 0) {
      return Status::InvalidArgument("text line image " + std::to_string(i) + " is empty");
    }
    order[i] = i;
  }
  // Lines of like shape together: little padding in each batch (PaddleOCR sorts the same way).
  auto ratio = [&](size_t i) { return static_cast<double>(images[i].width) / images[i].height; };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ratio(a) < ratio(b); });
  std::vector<RecognizedText> results(images.size());
  const size_t step = static_cast<size_t>(std::max(batch_size, 1));
  for (size_t begin = 0; begin < order.size(); begin += step) {
    const size_t end = std::min(order.size(), begin + step);
    std::vector<const RgbImage*> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back(&images[order[i]]);

    auto t0 = std::chrono::steady_clock::now();
    Tensor input = PreprocessTextLines(batch, shape_);
    total.preprocess_ms += MsSince(t0);

    t0 = std::chrono::steady_clock::now();
    IA_ASSIGN_OR_RETURN(auto outputs, session_->Run({{input_name_, std::move(input)}}));
    total.inference_ms += MsSince(t0);

    t0 = std::chrono::steady_clock::now();
    auto it = outputs.find(session_->model().graph.outputs[0].name);
    if (it == outputs.end()) return Status::Internal("the model produced no scores");
    const Tensor& probs = it->second;
    if (probs.rank() == 3 && probs.dim(2) != dict_.num_classes()) {
      IA_RETURN_IF_ERROR(dict_.MatchClasses(probs.dim(2)));
    }
    IA_ASSIGN_OR_RETURN(auto texts, CtcGreedyDecode(probs, dict_));
    if (texts.size() != batch.size()) {
      return Status::Internal("expected scores for " + std::to_string(batch.size()) +
                              " text lines, got " + ShapeToString(probs.shape()));
    }
    for (size_t i = begin; i < end; ++i) results[order[i]] = std::move(texts[i - begin]);
    total.decode_ms += MsSince(t0);
  }
  if (timings) *timings = total;
  return results;
}

}  // namespace ipfs_accelerate::models
