// wakeword: find wake words ("hey jarvis", "alexa") in an audio file with openWakeWord's models.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/json_util.h"
#include "engine/onnx_loader.h"
#include "models/audio.h"
#include "models/wakeword.h"
#include "router/model_ref.h"

namespace ipfs_accelerate::cli {
namespace {

constexpr char kDefaultModels[] = "/ipfs/openwakeword";  // an alias `make demo` adds

struct WakeWordOpts {
  std::string audio, models = kDefaultModels;
  std::vector<std::string> keywords{"hey_jarvis"};
  float threshold = 0.5f;
  double cooldown = 1.0;
  int threads = 0;
  bool json = false;
};

Result<engine::Model> LoadFrom(const std::string& repo, const std::string& ref) {
  IA_ASSIGN_OR_RETURN(router::FileRef file, router::ReadFileRef(repo, ref, ""));
  auto model = engine::ParseModel(file.bytes, file.base_dir);
  if (!model.ok()) return model.status().WithContext(ref);
  return model;
}

// A head named by keyword: DIR/NAME.onnx, else openWakeWord's DIR/NAME_v0.1.onnx; a name ending in
// .onnx is a model of its own (a path or CID).
Result<engine::Model> LoadHead(const std::string& repo, const std::string& dir,
                               const std::string& keyword) {
  if (keyword.size() > 5 && keyword.ends_with(".onnx")) return LoadFrom(repo, keyword);
  auto plain = LoadFrom(repo, dir + "/" + keyword + ".onnx");
  if (plain.ok() || plain.status().code() != StatusCode::kNotFound) return plain;
  auto versioned = LoadFrom(repo, dir + "/" + keyword + "_v0.1.onnx");
  if (versioned.ok() || versioned.status().code() != StatusCode::kNotFound) return versioned;
  return Status::NotFound("no wake-word model " + keyword + ".onnx (or " + keyword +
                          "_v0.1.onnx) in " + dir + "; pass --keyword FILE.onnx for another");
}

std::string Name(const std::string& keyword) {
  size_t slash = keyword.find_last_of('/');
  std::string base = slash == std::string::npos ? keyword : keyword.substr(slash + 1);
  if (base.ends_with(".onnx")) base.resize(base.size() - 5);
  if (base.ends_with("_v0.1")) base.resize(base.size() - 5);
  return base;
}

int Run(const Context& ctx, const WakeWordOpts& o) {
  auto file = router::ReadFileRef(ctx.repo_flag, o.audio, "");
  if (!file.ok()) return Fail(file.status());
  auto audio = models::DecodeAudio(file->bytes, o.audio);
  if (!audio.ok()) return Fail(audio.status());
  if (audio->sample_rate != models::kWakeWordSampleRate) {
    return Fail(Status::InvalidArgument(
        o.audio + " is sampled at " + std::to_string(audio->sample_rate) +
        " Hz; the wake-word models take 16000 Hz: resample it first (sox IN.wav -r 16000 "
        "OUT.wav, or ffmpeg -i IN -ar 16000 -ac 1 OUT.wav)"));
  }
  auto mel = LoadFrom(ctx.repo_flag, o.models + "/melspectrogram.onnx");
  if (!mel.ok()) {
    if (o.models == kDefaultModels && mel.status().code() == StatusCode::kNotFound) {
      return Fail(Status::NotFound(
          "the default wake-word models (alias openwakeword in the repository) are not there: "
          "run `make demo`, or add openWakeWord's model directory (ipfs-accelerate add -r "
          "--alias openwakeword DIR), or pass --models DIR|CID"));
    }
    return Fail(mel.status());
  }
  auto embedding = LoadFrom(ctx.repo_flag, o.models + "/embedding_model.onnx");
  if (!embedding.ok()) return Fail(embedding.status());
  std::vector<models::WakeWordHead> heads;
  for (const std::string& k : o.keywords) {
    auto head = LoadHead(ctx.repo_flag, o.models, k);
    if (!head.ok()) return Fail(head.status());
    heads.push_back({Name(k), std::move(head).value()});
  }
  auto detector =
      models::WakeWordDetector::Create(std::move(mel).value(), std::move(embedding).value(),
                                       std::move(heads), {.threads = o.threads});
  if (!detector.ok()) return Fail(detector.status());
  auto result = (*detector)->Detect(audio->samples, o.threshold, o.cooldown);
  if (!result.ok()) return Fail(result.status());

  if (o.json) {
    nlohmann::json scores = nlohmann::json::object(), detections = nlohmann::json::array();
    for (size_t k = 0; k < result->keywords.size(); ++k) {
      scores[result->keywords[k]] = result->scores[k];
    }
    for (const auto& d : result->detections) {
      detections.push_back({{"keyword", d.keyword},
                            {"time_s", d.time_s},
                            {"start_s", d.start_s},
                            {"score", d.score}});
    }
    nlohmann::json out{
        {"audio_seconds", result->audio_seconds},
        {"chunk_seconds", double(models::kWakeWordChunk) / models::kWakeWordSampleRate},
        {"threshold", o.threshold},
        {"detections", detections},
        {"scores", scores},
        {"timings_ms",
         {{"melspectrogram", result->melspectrogram_ms},
          {"embedding", result->embedding_ms},
          {"heads", result->heads_ms}}}};
    std::printf("%s\n", DumpJson(out).c_str());
    return 0;
  }
  for (const auto& d : result->detections) {
    std::printf("%s at %.2f s (score %.3f, from %.2f s)\n", d.keyword.c_str(), d.time_s, d.score,
                d.start_s);
  }
  if (result->detections.empty()) {
    for (size_t k = 0; k < result->keywords.size(); ++k) {
      size_t best = 0;
      for (size_t c = 0; c < result->scores[k].size(); ++c) {
        if (result->scores[k][c] > result->scores[k][best]) best = c;
      }
      std::printf("no %s (highest score %.3f at %.2f s, threshold %.2f)\n",
                  result->keywords[k].c_str(), result->scores[k][best], (best + 1) * 0.08,
                  o.threshold);
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

void RegisterWakeWordCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<WakeWordOpts>();
  auto* cmd = app.add_subcommand(
      "wakeword",
      "Find wake words in an audio file with openWakeWord's models (melspectrogram, embedding, "
      "one head per word): one line per detection with its time and score");
  cmd->add_option("audio", o->audio, "Audio file (WAV, FLAC, Ogg; 16 kHz), path or CID")
      ->required();
  cmd->add_option("--models", o->models,
                  "Directory with melspectrogram.onnx, embedding_model.onnx and the heads: path or "
                  "CID/alias[/path] (default: " +
                      std::string(kDefaultModels) + ")");
  cmd->add_option("-k,--keyword", o->keywords,
                  "Wake word to look for: a head in the models directory (hey_jarvis, alexa, "
                  "hey_mycroft, …) or an ONNX file; repeat for more (default: hey_jarvis)")
      ->take_all();
  cmd->add_option("--threshold", o->threshold, "Score at which a word counts as said (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--cooldown", o->cooldown,
                  "Seconds after a detection in which the same word counts as the same utterance "
                  "(default 1)")
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_option("--threads", o->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_flag("--json", o->json,
                "Print JSON: the detections and every score (one per 80 ms chunk, per word)");
  cmd->callback([&ctx, o] { ctx.run = [&ctx, o] { return Run(ctx, *o); }; });
}

}  // namespace ipfs_accelerate::cli
