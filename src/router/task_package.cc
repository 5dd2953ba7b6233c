#include "router/task_package.h"

#include "router/model_ref.h"

namespace ipfs_accelerate::router {
namespace {

// The file `name` of the package, or "" when it has none.
Result<std::string> Optional(const std::string& repo_flag, const std::string& ref,
                             const std::string& name) {
  auto file = ReadFileRef(repo_flag, ref + "/" + name, "");
  if (file.ok()) return std::move(file->bytes);
  if (file.status().code() == StatusCode::kNotFound) return std::string();
  return file.status();
}

}  // namespace

Result<TaskPackage> LoadTaskPackage(const std::string& repo_flag, const std::string& ref) {
  std::string base = ref;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  models::PackageFiles files;
  IA_ASSIGN_OR_RETURN(files.accelerate_json, Optional(repo_flag, base, "accelerate.json"));
  IA_ASSIGN_OR_RETURN(files.config_json, Optional(repo_flag, base, "config.json"));
  IA_ASSIGN_OR_RETURN(files.pooling_json, Optional(repo_flag, base, "1_Pooling/config.json"));
  auto manifest = models::ParsePackage(files);
  if (!manifest.ok()) return manifest.status().WithContext("the package " + ref);
  TaskPackage p;
  p.manifest = std::move(manifest).value();
  if (p.manifest.task != models::Task::kImageClassification) {  // text tasks need a tokenizer
    auto tokenizer_file = ReadFileRef(repo_flag, base + "/" + p.manifest.tokenizer, "");
    if (!tokenizer_file.ok()) {
      return tokenizer_file.status().WithContext("the package " + ref + " needs " +
                                                 p.manifest.tokenizer);
    }
    IA_ASSIGN_OR_RETURN(p.tokenizer, models::Tokenizer::FromJson(tokenizer_file->bytes,
                                                                 ref + "/" + p.manifest.tokenizer));
  }
  IA_ASSIGN_OR_RETURN(p.model,
                      LoadModelRef(repo_flag, base + "/" + p.manifest.model, &p.model_cid));
  return p;
}

Result<std::unique_ptr<models::TextGenerationPipeline>> MakeTextGeneration(
    TaskPackage package, engine::SessionOptions options) {
  return models::TextGenerationPipeline::Create(std::move(package.model),
                                                std::move(package.tokenizer),
                                                std::move(package.manifest), std::move(options));
}

Result<std::unique_ptr<models::ImageClassifier>> MakeImageClassifier(
    TaskPackage package, engine::SessionOptions options) {
  return models::ImageClassifier::Create(std::move(package.model), std::move(package.manifest),
                                         std::move(options));
}

Result<std::unique_ptr<models::EmbeddingPipeline>> MakeEmbedding(TaskPackage package,
                                                                 engine::SessionOptions options) {
  return models::EmbeddingPipeline::Create(std::move(package.model), std::move(package.tokenizer),
                                           std::move(package.manifest), std::move(options));
}

}  // namespace ipfs_accelerate::router
