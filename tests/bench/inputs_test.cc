#include "bench/inputs.h"

#include <gtest/gtest.h>

#include "../test_util.h"

namespace ipfs_accelerate::bench {
namespace {

using test_util::HasSubstr;

engine::Dim Named(const std::string& name) { return {-1, name}; }
engine::Dim Fixed(int64_t v) { return {v, ""}; }

// input_ids [batch, sequence] → Cast → Gather(table[50, 4]); attention_mask [batch, sequence];
// pixel [batch, 3] float.
engine::Model TextModel() {
  engine::Model m;
  auto& g = m.graph;
  g.inputs = {
      {"input_ids", DType::kInt64, std::vector{Named("batch"), Named("sequence")}},
      {"attention_mask", DType::kInt64, std::vector{Named("batch_size"), Named("sequence")}},
      {"extra", DType::kFloat32, std::vector{Named("N"), Fixed(3)}}};
  g.initializers["table"] = Tensor::Zeros(DType::kFloat32, {50, 4});
  engine::Node cast{.name = "cast", .op_type = "Cast", .inputs = {"input_ids"}, .outputs = {"ids"}};
  engine::Node gather{
      .name = "emb", .op_type = "Gather", .inputs = {"table", "ids"}, .outputs = {"h"}};
  g.nodes = {cast, gather};
  return m;
}

TEST(InputsTest, NamedDimsTakeBatchAndSeq) {
  engine::Model m = TextModel();
  auto in = SynthesizeInputs(m, {.batch = 8, .seq = 16}, {}, 1);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->at("input_ids").shape(), (Shape{8, 16}));
  EXPECT_EQ(in->at("attention_mask").shape(), (Shape{8, 16}));
  EXPECT_EQ(in->at("extra").shape(), (Shape{8, 3}));
  const int64_t* ids = in->at("input_ids").data<int64_t>();
  int64_t max_id = 0;
  for (int i = 0; i < 128; ++i) {
    EXPECT_GE(ids[i], 0);
    EXPECT_LT(ids[i], 50);  // below the embedding table's rows
    max_id = std::max(max_id, ids[i]);
  }
  EXPECT_GT(max_id, 10);  // spread over the table, not all zero
  for (int i = 0; i < 128; ++i) EXPECT_EQ(in->at("attention_mask").data<int64_t>()[i], 1);
  ModelDims dims = InspectDims(m);
  EXPECT_TRUE(dims.has_batch);
  EXPECT_TRUE(dims.has_seq);
  EXPECT_EQ(EmbeddingRows(m.graph, "input_ids"), 50);
  EXPECT_EQ(EmbeddingRows(m.graph, "attention_mask"), 0);
}

TEST(InputsTest, SameSeedSameInputs) {
  engine::Model m = TextModel();
  auto a = SynthesizeInputs(m, {.batch = 2, .seq = 4}, {}, 7);
  auto b = SynthesizeInputs(m, {.batch = 2, .seq = 4}, {}, 7);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(a->at("extra").data<float>()[i], b->at("extra").data<float>()[i]);
  }
}

TEST(InputsTest, GivenInputsPassThrough) {
  engine::Model m = TextModel();
  Tensor mine = Tensor::Zeros(DType::kFloat32, {5, 3});
  auto in = SynthesizeInputs(m, {.batch = 2, .seq = 4}, {{"extra", mine}}, 1);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->at("extra").shape(), (Shape{5, 3}));
}

TEST(InputsTest, UnknownDynamicDimensionNamesTheFlag) {
  engine::Model m;
  m.graph.inputs = {{"sample", DType::kFloat32,
                     std::vector{Named("batch"), Fixed(4), Named("height"), Named("width")}}};
  auto in = SynthesizeInputs(m, {}, {}, 1);
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(HasSubstr(in.status().message(), "--dim height=N"));
  auto sized = SynthesizeInputs(m, {.batch = 2, .dims = {{"height", 8}, {"width", 6}}}, {}, 1);
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->at("sample").shape(), (Shape{2, 4, 8, 6}));
  EXPECT_FALSE(InspectDims(m).has_seq);

  engine::Model unnamed;
  unnamed.graph.inputs = {{"x", DType::kFloat32, std::vector{Fixed(1), engine::Dim{}}}};
  auto bad = SynthesizeInputs(unnamed, {}, {}, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "--input x=FILE"));
}

TEST(InputsTest, PastDimensionsAreEmpty) {
  engine::Model m;
  m.graph.inputs = {{"past_key_0", DType::kFloat32,
                     std::vector{Named("batch"), Fixed(2), Named("past_sequence"), Fixed(8)}}};
  auto in = SynthesizeInputs(m, {.batch = 3}, {}, 1);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->at("past_key_0").shape(), (Shape{3, 2, 0, 8}));
}

}  // namespace
}  // namespace ipfs_accelerate::bench
