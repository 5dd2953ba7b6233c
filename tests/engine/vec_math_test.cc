// The vectorised float math of the CPU kernels against the C library, on every instruction set
// this CPU runs: a sweep over float bit patterns (normals, denormals, huge values), the special
// values, and tails that must not change a value's result.
#include "engine/backends/cpu/vec_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace ipfs_accelerate::engine::cpu::vec {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMinNormal = std::numeric_limits<float>::min();

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kBase, Isa::kAvx2, Isa::kAvx512}) {
    if (Supports(isa)) isas.push_back(isa);
  }
  return isas;
}

// Every 2111th float bit pattern (both signs, zeros, denormals, normals, inf, NaN) and a dense
// set around the origin.
std::vector<float> SweepInputs() {
  std::vector<float> x;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 2111) {
    uint32_t bits = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    x.push_back(f);
  }
  for (float f = -10; f <= 10; f += 1.0f / 1024) x.push_back(f);
  for (float f : {0.0f, -0.0f, kInf, -kInf, std::numeric_limits<float>::quiet_NaN(), kMinNormal,
                  -kMinNormal, std::numeric_limits<float>::denorm_min(), 0.625f, 0.921875f, 3.92f,
                  -87.33654f, 88.72283f, 88.73f, -88.0f, 1e-30f, -1e-30f}) {
    x.push_back(f);
  }
  return x;
}

// Distance from `got` to `want` in units in the last place of want (as a float).
double UlpError(float got, double want) {
  float w = static_cast<float>(want);
  if (std::isnan(w)) return std::isnan(got) ? 0 : 1e30;
  if (std::isinf(w) || std::isinf(got)) return got == w ? 0 : 1e30;
  double ulp = std::nextafter(std::fabs(w), kInf) - std::fabs(w);
  if (std::fabs(w) < kMinNormal) ulp = std::numeric_limits<float>::denorm_min();
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

// Checks op against ref over the sweep; results whose reference is below the smallest normal
// float may be flushed to zero (Exp flushes denormal results).
template <typename Op, typename Ref>
void ExpectClose(const char* name, Op op, Ref ref, double max_ulp) {
  const std::vector<float> x = SweepInputs();
  for (Isa isa : SupportedIsas()) {
    std::vector<float> y(x.size());
    Map(x.data(), y.data(), static_cast<int64_t>(x.size()), op, isa);
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double want = ref(static_cast<double>(x[i]));
      if (std::fabs(want) < kMinNormal && std::fabs(y[i]) <= kMinNormal) continue;
      double err = UlpError(y[i], want);
      if (err > worst) {
        worst = err;
        worst_x = x[i];
      }
    }
    EXPECT_LE(worst, max_ulp) << name << " on isa " << static_cast<int>(isa)
                              << ": worst at x = " << worst_x;
  }
}

TEST(VecMathTest, ExpMatchesStd) {
  ExpectClose(
      "exp", ExpOp{}, [](double v) { return std::exp(v); }, 2);
}

struct ExpNonPositiveOp {
  template <typename V>
  IA_VEC_INLINE V operator()(V x) const {
    return ExpNonPositive(x);
  }
};

TEST(VecMathTest, ExpNonPositiveIsExpBitForBitWhereItApplies) {
  std::vector<float> x;
  for (float f : SweepInputs()) {
    if (!(f > 0)) x.push_back(f);  // x <= 0, -inf and NaN
  }
  for (Isa isa : SupportedIsas()) {
    std::vector<float> want(x.size()), got(x.size());
    Map(x.data(), want.data(), static_cast<int64_t>(x.size()), ExpOp{}, isa);
    Map(x.data(), got.data(), static_cast<int64_t>(x.size()), ExpNonPositiveOp{}, isa);
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_EQ(std::memcmp(&want[i], &got[i], sizeof(float)), 0)
          << "x = " << x[i] << " on isa " << static_cast<int>(isa);
    }
  }
}

TEST(VecMathTest, LogMatchesStd) {
  ExpectClose(
      "log", LogOp{}, [](double v) { return std::log(v); }, 2);
}

TEST(VecMathTest, TanhMatchesStd) {
  ExpectClose(
      "tanh", TanhOp{}, [](double v) { return std::tanh(v); }, 3);
}

TEST(VecMathTest, SigmoidMatchesStd) {
  ExpectClose(
      "sigmoid", SigmoidOp{}, [](double v) { return 1 / (1 + std::exp(-v)); }, 4);
}

TEST(VecMathTest, ErfMatchesStd) {
  ExpectClose(
      "erf", ErfOp{}, [](double v) { return std::erf(v); }, 4);
}

TEST(VecMathTest, SpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {nan, kInf, -kInf, 0.0f, -0.0f, -1.0f, 1e-45f};
  for (Isa isa : SupportedIsas()) {
    std::vector<float> y(x.size());
    auto run = [&](auto op) {
      Map(x.data(), y.data(), static_cast<int64_t>(x.size()), op, isa);
      return y;
    };
    std::vector<float> e = run(ExpOp{});
    EXPECT_TRUE(std::isnan(e[0]));
    EXPECT_EQ(e[1], kInf);
    EXPECT_EQ(e[2], 0.0f);
    EXPECT_EQ(e[3], 1.0f);
    std::vector<float> l = run(LogOp{});
    EXPECT_TRUE(std::isnan(l[0]));
    EXPECT_EQ(l[1], kInf);
    EXPECT_TRUE(std::isnan(l[2]));
    EXPECT_EQ(l[3], -kInf);
    EXPECT_EQ(l[4], -kInf);
    EXPECT_TRUE(std::isnan(l[5]));
    EXPECT_NEAR(l[6], std::log(static_cast<double>(1e-45f)), 1e-5);  // a denormal
    for (auto op_result : {run(TanhOp{}), run(ErfOp{})}) {
      EXPECT_TRUE(std::isnan(op_result[0]));
      EXPECT_EQ(op_result[1], 1.0f);
      EXPECT_EQ(op_result[2], -1.0f);
      EXPECT_EQ(op_result[3], 0.0f);
      EXPECT_TRUE(std::signbit(op_result[4]));  // odd functions keep -0
    }
    std::vector<float> s = run(SigmoidOp{});
    EXPECT_TRUE(std::isnan(s[0]));
    EXPECT_EQ(s[1], 1.0f);
    EXPECT_EQ(s[2], 0.0f);
    EXPECT_EQ(s[3], 0.5f);
  }
}

TEST(VecMathTest, ResultDoesNotDependOnPositionOrLength) {
  std::vector<float> x(100);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -3.0f + 0.07f * static_cast<float>(i);
  for (Isa isa : SupportedIsas()) {
    std::vector<float> full(x.size());
    Map(x.data(), full.data(), static_cast<int64_t>(x.size()), ErfOp{}, isa);
    for (int64_t begin : {1, 7, 15, 33}) {
      for (int64_t len : {1, 3, 17, 40}) {
        std::vector<float> part(len);
        Map(x.data() + begin, part.data(), len, ErfOp{}, isa);
        for (int64_t i = 0; i < len; ++i) {
          EXPECT_EQ(part[i], full[begin + i]) << "begin " << begin << " len " << len;
        }
      }
    }
    // In place.
    std::vector<float> y = x;
    Map(y.data(), y.data(), static_cast<int64_t>(y.size()), ErfOp{}, isa);
    EXPECT_EQ(y, full);
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine::cpu::vec
