// ConvInteger: uint8 X and int8 W with zero point 0 (onnxruntime's dynamic quantization of a Conv)
// go to oneDNN's int8 convolution, the rest to the direct loop; both give the exact int32 sums,
// padding counting as the zero point.
#include <gtest/gtest.h>

#include <random>

#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Info;
using test::MakeNode;

// sum over the window of (x - xzp) * (w - wzp), computed here independently (NCHW, 2-D).
std::vector<int32_t> Expected(const Tensor& x, int32_t xzp, const Tensor& w, int32_t wzp,
                              int64_t group, int64_t stride, int64_t pad, Shape* out) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3), mg = m / group;
  const int64_t oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1;
  *out = {n, m, oh, ow};
  auto wv = [&](int64_t i) {
    return w.dtype() == DType::kInt8 ? int32_t(w.data<int8_t>()[i]) : int32_t(w.data<uint8_t>()[i]);
  };
  std::vector<int32_t> y(n * m * oh * ow, 0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int32_t acc = 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t d = 0; d < kw; ++d) {
                int64_t r = i * stride + a - pad, q = j * stride + d - pad;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                int64_t ch = (o / mg) * cg + ci;
                acc += (int32_t(x.data<uint8_t>()[((b * c + ch) * h + r) * wd + q]) - xzp) *
                       (wv(((o * cg + ci) * kh + a) * kw + d) - wzp);
              }
          y[((b * m + o) * oh + i) * ow + j] = acc;
        }
  return y;
}

void Check(DType wtype, int32_t wzp_value) {
  std::mt19937 rng(7);
  Tensor x = Tensor::Empty(DType::kUInt8, {2, 8, 9, 9});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(rng());
  Tensor w = Tensor::Empty(wtype, {12, 4, 3, 3});
  for (int64_t i = 0; i < w.numel(); ++i) {
    if (wtype == DType::kInt8) {
      w.data<int8_t>()[i] = static_cast<int8_t>(int(rng() % 255) - 127);
    } else {
      w.data<uint8_t>()[i] = static_cast<uint8_t>(rng());
    }
  }
  Tensor xzp = Tensor::Scalar<uint8_t>(DType::kUInt8, 100);
  Tensor wzp = wtype == DType::kInt8
                   ? Tensor::Scalar<int8_t>(DType::kInt8, static_cast<int8_t>(wzp_value))
                   : Tensor::Scalar<uint8_t>(DType::kUInt8, static_cast<uint8_t>(wzp_value));
  Node node = MakeNode("ConvInteger", {"x", "w", "xzp", "wzp"}, {"y"},
                       {{"group", test::IntAttr(2)},
                        {"strides", test::IntsAttr({2, 2})},
                        {"pads", test::IntsAttr({1, 1, 1, 1})}},
                       10);
  Model model = test::OneNode(node, {Info("x", DType::kUInt8)}, {Info("y")},
                              {{"w", w}, {"xzp", xzp}, {"wzp", wzp}});
  for (int threads : {1, 2}) {
    auto out = test::RunModel(model, {{"x", x}}, threads, /*optimize=*/false);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = (*out)["y"];
    Shape shape;
    std::vector<int32_t> want = Expected(x, 100, w, wzp_value, 2, 2, 1, &shape);
    ASSERT_EQ(y.dtype(), DType::kInt32);
    ASSERT_EQ(y.shape(), shape);
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y.data<int32_t>()[i], want[i]) << i;
  }
}

TEST(ConvIntegerTest, Int8WeightsOnOnednn) { Check(DType::kInt8, 0); }
TEST(ConvIntegerTest, WeightZeroPointOnTheLoop) { Check(DType::kInt8, 3); }
TEST(ConvIntegerTest, Uint8WeightsOnTheLoop) { Check(DType::kUInt8, 128); }

}  // namespace
}  // namespace ipfs_accelerate::engine
