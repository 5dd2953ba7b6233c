#include "models/text_detection.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/contours.h"
#include "models/image_ops.h"
#include "models/model_inputs.h"

namespace ipfs_accelerate::models {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Whether p lies inside the convex quad or on its edges, whichever way round its corners go.
bool InsideConvex(const Quad& q, double x, double y) {
  bool pos = false, neg = false;
  for (int i = 0; i < 4; ++i) {
    const PointF& a = q[i];
    const PointF& b = q[(i + 1) % 4];
    const double c = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    pos |= c > 0;
    neg |= c < 0;
  }
  return !(pos && neg);
}

}  // namespace

DetectorInput PlanDetectorInput(int width, int height, const DetectionOptions& options) {
  double w = width, h = height;
  double ratio = 1;
  const double limit = std::max(options.limit_side_len, 1);
  if (options.limit_type == SideLimit::kMax && std::max(w, h) > limit) {
    ratio = limit / std::max(w, h);
  } else if (options.limit_type == SideLimit::kMin && std::min(w, h) < limit) {
    ratio = limit / std::min(w, h);
  }
  w *= ratio;
  h *= ratio;
  DetectorInput in;
  in.width = std::max(static_cast<int>(std::ceil(w / 32)) * 32, 32);
  in.height = std::max(static_cast<int>(std::ceil(h / 32)) * 32, 32);
  // sharp's fit "contain": the factor that fits the image in both directions, the scaled size
  // rounded, centred with the odd pixel of padding after it.
  const double factor =
      std::max(static_cast<double>(width) / in.width, static_cast<double>(height) / in.height);
  in.scaled_width = std::clamp(static_cast<int>(std::lround(width / factor)), 1, in.width);
  in.scaled_height = std::clamp(static_cast<int>(std::lround(height / factor)), 1, in.height);
  in.scale = 1 / factor;
  in.left = (in.width - in.scaled_width) / 2;
  in.top = (in.height - in.scaled_height) / 2;
  return in;
}

Tensor PreprocessForDetection(const RgbImage& image, const DetectorInput& plan,
                              const DetectionOptions& options) {
  const RgbImage canvas = PlaceOnCanvas(
      plan.resized()
          ? ResizeSharp(image, plan.scaled_width, plan.scaled_height, plan.scale, plan.scale)
          : image,
      plan.width, plan.height, plan.left, plan.top, 0);
  Tensor out = Tensor::Empty(DType::kFloat32, {1, 3, plan.height, plan.width});
  float* data = out.data<float>();
  const size_t plane = static_cast<size_t>(plan.height) * plan.width;
  float mul[3], add[3];
  for (int c = 0; c < 3; ++c) {
    mul[c] = 1.0f / (255.0f * options.std[c]);
    add[c] = -options.mean[c] / options.std[c];
  }
  for (size_t i = 0; i < plane; ++i) {
    const uint8_t* p = &canvas.rgb[i * 3];
    for (int c = 0; c < 3; ++c) data[(2 - c) * plane + i] = p[c] * mul[c] + add[c];  // BGR
  }
  return out;
}

float BoxScore(std::span<const float> prob, int width, int height, const Quad& quad) {
  Quad q;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int i = 0; i < 4; ++i) {
    x0 = std::min(x0, quad[i].x);
    x1 = std::max(x1, quad[i].x);
    y0 = std::min(y0, quad[i].y);
    y1 = std::max(y1, quad[i].y);
    q[i] = {std::trunc(quad[i].x), std::trunc(quad[i].y)};  // fillPoly on int32 corners
  }
  const int xmin = std::clamp(static_cast<int>(std::floor(x0)), 0, width - 1);
  const int xmax = std::clamp(static_cast<int>(std::ceil(x1)), 0, width - 1);
  const int ymin = std::clamp(static_cast<int>(std::floor(y0)), 0, height - 1);
  const int ymax = std::clamp(static_cast<int>(std::ceil(y1)), 0, height - 1);
  double sum = 0;
  int64_t count = 0;
  for (int y = ymin; y <= ymax; ++y) {
    for (int x = xmin; x <= xmax; ++x) {
      if (!InsideConvex(q, x, y)) continue;
      sum += prob[static_cast<size_t>(y) * width + x];
      ++count;
    }
  }
  return count ? static_cast<float>(sum / count) : 0.0f;
}

std::vector<DetectedBox> DbPostprocess(std::span<const float> prob, int width, int height,
                                       const DetectionOptions& options) {
  std::vector<DetectedBox> boxes;
  if (width <= 0 || height <= 0 || prob.size() < static_cast<size_t>(width) * height) return boxes;
  std::vector<uint8_t> mask(static_cast<size_t>(width) * height);
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = prob[i] > options.threshold;

  for (const Contour& contour : FindContours(mask, width, height)) {
    std::vector<PointF> points;
    points.reserve(contour.points.size());
    for (const PixelPoint& p : contour.points) points.push_back({double(p.x), double(p.y)});
    const MiniBox tight = GetMiniBox(points);
    if (tight.short_side < options.min_size) continue;
    const float score = BoxScore(prob, width, height, tight.box);
    if (score < options.box_threshold) continue;
    const std::vector<PointF> grown = UnclipPolygon(tight.box, options.unclip_ratio);
    if (grown.empty()) continue;
    MiniBox box = GetMiniBox(grown);
    if (box.short_side < options.min_size + 2) continue;
    for (PointF& p : box.box) {
      p.x = std::clamp(std::round(p.x), 0.0, static_cast<double>(width));
      p.y = std::clamp(std::round(p.y), 0.0, static_cast<double>(height));
    }
    const Quad ordered = OrderClockwise(box.box);
    if (static_cast<int>(Distance(ordered[0], ordered[1])) <= 3 ||
        static_cast<int>(Distance(ordered[0], ordered[3])) <= 3) {
      continue;
    }
    boxes.push_back({box.box, score});
  }
  return boxes;
}

Result<std::unique_ptr<TextDetector>> TextDetector::Create(engine::Model model,
                                                           DetectionOptions options,
                                                           engine::SessionOptions session) {
  const engine::Graph& g = model.graph;
  std::vector<const engine::ValueInfo*> inputs = FedInputs(g);
  if (inputs.size() != 1 || g.outputs.empty()) {
    return Status::InvalidArgument(
        "a text detection model has one image input and a probability map output; this one "
        "has " +
        std::to_string(inputs.size()) + " inputs and " + std::to_string(g.outputs.size()) +
        " outputs");
  }
  const engine::ValueInfo& in = *inputs[0];
  if (in.shape) {
    const auto& d = *in.shape;
    if (d.size() != 4 || (d[1].value != -1 && d[1].value != 3)) {
      return Status::InvalidArgument("the model's input \"" + in.name + "\" is not N x 3 x H x W");
    }
    if (d[2].value > 0 || d[3].value > 0) {
      return Status::Unsupported("the model's input \"" + in.name +
                                 "\" has a fixed height or width; a DB text detector reads "
                                 "pages of any size (multiples of 32)");
    }
  }
  const engine::ValueInfo& out = g.outputs[0];
  if (out.shape && out.shape->size() != 4) {
    return Status::InvalidArgument("the model's output \"" + out.name + "\" has " +
                                   std::to_string(out.shape->size()) +
                                   " dimensions; a DB text detector gives an N x 1 x H x W "
                                   "probability map: is this a det model?");
  }
  std::string input_name = in.name;
  IA_ASSIGN_OR_RETURN(auto s, engine::Session::Create(std::move(model), session));
  return std::unique_ptr<TextDetector>(new TextDetector(std::move(s), options, input_name));
}

Result<std::vector<DetectedBox>> TextDetector::Detect(const RgbImage& image,
                                                      DetectionTimings* timings) {
  if (image.width <= 0 || image.height <= 0) return Status::InvalidArgument("the image is empty");
  auto t0 = std::chrono::steady_clock::now();
  const DetectorInput plan = PlanDetectorInput(image.width, image.height, options_);
  Tensor input = PreprocessForDetection(image, plan, options_);
  const double preprocess_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  IA_ASSIGN_OR_RETURN(auto outputs, session_->Run({{input_name_, std::move(input)}}));
  const double inference_ms = MsSince(t0);

  t0 = std::chrono::steady_clock::now();
  auto it = outputs.find(session_->model().graph.outputs[0].name);
  if (it == outputs.end()) return Status::Internal("the model produced no probability map");
  const Tensor& map = it->second;
  if (map.dtype() != DType::kFloat32 || map.rank() != 4 || map.dim(0) != 1 || map.dim(1) != 1 ||
      map.dim(2) != plan.height || map.dim(3) != plan.width) {
    return Status::InvalidArgument(
        "a text detection model should give a 1 x 1 x " + std::to_string(plan.height) + " x " +
        std::to_string(plan.width) + " float probability map for this page; this one gave " +
        DTypeName(map.dtype()) + " " + ShapeToString(map.shape()) + ": is it a DB det model?");
  }
  std::vector<DetectedBox> boxes = DbPostprocess(
      {map.data<float>(), static_cast<size_t>(map.numel())}, plan.width, plan.height, options_);
  for (DetectedBox& b : boxes) {
    for (PointF& p : b.box) {
      p = plan.ToImage(p);
      p.x = std::clamp(p.x, 0.0, static_cast<double>(image.width));
      p.y = std::clamp(p.y, 0.0, static_cast<double>(image.height));
    }
  }
  if (timings) *timings = {preprocess_ms, inference_ms, MsSince(t0)};
  return boxes;
}

}  // namespace ipfs_accelerate::models
