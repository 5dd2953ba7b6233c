// Audio for the audio pipelines: a WAV file (or any format libsndfile reads: FLAC, Ogg, AIFF, …)
// decoded to 16-bit mono samples, which is what the wake-word models were trained on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models {

struct Audio {
  int sample_rate = 0;
  std::vector<int16_t> samples;  // mono: several channels are averaged
  double seconds() const { return sample_rate ? double(samples.size()) / sample_rate : 0; }
};

// Decodes the file bytes `bytes` (`name` is for messages). Samples in other encodings (24/32-bit,
// float) are scaled to 16 bits as libsndfile does. kInvalidArgument naming the file and what is
// wrong: not an audio file, an encoding libsndfile cannot read, no samples, over `max_seconds`.
Result<Audio> DecodeAudio(std::string_view bytes, const std::string& name,
                          double max_seconds = 3600);

}  // namespace ipfs_accelerate::models
