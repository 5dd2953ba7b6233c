// Crafted models whose attributes ask for absurd output shapes (the 200-byte Conv with pads of
// 2^40 that crashed the engine): each fails with an error naming the node and the attribute,
// with and without the optimizer, and nothing is written past a buffer.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "../test_util.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;
using test::IntAttr;
using test::Ints;
using test::IntsAttr;
using test::ModelBuilder;
using test::Random;
using test::StringAttr;
using test_util::HasSubstr;

constexpr int64_t k2To40 = int64_t{1} << 40;
constexpr int64_t k2To31Minus1 = (int64_t{1} << 31) - 1;
constexpr int64_t k2To62 = int64_t{1} << 62;

// Creates a session and runs it on `b`'s inputs; the first error, or Ok.
Status CreateAndRun(const ModelBuilder& b, bool optimize,
                    std::map<std::string, Tensor> inputs = {}) {
  if (inputs.empty()) inputs = b.Inputs();
  return test::RunModel(b.model(), inputs, 2, optimize).status();
}

// x [1, 1, 4, 4] through `op` (with W [1, 1, 3, 3] for the convolutions) and `attrs`.
ModelBuilder WindowModel(const std::string& op, std::map<std::string, Attribute> attrs) {
  ModelBuilder b;
  b.Input("x", {1, 1, 4, 4});
  if (op == "Conv" || op == "ConvTranspose") {
    b.Init("w", Random({1, 1, 3, 3}, 7)).Op(op, {"x", "w"}, {"y"}, std::move(attrs));
  } else {
    b.Op(op, {"x"}, {"y"}, std::move(attrs));
  }
  b.Output("y");
  return b;
}

void ExpectRejected(const ModelBuilder& b, const std::string& node, const std::string& attr) {
  for (bool optimize : {false, true}) {
    Status s = CreateAndRun(b, optimize);
    ASSERT_FALSE(s.ok()) << "optimize=" << optimize << ": the model ran";
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_TRUE(HasSubstr(s.message(), "node '" + node + "'")) << "optimize=" << optimize;
    EXPECT_TRUE(HasSubstr(s.message(), attr)) << "optimize=" << optimize;
  }
}

TEST(ShapeOverflowTest, ConvWithPadsOf2To40IsAnErrorNamingPads) {
  ExpectRejected(WindowModel("Conv", {{"pads", IntsAttr({k2To40, k2To40, k2To40, k2To40})}}),
                 "Conv0", "pads");
}

TEST(ShapeOverflowTest, ConvWithPadsOf2To31Minus1IsAnErrorNamingPads) {
  ExpectRejected(
      WindowModel("Conv",
                  {{"pads", IntsAttr({k2To31Minus1, k2To31Minus1, k2To31Minus1, k2To31Minus1})}}),
      "Conv0", "pads");
}

TEST(ShapeOverflowTest, ConvWhosePaddedSizeOverflowsIsAnErrorNamingPads) {
  ExpectRejected(WindowModel("Conv", {{"pads", IntsAttr({INT64_MAX, 1, 1, 1})}}), "Conv0", "pads");
  ExpectRejected(WindowModel("Conv", {{"dilations", IntsAttr({k2To62, 1})}}), "Conv0", "dilations");
}

TEST(ShapeOverflowTest, ShapeOfAnOverflowingConvIsAnErrorNotANumber) {
  // The optimizer's shape inference used to fold Shape(y) to a wrapped-around value.
  ModelBuilder b;
  b.Input("x", {1, 1, 4, 4})
      .Init("w", Random({1, 1, 3, 3}, 7))
      .Op("Conv", {"x", "w"}, {"y"}, {{"pads", IntsAttr({k2To62, k2To62, k2To62, k2To62})}})
      .Op("Shape", {"y"}, {"s"})
      .Output("s");
  ExpectRejected(b, "Conv0", "pads");
}

TEST(ShapeOverflowTest, ConvTransposeWithHugeOutputPaddingIsAnError) {
  ExpectRejected(WindowModel("ConvTranspose", {{"strides", IntsAttr({2, 2})},
                                               {"output_padding", IntsAttr({k2To40, k2To40})}}),
                 "ConvTranspose0", "output_padding");
  ExpectRejected(WindowModel("ConvTranspose", {{"output_padding", IntsAttr({INT64_MAX, 0})}}),
                 "ConvTranspose0", "output_padding");
  ExpectRejected(WindowModel("ConvTranspose", {{"output_padding", IntsAttr({-5, 0})}}),
                 "ConvTranspose0", "output_padding");
}

TEST(ShapeOverflowTest, ConvTransposeWithHugeOutputShapeOrStridesIsAnError) {
  ExpectRejected(WindowModel("ConvTranspose", {{"output_shape", IntsAttr({k2To40, k2To40})}}),
                 "ConvTranspose0", "output_shape");
  ExpectRejected(WindowModel("ConvTranspose", {{"strides", IntsAttr({k2To62, k2To62})}}),
                 "ConvTranspose0", "strides");
  ExpectRejected(WindowModel("ConvTranspose", {{"auto_pad", StringAttr("SAME_UPPER")},
                                               {"strides", IntsAttr({k2To62, 3})}}),
                 "ConvTranspose0", "strides");
}

TEST(ShapeOverflowTest, PoolingWithHugePadsIsAnErrorNamingPads) {
  for (const char* op : {"MaxPool", "AveragePool", "LpPool"}) {
    SCOPED_TRACE(op);
    ExpectRejected(WindowModel(op, {{"kernel_shape", IntsAttr({2, 2})},
                                    {"pads", IntsAttr({k2To40, k2To40, k2To40, k2To40})}}),
                   std::string(op) + "0", "pads");
    ExpectRejected(WindowModel(op, {{"kernel_shape", IntsAttr({2, 2})},
                                    {"ceil_mode", IntAttr(1)},
                                    {"pads", IntsAttr({INT64_MAX, 0, 0, 0})}}),
                   std::string(op) + "0", "pads");
  }
}

TEST(ShapeOverflowTest, PoolingWithAHugeKernelIsAnErrorNamingTheKernel) {
  ExpectRejected(WindowModel("MaxPool", {{"kernel_shape", IntsAttr({k2To62, 2})},
                                         {"dilations", IntsAttr({4, 1})}}),
                 "MaxPool0", "kernel_shape");
}

TEST(ShapeOverflowTest, ResizeToSizesPastInt64IsAnErrorNamingSizes) {
  ModelBuilder b;
  b.Input("x", {1, 1, 4, 4})
      .Init("roi", Floats({}))
      .Init("scales", Floats({}))
      .Init("sizes", Ints({1, 1, k2To62, k2To62}))
      .Op("Resize", {"x", "roi", "scales", "sizes"}, {"y"})
      .Output("y");
  ExpectRejected(b, "Resize0", "sizes");
}

TEST(ShapeOverflowTest, ResizeWithAScaleBeyondInt64IsAnErrorNamingScales) {
  ModelBuilder b;
  b.Input("x", {1, 1, 4, 4})
      .Init("roi", Floats({}))
      .Init("scales", Floats({1, 1, 1e30f, 1}))
      .Op("Resize", {"x", "roi", "scales"}, {"y"})
      .Output("y");
  ExpectRejected(b, "Resize0", "scales");
}

TEST(ShapeOverflowTest, DepthToSpaceWithAHugeBlocksizeIsAnError) {
  ModelBuilder b;
  b.Input("x", {1, 4, 2, 2}).Op("DepthToSpace", {"x"}, {"y"}, {{"blocksize", IntAttr(k2To62)}});
  b.Output("y");
  ExpectRejected(b, "DepthToSpace0", "blocksize");
}

TEST(ShapeOverflowTest, PadPastInt64IsAnErrorNamingPads) {
  ModelBuilder b;
  b.Input("x", {2, 2})
      .Init("pads", Ints({0, INT64_MAX, 0, 1}))
      .Op("Pad", {"x", "pads"}, {"y"})
      .Output("y");
  ExpectRejected(b, "Pad0", "pads");
}

TEST(ShapeOverflowTest, OrdinaryWindowsStillRun) {
  // The same models with sane attributes: the checks reject only what overflows.
  EXPECT_TRUE(CreateAndRun(WindowModel("Conv", {{"pads", IntsAttr({1, 1, 1, 1})}}), true).ok());
  EXPECT_TRUE(CreateAndRun(WindowModel("ConvTranspose", {{"strides", IntsAttr({2, 2})},
                                                         {"output_padding", IntsAttr({1, 1})}}),
                           false)
                  .ok());
  EXPECT_TRUE(CreateAndRun(WindowModel("MaxPool", {{"kernel_shape", IntsAttr({3, 3})},
                                                   {"strides", IntsAttr({2, 2})},
                                                   {"ceil_mode", IntAttr(1)}}),
                           false)
                  .ok());
}

}  // namespace
}  // namespace ipfs_accelerate::engine
