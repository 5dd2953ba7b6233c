// The signal operators through a Session: the windows against the spec's formulas, DFT and STFT
// against a plain O(n^2) DFT written here in double (powers of two, which run the radix-2 FFT,
// and other sizes, which run Bluestein's; real and complex; inverse, onesided, dft_length padding
// and truncation, every axis, opset 20's axis input; 1 and 4 threads), MelWeightMatrix against
// values the ONNX reference implementation computes; and the errors a malformed node gets.
#include "engine/ops/signal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <map>
#include <string>
#include <vector>

#include "core/half.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::IntAttr;
using test::MakeNode;
using test::Random;
using test::RunModel;
using Cx = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

Tensor Int64(int64_t v) { return Tensor::Scalar<int64_t>(DType::kInt64, v); }
Tensor Int32(int32_t v) { return Tensor::Scalar<int32_t>(DType::kInt32, v); }

Tensor ToFloat64(const Tensor& t) {
  Tensor d = Tensor::Empty(DType::kFloat64, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
  return d;
}

double At(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat64:
      return t.data<double>()[i];
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat16:
      return HalfToFloat(t.data<uint16_t>()[i]);
    case DType::kInt32:
      return t.data<int32_t>()[i];
    default:
      ADD_FAILURE() << "no reader for " << DTypeName(t.dtype());
      return NAN;
  }
}

// Runs one node of `op` with `inputs` (name, tensor; "" for an omitted input) and returns its
// output "y", or the error.
Result<Tensor> RunOne(const std::string& op, const std::vector<std::pair<std::string, Tensor>>& in,
                      std::map<std::string, Attribute> attrs = {}, int threads = 1,
                      int64_t opset = 17) {
  std::vector<std::string> names;
  std::vector<ValueInfo> infos;
  std::map<std::string, Tensor> feeds;
  for (const auto& [name, t] : in) {
    names.push_back(name);
    if (name.empty()) continue;
    infos.push_back(test::Info(name, t.dtype()));
    feeds[name] = t;
  }
  Model m =
      test::OneNode(MakeNode(op, names, {"y"}, std::move(attrs), opset), infos, {test::Info("y")});
  IA_ASSIGN_OR_RETURN(auto out, RunModel(std::move(m), feeds, threads));
  return out.at("y");
}

std::string ErrorOf(const Result<Tensor>& r) {
  return r.ok() ? "(no error)" : r.status().ToString();
}

void ExpectContains(const std::string& error, const std::string& part) {
  EXPECT_NE(error.find(part), std::string::npos) << error;
}

// ---- windows ----

double Window(const std::string& op, bool periodic, int64_t size, int64_t k) {
  const double n = periodic ? size : size - 1;
  const double x = n > 0 ? 2 * kPi * k / n : 0;
  if (op == "HannWindow") return 0.5 - 0.5 * std::cos(x);
  if (op == "HammingWindow") return 25.0 / 46 - 21.0 / 46 * std::cos(x);
  return 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x);
}

TEST(SignalTest, WindowsMatchTheirFormulas) {
  for (const char* op : {"HannWindow", "HammingWindow", "BlackmanWindow"}) {
    for (int periodic : {1, 0}) {
      for (int64_t size : {0, 1, 2, 7, 10, 400}) {
        SCOPED_TRACE(std::string(op) + " periodic " + std::to_string(periodic) + " size " +
                     std::to_string(size));
        auto got = RunOne(op, {{"size", Int64(size)}}, {{"periodic", IntAttr(periodic)}});
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_EQ(got->dtype(), DType::kFloat32);
        ASSERT_EQ(got->shape(), Shape{size});
        for (int64_t k = 0; k < size; ++k)
          EXPECT_NEAR(At(*got, k), Window(op, periodic, size, k), 1e-7) << k;
      }
    }
  }
}

TEST(SignalTest, WindowsTakeTheirOutputDatatype) {
  // float64 (11), float16 (10), int32 (6); size as int32.
  auto f64 = RunOne("HannWindow", {{"size", Int32(16)}}, {{"output_datatype", IntAttr(11)}});
  ASSERT_TRUE(f64.ok()) << f64.status().ToString();
  ASSERT_EQ(f64->dtype(), DType::kFloat64);
  for (int64_t k = 0; k < 16; ++k) EXPECT_NEAR(At(*f64, k), Window("HannWindow", 1, 16, k), 1e-15);
  auto f16 = RunOne("BlackmanWindow", {{"size", Int32(16)}}, {{"output_datatype", IntAttr(10)}});
  ASSERT_TRUE(f16.ok()) << f16.status().ToString();
  ASSERT_EQ(f16->dtype(), DType::kFloat16);
  for (int64_t k = 0; k < 16; ++k)
    EXPECT_NEAR(At(*f16, k), Window("BlackmanWindow", 1, 16, k), 1e-3);
  auto i32 = RunOne("HammingWindow", {{"size", Int32(4)}}, {{"output_datatype", IntAttr(6)}});
  ASSERT_TRUE(i32.ok()) << i32.status().ToString();
  ASSERT_EQ(i32->dtype(), DType::kInt32);
  EXPECT_EQ(At(*i32, 2), 1);  // 25/46 + 21/46 at the middle
  EXPECT_EQ(At(*i32, 1), 0);  // truncated toward zero
}

// ---- DFT ----

// The DFT of v (length n after padding or truncating to n), sign - (forward) or + (inverse,
// scaled by 1/n), in double, one bin at a time.
std::vector<Cx> NaiveDft(std::vector<Cx> v, int64_t n, bool inverse) {
  v.resize(static_cast<size_t>(n), Cx(0, 0));
  std::vector<Cx> out(static_cast<size_t>(n));
  const double sign = inverse ? 1 : -1;
  for (int64_t k = 0; k < n; ++k) {
    Cx acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double angle = sign * 2 * kPi * static_cast<double>((j * k) % n) / n;
      acc += v[j] * Cx(std::cos(angle), std::sin(angle));
    }
    out[k] = inverse ? acc / static_cast<double>(n) : acc;
  }
  return out;
}

struct DftCase {
  Shape x;  // [batch, signal dims..., 1 or 2]
  int64_t axis = 1;
  int64_t dft_length = 0;  // 0: not given
  bool inverse = false, onesided = false;
  int64_t opset = 17;  // 20: axis as an input
  DType dtype = DType::kFloat64;
  int threads = 1;
};

// The expected output of `c` on `x`, by the naive DFT along the axis, line by line.
std::vector<double> DftReference(const DftCase& c, const Tensor& x) {
  const Shape& s = c.x;
  const int64_t rank = static_cast<int64_t>(s.size());
  const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  for (int64_t d = axis + 1; d < rank - 1; ++d) inner *= s[d];
  const int64_t len = s[axis], ch = s.back();
  const int64_t n = c.dft_length > 0 ? c.dft_length : len;
  const int64_t bins = c.onesided ? n / 2 + 1 : n;
  std::vector<double> out(static_cast<size_t>(outer * bins * inner * 2));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<Cx> v;
      for (int64_t k = 0; k < std::min(len, n); ++k) {
        const int64_t at = ((o * len + k) * inner + i) * ch;
        v.emplace_back(At(x, at), ch == 2 ? At(x, at + 1) : 0.0);
      }
      std::vector<Cx> f = NaiveDft(v, n, c.inverse);
      for (int64_t k = 0; k < bins; ++k) {
        const int64_t at = ((o * bins + k) * inner + i) * 2;
        out[at] = f[k].real();
        out[at + 1] = f[k].imag();
      }
    }
  }
  return out;
}

void CheckDft(const DftCase& c) {
  std::string what = "DFT x " + ShapeToString(c.x) + " axis " + std::to_string(c.axis) +
                     " dft_length " + std::to_string(c.dft_length) + " inverse " +
                     std::to_string(c.inverse) + " onesided " + std::to_string(c.onesided) +
                     " opset " + std::to_string(c.opset) + " threads " + std::to_string(c.threads);
  SCOPED_TRACE(what);
  Tensor x = Random(c.x, 7, -1.f, 1.f);
  if (c.dtype == DType::kFloat64) x = ToFloat64(x);
  std::vector<std::pair<std::string, Tensor>> in = {{"x", x}};
  if (c.dft_length > 0 || c.opset >= 20) {
    in.push_back({c.dft_length > 0 ? "dft_length" : "", Int64(c.dft_length)});
  }
  std::map<std::string, Attribute> attrs = {{"inverse", IntAttr(c.inverse)},
                                            {"onesided", IntAttr(c.onesided)}};
  if (c.opset >= 20) {
    in.push_back({"axis", Int64(c.axis)});
  } else {
    attrs["axis"] = IntAttr(c.axis);
  }
  auto got = RunOne("DFT", in, attrs, c.threads, c.opset);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->dtype(), c.dtype);
  std::vector<double> want = DftReference(c, x);
  ASSERT_EQ(got->numel(), static_cast<int64_t>(want.size()));
  Shape shape = c.x;
  const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(shape.size()) : c.axis;
  const int64_t n = c.dft_length > 0 ? c.dft_length : shape[axis];
  shape[axis] = c.onesided ? n / 2 + 1 : n;
  shape.back() = 2;
  EXPECT_EQ(got->shape(), shape);
  // Relative to the size of the values: a sum of n terms of magnitude <= 1.
  const double scale = c.inverse ? 1.0 : std::sqrt(static_cast<double>(n));
  const double tol = (c.dtype == DType::kFloat64 ? 1e-12 : 3e-6) * scale;
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(At(*got, i), want[i], tol) << i;
}

TEST(SignalTest, DftMatchesTheNaiveDftForEverySize) {
  // Powers of two (radix-2) and others (Bluestein), primes among them.
  for (int64_t n : {1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 17, 31, 64, 100, 127, 128, 1000, 1024}) {
    for (int64_t ch : {1, 2}) {
      for (bool inverse : {false, true}) {
        CheckDft({.x = {2, n, ch}, .inverse = inverse});
      }
    }
  }
}

TEST(SignalTest, DftOnesidedPaddingTruncationAndAxes) {
  CheckDft({.x = {1, 10, 1}, .onesided = true});
  CheckDft({.x = {1, 16, 2}, .onesided = true});
  CheckDft({.x = {1, 9, 1}, .inverse = true, .onesided = true});
  CheckDft({.x = {2, 10, 1}, .dft_length = 16});  // padded to a power of two
  CheckDft({.x = {2, 10, 2}, .dft_length = 13});  // padded
  CheckDft({.x = {2, 20, 1}, .dft_length = 8});   // truncated
  CheckDft({.x = {2, 20, 2}, .dft_length = 7, .onesided = true});
  CheckDft({.x = {2, 3, 5, 4, 2}, .axis = 2});
  CheckDft({.x = {2, 3, 5, 4, 1}, .axis = 3, .dft_length = 6});
  CheckDft({.x = {2, 3, 5, 4, 1}, .axis = -2, .onesided = true});
  CheckDft({.x = {6, 5, 2}, .axis = 0});
  CheckDft({.x = {3, 8, 1}, .dtype = DType::kFloat32});
  CheckDft({.x = {3, 9, 2}, .inverse = true, .dtype = DType::kFloat32});
}

TEST(SignalTest, DftOpset20TakesTheAxisAsAnInput) {
  CheckDft({.x = {2, 3, 5, 4, 2}, .axis = 2, .opset = 20});
  CheckDft({.x = {2, 3, 5, 1}, .axis = -2, .dft_length = 8, .onesided = true, .opset = 20});
  // Without the axis input: -2, the last signal axis.
  Tensor x = ToFloat64(Random({2, 3, 6, 2}, 3));
  auto got = RunOne("DFT", {{"x", x}}, {}, 1, 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<double> want = DftReference({.x = {2, 3, 6, 2}, .axis = 2}, x);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(At(*got, i), want[i], 1e-12) << i;
}

TEST(SignalTest, DftOnFourThreadsAndLargeSizes) {
  CheckDft({.x = {64, 256, 1}, .threads = 4});
  CheckDft({.x = {4, 96, 33, 2}, .axis = 1, .inverse = true, .threads = 4});
  CheckDft({.x = {1, 4096, 2}, .threads = 4});
  CheckDft({.x = {2, 4099, 1}, .onesided = true, .threads = 4});  // a prime: Bluestein
}

TEST(SignalTest, DftOfFloat16RunsInFloat32) {
  Tensor x32 = Random({1, 12, 1}, 5, -1.f, 1.f);
  Tensor x16 = Tensor::Empty(DType::kFloat16, x32.shape());
  for (int64_t i = 0; i < x32.numel(); ++i) {
    x16.data<uint16_t>()[i] = FloatToHalf(x32.data<float>()[i]);
    x32.data<float>()[i] = HalfToFloat(x16.data<uint16_t>()[i]);
  }
  auto got = RunOne("DFT", {{"x", x16}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->dtype(), DType::kFloat16);
  std::vector<double> want = DftReference({.x = {1, 12, 1}}, x32);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(At(*got, i), want[i], 1e-2) << i;
}

// ---- STFT ----

struct StftCase {
  int64_t batch = 1, length = 64, ch = 1;
  int64_t step = 8, frame_length = 16;
  bool window = false, give_length = true, onesided = true;
  int threads = 1;
};

void CheckStft(const StftCase& c) {
  SCOPED_TRACE("STFT batch " + std::to_string(c.batch) + " length " + std::to_string(c.length) +
               " ch " + std::to_string(c.ch) + " step " + std::to_string(c.step) +
               " frame_length " + std::to_string(c.frame_length) + " window " +
               std::to_string(c.window) + " onesided " + std::to_string(c.onesided));
  Tensor signal = ToFloat64(Random({c.batch, c.length, c.ch}, 11, -1.f, 1.f));
  Tensor window = ToFloat64(Random({c.frame_length}, 12, 0.f, 1.f));
  std::vector<std::pair<std::string, Tensor>> in = {{"signal", signal},
                                                    {"frame_step", Int64(c.step)}};
  in.push_back({c.window ? "window" : "", window});
  if (c.give_length) in.push_back({"frame_length", Int64(c.frame_length)});
  auto got = RunOne("STFT", in, {{"onesided", IntAttr(c.onesided)}}, c.threads);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const int64_t n = c.frame_length, frames = (c.length - n) / c.step + 1;
  const int64_t bins = c.onesided ? n / 2 + 1 : n;
  ASSERT_EQ(got->shape(), (Shape{c.batch, frames, bins, 2}));
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      std::vector<Cx> v;
      for (int64_t k = 0; k < n; ++k) {
        const int64_t at = (b * c.length + f * c.step + k) * c.ch;
        const double w = c.window ? At(window, k) : 1.0;
        v.emplace_back(At(signal, at) * w, c.ch == 2 ? At(signal, at + 1) * w : 0.0);
      }
      std::vector<Cx> want = NaiveDft(v, n, false);
      for (int64_t k = 0; k < bins; ++k) {
        const int64_t at = ((b * frames + f) * bins + k) * 2;
        ASSERT_NEAR(At(*got, at), want[k].real(), 1e-11) << b << " " << f << " " << k;
        ASSERT_NEAR(At(*got, at + 1), want[k].imag(), 1e-11) << b << " " << f << " " << k;
      }
    }
  }
}

TEST(SignalTest, StftMatchesTheNaiveDftOfEachFrame) {
  CheckStft({});
  CheckStft({.window = true});
  CheckStft({.window = true, .give_length = false});
  CheckStft({.batch = 3, .length = 100, .ch = 2, .step = 7, .frame_length = 20, .window = true});
  CheckStft({.length = 50, .step = 5, .frame_length = 12, .onesided = false});
  CheckStft(
      {.batch = 2, .length = 4000, .step = 160, .frame_length = 400, .window = true, .threads = 4});
  CheckStft({.batch = 2, .length = 4096, .step = 128, .frame_length = 512, .threads = 4});
}

TEST(SignalTest, StftWithNeitherWindowNorFrameLengthTakesOneFrame) {
  CheckStft({.length = 24, .step = 3, .frame_length = 24, .give_length = false});
}

// ---- MelWeightMatrix ----

Result<Tensor> Mel(int64_t mels, int64_t dft_length, int64_t rate, float low, float high,
                   std::map<std::string, Attribute> attrs = {}) {
  return RunOne("MelWeightMatrix",
                {{"num_mel_bins", Int64(mels)},
                 {"dft_length", Int64(dft_length)},
                 {"sample_rate", Int32(static_cast<int32_t>(rate))},
                 {"lower_edge_hertz", test::Scalar(low)},
                 {"upper_edge_hertz", test::Scalar(high)}},
                std::move(attrs));
}

struct Weight {
  int64_t bin, mel;
  double value;
};

void ExpectWeights(const Tensor& got, const Shape& shape, const std::vector<Weight>& nonzero,
                   double tol) {
  ASSERT_EQ(got.shape(), shape);
  std::vector<double> want(static_cast<size_t>(shape[0] * shape[1]), 0.0);
  for (const Weight& w : nonzero) want[static_cast<size_t>(w.bin * shape[1] + w.mel)] = w.value;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(At(got, i), want[i], tol) << i;
}

TEST(SignalTest, MelWeightMatrixMatchesTheReference) {
  // The values of onnx's reference implementation (numpy) for these inputs.
  auto got = Mel(6, 64, 16000, 100, 7500, {{"output_datatype", IntAttr(11)}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->dtype(), DType::kFloat64);
  ExpectWeights(
      *got, {33, 6},
      {{1, 0, 1},        {2, 1, 1},        {3, 1, 0.5},      {3, 2, 0.5},      {4, 2, 1},
       {5, 2, 2.0 / 3},  {5, 3, 1.0 / 3},  {6, 2, 1.0 / 3},  {6, 3, 2.0 / 3},  {7, 3, 1},
       {8, 3, 0.75},     {8, 4, 0.25},     {9, 3, 0.5},      {9, 4, 0.5},      {10, 3, 0.25},
       {10, 4, 0.75},    {11, 4, 1},       {12, 4, 0.75},    {12, 5, 0.25},    {13, 4, 0.5},
       {13, 5, 0.5},     {14, 4, 0.25},    {14, 5, 0.75},    {15, 5, 1},       {16, 5, 6.0 / 7},
       {17, 5, 5.0 / 7}, {18, 5, 4.0 / 7}, {19, 5, 3.0 / 7}, {20, 5, 2.0 / 7}, {21, 5, 1.0 / 7}},
      1e-15);
  // The conformance case: coinciding edges give single ones.
  got = Mel(8, 16, 8192, 0, 4096);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->dtype(), DType::kFloat32);
  ExpectWeights(
      *got, {9, 8},
      {{0, 0, 1}, {0, 1, 1}, {1, 2, 1}, {1, 3, 1}, {2, 4, 1}, {3, 5, 1}, {4, 6, 1}, {5, 7, 1}}, 0);
  // The edges of a larger bank.
  Node n = MakeNode("MelWeightMatrix", {}, {"y"});
  auto g = ops::MelShape(n, 10, 512, 22050, 20.f, 11025.f);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->edges, (std::vector<int64_t>{0, 4, 10, 17, 26, 37, 51, 69, 91, 119, 155, 199}));
  EXPECT_EQ(g->shape, (Shape{257, 10}));
}

// ---- errors ----

TEST(SignalTest, RejectsMalformedNodes) {
  ExpectContains(ErrorOf(RunOne("HannWindow", {{"size", Int64(-1)}})),
                 "size must not be negative, got -1");
  ExpectContains(ErrorOf(RunOne("HannWindow", {{"size", Int64(4)}}, {{"periodic", IntAttr(2)}})),
                 "periodic must be 0 or 1, got 2");
  ExpectContains(
      ErrorOf(RunOne("HannWindow", {{"size", Int64(4)}}, {{"output_datatype", IntAttr(9)}})),
      "output_datatype 9 is not a numeric tensor type");
  Tensor x = Random({1, 8, 3}, 1);
  ExpectContains(ErrorOf(RunOne("DFT", {{"x", x}})),
                 "input must be [batch, signal dims..., 1 (real) or 2 (complex)], got [1, 8, 3]");
  ExpectContains(ErrorOf(RunOne("DFT", {{"x", Random({1, 8, 1}, 1)}}, {{"axis", IntAttr(2)}})),
                 "axis 2 is out of range for an input of rank 3");
  ExpectContains(ErrorOf(RunOne("DFT", {{"x", Random({1, 8, 1}, 1)}, {"dft_length", Int64(0)}})),
                 "dft_length must be at least 1, got 0");
  ExpectContains(ErrorOf(RunOne("DFT", {{"x", Random({1, 8, 1}, 1)}}, {{"inverse", IntAttr(3)}})),
                 "inverse must be 0 or 1");
  Tensor signal = Random({1, 32, 1}, 1);
  ExpectContains(ErrorOf(RunOne("STFT", {{"signal", signal},
                                         {"frame_step", Int64(4)},
                                         {"window", Random({16}, 2)},
                                         {"frame_length", Int64(8)}})),
                 "window has 16 samples; frame_length is 8 (they must be equal)");
  ExpectContains(ErrorOf(RunOne("STFT", {{"signal", signal},
                                         {"frame_step", Int64(4)},
                                         {"", Tensor()},
                                         {"frame_length", Int64(40)}})),
                 "frame_length 40 is longer than the signal ([1, 32, 1])");
  ExpectContains(ErrorOf(RunOne("STFT", {{"signal", signal}, {"frame_step", Int64(0)}})),
                 "frame_step must be at least 1, got 0");
  ExpectContains(ErrorOf(Mel(8, 16, 8000, 0, 9000)), "falls outside the 9 bins of a 16-point DFT");
  ExpectContains(ErrorOf(Mel(0, 16, 8000, 0, 4000)), "num_mel_bins must be at least 1, got 0");
}

}  // namespace
}  // namespace ipfs_accelerate::engine
