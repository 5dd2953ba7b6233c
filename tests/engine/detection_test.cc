// GridSample, NonMaxSuppression, RoiAlign, MaxUnpool and Det through a Session, beyond the ONNX
// conformance cases: values computed with PyTorch's grid_sample (written out here), N-D and
// opset 20 names, float64 and float16, hand-checked RoiAlign bins, MaxUnpool with pads and a
// larger output_shape, Det with pivoting, singular and empty matrices, threads, and the errors
// a malformed node or input gets.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/half.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::FloatAttr;
using test::Floats;
using test::IntAttr;
using test::Ints;
using test::IntsAttr;
using test::Iota;
using test::Random;
using test::RunModel;
using test::StringAttr;

using Attrs = std::map<std::string, Attribute>;
using Feeds = std::map<std::string, Tensor>;

// Runs one `op` node reading `names` (fed from `feeds`; "" for an omitted input) at `opset` and
// returns its output "Y", or the error.
Result<Tensor> Run(const std::string& op, std::vector<std::string> names, const Feeds& feeds,
                   Attrs attrs = {}, int64_t opset = 16, int threads = 1) {
  IA_ASSIGN_OR_RETURN(
      auto out, RunModel(test::OneNode(op, std::move(names), {"Y"}, std::move(attrs), opset), feeds,
                         threads));
  return out.at("Y");
}

std::string ErrorOf(const Result<Tensor>& r) {
  return r.ok() ? "(no error)" : r.status().ToString();
}

void ExpectContains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << text;
}

std::vector<float> Values(const Tensor& t) {
  if (t.dtype() == DType::kFloat64) return {t.data<double>(), t.data<double>() + t.numel()};
  if (t.dtype() == DType::kFloat16) {
    std::vector<float> v;
    for (int64_t i = 0; i < t.numel(); ++i) v.push_back(HalfToFloat(t.data<uint16_t>()[i]));
    return v;
  }
  return {t.data<float>(), t.data<float>() + t.numel()};
}

void ExpectValues(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  std::vector<float> got = Values(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << "at " << i;
}

std::vector<int64_t> Int64s(const Tensor& t) {
  return {t.data<int64_t>(), t.data<int64_t>() + t.numel()};
}

Tensor ToDouble(const Tensor& t) {
  Tensor d = Tensor::Empty(DType::kFloat64, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
  return d;
}

Tensor ToHalf(const Tensor& t) {
  Tensor h = Tensor::Empty(DType::kFloat16, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) h.data<uint16_t>()[i] = FloatToHalf(t.data<float>()[i]);
  return h;
}

// ---- GridSample --------------------------------------------------------------------------------

// X = 0..11 as [1, 1, 3, 4]; five grid points, some outside [-1, 1].
Tensor GridX() { return Iota({1, 1, 3, 4}); }
Tensor GridPoints() {
  return Floats({1, 1, 5, 2}, {-1.2f, -0.9f, 0.3f, 0.7f, 1.1f, 1.3f, -0.45f, 0.2f, 0.9f, -1.4f});
}
// Four points inside [-1, 1] (PyTorch pads cubic coordinates outside differently).
Tensor GridPointsInside() {
  return Floats({1, 1, 4, 2}, {-0.9f, -0.8f, 0.3f, 0.7f, 0.95f, 0.99f, -0.45f, 0.2f});
}

Result<Tensor> GridSample(const Tensor& x, const Tensor& grid, Attrs attrs, int64_t opset = 16,
                          int threads = 1) {
  return Run("GridSample", {"X", "G"}, {{"X", x}, {"G", grid}}, std::move(attrs), opset, threads);
}

TEST(DetectionTest, GridSampleMatchesTorch) {
  struct Case {
    const char* mode;
    const char* padding;
    int64_t align;
    Tensor grid;
    std::vector<float> want;  // torch.nn.functional.grid_sample
  };
  const std::vector<Case> cases = {
      {"bilinear", "zeros", 0, GridPoints(), {0.f, 9.594998f, 0.1650007f, 5.8f, 0.f}},
      {"bilinear", "reflection", 1, GridPoints(), {0.7000002f, 8.75f, 9.650001f, 5.625f, 4.45f}},
      {"nearest", "border", 0, GridPoints(), {0.f, 10.f, 11.f, 5.f, 3.f}},
      {"bicubic",
       "border",
       0,
       GridPointsInside(),
       {-0.4942497f, 10.278125f, 11.493898f, 6.060993f}},
      {"bicubic",
       "reflection",
       1,
       GridPointsInside(),
       {0.2560655f, 9.442623f, 10.991174f, 5.924182f}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.mode) + " " + c.padding + " align_corners " +
                 std::to_string(c.align));
    Attrs attrs = {{"mode", StringAttr(c.mode)},
                   {"padding_mode", StringAttr(c.padding)},
                   {"align_corners", IntAttr(c.align)}};
    auto y = GridSample(GridX(), c.grid, attrs);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_EQ(y->shape(), (Shape{1, 1, 1, static_cast<int64_t>(c.want.size())}));
    ExpectValues(*y, c.want);
    // float64 and float16 run the same math.
    auto y64 = GridSample(ToDouble(GridX()), ToDouble(c.grid), attrs);
    ASSERT_TRUE(y64.ok()) << y64.status().ToString();
    EXPECT_EQ(y64->dtype(), DType::kFloat64);
    ExpectValues(*y64, c.want);
    auto y16 = GridSample(ToHalf(GridX()), ToHalf(c.grid), attrs);
    ASSERT_TRUE(y16.ok()) << y16.status().ToString();
    EXPECT_EQ(y16->dtype(), DType::kFloat16);
    ExpectValues(*y16, c.want, 2e-2f);
  }
}

TEST(DetectionTest, GridSampleOpset20NamesAndThreeSpatialAxes) {
  // X = 0..23 as [1, 1, 2, 3, 4]; grid points are (x, y, z).
  Tensor x = Iota({1, 1, 2, 3, 4});
  Tensor grid = Floats({1, 1, 1, 3, 3}, {-0.7f, 0.2f, 0.5f, 0.3f, -0.6f, -0.1f, 1.2f, 0.9f, 0.f});
  auto y = GridSample(x, grid, {{"mode", StringAttr("linear")}}, 20);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 1, 1, 3}));
  ExpectValues(*y, {17.300003f, 7.2999992f, 1.104999f});  // torch, trilinear
  // The opset 16 names are accepted at opset 20 and the other way round.
  auto cubic = GridSample(GridX(), GridPointsInside(), {{"mode", StringAttr("cubic")}}, 16);
  auto bicubic = GridSample(GridX(), GridPointsInside(), {{"mode", StringAttr("bicubic")}}, 20);
  ASSERT_TRUE(cubic.ok() && bicubic.ok());
  EXPECT_EQ(Values(*cubic), Values(*bicubic));
}

TEST(DetectionTest, GridSampleThreadsAndNaN) {
  Tensor x = Random({2, 5, 9, 11}, 1);
  Tensor grid = Random({2, 30, 40, 2}, 2, -1.3f, 1.3f);
  for (const char* mode : {"bilinear", "nearest", "bicubic"}) {
    for (const char* padding : {"zeros", "border", "reflection"}) {
      Attrs attrs = {{"mode", StringAttr(mode)}, {"padding_mode", StringAttr(padding)}};
      auto one = GridSample(x, grid, attrs, 16, 1);
      auto four = GridSample(x, grid, attrs, 16, 4);
      ASSERT_TRUE(one.ok() && four.ok());
      EXPECT_EQ(Values(*one), Values(*four)) << mode << " " << padding;
    }
  }
  // A NaN coordinate gives NaN in every channel; an infinite one with zeros padding reads 0.
  Tensor g =
      Floats({1, 1, 2, 2}, {std::nanf(""), 0.f, std::numeric_limits<float>::infinity(), 0.f});
  auto y = GridSample(Iota({1, 2, 3, 4}), g, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  std::vector<float> v = Values(*y);
  EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[2]));
  EXPECT_EQ(v[1], 0.f);
  EXPECT_EQ(v[3], 0.f);
}

TEST(DetectionTest, GridSampleRejectsMalformedNodes) {
  ExpectContains(ErrorOf(GridSample(GridX(), GridPoints(), {{"mode", StringAttr("area")}})),
                 "mode 'area' is not linear (bilinear), nearest or cubic (bicubic)");
  ExpectContains(ErrorOf(GridSample(GridX(), GridPoints(), {{"padding_mode", StringAttr("wrap")}})),
                 "padding_mode 'wrap' is not zeros, border or reflection");
  ExpectContains(ErrorOf(GridSample(GridX(), GridPoints(), {{"align_corners", IntAttr(2)}})),
                 "align_corners must be 0 or 1, got 2");
  ExpectContains(ErrorOf(GridSample(GridX(), Random({1, 2, 2, 3}, 3), {})),
                 "grid must be [N, O1, ..., O2, 2] for X [1, 1, 3, 4], got [1, 2, 2, 3]");
  ExpectContains(ErrorOf(GridSample(GridX(), Random({2, 2, 2, 2}, 3), {})),
                 "grid's batch 2 differs from X's 1");
  ExpectContains(ErrorOf(GridSample(Random({1, 1, 0, 4}, 1), GridPoints(), {})),
                 "has an empty spatial axis");
  ExpectContains(ErrorOf(GridSample(GridX(), Ints({1, 1, 1, 2}, {0, 0}), {})),
                 "grid is int64; expected a float dtype");
}

// ---- NonMaxSuppression -------------------------------------------------------------------------

// The boxes of the ONNX cases: three overlapping near y = 0, two near 10, one at 100.
Tensor Boxes() {
  return Floats({1, 6, 4}, {0.f, 0.f,  1.f, 1.f,  0.f, 0.1f,  1.f, 1.1f,  0.f, -0.1f, 1.f, 0.9f,
                            0.f, 10.f, 1.f, 11.f, 0.f, 10.1f, 1.f, 11.1f, 0.f, 100.f, 1.f, 101.f});
}
Tensor Scores() { return Floats({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f}); }

Result<Tensor> Nms(const Tensor& boxes, const Tensor& scores, std::vector<Tensor> optional,
                   Attrs attrs = {}, int threads = 1) {
  std::vector<std::string> names = {"boxes", "scores"};
  Feeds feeds = {{"boxes", boxes}, {"scores", scores}};
  const char* optional_names[] = {"max", "iou", "score"};
  for (size_t i = 0; i < optional.size(); ++i) {
    if (!optional[i].defined()) {
      names.push_back("");
      continue;
    }
    names.push_back(optional_names[i]);
    feeds[optional_names[i]] = optional[i];
  }
  return Run("NonMaxSuppression", names, feeds, std::move(attrs), 11, threads);
}

TEST(DetectionTest, NonMaxSuppressionOptionalInputs) {
  // No max_output_boxes_per_class: nothing is selected.
  auto none = Nms(Boxes(), Scores(), {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->dtype(), DType::kInt64);
  EXPECT_EQ(none->shape(), (Shape{0, 3}));
  // A negative count selects nothing either.
  auto negative = Nms(Boxes(), Scores(), {Ints({-4})});
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->shape(), (Shape{0, 3}));
  // iou_threshold left out is 0: any overlap suppresses; a scalar count is accepted.
  auto any_overlap =
      Nms(Boxes(), Scores(), {Tensor::Scalar<int64_t>(DType::kInt64, 10), Tensor(), Tensor()});
  ASSERT_TRUE(any_overlap.ok()) << any_overlap.status().ToString();
  EXPECT_EQ(Int64s(*any_overlap), (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
  // Without score_threshold every box takes part; with 0.55 the lower ones drop out.
  auto all = Nms(Boxes(), Scores(), {Ints({10}), Floats({0.99f})});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Int64s(*all),
            (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 4, 0, 0, 5}));
  auto above = Nms(Boxes(), Scores(), {Ints({10}), Floats({0.99f}), Floats({0.55f})});
  ASSERT_TRUE(above.ok());
  EXPECT_EQ(Int64s(*above), (std::vector<int64_t>{0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 2}));
}

TEST(DetectionTest, NonMaxSuppressionTiesNaNAndThreads) {
  // Equal scores go by the lower index; a NaN score is never selected.
  Tensor scores = Floats({1, 1, 6}, {0.5f, std::nanf(""), 0.5f, 0.5f, 0.7f, 0.5f});
  auto y = Nms(Boxes(), scores, {Ints({10}), Floats({0.5f})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(Int64s(*y), (std::vector<int64_t>{0, 0, 4, 0, 0, 0, 0, 0, 5}));
  // Many boxes, classes and batches: 4 threads select what 1 does, in the same order.
  Tensor corners = Random({3, 1000, 4}, 5, 0.f, 20.f);
  Tensor many = Random({3, 12, 1000}, 6, 0.f, 1.f);
  std::vector<Tensor> optional = {Ints({25}), Floats({0.3f}), Floats({0.2f})};
  auto one = Nms(corners, many, optional, {}, 1);
  auto four = Nms(corners, many, optional, {}, 4);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(Int64s(*one), Int64s(*four));
  EXPECT_GT(one->dim(0), 36);  // every class of every batch keeps a few
}

TEST(DetectionTest, NonMaxSuppressionRejectsMalformedInputs) {
  std::vector<Tensor> optional = {Ints({3}), Floats({0.5f})};
  ExpectContains(ErrorOf(Nms(Random({1, 6, 3}, 1), Scores(), optional)),
                 "boxes must be [num_batches, spatial_dimension, 4], got [1, 6, 3]");
  ExpectContains(ErrorOf(Nms(Boxes(), Random({1, 1, 5}, 1), optional)),
                 "scores [1, 1, 5] does not match boxes [1, 6, 4] (expected [1, num_classes, 6])");
  ExpectContains(ErrorOf(Nms(Boxes(), Scores(), {Ints({3}), Floats({1.5f})})),
                 "iou_threshold must lie in [0, 1], got 1.5");
  ExpectContains(ErrorOf(Nms(Boxes(), Scores(), {Ints({3, 4})})),
                 "max_output_boxes_per_class must hold one value (a scalar or [1]), got shape [2]");
  ExpectContains(ErrorOf(Nms(Boxes(), Scores(), optional, {{"center_point_box", IntAttr(2)}})),
                 "center_point_box must be 0 or 1, got 2");
  ExpectContains(ErrorOf(Nms(ToDouble(Boxes()), Scores(), optional)), "float64");
}

// ---- RoiAlign ----------------------------------------------------------------------------------

Tensor RoiX() { return Floats({1, 1, 2, 2}, {1.f, 2.f, 3.f, 4.f}); }

Result<Tensor> RoiAlign(const Tensor& x, const Tensor& rois, const Tensor& batch, Attrs attrs,
                        int64_t opset = 16, int threads = 1) {
  return Run("RoiAlign", {"X", "rois", "batch"}, {{"X", x}, {"rois", rois}, {"batch", batch}},
             std::move(attrs), opset, threads);
}

TEST(DetectionTest, RoiAlignHandCheckedBins) {
  Tensor roi = Floats({1, 4}, {0.f, 0.f, 1.f, 1.f});
  Attrs one_sample = {{"sampling_ratio", IntAttr(1)}};
  // output_half_pixel: the one sample sits at (0.5, 0.5), between all four pixels.
  Attrs a = one_sample;
  a["coordinate_transformation_mode"] = StringAttr("output_half_pixel");
  auto y = RoiAlign(RoiX(), roi, Ints({0}), a);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 1, 1}));
  ExpectValues(*y, {2.5f});
  // Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel.
  y = RoiAlign(RoiX(), roi, Ints({0}), one_sample, 10);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectValues(*y, {2.5f});
  // half_pixel, opset 16's default, shifts the ROI by -0.5: the sample reads pixel (0, 0).
  y = RoiAlign(RoiX(), roi, Ints({0}), one_sample);
  ASSERT_TRUE(y.ok());
  ExpectValues(*y, {1.f});
  // max keeps the largest weighted corner: 0.25 * 4.
  a["mode"] = StringAttr("max");
  y = RoiAlign(RoiX(), roi, Ints({0}), a);
  ASSERT_TRUE(y.ok());
  ExpectValues(*y, {1.f});
  // A sample past the map's edge (by more than one pixel) reads 0.
  y = RoiAlign(RoiX(), Floats({1, 4}, {5.f, 5.f, 6.f, 6.f}), Ints({0}), one_sample);
  ASSERT_TRUE(y.ok());
  ExpectValues(*y, {0.f});
}

TEST(DetectionTest, RoiAlignTypesBatchesAndThreads) {
  // 200 ROIs of 8 channels into 7x7 bins: enough work for the pool to split.
  const int64_t n = 200;
  Tensor x = Random({3, 8, 12, 10}, 1);
  Tensor rois = Random({n, 4}, 2, 0.f, 9.f);
  Tensor batch = Tensor::Empty(DType::kInt64, {n});
  for (int64_t i = 0; i < n; ++i) {  // x2 >= x1, y2 >= y1
    float* r = rois.data<float>() + 4 * i;
    r[2] = r[0] + r[2] / 2;
    r[3] = r[1] + r[3] / 2;
    batch.data<int64_t>()[i] = i % 3;
  }
  for (const char* mode : {"avg", "max"}) {
    Attrs attrs = {{"mode", StringAttr(mode)},
                   {"output_height", IntAttr(7)},
                   {"output_width", IntAttr(7)},
                   {"spatial_scale", FloatAttr(0.8f)}};
    auto one = RoiAlign(x, rois, batch, attrs, 16, 1);
    auto four = RoiAlign(x, rois, batch, attrs, 16, 4);
    ASSERT_TRUE(one.ok() && four.ok()) << ErrorOf(one);
    EXPECT_EQ(one->shape(), (Shape{n, 8, 7, 7}));
    EXPECT_EQ(Values(*one), Values(*four)) << mode;
    auto f64 = RoiAlign(ToDouble(x), ToDouble(rois), batch, attrs);
    ASSERT_TRUE(f64.ok()) << ErrorOf(f64);
    ExpectValues(*f64, Values(*one), 1e-5f);
    auto f16 = RoiAlign(ToHalf(x), ToHalf(rois), batch, attrs);
    ASSERT_TRUE(f16.ok()) << ErrorOf(f16);
    EXPECT_EQ(f16->dtype(), DType::kFloat16);
  }
}

TEST(DetectionTest, RoiAlignRejectsMalformedInputs) {
  Tensor roi = Floats({1, 4}, {0.f, 0.f, 1.f, 1.f});
  ExpectContains(ErrorOf(RoiAlign(RoiX(), roi, Ints({1}), {})),
                 "batch_indices[0] is 1; X has 1 images");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), Floats({1, 3}, {0.f, 0.f, 1.f}), Ints({0}), {})),
                 "rois must be [num_rois, 4], got [1, 3]");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), roi, Ints({0, 0}), {})),
                 "batch_indices must be [num_rois] = [1] for rois [1, 4], got [2]");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), roi, Ints({0}), {{"mode", StringAttr("sum")}})),
                 "mode 'sum' is not avg or max");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), roi, Ints({0}), {{"output_width", IntAttr(0)}})),
                 "output_height and output_width must be positive");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), roi, Ints({0}), {{"sampling_ratio", IntAttr(-1)}})),
                 "sampling_ratio must not be negative");
  ExpectContains(
      ErrorOf(RoiAlign(RoiX(), roi, Ints({0}),
                       {{"coordinate_transformation_mode", StringAttr("align_corners")}})),
      "coordinate_transformation_mode 'align_corners' is not half_pixel or output_half_pixel");
  ExpectContains(ErrorOf(RoiAlign(RoiX(), Floats({1, 4}, {0.f, 0.f, 1e30f, 1e30f}), Ints({0}), {})),
                 "samples per output bin");
  ExpectContains(
      ErrorOf(RoiAlign(RoiX(), Floats({1, 4}, {0.f, std::nanf(""), 1.f, 1.f}), Ints({0}), {})),
      "rois row 0 holds a non-finite coordinate");
}

// ---- MaxUnpool ---------------------------------------------------------------------------------

Result<Tensor> MaxUnpool(const Tensor& x, const Tensor& indices, const Tensor* output_shape,
                         Attrs attrs) {
  Feeds feeds = {{"X", x}, {"I", indices}};
  std::vector<std::string> names = {"X", "I"};
  if (output_shape) {
    names.push_back("S");
    feeds["S"] = *output_shape;
  }
  return Run("MaxUnpool", names, feeds, std::move(attrs), 11);
}

TEST(DetectionTest, MaxUnpoolPadsAndOutputShape) {
  // 3x3 windows, stride 2, pads 1: a 2x2 pooled map unpools to 3x3.
  Attrs attrs = {{"kernel_shape", IntsAttr({3, 3})},
                 {"strides", IntsAttr({2, 2})},
                 {"pads", IntsAttr({1, 1, 1, 1})}};
  Tensor x = Floats({1, 1, 2, 2}, {1.f, 2.f, 3.f, 4.f});
  Tensor idx = Ints({1, 1, 2, 2}, {0, 5, 6, 8});
  auto y = MaxUnpool(x, idx, nullptr, attrs);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 3, 3}));
  ExpectValues(*y, {1, 0, 0, 0, 0, 2, 3, 0, 4});
  // A larger output_shape keeps the unpooled block at its start and zeros the rest.
  Tensor shape = Ints({1, 1, 4, 5});
  y = MaxUnpool(x, idx, &shape, attrs);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 4, 5}));
  ExpectValues(*y, {1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0});
  // Three spatial axes, float64 and float16 (moved as bytes).
  Attrs cube = {{"kernel_shape", IntsAttr({2, 2, 2})}, {"strides", IntsAttr({2, 2, 2})}};
  Tensor x3 = Floats({1, 1, 1, 1, 1}, {7.f});
  Tensor i3 = Ints({1, 1, 1, 1, 1}, {6});
  for (const Tensor& in : {x3, ToDouble(x3), ToHalf(x3)}) {
    auto y3 = MaxUnpool(in, i3, nullptr, cube);
    ASSERT_TRUE(y3.ok()) << y3.status().ToString();
    EXPECT_EQ(y3->dtype(), in.dtype());
    ExpectValues(*y3, {0, 0, 0, 0, 0, 0, 7, 0});
  }
}

TEST(DetectionTest, MaxUnpoolRejectsMalformedInputs) {
  Attrs attrs = {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}};
  Tensor x = Floats({1, 1, 2, 2}, {1.f, 2.f, 3.f, 4.f});
  Tensor idx = Ints({1, 1, 2, 2}, {0, 3, 9, 15});
  ExpectContains(ErrorOf(MaxUnpool(x, Ints({1, 1, 2, 2}, {0, 3, 9, 16}), nullptr, attrs)),
                 "I holds index 16 at position 3, outside the 16 elements of the unpooled shape "
                 "[1, 1, 4, 4]");
  ExpectContains(ErrorOf(MaxUnpool(x, Ints({1, 1, 4}, {0, 1, 2, 3}), nullptr, attrs)),
                 "I has shape [1, 1, 4]; expected X's [1, 1, 2, 2]");
  Tensor small = Ints({1, 1, 3, 4});
  ExpectContains(ErrorOf(MaxUnpool(x, idx, &small, attrs)),
                 "output_shape [1, 1, 3, 4] is smaller than the unpooled shape [1, 1, 4, 4]");
  Tensor short_shape = Ints({4, 4});
  ExpectContains(ErrorOf(MaxUnpool(x, idx, &short_shape, attrs)),
                 "output_shape [4, 4] must have X's rank 4");
  ExpectContains(ErrorOf(MaxUnpool(x, idx, nullptr, {{"strides", IntsAttr({2, 2})}})),
                 "kernel_shape is required");
  ExpectContains(
      ErrorOf(MaxUnpool(x, idx, nullptr,
                        {{"kernel_shape", IntsAttr({2, 2})}, {"pads", IntsAttr({2, 2, 2, 2})}})),
      "pads [2, 2, 2, 2] leave no output (size -1)");
}

// ---- Det ---------------------------------------------------------------------------------------

Result<Tensor> Det(const Tensor& x, int threads = 1) {
  return Run("Det", {"X"}, {{"X", x}}, {}, 11, threads);
}

TEST(DetectionTest, DetPivotsAndEdgeCases) {
  // A zero first pivot (rows swapped), a tridiagonal 3x3, a singular matrix.
  Tensor x = Floats({3, 3, 3}, {0, 1,  2, 1,  0, 3,  4, -3, 8,  //
                                2, -1, 0, -1, 2, -1, 0, -1, 2,  //
                                1, 2,  3, 4,  5, 6,  7, 8,  9});
  auto y = Det(x);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{3}));
  ExpectValues(*y, {-2.f, 4.f, 0.f});
  auto y64 = Det(ToDouble(x));
  ASSERT_TRUE(y64.ok());
  EXPECT_EQ(y64->dtype(), DType::kFloat64);
  EXPECT_DOUBLE_EQ(y64->data<double>()[1], 4.0);
  auto y16 = Det(ToHalf(x));
  ASSERT_TRUE(y16.ok());
  ExpectValues(*y16, {-2.f, 4.f, 0.f}, 1e-3f);
  // Empty matrices have determinant 1; an empty batch gives an empty output.
  y = Det(Tensor::Empty(DType::kFloat32, {2, 0, 0}));
  ASSERT_TRUE(y.ok());
  ExpectValues(*y, {1.f, 1.f});
  y = Det(Tensor::Empty(DType::kFloat32, {0, 3, 3}));
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->shape(), (Shape{0}));
  // A scalar output for one matrix.
  y = Det(Floats({2, 2}, {3, 8, 4, 6}));
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->shape(), Shape{});
  ExpectValues(*y, {-14.f});
}

TEST(DetectionTest, DetThreadsAndErrors) {
  Tensor x = Random({4096, 8, 8}, 3);
  auto one = Det(x, 1), four = Det(x, 4);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(Values(*one), Values(*four));
  ExpectContains(ErrorOf(Det(Random({2, 3}, 1))),
                 "X must be [..., M, M] (square matrices in its last two dimensions), got [2, 3]");
  ExpectContains(ErrorOf(Det(Random({4}, 1))), "got [4]");
  ExpectContains(ErrorOf(Det(Ints({2, 2}, {1, 2, 3, 4}))), "int64");
}

}  // namespace
}  // namespace ipfs_accelerate::engine
