#include "models/audio.h"

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace ipfs_accelerate::models {
namespace {

// libsndfile reads from memory through these callbacks (its "virtual I/O").
struct MemoryFile {
  std::string_view bytes;
  sf_count_t pos = 0;
};

sf_count_t Length(void* user) { return static_cast<MemoryFile*>(user)->bytes.size(); }

sf_count_t Seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : Length(user);
  f->pos = std::clamp<sf_count_t>(base + offset, 0, Length(user));
  return f->pos;
}

sf_count_t Read(void* out, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t n = std::clamp<sf_count_t>(Length(user) - f->pos, 0, count);
  std::memcpy(out, f->bytes.data() + f->pos, static_cast<size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t Write(const void*, sf_count_t, void*) { return 0; }
sf_count_t Tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

}  // namespace

Result<Audio> DecodeAudio(std::string_view bytes, const std::string& name, double max_seconds) {
  MemoryFile file{bytes};
  SF_VIRTUAL_IO io{Length, Seek, Read, Write, Tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> sf(sf_open_virtual(&io, SFM_READ, &info, &file),
                                                 sf_close);
  if (!sf) {
    return Status::InvalidArgument(name + " is no audio file libsndfile can read (" +
                                   sf_strerror(nullptr) + "); give a WAV, FLAC or Ogg file");
  }
  if (info.channels < 1 || info.samplerate < 1) {
    return Status::InvalidArgument(name + " declares " + std::to_string(info.channels) +
                                   " channels at " + std::to_string(info.samplerate) + " Hz");
  }
  if (info.frames <= 0) return Status::InvalidArgument(name + " holds no samples");
  if (double(info.frames) / info.samplerate > max_seconds) {
    return Status::InvalidArgument(name + " is " + std::to_string(info.frames / info.samplerate) +
                                   " s long; at most " + std::to_string(int64_t(max_seconds)) +
                                   " s are read (cut it into parts)");
  }
  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.samples.reserve(static_cast<size_t>(info.frames));
  std::vector<int16_t> block(static_cast<size_t>(4096) * info.channels);
  for (;;) {
    sf_count_t got = sf_readf_short(sf.get(), block.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      int32_t sum = 0;
      for (int c = 0; c < info.channels; ++c)
        sum += block[static_cast<size_t>(i * info.channels + c)];
      audio.samples.push_back(static_cast<int16_t>(sum / info.channels));
    }
  }
  if (sf_error(sf.get()) != SF_ERR_NO_ERROR) {
    return Status::InvalidArgument(name + ": " + sf_strerror(sf.get()));
  }
  if (audio.samples.empty()) return Status::InvalidArgument(name + " holds no samples");
  return audio;
}

}  // namespace ipfs_accelerate::models
