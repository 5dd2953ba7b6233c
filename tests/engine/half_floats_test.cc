// 16-bit float models whose ops the CPU backend has no 16-bit kernels for (Conv, MatMul, LSTM...)
// compute in float32 with 16-bit floats at the edges (optimizer::ComputeHalfFloatsInFloat32),
// within 16-bit tolerance of the float32 model; models it does run in 16 bits are left alone.
#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

// `t` (float32) as float16 or bfloat16.
Tensor Narrow(const Tensor& t, DType to) {
  Tensor out = Tensor::Empty(to, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t.data<float>()[i];
    out.data<uint16_t>()[i] = to == DType::kFloat16 ? FloatToHalf(v) : FloatToBFloat16(v);
  }
  return out;
}

float ValueAt(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kFloat32) return t.data<float>()[i];
  const uint16_t v = t.data<uint16_t>()[i];
  return t.dtype() == DType::kFloat16 ? HalfToFloat(v) : BFloat16ToFloat(v);
}

// A small CNN (Conv, Relu, a Cast to the 16-bit type and back, MaxPool, MatMul) with its weights,
// input and output in `dtype`.
test::ModelBuilder Cnn(DType dtype) {
  auto as = [&](Tensor t) { return dtype == DType::kFloat32 ? t : Narrow(t, dtype); };
  const int64_t onnx = dtype == DType::kFloat16 ? 10 : dtype == DType::kBFloat16 ? 16 : 1;
  test::ModelBuilder b(17);
  b.Input("x", {1, 3, 8, 8}, dtype)
      .Init("w", as(test::Random({4, 3, 3, 3}, 1, -0.5f, 0.5f)))
      .Init("m", as(test::Random({4, 5}, 2, -0.5f, 0.5f)))
      .Op("Conv", {"x", "w"}, {"c"}, {{"pads", test::IntsAttr({1, 1, 1, 1})}})
      .Op("Relu", {"c"}, {"r"})
      .Op("Cast", {"r"}, {"r2"}, {{"to", test::IntAttr(onnx)}})
      .Op("MaxPool", {"r2"}, {"p"},
          {{"kernel_shape", test::IntsAttr({2, 2})}, {"strides", test::IntsAttr({2, 2})}})
      .Op("Transpose", {"p"}, {"t"}, {{"perm", test::IntsAttr({0, 2, 3, 1})}})
      .Op("MatMul", {"t", "m"}, {"y"})
      .Output("y", dtype);
  return b;
}

TEST(HalfFloatsTest, SixteenBitModelsComputeInFloat32WithinTheirTolerance) {
  const Tensor x = test::Random({1, 3, 8, 8}, 3);
  auto want = test::RunModel(Cnn(DType::kFloat32).model(), {{"x", x}});
  ASSERT_TRUE(want.ok()) << want.status().message();
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    auto session = Session::Create(Cnn(dtype).model(), {.threads = 2});
    ASSERT_TRUE(session.ok()) << session.status().message();
    EXPECT_NE((*session)->optimizer_summary().find("HalfFloatsToFloat32"), std::string::npos)
        << (*session)->optimizer_summary();
    auto got = (*session)->Run({{"x", Narrow(x, dtype)}});
    ASSERT_TRUE(got.ok()) << got.status().message();
    const Tensor& y = got->at("y");
    const Tensor& ref = want->at("y");
    ASSERT_EQ(y.dtype(), dtype);
    ASSERT_EQ(y.shape(), ref.shape());
    // Inputs and weights rounded to 16 bits, then one rounding of the result.
    const double tol = dtype == DType::kFloat16 ? 1e-2 : 6e-2;
    for (int64_t i = 0; i < y.numel(); ++i) {
      EXPECT_NEAR(ValueAt(y, i), ValueAt(ref, i), tol * (1 + std::fabs(ValueAt(ref, i))))
          << DTypeName(dtype) << " element " << i;
    }
  }
}

TEST(HalfFloatsTest, ModelsTheBackendRunsIn16BitsAreLeftAlone) {
  test::ModelBuilder b(17);
  b.Input("x", {4}, DType::kFloat16).Op("Relu", {"x"}, {"y"}).Output("y", DType::kFloat16);
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().message();
  EXPECT_EQ((*session)->optimizer_summary().find("HalfFloatsToFloat32"), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
