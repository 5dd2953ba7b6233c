// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear through a Session, held to the
// spec's formulas written plainly here (per tensor, per axis on every axis, blocked along inner
// and outer axes; int8, uint8, int16, uint16, int32; ties rounded to even, saturation, NaN), at 1
// and 4 threads on tensors large enough to be split; and the errors malformed nodes get.
#include "engine/ops/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::IntAttr;
using test::Random;
using test::RunModel;

template <typename T>
Tensor Make(DType dtype, Shape shape, const std::vector<T>& v) {
  Tensor t = Tensor::Empty(dtype, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(t.numel()), v.size());
  std::copy(v.begin(), v.end(), t.data<T>());
  return t;
}

// Random values of a quantized integer type, in [lo, hi].
Tensor RandomInts(DType dtype, const Shape& shape, uint32_t seed, int32_t lo, int32_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(lo, hi);
  Tensor t = Tensor::Empty(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    int32_t v = dist(rng);
    switch (dtype) {
      case DType::kInt8:
        t.data<int8_t>()[i] = static_cast<int8_t>(v);
        break;
      case DType::kUInt8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
        break;
      case DType::kInt16:
        t.data<int16_t>()[i] = static_cast<int16_t>(v);
        break;
      case DType::kUInt16:
        t.data<uint16_t>()[i] = static_cast<uint16_t>(v);
        break;
      default:
        t.data<int32_t>()[i] = v;
    }
  }
  return t;
}

int64_t IntAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kUInt16:
      return t.data<uint16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    default:
      ADD_FAILURE() << "not an integer tensor";
      return 0;
  }
}

// The scale/zero point entry element i of x uses: per tensor, per axis or blocked.
int64_t ParamIndex(const Shape& x, const Shape& scale, int axis, int64_t block, int64_t i) {
  if (NumElements(scale) == 1) return 0;
  std::vector<int64_t> idx(x.size());
  for (size_t d = x.size(); d-- > 0;) {
    idx[d] = i % x[d];
    i /= x[d];
  }
  if (block == 0) return idx[axis];
  int64_t p = 0;
  for (size_t d = 0; d < x.size(); ++d) {
    p = p * scale[d] + (static_cast<int>(d) == axis ? idx[d] / block : idx[d]);
  }
  return p;
}

// The spec's QuantizeLinear, element by element.
std::vector<int64_t> ReferenceQuantize(const Tensor& x, const Tensor& scale, const Tensor* zp,
                                       int axis, int64_t block, DType yt) {
  const ops::QuantRange r = ops::QuantRangeOf(yt);
  std::vector<int64_t> out(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t p = ParamIndex(x.shape(), scale.shape(), axis, block, i);
    const float xv = x.dtype() == DType::kFloat32 ? x.data<float>()[i]
                                                  : static_cast<float>(x.data<int32_t>()[i]);
    const float q = std::nearbyint(xv / scale.data<float>()[p]);
    const double v = static_cast<double>(q) + (zp ? IntAt(*zp, p) : 0);
    out[i] = std::isnan(q) ? r.lo : static_cast<int64_t>(std::clamp<double>(v, r.lo, r.hi));
  }
  return out;
}

std::vector<float> ReferenceDequantize(const Tensor& x, const Tensor& scale, const Tensor* zp,
                                       int axis, int64_t block) {
  std::vector<float> out(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t p = ParamIndex(x.shape(), scale.shape(), axis, block, i);
    const int64_t d = IntAt(x, i) - (zp ? IntAt(*zp, p) : 0);
    out[i] = static_cast<float>(d) * scale.data<float>()[p];
  }
  return out;
}

// Runs one node of `op` at `opset` on the named inputs ("" name: omitted), all fed.
Result<std::map<std::string, Tensor>> RunOp(const std::string& op, int64_t opset,
                                            std::map<std::string, Attribute> attrs,
                                            const std::vector<std::pair<std::string, Tensor>>& in,
                                            std::vector<std::string> outs, int threads = 1) {
  std::vector<std::string> names;
  std::map<std::string, Tensor> feeds;
  for (const auto& [name, t] : in) {
    names.push_back(name);
    if (!name.empty()) feeds[name] = t;
  }
  Model m = test::OneNode(op, names, std::move(outs), std::move(attrs), opset);
  return RunModel(std::move(m), feeds, threads);
}

struct QCase {
  Shape x;
  Shape scale;  // {} per tensor
  int64_t axis = 1;
  int64_t block = 0;
  DType yt = DType::kUInt8;
  bool zero_point = true;
  int64_t opset = 13;
};

// Quantizes and dequantizes a random x under `c` at 1 and 4 threads against the references.
void CheckRoundTrip(const QCase& c) {
  SCOPED_TRACE("x " + ShapeToString(c.x) + " scale " + ShapeToString(c.scale) + " axis " +
               std::to_string(c.axis) + " block " + std::to_string(c.block) + " " +
               DTypeName(c.yt) + " opset " + std::to_string(c.opset));
  const ops::QuantRange r = ops::QuantRangeOf(c.yt);
  Tensor x = Random(c.x, 1, -40.f, 40.f);
  Tensor scale = Random(c.scale, 2, 0.05f, 0.5f);
  Tensor zp = RandomInts(c.yt, c.scale, 3, r.lo / 4 + r.hi / 4, r.hi / 2);
  const int axis =
      static_cast<int>(c.axis < 0 ? c.axis + static_cast<int64_t>(c.x.size()) : c.axis);
  std::map<std::string, Attribute> attrs = {{"axis", IntAttr(c.axis)}};
  if (c.block) attrs["block_size"] = IntAttr(c.block);
  std::vector<int64_t> want =
      ReferenceQuantize(x, scale, c.zero_point ? &zp : nullptr, axis, c.block, c.yt);
  for (int threads : {1, 4}) {
    std::vector<std::pair<std::string, Tensor>> in = {{"x", x}, {"s", scale}};
    if (c.zero_point) in.push_back({"zp", zp});
    auto got = RunOp("QuantizeLinear", c.opset, attrs, in, {"y"}, threads);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const Tensor& y = got->at("y");
    ASSERT_EQ(y.dtype(), c.yt);
    ASSERT_EQ(y.shape(), c.x);
    int64_t bad = 0;
    for (int64_t i = 0; i < y.numel(); ++i) bad += IntAt(y, i) != want[i];
    EXPECT_EQ(bad, 0) << "threads " << threads;

    // And back.
    std::vector<std::pair<std::string, Tensor>> din = {{"q", y}, {"s", scale}};
    if (c.zero_point) din.push_back({"zp", zp});
    auto back = RunOp("DequantizeLinear", c.opset, attrs, din, {"z"}, threads);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    std::vector<float> dwant =
        ReferenceDequantize(y, scale, c.zero_point ? &zp : nullptr, axis, c.block);
    const Tensor& z = back->at("z");
    ASSERT_EQ(z.dtype(), DType::kFloat32);
    EXPECT_EQ(std::memcmp(z.data<float>(), dwant.data(), dwant.size() * sizeof(float)), 0)
        << "threads " << threads;
  }
}

TEST(QuantizeTest, PerTensorEveryType) {
  for (DType t : {DType::kUInt8, DType::kInt8, DType::kUInt16, DType::kInt16}) {
    CheckRoundTrip({.x = {3, 70001}, .scale = {}, .yt = t});
    CheckRoundTrip({.x = {5}, .scale = {1}, .yt = t, .opset = 10});
  }
  CheckRoundTrip({.x = {2, 3}, .scale = {}, .zero_point = false, .opset = 10});
}

TEST(QuantizeTest, PerAxisOnEveryAxis) {
  for (DType t : {DType::kUInt8, DType::kInt8, DType::kInt16}) {
    CheckRoundTrip({.x = {4, 3, 5, 6}, .scale = {4}, .axis = 0, .yt = t});
    CheckRoundTrip({.x = {4, 3, 5, 6}, .scale = {3}, .axis = 1, .yt = t});
    CheckRoundTrip({.x = {4, 3, 5, 6}, .scale = {5}, .axis = -2, .yt = t});
    CheckRoundTrip({.x = {4, 3, 5, 6}, .scale = {6}, .axis = 3, .yt = t});
  }
  // Split over threads, with the axis inner (a row of parameters) and outer (one per row).
  CheckRoundTrip({.x = {96, 2048}, .scale = {2048}, .axis = 1, .yt = DType::kInt8, .opset = 19});
  CheckRoundTrip({.x = {64, 33, 97}, .scale = {33}, .axis = 1, .zero_point = false});
}

TEST(QuantizeTest, Blocked) {
  for (DType t : {DType::kUInt8, DType::kInt8, DType::kUInt16, DType::kInt16}) {
    // ceil(5 / 2) = 3 blocks along axis 1; inner 4.
    CheckRoundTrip(
        {.x = {2, 5, 4}, .scale = {2, 3, 4}, .axis = 1, .block = 2, .yt = t, .opset = 21});
    // Along the last axis: ceil(7 / 3) = 3 blocks, the last of one element.
    CheckRoundTrip({.x = {3, 7}, .scale = {3, 3}, .axis = -1, .block = 3, .yt = t, .opset = 21});
  }
  CheckRoundTrip({.x = {2, 3, 96},
                  .scale = {2, 3, 3},
                  .axis = -1,
                  .block = 32,
                  .yt = DType::kUInt8,
                  .opset = 21});
  // Large, split over threads: blocks of 32 along K of a [K, N] weight and of an activation.
  CheckRoundTrip({.x = {256, 1024},
                  .scale = {8, 1024},
                  .axis = 0,
                  .block = 32,
                  .yt = DType::kInt8,
                  .opset = 21});
  CheckRoundTrip({.x = {1024, 256},
                  .scale = {1024, 8},
                  .axis = 1,
                  .block = 32,
                  .yt = DType::kUInt8,
                  .zero_point = false,
                  .opset = 21});
}

TEST(QuantizeTest, TiesRoundToEvenAndSaturate) {
  Tensor x =
      test::Floats({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 300.f, -300.f, 1e30f, -1e30f,
                    std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN(), 126.5f, 127.5f, 3.49999976f});
  Tensor scale = test::Scalar(1.f);
  {
    Tensor zp = Tensor::Scalar<int8_t>(DType::kInt8, 0);
    auto got = RunOp("QuantizeLinear", 13, {}, {{"x", x}, {"s", scale}, {"zp", zp}}, {"y"});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<int8_t> want = {0,   2,    2,   0,    -2,   -2,  127, -128,
                                      127, -128, 127, -128, -128, 126, 127, 3};
    const Tensor& y = got->at("y");
    ASSERT_EQ(y.dtype(), DType::kInt8);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y.data<int8_t>()[i], want[i]) << i;
  }
  {
    // No zero point: uint8 with zero point 0; negatives saturate to 0.
    auto got = RunOp("QuantizeLinear", 10, {}, {{"x", x}, {"s", scale}}, {"y"});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<uint8_t> want = {0, 2, 2, 0, 0, 0, 255, 0, 255, 0, 255, 0, 0, 126, 128, 3};
    const Tensor& y = got->at("y");
    ASSERT_EQ(y.dtype(), DType::kUInt8);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y.data<uint8_t>()[i], want[i]) << i;
  }
}

TEST(QuantizeTest, Int32InputAndOutputDtype) {
  Tensor x = Make<int32_t>(DType::kInt32, {4}, {-7, 5, 1000, 6});
  Tensor scale = test::Scalar(2.f);
  // output_dtype (opset 21) picks the type when there is no zero point.
  auto got =
      RunOp("QuantizeLinear", 21, {{"output_dtype", IntAttr(3)}}, {{"x", x}, {"s", scale}}, {"y"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const Tensor& y = got->at("y");
  ASSERT_EQ(y.dtype(), DType::kInt8);
  EXPECT_EQ(std::vector<int8_t>(y.data<int8_t>(), y.data<int8_t>() + 4),
            (std::vector<int8_t>{-4, 2, 127, 3}));
}

TEST(QuantizeTest, DequantizeInt32) {
  Tensor x = Make<int32_t>(DType::kInt32, {2, 3}, {-100000, 0, 7, 2147483647, -5, 3});
  Tensor scale = test::Floats({0.5f, 0.25f, 2.f});
  auto got = RunOp("DequantizeLinear", 13, {}, {{"x", x}, {"s", scale}}, {"y"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<float> want = ReferenceDequantize(x, scale, nullptr, 1, 0);
  EXPECT_EQ(std::memcmp(got->at("y").data<float>(), want.data(), 6 * sizeof(float)), 0);
  // A zero point of zeros is accepted; another is not.
  Tensor zeros = Make<int32_t>(DType::kInt32, {3}, {0, 0, 0});
  EXPECT_TRUE(
      RunOp("DequantizeLinear", 13, {}, {{"x", x}, {"s", scale}, {"zp", zeros}}, {"y"}).ok());
  Tensor ones = Make<int32_t>(DType::kInt32, {3}, {0, 1, 0});
  auto bad = RunOp("DequantizeLinear", 13, {}, {{"x", x}, {"s", scale}, {"zp", ones}}, {"y"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must be 0 for int32"), std::string::npos)
      << bad.status().ToString();
}

TEST(QuantizeTest, Float16ScaleGivesFloat16) {
  Tensor x = Make<uint8_t>(DType::kUInt8, {3}, {0, 128, 255});
  Tensor scale = Tensor::Scalar<uint16_t>(DType::kFloat16, 0x3800);  // 0.5
  Tensor zp = Tensor::Scalar<uint8_t>(DType::kUInt8, 128);
  auto got = RunOp("DequantizeLinear", 19, {}, {{"x", x}, {"s", scale}, {"zp", zp}}, {"y"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const Tensor& y = got->at("y");
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  // -64, 0, 63.5
  EXPECT_EQ(std::vector<uint16_t>(y.data<uint16_t>(), y.data<uint16_t>() + 3),
            (std::vector<uint16_t>{0xD400, 0x0000, 0x53F0}));
}

// The error of one QuantizeLinear (or `op`) run, or "(no error)".
std::string ErrorOf(const std::string& op, int64_t opset, std::map<std::string, Attribute> attrs,
                    const std::vector<std::pair<std::string, Tensor>>& in) {
  auto got = RunOp(op, opset, std::move(attrs), in, {"y"});
  return got.ok() ? "(no error)" : got.status().ToString();
}

TEST(QuantizeTest, Errors) {
  Tensor x = Random({2, 3, 4}, 1);
  Tensor s3 = test::Floats({1.f, 1.f, 1.f});
  Tensor s4 = test::Floats({1.f, 1.f, 1.f, 1.f});
  Tensor zp3 = Make<uint8_t>(DType::kUInt8, {3}, {0, 0, 0});
  Tensor zp1 = Make<uint8_t>(DType::kUInt8, {1}, {0});
  auto has = [](const std::string& error, const std::string& part) {
    return error.find(part) != std::string::npos;
  };
  std::string e;
  // Per axis: the scale's length must be the axis'.
  e = ErrorOf("QuantizeLinear", 13, {}, {{"x", x}, {"s", s4}});
  EXPECT_TRUE(has(e, "per-axis y_scale must hold x.shape[1] = 3 values")) << e;
  // ... and the zero point the scale's shape.
  e = ErrorOf("QuantizeLinear", 13, {}, {{"x", x}, {"s", s3}, {"zp", zp1}});
  EXPECT_TRUE(has(e, "y_zero_point must have the shape of y_scale [3]")) << e;
  // Per-axis scales came with opset 13.
  e = ErrorOf("QuantizeLinear", 10, {}, {{"x", x}, {"s", s3}, {"zp", zp3}});
  EXPECT_TRUE(has(e, "must be a scalar at opset 10")) << e;
  // The axis must exist.
  e = ErrorOf("DequantizeLinear", 13, {{"axis", IntAttr(3)}},
              {{"x", Make<uint8_t>(DType::kUInt8, {3}, {1, 2, 3})}, {"s", s3}});
  EXPECT_TRUE(has(e, "axis 3 is out of range for rank 1")) << e;
  // A 2-D scale without block_size.
  e = ErrorOf("QuantizeLinear", 21, {}, {{"x", x}, {"s", Random({2, 3}, 2)}});
  EXPECT_TRUE(has(e, "or set block_size")) << e;
  // Blocked: the scale's shape.
  e = ErrorOf("QuantizeLinear", 21, {{"block_size", IntAttr(2)}, {"axis", IntAttr(2)}},
              {{"x", x}, {"s", Random({2, 3, 3}, 2)}});
  EXPECT_TRUE(has(e, "y_scale must have shape [2, 3, 2]")) << e;
  e = ErrorOf("QuantizeLinear", 21, {{"block_size", IntAttr(2)}},
              {{"x", x}, {"s", Random({2, 2}, 2)}});
  EXPECT_TRUE(has(e, "needs y_scale of x's rank 3")) << e;
  e = ErrorOf("QuantizeLinear", 21, {{"block_size", IntAttr(-1)}}, {{"x", x}, {"s", s3}});
  EXPECT_TRUE(has(e, "block_size must be 0")) << e;
  // output_dtype: float8 and 4-bit refused clearly; a mismatch with the zero point.
  e = ErrorOf("QuantizeLinear", 21, {{"output_dtype", IntAttr(17)}},
              {{"x", x}, {"s", test::Scalar(1.f)}});
  EXPECT_TRUE(has(e, "output_dtype float8e4m3fn is not supported")) << e;
  e = ErrorOf("QuantizeLinear", 21, {{"output_dtype", IntAttr(22)}},
              {{"x", x}, {"s", test::Scalar(1.f)}});
  EXPECT_TRUE(has(e, "output_dtype int4 is not supported")) << e;
  e = ErrorOf(
      "QuantizeLinear", 21, {{"output_dtype", IntAttr(3)}},
      {{"x", x}, {"s", test::Scalar(1.f)}, {"zp", Tensor::Scalar<uint8_t>(DType::kUInt8, 0)}});
  EXPECT_TRUE(has(e, "output_dtype int8 does not match the type of y_zero_point, uint8")) << e;
  // DequantizeLinear: the zero point has x's type; x is an integer.
  e = ErrorOf("DequantizeLinear", 13, {},
              {{"x", Make<uint8_t>(DType::kUInt8, {3}, {1, 2, 3})},
               {"s", test::Scalar(1.f)},
               {"zp", Tensor::Scalar<int8_t>(DType::kInt8, 0)}});
  EXPECT_TRUE(has(e, "x_zero_point must have x's type uint8")) << e;
}

// DynamicQuantizeLinear's outputs by the spec's formulas.
void CheckDynamic(const Tensor& x, int threads) {
  float mn = 0.f, mx = 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    mn = std::min(mn, x.data<float>()[i]);
    mx = std::max(mx, x.data<float>()[i]);
  }
  const float scale = mx == mn ? 1.f : (mx - mn) / 255.f;
  const float zp = std::clamp(std::nearbyint(0.f - mn / scale), 0.f, 255.f);
  auto got = RunOp("DynamicQuantizeLinear", 11, {}, {{"x", x}}, {"y", "s", "zp"}, threads);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const Tensor &y = got->at("y"), &s = got->at("s"), &z = got->at("zp");
  ASSERT_EQ(y.dtype(), DType::kUInt8);
  ASSERT_EQ(s.dtype(), DType::kFloat32);
  ASSERT_EQ(z.dtype(), DType::kUInt8);
  EXPECT_TRUE(s.shape().empty());
  EXPECT_TRUE(z.shape().empty());
  EXPECT_EQ(s.data<float>()[0], scale);
  EXPECT_EQ(z.data<uint8_t>()[0], static_cast<uint8_t>(zp));
  int64_t bad = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float q = std::clamp(std::nearbyint(x.data<float>()[i] / scale) + zp, 0.f, 255.f);
    bad += y.data<uint8_t>()[i] != static_cast<uint8_t>(q);
  }
  EXPECT_EQ(bad, 0) << "threads " << threads;
}

TEST(QuantizeTest, DynamicQuantizeLinear) {
  for (int threads : {1, 4}) {
    CheckDynamic(Random({4, 100003}, 7, -3.f, 5.f), threads);     // both signs
    CheckDynamic(Random({300001}, 8, 0.5f, 2.f), threads);        // all positive: min 0
    CheckDynamic(Random({3, 5, 7}, 9, -4.f, -1.f), threads);      // all negative: max 0
    CheckDynamic(Tensor::Zeros(DType::kFloat32, {17}), threads);  // all zero: scale 1
    CheckDynamic(Tensor::Zeros(DType::kFloat32, {0, 4}), threads);
  }
}

TEST(QuantizeTest, DynamicQuantizeParams) {
  // Ties of the zero point round to even: min -0.5 * scale gives 0.5 -> 0; -1.5 * scale -> 2.
  ops::DynamicQuantParams p = ops::DynamicQuantizeParams(-1.f, 254.f);  // scale 1
  EXPECT_EQ(p.scale, 1.f);
  EXPECT_EQ(p.zero_point, 1);
  p = ops::DynamicQuantizeParams(0.f, 0.f);
  EXPECT_EQ(p.scale, 1.f);
  EXPECT_EQ(p.zero_point, 0);
  p = ops::DynamicQuantizeParams(-2.f, -1.f);  // max widened to 0: all of the range below 0
  EXPECT_EQ(p.zero_point, 255);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
