// Behaviour of the CPU element-wise kernels that the conformance data does not pin down:
// broadcasting layouts, errors on bad input, and thread splitting.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;

// Runs one node of `op_type` on the CPU backend, its inputs named x0, x1, ...; returns its status
// and fills `out`.
Status RunOp(const std::string& op_type, const std::vector<const Tensor*>& inputs,
             std::vector<Tensor>* out, ThreadPool* pool, int64_t opset = 17) {
  std::vector<std::string> names;
  for (size_t i = 0; i < inputs.size(); ++i) names.push_back("x" + std::to_string(i));
  return test::RunNode(cpu::CpuBackend(), test::MakeNode(op_type, names, {"y"}, {}, opset), inputs,
                       out, pool);
}

TEST(ElementwiseTest, AddBroadcastsRowsAndColumns) {
  ThreadPool pool(2);
  Tensor a = Floats({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = Floats({3}, {10, 20, 30});
  Tensor col = Floats({2, 1}, {100, 200});
  std::vector<Tensor> out;
  ASSERT_TRUE(RunOp("Add", {&a, &row}, &out, &pool).ok());
  ASSERT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(out[0].data<float>(), out[0].data<float>() + 6),
            (std::vector<float>{11, 22, 33, 14, 25, 36}));
  ASSERT_TRUE(RunOp("Add", {&col, &row}, &out, &pool).ok());
  ASSERT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(out[0].data<float>(), out[0].data<float>() + 6),
            (std::vector<float>{110, 120, 130, 210, 220, 230}));
}

TEST(ElementwiseTest, NonBroadcastableShapesAreAnError) {
  ThreadPool pool(1);
  Tensor a = Floats({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Floats({2}, {1, 2});
  std::vector<Tensor> out;
  Status s = RunOp("Mul", {&a, &b}, &out, &pool);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("do not broadcast"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Mul"), std::string::npos) << s.message();
}

TEST(ElementwiseTest, UnsupportedDtypeIsAnError) {
  ThreadPool pool(1);
  Tensor x = Tensor::Zeros(DType::kInt32, {4});
  std::vector<Tensor> out;
  Status s = RunOp("Sigmoid", {&x}, &out, &pool);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
}

TEST(ElementwiseTest, IntegerDivisionByZeroIsAnError) {
  ThreadPool pool(1);
  Tensor a = Tensor::Zeros(DType::kInt64, {3});
  Tensor b = Tensor::Zeros(DType::kInt64, {3});
  std::vector<Tensor> out;
  Status s = RunOp("Div", {&a, &b}, &out, &pool);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseTest, Float16IsComputedAndRoundedToNearestEven) {
  ThreadPool pool(1);
  Tensor x = Floats({3}, {1.0f + 1.0f / 2048, 65504.0f, 1e-8f});  // tie, max half, tiny
  std::vector<Tensor> out;
  Node cast = test::MakeNode("Cast", {"x"}, {"y"}, {{"to", test::IntAttr(10)}});  // to float16
  ASSERT_TRUE(test::RunNode(cpu::CpuBackend(), cast, {&x}, &out, &pool).ok());
  ASSERT_EQ(out[0].dtype(), DType::kFloat16);
  const uint16_t* h = out[0].data<uint16_t>();
  EXPECT_EQ(h[0], 0x3c00);  // the tie goes to the even mantissa (1.0)
  EXPECT_EQ(h[1], 0x7bff);
  EXPECT_EQ(h[2], 0x0000);
}

// Sizes large enough that the kernels split the work, in layouts that take each path.
TEST(ElementwiseTest, ThreadedResultsMatchOneThread) {
  const int64_t rows = 512, cols = 1000;
  std::vector<float> va(rows * cols), vb(cols), vc(rows);
  for (size_t i = 0; i < va.size(); ++i) va[i] = std::sin(static_cast<float>(i)) * 3;
  for (size_t i = 0; i < vb.size(); ++i) vb[i] = std::cos(static_cast<float>(i));
  for (size_t i = 0; i < vc.size(); ++i) vc[i] = static_cast<float>(i) * 0.01f;
  Tensor a = Floats({rows, cols}, va), b = Floats({cols}, vb), c = Floats({rows, 1}, vc);
  ThreadPool one(1), four(4);
  struct Case {
    std::string op;
    std::vector<const Tensor*> inputs;
  };
  for (const Case& k : std::vector<Case>{{"Add", {&a, &b}},
                                         {"Mul", {&a, &c}},
                                         {"Sub", {&c, &b}},
                                         {"Max", {&a, &b, &c}},
                                         {"Tanh", {&a}},
                                         {"Sigmoid", {&a}}}) {
    std::vector<Tensor> serial, parallel;
    ASSERT_TRUE(RunOp(k.op, k.inputs, &serial, &one).ok()) << k.op;
    ASSERT_TRUE(RunOp(k.op, k.inputs, &parallel, &four).ok()) << k.op;
    ASSERT_EQ(serial[0].shape(), parallel[0].shape()) << k.op;
    const float* s = serial[0].data<float>();
    const float* p = parallel[0].data<float>();
    int64_t differ = 0;
    for (int64_t i = 0; i < serial[0].numel(); ++i) differ += s[i] != p[i];
    EXPECT_EQ(differ, 0) << k.op;
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine
