// Model packages (models/package.h) read from where users keep them: a local directory, or a
// CID/alias[/path] of one in the store; and the task pipelines made from them.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/embedding.h"
#include "models/image_classification.h"
#include "models/package.h"
#include "models/text_generation.h"
#include "models/tokenizer/tokenizer.h"

namespace ipfs_accelerate::router {

struct TaskPackage {
  models::PackageManifest manifest;
  engine::Model model;
  std::unique_ptr<models::Tokenizer> tokenizer;
  std::string model_cid;  // the ONNX file's CID (computed for a local file)
};

// Reads the package at `ref`: its manifest (accelerate.json, config.json,
// 1_Pooling/config.json), tokenizer and model. Errors name the package and the file.
Result<TaskPackage> LoadTaskPackage(const std::string& repo_flag, const std::string& ref);

Result<std::unique_ptr<models::TextGenerationPipeline>> MakeTextGeneration(
    TaskPackage package, engine::SessionOptions options = {});
Result<std::unique_ptr<models::ImageClassifier>> MakeImageClassifier(
    TaskPackage package, engine::SessionOptions options = {});
Result<std::unique_ptr<models::EmbeddingPipeline>> MakeEmbedding(
    TaskPackage package, engine::SessionOptions options = {});

}  // namespace ipfs_accelerate::router
