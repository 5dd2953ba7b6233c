// Sequences and optionals (engine::Value) through whole sessions: the sequence operators against
// values worked out by hand, SequenceMap, Loop carrying a sequence, optionals empty and full, and
// the errors for a value of the wrong kind. The ONNX conformance cases run the same operators on
// the onnx test data (conformance_test.sh).
#include <gtest/gtest.h>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;
using test::IntAttr;
using test::Ints;
using test::ModelBuilder;

ValueInfo SequenceInfo(const std::string& name, DType dtype = DType::kFloat32) {
  ValueInfo v;
  v.name = name;
  v.dtype = dtype;
  v.kind = ValueInfo::Kind::kSequence;
  return v;
}

Result<std::map<std::string, Value>> RunValues(Model model,
                                               const std::map<std::string, Value>& feeds) {
  IA_ASSIGN_OR_RETURN(auto session, Session::Create(std::move(model), {.threads = 2}));
  return session->RunValues(feeds);
}

std::vector<float> FloatsOf(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

std::string ErrorOf(const Result<std::map<std::string, Value>>& r) {
  return r.ok() ? "(no error)" : r.status().ToString();
}

TEST(SequenceTest, SplitsConcatenatesAndStacks) {
  ModelBuilder b;
  b.Input("x", {2, 3})
      .Init("split", Ints({1, 2}))
      .Op("SplitToSequence", {"x", "split"}, {"parts"}, {{"axis", IntAttr(1)}})
      .Op("SequenceLength", {"parts"}, {"n"})
      .Op("SequenceAt", {"parts", "minus_one"}, {"last"})
      .Op("ConcatFromSequence", {"parts"}, {"joined"}, {{"axis", IntAttr(-1)}})
      .Op("SplitToSequence", {"x"}, {"rows"}, {{"keepdims", IntAttr(0)}})
      .Op("ConcatFromSequence", {"rows"}, {"stacked"},
          {{"axis", IntAttr(1)}, {"new_axis", IntAttr(1)}})
      .Init("minus_one", Tensor::Scalar<int64_t>(DType::kInt64, -1))
      .Output("parts")
      .Output("n")
      .Output("last")
      .Output("joined")
      .Output("stacked");
  Model m = b.model();
  m.graph.outputs[0].kind = ValueInfo::Kind::kSequence;
  Tensor x = Floats({2, 3}, {0, 1, 2, 3, 4, 5});
  auto out = RunValues(std::move(m), {{"x", x}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Value& parts = out->at("parts");
  ASSERT_TRUE(parts.is_sequence());
  ASSERT_EQ(parts.items().size(), 2u);
  EXPECT_EQ(parts.items()[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(FloatsOf(parts.items()[1]), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(*out->at("n").tensor().data<int64_t>(), 2);
  EXPECT_EQ(FloatsOf(out->at("last").tensor()), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(FloatsOf(out->at("joined").tensor()), FloatsOf(x));
  // Rows without their axis, stacked as columns: the transpose.
  EXPECT_EQ(out->at("stacked").tensor().shape(), (Shape{3, 2}));
  EXPECT_EQ(FloatsOf(out->at("stacked").tensor()), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(SequenceTest, InsertsAndErasesAtPositions) {
  ModelBuilder b;
  b.Input("a", {1})
      .Input("b", {1})
      .Input("c", {1})
      .Init("zero", Tensor::Scalar<int64_t>(DType::kInt64, 0))
      .Init("minus_two", Tensor::Scalar<int64_t>(DType::kInt64, -2))
      .Op("SequenceEmpty", {}, {"empty"})
      .Op("SequenceInsert", {"empty", "a"}, {"s1"})       // [a]
      .Op("SequenceInsert", {"s1", "b", "zero"}, {"s2"})  // [b, a]
      .Op("SequenceInsert", {"s2", "c"}, {"s3"})          // [b, a, c]
      .Op("SequenceErase", {"s3", "minus_two"}, {"s4"})   // [b, c]
      .Op("ConcatFromSequence", {"s4"}, {"y"}, {{"axis", IntAttr(0)}})
      .Op("ConcatFromSequence", {"s3"}, {"all"}, {{"axis", IntAttr(0)}})
      .Output("y")
      .Output("all");
  auto out = RunValues(b.model(), {{"a", Floats({1})}, {"b", Floats({2})}, {"c", Floats({3})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(FloatsOf(out->at("y").tensor()), (std::vector<float>{2, 3}));
  EXPECT_EQ(FloatsOf(out->at("all").tensor()), (std::vector<float>{2, 1, 3}));
}

TEST(SequenceTest, SequenceMapAndLoopCarryASequence) {
  // SequenceMap: each item plus the tensor input.
  ModelBuilder body;
  body.Input("item", {-1}).Input("t", {1}).Op("Add", {"item", "t"}, {"sum"}).Output("sum");
  ModelBuilder b;
  b.Input("t", {1})
      .Op("SequenceMap", {"seq", "t"}, {"mapped"}, {{"body", test::GraphAttr(body.graph())}})
      .Output("mapped");
  Model m = b.model();
  m.graph.inputs.insert(m.graph.inputs.begin(), SequenceInfo("seq"));
  m.graph.outputs[0].kind = ValueInfo::Kind::kSequence;
  Value seq = Value::Sequence(DType::kFloat32, {Floats({1, 2}), Floats({5})});
  auto out = RunValues(m, {{"seq", seq}, {"t", Floats({10})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->at("mapped").items().size(), 2u);
  EXPECT_EQ(FloatsOf(out->at("mapped").items()[0]), (std::vector<float>{11, 12}));
  EXPECT_EQ(FloatsOf(out->at("mapped").items()[1]), (std::vector<float>{15}));

  // Loop: three trips, each appending the trip count to the carried sequence.
  ModelBuilder loop_body;
  loop_body.Input("i", {}, DType::kInt64)
      .Input("cond", {}, DType::kBool)
      .Op("Identity", {"cond"}, {"cond_out"})
      .Op("SequenceInsert", {"acc", "i"}, {"acc_out"})
      .Output("cond_out")
      .Output("acc_out");
  Graph g = loop_body.graph();
  g.inputs.push_back(SequenceInfo("acc", DType::kInt64));
  ModelBuilder outer;
  outer.Init("trips", Tensor::Scalar<int64_t>(DType::kInt64, 3))
      .Op("SequenceEmpty", {}, {"start"}, {{"dtype", IntAttr(7)}})
      .Op("Loop", {"trips", "", "start"}, {"acc_final"}, {{"body", test::GraphAttr(g)}})
      .Op("ConcatFromSequence", {"acc_final"}, {"y"},
          {{"axis", IntAttr(0)}, {"new_axis", IntAttr(1)}})
      .Output("y");
  auto looped = RunValues(outer.model(), {});
  ASSERT_TRUE(looped.ok()) << looped.status().ToString();
  const Tensor& y = looped->at("y").tensor();
  EXPECT_EQ(std::vector<int64_t>(y.data<int64_t>(), y.data<int64_t>() + y.numel()),
            (std::vector<int64_t>{0, 1, 2}));
}

TEST(SequenceTest, OptionalsEmptyAndFull) {
  ModelBuilder b;
  b.Op("Optional", {}, {"nothing"}, {})
      .Op("OptionalHasElement", {"nothing"}, {"has_nothing"})
      .Op("Optional", {"x"}, {"something"})
      .Op("OptionalHasElement", {"something"}, {"has_something"})
      .Op("OptionalGetElement", {"something"}, {"got"})
      .Output("has_nothing")
      .Output("has_something")
      .Output("got");
  Model m = b.model();
  m.opsets[""] = 18;
  for (Node& n : m.graph.nodes) n.opset = 18;
  ValueInfo x;
  x.name = "x";
  x.kind = ValueInfo::Kind::kOptional;
  x.dtype = DType::kFloat32;
  m.graph.inputs.push_back(x);
  auto out = RunValues(m, {{"x", Floats({4})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out->at("has_nothing").tensor().data<uint8_t>(), 0);
  EXPECT_EQ(*out->at("has_something").tensor().data<uint8_t>(), 1);
  EXPECT_EQ(FloatsOf(out->at("got").tensor()), (std::vector<float>{4}));
  // An empty optional as the input: nothing to get.
  auto empty = RunValues(m, {{"x", Value::None()}});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(ErrorOf(empty).find("the optional is empty"), std::string::npos) << ErrorOf(empty);
}

TEST(SequenceTest, ValuesOfTheWrongKindAreRefused) {
  // A sequence into Add: refused before the kernel runs, naming the input.
  ModelBuilder b;
  b.Input("t", {1}).Op("Add", {"seq", "t"}, {"y"}).Output("y");
  Model m = b.model();
  m.graph.inputs.push_back(SequenceInfo("seq"));
  Value seq = Value::Sequence(DType::kFloat32, {Floats({1})});
  auto added = RunValues(m, {{"seq", seq}, {"t", Floats({1})}});
  EXPECT_NE(ErrorOf(added).find("input 0 ('seq') is a sequence; the operator takes tensors"),
            std::string::npos)
      << ErrorOf(added);
  // A tensor where a sequence is declared, and a sequence of the wrong dtype.
  auto tensor_for_seq = RunValues(m, {{"seq", Floats({1})}, {"t", Floats({1})}});
  EXPECT_NE(ErrorOf(tensor_for_seq).find("must be a sequence of float32 tensors, got float32 [1]"),
            std::string::npos)
      << ErrorOf(tensor_for_seq);
  auto ints = RunValues(m, {{"seq", Value::Sequence(DType::kInt64, {})}, {"t", Floats({1})}});
  EXPECT_NE(ErrorOf(ints).find("got sequence of 0 int64 tensors"), std::string::npos)
      << ErrorOf(ints);
  // Out-of-range positions and mixed dtypes.
  ModelBuilder at;
  at.Init("five", Tensor::Scalar<int64_t>(DType::kInt64, 5))
      .Op("SequenceAt", {"seq", "five"}, {"y"})
      .Output("y");
  Model am = at.model();
  am.graph.inputs.push_back(SequenceInfo("seq"));
  EXPECT_NE(
      ErrorOf(RunValues(am, {{"seq", seq}})).find("position 5 is out of range for a sequence of 1"),
      std::string::npos);
  ModelBuilder mixed;
  mixed.Input("a", {1})
      .Input("i", {1}, DType::kInt64)
      .Op("SequenceConstruct", {"a", "i"}, {"s"})
      .Output("s");
  Model mm = mixed.model();
  mm.graph.outputs[0].kind = ValueInfo::Kind::kSequence;
  EXPECT_NE(ErrorOf(RunValues(mm, {{"a", Floats({1})}, {"i", Ints({1})}}))
                .find("a int64 tensor cannot join a sequence of float32"),
            std::string::npos);
  // Session::Run (tensors only) names the output it cannot return.
  ModelBuilder one;
  one.Input("a", {1}).Op("SequenceConstruct", {"a"}, {"s"}).Output("s");
  auto session = Session::Create(one.model(), {.threads = 1});
  ASSERT_TRUE(session.ok());
  auto tensors = (*session)->Run({{"a", Floats({1})}});
  ASSERT_FALSE(tensors.ok());
  EXPECT_NE(tensors.status().message().find(
                "output 's' is sequence of 1 float32 tensors, not a tensor (Session::RunValues"),
            std::string::npos)
      << tensors.status().ToString();
}

}  // namespace
}  // namespace ipfs_accelerate::engine
