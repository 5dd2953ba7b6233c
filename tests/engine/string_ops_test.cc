// String tensors through whole sessions: Cast to and from strings against hand-written text,
// StringNormalizer, string initializers, and the errors for strings given to an
// operator that does not run on them. The ONNX conformance cases run the same operators on the
// onnx test data (conformance_test.sh).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;
using test::IntAttr;
using test::ModelBuilder;

Tensor Strings(Shape shape, std::vector<std::string> v) {
  Tensor t = Tensor::Empty(DType::kString, std::move(shape));
  std::copy(v.begin(), v.end(), t.data<std::string>());
  return t;
}

std::vector<std::string> StringsOf(const Tensor& t) {
  return std::vector<std::string>(t.data<std::string>(), t.data<std::string>() + t.numel());
}

TEST(StringOpsTest, CastsNumbersToTextAndBack) {
  ModelBuilder b;
  b.Input("x", {5})
      .Op("Cast", {"x"}, {"text"}, {{"to", IntAttr(8)}})
      .Op("Cast", {"text"}, {"back"}, {{"to", IntAttr(1)}})
      .Op("Cast", {"words"}, {"ints"}, {{"to", IntAttr(7)}})
      .Output("text")
      .Output("back")
      .Output("ints");
  Model m = b.model();
  ValueInfo words;
  words.name = "words";
  words.dtype = DType::kString;
  m.graph.inputs.push_back(words);
  Tensor x = Floats({0.1f, -2.5f, 1e-7f, INFINITY, NAN});
  auto out = test::RunModel(m, {{"x", x}, {"words", Strings({2}, {"42", "-7"})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(StringsOf(out->at("text")),
            (std::vector<std::string>{"0.1", "-2.5", "1e-07", "INF", "NaN"}));
  const Tensor& back = out->at("back");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(back.data<float>()[i], x.data<float>()[i]);
  EXPECT_TRUE(std::isnan(back.data<float>()[4]));
  EXPECT_EQ(out->at("ints").data<int64_t>()[0], 42);
  EXPECT_EQ(out->at("ints").data<int64_t>()[1], -7);
  // Text that is no number.
  auto bad = test::RunModel(m, {{"x", x}, {"words", Strings({2}, {"42", "forty"})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot read 'forty' as int64"), std::string::npos)
      << bad.status().ToString();
}

TEST(StringOpsTest, NormalizesAndDropsStopWords) {
  Node n = test::MakeNode("StringNormalizer", {"x"}, {"y"},
                          {{"case_change_action", test::StringAttr("LOWER")},
                           {"stopwords", Attribute::Strings({"the", "A"})}},
                          10);
  Model m = test::OneNode(n, {test::Info("x", DType::kString)}, {test::Info("y")});
  auto out = test::RunModel(m, {{"x", Strings({1, 4}, {"The", "Cat", "a", "SAT"})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("y").shape(), (Shape{1, 2}));
  EXPECT_EQ(StringsOf(out->at("y")), (std::vector<std::string>{"cat", "sat"}));
  auto all = test::RunModel(m, {{"x", Strings({2}, {"the", "a"})}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->at("y").shape(), (Shape{1}));
  EXPECT_EQ(StringsOf(all->at("y")), (std::vector<std::string>{""}));
  auto wide = test::RunModel(m, {{"x", Strings({2, 2}, {"a", "b", "c", "d"})}});
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("X must be [C] or [1, C], got [2, 2]"), std::string::npos);
}

TEST(StringOpsTest, StringConstantsMoveWholeAndOtherOpsRefuseThem) {
  // A string initializer reshaped and returned (the optimizer folds it: a constant).
  for (bool optimize : {true, false}) {
    ModelBuilder b;
    b.Init("labels", Strings({2, 2}, {"cat", "dog", "owl", "emu"}))
        .Init("shape", test::Ints({4}))
        .Op("Reshape", {"labels", "shape"}, {"flat"})
        .Output("flat");
    auto out = test::RunModel(b.model(), {}, 1, optimize);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(StringsOf(out->at("flat")), (std::vector<std::string>{"cat", "dog", "owl", "emu"}));
  }
  // Gather copies bytes: it refuses strings by name, before it runs.
  ModelBuilder g;
  g.Input("i", {1}, DType::kInt64)
      .Init("labels", Strings({3}, {"cat", "dog", "owl"}))
      .Op("Gather", {"labels", "i"}, {"y"})
      .Output("y");
  auto gathered = test::RunModel(g.model(), {{"i", test::Ints({1})}});
  ASSERT_FALSE(gathered.ok());
  EXPECT_NE(gathered.status().message().find("holds strings, which this operator does not run on"),
            std::string::npos)
      << gathered.status().ToString();
}

}  // namespace
}  // namespace ipfs_accelerate::engine
