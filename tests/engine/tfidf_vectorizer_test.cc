// TfIdfVectorizer beyond the ONNX cases: IDF and TFIDF weights, 3-grams with skips, int64 input,
// and attributes that do not describe a pool.
#include <gtest/gtest.h>

#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

// Runs TfIdfVectorizer on `x` with `attrs` (pool 2, 3, 5, 4 | 5, 6, 7, 8, 6, 7 | 1, 3, 3 unless
// given).
Result<std::vector<float>> Vectorize(const Tensor& x, std::map<std::string, Attribute> attrs) {
  attrs.emplace("pool_int64s", Attribute::Ints({2, 3, 5, 4, 5, 6, 7, 8, 6, 7, 1, 3, 3}));
  attrs.emplace("ngram_counts", Attribute::Ints({0, 4, 10}));
  attrs.emplace("ngram_indexes", Attribute::Ints({0, 1, 2, 3, 4, 5, 6, 7}));
  attrs.emplace("mode", Attribute::String("TF"));
  attrs.emplace("min_gram_length", Attribute::Int(1));
  attrs.emplace("max_gram_length", Attribute::Int(3));
  attrs.emplace("max_skip_count", Attribute::Int(0));
  Model m = test::OneNode("TfIdfVectorizer", {"x"}, {"y"}, attrs, 9);
  IA_ASSIGN_OR_RETURN(auto out, test::RunModel(m, {{"x", x}}));
  const Tensor& y = out.at("y");
  return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
}

const Tensor kRow = test::Ints({1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});

TEST(TfIdfVectorizerTest, CountsUniBiAndTrigramsWithSkips) {
  // 1 3 3 once with no skip (1 at 1, 3 at 2, 3 at 3); with skip 1 also 1 _ 3 _ 3 (0, 2, 4).
  auto tf = Vectorize(kRow, {});
  ASSERT_TRUE(tf.ok()) << tf.status().message();
  EXPECT_EQ(*tf, (std::vector<float>{0, 3, 1, 0, 1, 1, 1, 1}));
  auto skip = Vectorize(kRow, {{"max_skip_count", Attribute::Int(1)}});
  ASSERT_TRUE(skip.ok());
  EXPECT_EQ(skip->at(7), 2.f);
}

TEST(TfIdfVectorizerTest, IdfAndTfIdfWeigh) {
  std::map<std::string, Attribute> weights = {
      {"weights", Attribute::Floats({1, 2, 3, 4, 5, 6, 7, 8})}};
  weights["mode"] = Attribute::String("IDF");
  auto idf = Vectorize(kRow, weights);
  ASSERT_TRUE(idf.ok());
  EXPECT_EQ(*idf, (std::vector<float>{0, 2, 3, 0, 5, 6, 7, 8}));
  weights["mode"] = Attribute::String("TFIDF");
  auto tfidf = Vectorize(kRow, weights);
  ASSERT_TRUE(tfidf.ok());
  EXPECT_EQ(*tfidf, (std::vector<float>{0, 6, 3, 0, 5, 6, 7, 8}));
}

TEST(TfIdfVectorizerTest, BatchesOfInt64Rows) {
  Tensor x = test::Ints({2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
  auto y = Vectorize(
      x, {{"min_gram_length", Attribute::Int(2)}, {"max_gram_length", Attribute::Int(2)}});
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(*y, (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0}));
}

TEST(TfIdfVectorizerTest, AttributesThatDescribeNoPoolAreNamed) {
  auto bad_counts = Vectorize(kRow, {{"ngram_counts", Attribute::Ints({0, 4, 9})}});
  ASSERT_FALSE(bad_counts.ok());
  EXPECT_NE(bad_counts.status().message().find("does not split"), std::string::npos)
      << bad_counts.status().message();
  auto bad_indexes = Vectorize(kRow, {{"ngram_indexes", Attribute::Ints({0, 1})}});
  ASSERT_FALSE(bad_indexes.ok());
  EXPECT_NE(bad_indexes.status().message().find("ngram_indexes has 2 entries"), std::string::npos);
  auto bad_mode = Vectorize(kRow, {{"mode", Attribute::String("BM25")}});
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.status().message().find("mode must be TF, IDF or TFIDF"), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
