// Token ids alone for a BERT-style model: attention_mask and token_type_ids filled as transformers
// fills them, nothing else touched.
#include "router/text_inputs.h"

#include <gtest/gtest.h>

#include "../test_util.h"

namespace ipfs_accelerate::router {
namespace {

using test_util::HasSubstr;

ModelInfo Bert(DType mask = DType::kInt64) {
  ModelInfo info;
  info.name = "bert";
  info.inputs = {{"input_ids", DType::kInt64, {-1, -1}},
                 {"attention_mask", mask, {-1, -1}},
                 {"token_type_ids", DType::kInt32, {-1, -1}}};
  return info;
}

Tensor Ids(DType dtype = DType::kInt64) {
  Tensor t = Tensor::Zeros(dtype, {2, 3});
  if (dtype == DType::kInt64) {
    for (int i = 0; i < 6; ++i) t.data<int64_t>()[i] = 100 + i;
  }
  return t;
}

TEST(TextInputsTest, FillsMaskWithOnesAndTypesWithZeros) {
  std::map<std::string, Tensor> inputs = {{"input_ids", Ids()}};
  ASSERT_TRUE(MayNeedTextDefaults(inputs));
  ASSERT_TRUE(FillTextDefaults(Bert(), &inputs).ok());
  ASSERT_EQ(inputs.size(), 3u);
  const Tensor& mask = inputs["attention_mask"];
  EXPECT_EQ(mask.dtype(), DType::kInt64);
  EXPECT_EQ(mask.shape(), (Shape{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(mask.data<int64_t>()[i], 1);
  const Tensor& types = inputs["token_type_ids"];
  EXPECT_EQ(types.dtype(), DType::kInt32);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(types.data<int32_t>()[i], 0);
}

TEST(TextInputsTest, KeepsWhatWasGivenAndLeavesOtherModelsAlone) {
  Tensor mask = Tensor::Zeros(DType::kInt64, {2, 3});
  std::map<std::string, Tensor> inputs = {{"input_ids", Ids()}, {"attention_mask", mask}};
  ASSERT_TRUE(FillTextDefaults(Bert(), &inputs).ok());
  EXPECT_EQ(inputs["attention_mask"].raw(), mask.raw());  // the caller's, not replaced
  EXPECT_TRUE(inputs.count("token_type_ids"));

  ModelInfo mlp;
  mlp.inputs = {{"x", DType::kFloat32, {-1, 16}}};
  std::map<std::string, Tensor> x = {{"x", Tensor::Zeros(DType::kFloat32, {1, 16})}};
  EXPECT_FALSE(MayNeedTextDefaults(x));
  ASSERT_TRUE(FillTextDefaults(mlp, &x).ok());
  EXPECT_EQ(x.size(), 1u);
}

TEST(TextInputsTest, RefusesWhatCannotBeFilled) {
  std::map<std::string, Tensor> floats = {{"input_ids", Ids(DType::kFloat32)}};
  Status s = FillTextDefaults(Bert(), &floats);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(s.message(), "integers"));
  std::map<std::string, Tensor> inputs = {{"input_ids", Ids()}};
  s = FillTextDefaults(Bert(DType::kFloat32), &inputs);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(s.message(), "attention_mask"));
}

}  // namespace
}  // namespace ipfs_accelerate::router
