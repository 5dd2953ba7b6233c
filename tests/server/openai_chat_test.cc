// Chat messages into prompts, in the formats the OpenAI-compatible routes know.
#include <gtest/gtest.h>

#include "../test_util.h"
#include "server/openai.h"

namespace ipfs_accelerate::server {
namespace {

const nlohmann::json kMessages = nlohmann::json::parse(
    R"([{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}])");

TEST(ChatPromptTest, Formats) {
  EXPECT_EQ(*ChatPrompt(kMessages, "chatml"),
            "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(*ChatPrompt(kMessages, "llama3"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(*ChatPrompt(kMessages, "plain"), "system: Be terse.\nuser: Hi\nassistant:");
}

TEST(ChatPromptTest, MalformedMessagesAndFormatsAreErrors) {
  EXPECT_TRUE(test_util::HasSubstr(
      ChatPrompt(nlohmann::json::parse(R"([{"role": "user"}])"), "plain").status().message(),
      "messages[0] needs a string role and a string content"));
  EXPECT_FALSE(ChatPrompt(kMessages, "jinja").ok());
}

}  // namespace
}  // namespace ipfs_accelerate::server
