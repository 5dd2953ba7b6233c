#include "models/text_direction.h"

#include <algorithm>

#include "models/model_inputs.h"

namespace ipfs_accelerate::models {

Result<std::unique_ptr<TextDirectionClassifier>> TextDirectionClassifier::Create(
    engine::Model model, engine::SessionOptions options) {
  const engine::Graph& g = model.graph;
  std::vector<const engine::ValueInfo*> inputs = FedInputs(g);
  if (inputs.size() != 1 || g.outputs.empty()) {
    return Status::InvalidArgument(
        "a text direction model has one image input and a score output; this one has " +
        std::to_string(inputs.size()) + " inputs and " + std::to_string(g.outputs.size()) +
        " outputs");
  }
  TextLineShape shape{.height = 48, .min_width = 192, .fixed_width = 192};
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
  if (out.shape &&
      (out.shape->size() != 2 || ((*out.shape)[1].value > 0 && (*out.shape)[1].value != 2))) {
    return Status::InvalidArgument(
        "the model's output \"" + out.name + "\" has " + std::to_string(out.shape->size()) +
        " dimensions" +
        (out.shape->size() == 2 ? " and " + std::to_string((*out.shape)[1].value) + " classes"
                                : std::string()) +
        "; a text direction model gives N x 2 scores (0° and 180°): is this a cls model?");
  }
  std::string input_name = in.name;
  IA_ASSIGN_OR_RETURN(auto session, engine::Session::Create(std::move(model), options));
  return std::unique_ptr<TextDirectionClassifier>(
      new TextDirectionClassifier(std::move(session), shape, std::move(input_name)));
}

Result<std::vector<TextDirection>> TextDirectionClassifier::Classify(
    std::span<const RgbImage> lines, int batch_size) {
  std::vector<TextDirection> results;
  const size_t step = static_cast<size_t>(std::max(batch_size, 1));
  for (size_t begin = 0; begin < lines.size(); begin += step) {
    const size_t end = std::min(lines.size(), begin + step);
    std::vector<const RgbImage*> batch;
    for (size_t i = begin; i < end; ++i) {
      if (lines[i].width <= 0 || lines[i].height <= 0) {
        return Status::InvalidArgument("text line image " + std::to_string(i) + " is empty");
      }
      batch.push_back(&lines[i]);
    }
    IA_ASSIGN_OR_RETURN(auto outputs,
                        session_->Run({{input_name_, PreprocessTextLines(batch, shape_)}}));
    auto it = outputs.find(session_->model().graph.outputs[0].name);
    if (it == outputs.end()) return Status::Internal("the model produced no scores");
    const Tensor& probs = it->second;
    if (probs.dtype() != DType::kFloat32 || probs.rank() != 2 ||
        probs.dim(0) != static_cast<int64_t>(batch.size()) || probs.dim(1) != 2) {
      return Status::InvalidArgument("a text direction model should give N x 2 float scores; " +
                                     std::string("this one gave ") + DTypeName(probs.dtype()) +
                                     " " + ShapeToString(probs.shape()));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const float* p = probs.data<float>() + i * 2;
      const bool upside_down = p[1] > p[0];
      results.push_back({upside_down, upside_down ? p[1] : p[0]});
    }
  }
  return results;
}

}  // namespace ipfs_accelerate::models
