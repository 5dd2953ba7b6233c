// A model package: a directory that holds, beside its ONNX file, what turns inputs into tensors and
// tensors into answers, in the layout people already use — tokenizer.json (Hugging Face),
// config.json (the model's architecture) — and a small manifest of ours, accelerate.json:
//
//   {"task": "text-generation",                      // or feature-extraction
//    "model": "model.onnx", "tokenizer": "tokenizer.json",
//    "embedding": {"pooling": "mean", "normalize": true},       // feature-extraction
//    "generation": {"max_new_tokens": 64, "temperature": 0, "top_k": 0, "top_p": 1,
//                   "repetition_penalty": 1, "eos_token_id": [50256], "stop": ["\n\n"]},
//    "max_batch": 8,                                  // rows decoded or embedded together
//    "chat_format": "chatml"}                         // chat messages → prompt: chatml, llama3,
//    plain
//
// Without accelerate.json the task is read from config.json's model_type (gpt2, llama, … generate;
// bert, … embed) and sentence-transformers' 1_Pooling/config.json gives the pooling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "models/sampling.h"

namespace ipfs_accelerate::models {

enum class Task { kTextGeneration, kFeatureExtraction, kImageClassification };
// "text-generation", "feature-extraction", "image-classification"
const char* TaskName(Task task);

enum class Pooling { kMean, kCls, kLast };
const char* PoolingName(Pooling pooling);  // "mean", "cls", "last"

struct PackageManifest {
  Task task = Task::kFeatureExtraction;
  std::string model = "model.onnx";
  std::string tokenizer = "tokenizer.json";
  Pooling pooling = Pooling::kMean;
  bool normalize = true;
  SamplingOptions generation;     // the defaults a request starts from
  std::vector<std::string> stop;  // stop strings
  int max_batch = 8;
  int64_t max_positions = 0;  // the model's context (config.json), 0 when not said
  // How chat messages become a prompt (server/openai.h): "chatml", "llama3" or "plain"; "" to
  // tell from the tokenizer's special tokens.
  std::string chat_format;
  // image-classification: the shorter side resized to `resize`, the center `crop` × `crop`
  // kept, x/255 then (x - mean) / std per RGB channel; class names from "labels" (or
  // config.json's id2label).
  int resize = 256, crop = 224;
  float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  std::vector<std::string> labels;
};

// The files a manifest is read from; each "" when the package lacks it.
struct PackageFiles {
  std::string accelerate_json;
  std::string config_json;
  std::string pooling_json;  // 1_Pooling/config.json (sentence-transformers)
};

// Reads the package's manifest. kInvalidArgument naming the file and field that is wrong (not
// JSON, an unknown task or pooling, a number out of range); kNotFound when nothing says the task.
Result<PackageManifest> ParsePackage(const PackageFiles& files);

}  // namespace ipfs_accelerate::models
