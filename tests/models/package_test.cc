// Model package manifests: accelerate.json, config.json and sentence-transformers' pooling file,
// and the errors a malformed manifest gets.
#include "models/package.h"

#include <gtest/gtest.h>

#include "../test_util.h"

namespace ipfs_accelerate::models {
namespace {

using test_util::HasSubstr;

TEST(PackageTest, AManifestSaysTheTaskAndItsSettings) {
  auto m = ParsePackage({.accelerate_json = R"({"task": "text-generation",
      "generation": {"max_new_tokens": 16, "temperature": 0.7, "top_k": 40, "top_p": 0.9,
                     "repetition_penalty": 1.1, "eos_token_id": [50256], "stop": ["\n\n"]},
      "max_batch": 4})",
                         .config_json = R"({"model_type": "gpt2", "n_positions": 1024})"});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->task, Task::kTextGeneration);
  EXPECT_EQ(m->generation.max_new_tokens, 16);
  EXPECT_FLOAT_EQ(m->generation.temperature, 0.7f);
  EXPECT_EQ(m->generation.top_k, 40);
  EXPECT_EQ(m->generation.eos_token_ids, std::vector<uint32_t>{50256});
  EXPECT_EQ(m->stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(m->max_batch, 4);
  EXPECT_EQ(m->max_positions, 1024);
  EXPECT_EQ(m->model, "model.onnx");
}

TEST(PackageTest, WithoutAManifestTheArchitectureAndPoolingFilesSay) {
  auto gpt = ParsePackage({.config_json = R"({"model_type": "llama", "eos_token_id": [1, 2],
                                              "max_position_embeddings": 4096})"});
  ASSERT_TRUE(gpt.ok());
  EXPECT_EQ(gpt->task, Task::kTextGeneration);
  EXPECT_EQ(gpt->generation.eos_token_ids, (std::vector<uint32_t>{1, 2}));
  auto bert = ParsePackage({.config_json = R"({"model_type": "bert"})",
                            .pooling_json = R"({"pooling_mode_cls_token": true})"});
  ASSERT_TRUE(bert.ok());
  EXPECT_EQ(bert->task, Task::kFeatureExtraction);
  EXPECT_EQ(bert->pooling, Pooling::kCls);
  EXPECT_EQ(ParsePackage({}).status().code(), StatusCode::kNotFound);
}

TEST(PackageTest, MalformedManifestsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"task": "dance"})", "\"task\" is \"dance\""},
      {R"({"task": "feature-extraction", "embedding": {"pooling": "max"}})", "embedding.pooling"},
      {R"({"task": "text-generation", "generation": {"top_p": 2}})", "generation.top_p"},
      {R"({"task": "text-generation", "generation": {"temperature": "hot"}})",
       "generation.temperature\" must be a number"},
      {R"({"task": "text-generation", "generation": {"stop": [""]}})", "generation.stop"},
      {R"({"task": "text-generation", "model": "../../etc/passwd"})", "\"model\" must name"},
      {R"({"task": )", "accelerate.json:1"},
      {R"([1, 2])", "no object"}};
  for (const auto& [text, why] : cases) {
    auto m = ParsePackage({.accelerate_json = text});
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_TRUE(HasSubstr(m.status().message(), why)) << text;
  }
}

}  // namespace
}  // namespace ipfs_accelerate::models
