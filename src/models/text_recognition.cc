#include "models/text_recognition.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/file_util.h"

namespace ipfs_accelerate::models {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// OpenCV's INTER_LINEAR taps for one axis: the two source indices and their weights in 1/2048ths
// (OpenCV's fixed point), with the half-pixel centre convention and clamping at the borders.
struct LinearTaps {
  std::vector<int> i0, i1;
  std::vector<int32_t> w0, w1;
};

LinearTaps MakeTaps(int src, int dst) {
  constexpr int kScale = 2048;
  LinearTaps t;
  t.i0.resize(dst);
  t.i1.resize(dst);
  t.w0.resize(dst);
  t.w1.resize(dst);
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    double f = (d + 0.5) * scale - 0.5;
    int s = static_cast<int>(std::floor(f));
    f -= s;
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    t.i0[d] = s;
    t.i1[d] = std::min(s + 1, src - 1);
    t.w0[d] = static_cast<int32_t>(std::lround((1.0 - f) * kScale));
    t.w1[d] = kScale - t.w0[d];
  }
  return t;
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
  const LinearTaps xs = MakeTaps(image.width, resized);
  const LinearTaps ys = MakeTaps(image.height, h);
  const size_t plane = static_cast<size_t>(h) * width;
  for (int y = 0; y < h; ++y) {
    const uint8_t* r0 = image.Pixel(0, ys.i0[y]);
    const uint8_t* r1 = image.Pixel(0, ys.i1[y]);
    for (int x = 0; x < resized; ++x) {
      const int a = xs.i0[x] * 3, b = xs.i1[x] * 3;
      for (int c = 0; c < 3; ++c) {
        const int64_t top = int64_t{r0[a + c]} * xs.w0[x] + int64_t{r0[b + c]} * xs.w1[x];
        const int64_t bottom = int64_t{r1[a + c]} * xs.w0[x] + int64_t{r1[b + c]} * xs.w1[x];
        const int64_t v = (top * ys.w0[y] + bottom * ys.w1[y] + (1 << 21)) >> 22;
        // PaddleOCR's models read BGR (OpenCV's order): channel 0 is blue.
        data[(2 - c) * plane + static_cast<size_t>(y) * width + x] =
            (static_cast<float>(v) / 255.0f - 0.5f) / 0.5f;
      }
    }
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
  std::vector<const engine::ValueInfo*> inputs;
  for (const auto& in : g.inputs) {
    if (!g.initializers.count(in.name)) inputs.push_back(&in);
  }
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
  if (image.width <= 0 || image.height <= 0) return Status::InvalidArgument("the image is empty");
  auto t0 = std::chrono::steady_clock::now();
  Tensor input = PreprocessTextLine(image, shape_);
  const double preprocess_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  IA_ASSIGN_OR_RETURN(auto outputs, session_->Run({{input_name_, std::move(input)}}));
  const double inference_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  auto it = outputs.find(session_->model().graph.outputs[0].name);
  if (it == outputs.end()) return Status::Internal("the model produced no scores");
  const Tensor& probs = it->second;
  if (probs.rank() == 3 && probs.dim(2) != dict_.num_classes()) {
    IA_RETURN_IF_ERROR(dict_.MatchClasses(probs.dim(2)));
  }
  IA_ASSIGN_OR_RETURN(auto texts, CtcGreedyDecode(probs, dict_));
  if (texts.size() != 1)
    return Status::Internal("expected scores for one text line, got " +
                            ShapeToString(probs.shape()));
  if (timings) *timings = {preprocess_ms, inference_ms, MsSince(t0)};
  return std::move(texts[0]);
}

}  // namespace ipfs_accelerate::models
