#include "models/wakeword.h"

#include <algorithm>
#include <chrono>

#include "models/model_inputs.h"

namespace ipfs_accelerate::models {
namespace {

constexpr int kMelBands = 32;
constexpr int kWindowFrames = 76;    // mel frames an embedding reads
constexpr int kFramesPerChunk = 8;   // new mel frames per chunk
constexpr int kContext = 480;        // samples before a chunk its melspectrogram also reads
constexpr int kFeatures = 96;        // per embedding
constexpr int64_t kEmbedBatch = 64;  // windows per embedding run

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The one input that is not an initializer, and its declared dims (-1 where dynamic).
Result<std::pair<std::string, std::vector<int64_t>>> OnlyInput(const engine::Model& model,
                                                               const std::string& what) {
  const engine::Graph& g = model.graph;
  std::vector<const engine::ValueInfo*> inputs = FedInputs(g);
  if (inputs.size() != 1 || g.outputs.size() != 1) {
    return Status::InvalidArgument("the " + what + " model should have one input and one output; " +
                                   "it has " + std::to_string(inputs.size()) + " and " +
                                   std::to_string(g.outputs.size()));
  }
  std::vector<int64_t> dims;
  if (inputs[0]->shape) {
    for (const engine::Dim& d : *inputs[0]->shape) dims.push_back(d.value > 0 ? d.value : -1);
  }
  return std::make_pair(inputs[0]->name, dims);
}

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    out += (i ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  }
  return out + "]";
}

Result<Tensor> OnlyOutput(std::map<std::string, Tensor> outputs, const char* what) {
  if (outputs.size() != 1 || outputs.begin()->second.dtype() != DType::kFloat32) {
    return Status::InvalidArgument(std::string("the ") + what +
                                   " model did not answer one float32 tensor");
  }
  return std::move(outputs.begin()->second);
}

}  // namespace

Result<std::unique_ptr<WakeWordDetector>> WakeWordDetector::Create(engine::Model melspectrogram,
                                                                   engine::Model embedding,
                                                                   std::vector<WakeWordHead> heads,
                                                                   engine::SessionOptions options) {
  if (heads.empty()) return Status::InvalidArgument("no wake-word model to score with");
  std::unique_ptr<WakeWordDetector> d(new WakeWordDetector());

  IA_ASSIGN_OR_RETURN(auto mel_in, OnlyInput(melspectrogram, "melspectrogram"));
  if (!mel_in.second.empty() && mel_in.second.size() != 2) {
    return Status::InvalidArgument("the melspectrogram model's input is " +
                                   DimsText(mel_in.second) + "; openWakeWord's is [N, samples]");
  }
  IA_ASSIGN_OR_RETURN(auto emb_in, OnlyInput(embedding, "embedding"));
  const std::vector<int64_t> want{-1, kWindowFrames, kMelBands, 1};
  bool fits = emb_in.second.size() == 4;
  for (size_t i = 1; fits && i < 4; ++i) fits = emb_in.second[i] == want[i];
  if (!fits) {
    return Status::InvalidArgument("the embedding model's input is " + DimsText(emb_in.second) +
                                   "; openWakeWord's is [N, 76, 32, 1]");
  }
  d->mel_input_ = mel_in.first;
  d->embedding_input_ = emb_in.first;
  IA_ASSIGN_OR_RETURN(d->mel_, engine::Session::Create(std::move(melspectrogram), options));
  IA_ASSIGN_OR_RETURN(d->embedding_, engine::Session::Create(std::move(embedding), options));
  for (WakeWordHead& h : heads) {
    IA_ASSIGN_OR_RETURN(auto in, OnlyInput(h.model, h.name));
    if (in.second.size() != 3 || in.second[2] != kFeatures || in.second[1] <= 0) {
      return Status::InvalidArgument("the wake-word model " + h.name + " reads " +
                                     DimsText(in.second) +
                                     "; an openWakeWord head reads [1, W, 96] embeddings");
    }
    Head head{h.name, nullptr, in.first, static_cast<int>(in.second[1])};
    IA_ASSIGN_OR_RETURN(head.session, engine::Session::Create(std::move(h.model), options));
    d->heads_.push_back(std::move(head));
  }
  return d;
}

Result<std::vector<float>> WakeWordDetector::Melspectrogram(std::span<const float> samples) const {
  Tensor in = Tensor::Empty(DType::kFloat32, {1, static_cast<int64_t>(samples.size())});
  std::copy(samples.begin(), samples.end(), in.data<float>());
  IA_ASSIGN_OR_RETURN(auto outputs, mel_->Run({{mel_input_, std::move(in)}}));
  IA_ASSIGN_OR_RETURN(Tensor out, OnlyOutput(std::move(outputs), "melspectrogram"));
  if (out.numel() % kMelBands != 0 || out.shape().back() != kMelBands) {
    return Status::InvalidArgument("the melspectrogram model answered " +
                                   ShapeToString(out.shape()) + ", not frames of 32 mel bands");
  }
  std::vector<float> frames(out.data<float>(), out.data<float>() + out.numel());
  for (float& v : frames) v = v / 10.0f + 2.0f;  // openWakeWord's scaling
  return frames;
}

Result<std::vector<float>> WakeWordDetector::Embed(const std::vector<float>& windows,
                                                   int64_t count) const {
  std::vector<float> features;
  features.reserve(static_cast<size_t>(count * kFeatures));
  const int64_t window_floats = kWindowFrames * kMelBands;
  for (int64_t first = 0; first < count; first += kEmbedBatch) {
    const int64_t n = std::min(kEmbedBatch, count - first);
    Tensor in = Tensor::Empty(DType::kFloat32, {n, kWindowFrames, kMelBands, 1});
    std::copy_n(windows.data() + first * window_floats, n * window_floats, in.data<float>());
    IA_ASSIGN_OR_RETURN(auto outputs, embedding_->Run({{embedding_input_, std::move(in)}}));
    IA_ASSIGN_OR_RETURN(Tensor out, OnlyOutput(std::move(outputs), "embedding"));
    if (out.numel() != n * kFeatures) {
      return Status::InvalidArgument("the embedding model answered " + ShapeToString(out.shape()) +
                                     " for " + std::to_string(n) +
                                     " windows, not 96 features each");
    }
    features.insert(features.end(), out.data<float>(), out.data<float>() + out.numel());
  }
  return features;
}

Result<WakeWordResult> WakeWordDetector::Detect(std::span<const int16_t> samples, float threshold,
                                                double cooldown_s) const {
  WakeWordResult result;
  result.audio_seconds = double(samples.size()) / kWakeWordSampleRate;
  const int64_t chunks =
      (static_cast<int64_t>(samples.size()) + kWakeWordChunk - 1) / kWakeWordChunk;
  if (chunks == 0) return Status::InvalidArgument("no audio to score");

  // The audio as floats at int16 scale (what the melspectrogram model takes), after 480 samples
  // of silence and padded with silence to whole chunks.
  std::vector<float> audio(static_cast<size_t>(kContext + chunks * kWakeWordChunk), 0.0f);
  std::copy(samples.begin(), samples.end(), audio.begin() + kContext);

  // Mel frames: 76 of silence first, then 8 per chunk (each chunk with the 480 samples before it).
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> zeros(kContext + kWakeWordChunk, 0.0f);
  IA_ASSIGN_OR_RETURN(std::vector<float> silence, Melspectrogram(zeros));
  if (silence.size() < kMelBands) return Status::InvalidArgument("no mel frames for silence");
  std::vector<float> mel;
  mel.reserve(static_cast<size_t>((kWindowFrames + chunks * kFramesPerChunk) * kMelBands));
  for (int i = 0; i < kWindowFrames; ++i) {
    mel.insert(mel.end(), silence.begin(), silence.begin() + kMelBands);
  }
  for (int64_t c = 0; c < chunks; ++c) {
    std::span<const float> in(audio.data() + c * kWakeWordChunk, kContext + kWakeWordChunk);
    IA_ASSIGN_OR_RETURN(std::vector<float> frames, Melspectrogram(in));
    if (frames.size() != static_cast<size_t>(kFramesPerChunk * kMelBands)) {
      return Status::InvalidArgument("the melspectrogram model made " +
                                     std::to_string(frames.size() / kMelBands) + " frames of " +
                                     std::to_string(kContext + kWakeWordChunk) +
                                     " samples; openWakeWord's makes 8");
    }
    mel.insert(mel.end(), frames.begin(), frames.end());
  }
  result.melspectrogram_ms = MsSince(t0);

  // One embedding for the silence before the audio and one per chunk: the last 76 frames.
  t0 = std::chrono::steady_clock::now();
  const int64_t window_floats = kWindowFrames * kMelBands;
  std::vector<float> windows(static_cast<size_t>((chunks + 1) * window_floats));
  for (int64_t w = 0; w <= chunks; ++w) {
    const float* last = mel.data() + w * kFramesPerChunk * kMelBands;
    std::copy_n(last, window_floats, windows.data() + w * window_floats);
  }
  IA_ASSIGN_OR_RETURN(std::vector<float> features, Embed(windows, chunks + 1));
  result.embedding_ms = MsSince(t0);

  // Each head scores the last W embeddings after each chunk; before the audio, silence's.
  t0 = std::chrono::steady_clock::now();
  for (const Head& head : heads_) {
    result.keywords.push_back(head.name);
    std::vector<float>& scores = result.scores.emplace_back();
    scores.reserve(static_cast<size_t>(chunks));
    for (int64_t c = 1; c <= chunks; ++c) {
      Tensor in = Tensor::Empty(DType::kFloat32, {1, head.window, kFeatures});
      float* dst = in.data<float>();
      for (int64_t k = c - head.window + 1; k <= c; ++k) {
        const float* src = features.data() + std::max<int64_t>(k, 0) * kFeatures;
        dst = std::copy_n(src, kFeatures, dst);
      }
      IA_ASSIGN_OR_RETURN(auto outputs, head.session->Run({{head.input, std::move(in)}}));
      IA_ASSIGN_OR_RETURN(Tensor out, OnlyOutput(std::move(outputs), head.name.c_str()));
      if (out.numel() != 1) {
        return Status::InvalidArgument("the wake-word model " + head.name + " answered " +
                                       ShapeToString(out.shape()) + ", not one score");
      }
      scores.push_back(out.data<float>()[0]);
    }
  }
  result.heads_ms = MsSince(t0);

  // Runs of chunks at or above the threshold, one detection each; runs close together are one.
  const double chunk_s = double(kWakeWordChunk) / kWakeWordSampleRate;
  for (size_t k = 0; k < result.keywords.size(); ++k) {
    const std::vector<float>& s = result.scores[k];
    double last_end = 0;
    bool any = false;
    for (size_t c = 0; c < s.size(); ++c) {
      if (s[c] < threshold) continue;
      const double start = c * chunk_s;
      if (!any || start - last_end > cooldown_s) {
        result.detections.push_back({result.keywords[k], (c + 1) * chunk_s, start, s[c]});
        any = true;
      }
      WakeWordDetection& d = result.detections.back();
      for (; c < s.size() && s[c] >= threshold; ++c) {
        if (s[c] > d.score) d.score = s[c], d.time_s = (c + 1) * chunk_s;
      }
      last_end = c * chunk_s;
    }
  }
  std::stable_sort(result.detections.begin(), result.detections.end(),
                   [](const auto& a, const auto& b) { return a.time_s < b.time_s; });
  return result;
}

}  // namespace ipfs_accelerate::models
