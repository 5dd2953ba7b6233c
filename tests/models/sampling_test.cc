// Choosing the next token: greedy, the repetition penalty, top-k and top-p, and sampling that the
// seed alone decides.
#include "models/sampling.h"

#include <gtest/gtest.h>

#include <map>

namespace ipfs_accelerate::models {
namespace {

TEST(SamplingTest, GreedyTakesTheLargestLogit) {
  std::vector<float> logits{0.1f, 2.0f, -1.0f, 1.9f};
  Sampler s({}, {});
  EXPECT_EQ(s.Next(logits), 1u);
}

TEST(SamplingTest, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  std::vector<uint32_t> context{1};
  std::vector<float> logits{0.1f, 2.0f, -1.0f, 1.9f};
  Sampler s({.repetition_penalty = 1.2f}, context);
  EXPECT_EQ(s.Next(logits), 3u);  // 2.0 / 1.2 < 1.9
  EXPECT_FLOAT_EQ(logits[1], 2.0f / 1.2f);
}

TEST(SamplingTest, TopKAndTopPKeepOnlyTheMostLikely) {
  std::vector<float> base{5.0f, 4.9f, 0.0f, -3.0f};
  std::map<uint32_t, int> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::vector<float> logits = base;
    Sampler s({.temperature = 1, .top_k = 2, .seed = seed}, {});
    ++seen[s.Next(logits)];
  }
  EXPECT_EQ(seen.size(), 2u);  // only tokens 0 and 1
  seen.clear();
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::vector<float> logits = base;
    Sampler s({.temperature = 1, .top_p = 0.3f, .seed = seed}, {});
    ++seen[s.Next(logits)];
  }
  EXPECT_EQ(seen.size(), 1u);  // token 0 alone holds more than 30% of the mass
}

TEST(SamplingTest, TheSeedDecides) {
  auto draw = [](uint64_t seed) {
    std::vector<uint32_t> out;
    Sampler s({.temperature = 1.5f, .seed = seed}, {});
    for (int i = 0; i < 20; ++i) {
      std::vector<float> logits{1.0f, 1.1f, 0.9f, 1.05f, 0.95f};
      out.push_back(s.Next(logits));
    }
    return out;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

TEST(SamplingTest, OptionsOutOfRangeAreRefused) {
  EXPECT_FALSE(SamplingOptions{.temperature = -1}.Validate().ok());
  EXPECT_FALSE(SamplingOptions{.top_p = 0}.Validate().ok());
  EXPECT_FALSE(SamplingOptions{.max_new_tokens = -1}.Validate().ok());
  EXPECT_TRUE(SamplingOptions{}.Validate().ok());
}

}  // namespace
}  // namespace ipfs_accelerate::models
