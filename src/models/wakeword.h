// Wake-word detection with openWakeWord's three stages: a melspectrogram model turns audio into
// 32 mel bands per 10 ms, a shared embedding model turns each 76-frame (~0.8 s) window into 96
// features, and a small head per wake word scores the last 16 embeddings (~1.3 s). One score per
// 80 ms of audio (1280 samples at 16 kHz), computed as openWakeWord's streaming AudioFeatures does:
// the melspectrogram of each chunk with the 480 samples before it (8 new frames), an embedding of
// the last 76 frames, the heads on the last embeddings.
//
// The state before the first sample is that of silence (openWakeWord starts from ones and random
// noise, which no one could reproduce): 480 zero samples, 76 mel frames of silence, and the
// embedding of that window repeated. Scores from the first ~1.3 s therefore depend on this choice.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/session.h"

namespace ipfs_accelerate::models {

inline constexpr int kWakeWordSampleRate = 16000;
inline constexpr int kWakeWordChunk = 1280;  // samples per score (80 ms)

struct WakeWordHead {
  std::string name;  // "hey_jarvis"
  engine::Model model;
};

struct WakeWordDetection {
  std::string keyword;
  double time_s = 0;   // the end of the chunk with the highest score
  double start_s = 0;  // the start of the first chunk at or above the threshold
  float score = 0;     // the highest score
};

struct WakeWordResult {
  std::vector<std::string> keywords;          // in the order of the heads
  std::vector<std::vector<float>> scores;     // [keyword][chunk]
  std::vector<WakeWordDetection> detections;  // in time order
  double audio_seconds = 0;
  double melspectrogram_ms = 0, embedding_ms = 0, heads_ms = 0;
};

class WakeWordDetector {
 public:
  // Checks that the models have the shapes of openWakeWord's (melspectrogram: [N, samples] →
  // [N, 1, frames, 32]; embedding: [N, 76, 32, 1] → [N, 1, 1, 96]; each head: [1, W, 96] → [1, 1])
  // and creates their sessions. kInvalidArgument naming the model and the shape otherwise.
  static Result<std::unique_ptr<WakeWordDetector>> Create(engine::Model melspectrogram,
                                                          engine::Model embedding,
                                                          std::vector<WakeWordHead> heads,
                                                          engine::SessionOptions options = {});

  // Scores 16 kHz mono `samples` (a last partial chunk is padded with silence) and reports the
  // runs of chunks whose score reaches `threshold`, one detection per run; a run that starts
  // within `cooldown_s` of the end of the word's last one belongs to it (one utterance whose
  // score dips, as openWakeWord's debounce treats it).
  Result<WakeWordResult> Detect(std::span<const int16_t> samples, float threshold = 0.5f,
                                double cooldown_s = 1.0) const;

 private:
  struct Head {
    std::string name;
    std::unique_ptr<engine::Session> session;
    std::string input;
    int window = 16;  // embeddings it reads
  };
  WakeWordDetector() = default;
  // Mel frames (32 floats each, already scaled as x/10 + 2) of `samples`.
  Result<std::vector<float>> Melspectrogram(std::span<const float> samples) const;
  // 96 features for each of `windows` (76 x 32 floats each, concatenated).
  Result<std::vector<float>> Embed(const std::vector<float>& windows, int64_t count) const;

  std::unique_ptr<engine::Session> mel_, embedding_;
  std::string mel_input_, embedding_input_;
  std::vector<Head> heads_;
};

}  // namespace ipfs_accelerate::models
