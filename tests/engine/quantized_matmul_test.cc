// MatMulInteger and QLinearMatMul (oneDNN's integer GEMM with the zero points folded in, the loop
// as fallback) held bit for bit to a plain int32 product written here: uint8 and int8 A and B,
// per-tensor zero points at the ends and middle of their range, per-row and per-column zero
// points, odd sizes, batches with broadcasting, magnitudes past float's 24 bits, at 1 and 4
// threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::RunModel;

int32_t Load(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUInt8 ? static_cast<int32_t>(t.data<uint8_t>()[i])
                                    : static_cast<int32_t>(t.data<int8_t>()[i]);
}

void Store(Tensor& t, int64_t i, int32_t v) {
  if (t.dtype() == DType::kUInt8) {
    t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
  } else {
    t.data<int8_t>()[i] = static_cast<int8_t>(v);
  }
}

int32_t Lo(DType t) { return t == DType::kUInt8 ? 0 : -128; }
int32_t Hi(DType t) { return t == DType::kUInt8 ? 255 : 127; }

// Random values of `dtype` over its whole range; `extreme` draws only its two ends.
Tensor RandomQ(DType dtype, const Shape& shape, uint32_t seed, bool extreme = false) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(Lo(dtype), Hi(dtype));
  Tensor t = Tensor::Empty(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    int32_t v = dist(rng);
    if (extreme) v = (v & 1) ? Hi(dtype) : Lo(dtype);
    Store(t, i, v);
  }
  return t;
}

Tensor Filled(DType dtype, const Shape& shape, std::vector<int32_t> values) {
  Tensor t = Tensor::Empty(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) Store(t, i, values[i % values.size()]);
  return t;
}

// Where batch t of the output reads A's and B's matrices (numpy broadcasting of the batch dims).
struct Batches {
  Shape out;                  // batch dims of the output
  std::vector<int64_t> a, b;  // per output batch
};

Batches Broadcast(const Shape& a, const Shape& b) {
  Batches r;
  size_t rank = std::max(a.size(), b.size());
  Shape pa(rank - a.size(), 1), pb(rank - b.size(), 1);
  pa.insert(pa.end(), a.begin(), a.end());
  pb.insert(pb.end(), b.begin(), b.end());
  for (size_t d = 0; d < rank; ++d) r.out.push_back(std::max(pa[d], pb[d]));
  int64_t count = 1;
  for (int64_t d : r.out) count *= d;
  for (int64_t t = 0; t < count; ++t) {
    int64_t rest = t, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      int64_t idx = rest % r.out[d];
      rest /= r.out[d];
      ia += (pa[d] == 1 ? 0 : idx) * sa;
      ib += (pb[d] == 1 ? 0 : idx) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    r.a.push_back(ia);
    r.b.push_back(ib);
  }
  return r;
}

// The plain product: sum_p (A[i,p] - azp_i) * (B[p,j] - bzp_j), wrapped to int32.
std::vector<int32_t> Reference(const Tensor& a, const Tensor& b, const Tensor* azp,
                               const Tensor* bzp, const Batches& bt, int64_t m, int64_t k,
                               int64_t n) {
  std::vector<int32_t> y;
  for (size_t t = 0; t < bt.a.size(); ++t) {
    for (int64_t i = 0; i < m; ++i) {
      int32_t az = azp ? Load(*azp, azp->numel() == 1 ? 0 : i) : 0;
      for (int64_t j = 0; j < n; ++j) {
        int32_t bz = bzp ? Load(*bzp, bzp->numel() == 1 ? 0 : j) : 0;
        int64_t acc = 0;
        for (int64_t q = 0; q < k; ++q) {
          acc += static_cast<int64_t>(Load(a, (bt.a[t] * m + i) * k + q) - az) *
                 (Load(b, (bt.b[t] * k + q) * n + j) - bz);
        }
        y.push_back(static_cast<int32_t>(acc));
      }
    }
  }
  return y;
}

struct Case {
  Shape a_batch, b_batch;
  int64_t m, k, n;
  DType at, bt;
  // Zero points: empty: none; one value: per tensor; "row"/"col": per row / column, random.
  std::vector<int32_t> azp, bzp;
  bool a_per_row = false, b_per_col = false;
  bool extreme = false;
};

std::string Name(const Case& c) {
  auto dt = [](DType t) { return t == DType::kUInt8 ? std::string("u8") : std::string("s8"); };
  std::string s = dt(c.at) + dt(c.bt) + " m" + std::to_string(c.m) + " k" + std::to_string(c.k) +
                  " n" + std::to_string(c.n) + " batches " + ShapeToString(c.a_batch) + "x" +
                  ShapeToString(c.b_batch) + " azp";
  for (int32_t v : c.azp) s += " " + std::to_string(v);
  if (c.a_per_row) s += " per-row";
  s += " bzp";
  for (int32_t v : c.bzp) s += " " + std::to_string(v);
  if (c.b_per_col) s += " per-col";
  return s;
}

struct Inputs {
  Tensor a, b, azp, bzp;
  bool has_azp = false, has_bzp = false;
  Batches batches;
  Shape out;
};

Inputs MakeInputs(const Case& c, uint32_t seed) {
  Inputs in;
  Shape as = c.a_batch, bs = c.b_batch;
  as.insert(as.end(), {c.m, c.k});
  bs.insert(bs.end(), {c.k, c.n});
  in.a = RandomQ(c.at, as, seed, c.extreme);
  in.b = RandomQ(c.bt, bs, seed + 1, c.extreme);
  if (c.a_per_row) {
    in.azp = RandomQ(c.at, {c.m}, seed + 2);
    in.has_azp = true;
  } else if (!c.azp.empty()) {
    in.azp = Filled(c.at, {}, c.azp);
    in.has_azp = true;
  }
  if (c.b_per_col) {
    in.bzp = RandomQ(c.bt, {c.n}, seed + 3);
    // The ends of the range too.
    Store(in.bzp, 0, Lo(c.bt));
    if (c.n > 1) Store(in.bzp, c.n - 1, Hi(c.bt));
    in.has_bzp = true;
  } else if (!c.bzp.empty()) {
    in.bzp = Filled(c.bt, {}, c.bzp);
    in.has_bzp = true;
  }
  in.batches = Broadcast(c.a_batch, c.b_batch);
  in.out = in.batches.out;
  in.out.insert(in.out.end(), {c.m, c.n});
  return in;
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const DType u8 = DType::kUInt8, s8 = DType::kInt8;
  for (DType at : {u8, s8}) {
    for (DType bt : {u8, s8}) {
      std::vector<std::vector<int32_t>> azps = {{}}, bzps = {{}};
      if (at == u8) {
        azps = {{}, {0}, {128}, {255}};
      } else {
        azps = {{}, {0}, {-128}, {127}};
      }
      if (bt == u8) {
        bzps = {{}, {0}, {128}, {255}};
      } else {
        bzps = {{}, {0}, {-128}, {127}};
      }
      for (size_t z = 0; z < azps.size(); ++z) {
        for (int64_t m : {1, 7, 33, 129}) {
          for (int64_t k : {1, 7, 33, 129}) {
            int64_t n = (m * 3 + k) % 2 ? 33 : 7;
            if (m == 129 && k == 129) n = 129;
            if (m == 1) n = 1;
            cases.push_back({{}, {}, m, k, n, at, bt, azps[z], bzps[(z + m + k) % bzps.size()]});
          }
        }
      }
      // Per-row A and per-column B zero points (and each alone), batches with broadcasting.
      cases.push_back({{}, {}, 33, 129, 7, at, bt, {}, {}, true, true});
      cases.push_back({{}, {}, 7, 33, 129, at, bt, azps[2], {}, false, true});
      cases.push_back({{}, {}, 129, 7, 33, at, bt, {}, bzps[3], true, false});
      cases.push_back({{2, 3}, {3}, 7, 33, 33, at, bt, azps[2], bzps[2]});
      cases.push_back({{}, {2}, 33, 7, 129, at, bt, azps[3], bzps[1]});
      cases.push_back({{2, 1}, {1, 3}, 7, 129, 7, at, bt, {}, {}, true, true});
      cases.push_back({{4}, {}, 33, 33, 33, at, bt, azps[1], {}, false, true});
      // Sums past 2^24: no float on the way.
      cases.push_back({{}, {}, 5, 1100, 9, at, bt, {}, {}, false, false, true});
      cases.push_back({{2}, {}, 3, 1031, 40, at, bt, azps[3], bzps[3], false, false, true});
    }
  }
  return cases;
}

class QuantizedMatMulTest : public ::testing::TestWithParam<int> {};

TEST_P(QuantizedMatMulTest, MatMulIntegerMatchesPlainInt32Product) {
  const int threads = GetParam();
  uint32_t seed = 100;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(Name(c));
    Inputs in = MakeInputs(c, seed += 10);
    std::vector<std::string> names = {"a", "b", in.has_azp ? "azp" : "", in.has_bzp ? "bzp" : ""};
    while (!names.empty() && names.back().empty()) names.pop_back();
    std::map<std::string, Tensor> feeds = {{"a", in.a}, {"b", in.b}};
    if (in.has_azp) feeds["azp"] = in.azp;
    if (in.has_bzp) feeds["bzp"] = in.bzp;
    auto out = RunModel(test::OneNode("MatMulInteger", names, {"y"}, {}, 10), feeds, threads);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = out->at("y");
    ASSERT_EQ(y.dtype(), DType::kInt32);
    ASSERT_EQ(y.shape(), in.out);
    std::vector<int32_t> want =
        Reference(in.a, in.b, in.has_azp ? &in.azp : nullptr, in.has_bzp ? &in.bzp : nullptr,
                  in.batches, c.m, c.k, c.n);
    std::vector<int32_t> got(y.data<int32_t>(), y.data<int32_t>() + y.numel());
    ASSERT_EQ(got, want);
  }
}

// Weights that are initializers are prepared once (their int8 operand and column sums kept in
// the node's state): later runs with other activations still match the plain product.
TEST_P(QuantizedMatMulTest, ConstantWeightsPreparedOnceServeEveryRun) {
  const int threads = GetParam();
  for (DType bt : {DType::kInt8, DType::kUInt8}) {
    const Case c{{}, {}, 9, 70, 33, DType::kUInt8, bt, {131}, {3}};
    Inputs first = MakeInputs(c, 7);
    Model m =
        test::OneNode(test::MakeNode("MatMulInteger", {"a", "b", "azp", "bzp"}, {"y"}, {}, 10),
                      {test::Info("a", DType::kUInt8), test::Info("azp", DType::kUInt8)},
                      {test::Info("y")}, {{"b", first.b}, {"bzp", first.bzp}});
    auto session = Session::Create(m, {.threads = threads});
    ASSERT_TRUE(session.ok()) << session.status().message();
    for (uint32_t seed : {11u, 12u, 13u}) {
      Inputs in = MakeInputs(c, seed);
      auto out = (*session)->Run({{"a", in.a}, {"azp", in.azp}});
      ASSERT_TRUE(out.ok()) << out.status().message();
      const Tensor& y = out->at("y");
      std::vector<int32_t> got(y.data<int32_t>(), y.data<int32_t>() + y.numel());
      ASSERT_EQ(got, Reference(in.a, first.b, &in.azp, &first.bzp, in.batches, c.m, c.k, c.n))
          << DTypeName(bt) << " seed " << seed;
    }
  }
}

TEST_P(QuantizedMatMulTest, QLinearMatMulMatchesPlainProductRequantized) {
  const int threads = GetParam();
  uint32_t seed = 7000;
  const std::vector<Case> cases = Cases();
  for (size_t ci = 0; ci < cases.size(); ci += 3) {
    Case c = cases[ci];
    if (c.azp.empty() && !c.a_per_row) c.azp = {0};
    if (c.bzp.empty() && !c.b_per_col) c.bzp = {0};
    SCOPED_TRACE(Name(c));
    Inputs in = MakeInputs(c, seed += 10);
    const DType yt = (ci / 3) % 2 ? DType::kInt8 : DType::kUInt8;
    // Per-row A scale with per-row zero points, per-column B scale with per-column ones.
    Tensor as = c.a_per_row ? test::Random({c.m}, seed + 5, 0.01f, 0.05f) : test::Scalar(0.02f);
    Tensor bs = c.b_per_col ? test::Random({c.n}, seed + 6, 0.01f, 0.05f) : test::Scalar(0.03f);
    Tensor ys = test::Scalar(static_cast<float>(c.k) * 0.02f);
    Tensor yz = Filled(yt, {}, {yt == DType::kUInt8 ? 131 : -3});
    std::map<std::string, Tensor> feeds = {{"a", in.a}, {"as", as},     {"az", in.azp}, {"b", in.b},
                                           {"bs", bs},  {"bz", in.bzp}, {"ys", ys},     {"yz", yz}};
    auto out =
        RunModel(test::OneNode("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"},
                               {"y"}, {}, 10),
                 feeds, threads);
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = out->at("y");
    ASSERT_EQ(y.dtype(), yt);
    ASSERT_EQ(y.shape(), in.out);
    std::vector<int32_t> acc = Reference(in.a, in.b, &in.azp, &in.bzp, in.batches, c.m, c.k, c.n);
    const float y_scale = ys.data<float>()[0];
    int64_t mismatches = 0;
    for (int64_t e = 0; e < y.numel(); ++e) {
      int64_t i = (e / c.n) % c.m, j = e % c.n;
      float scale = as.data<float>()[as.numel() == 1 ? 0 : i] *
                    bs.data<float>()[bs.numel() == 1 ? 0 : j] / y_scale;
      float q =
          std::nearbyint(static_cast<float>(acc[e]) * scale) + static_cast<float>(Load(yz, 0));
      int32_t want = static_cast<int32_t>(
          std::clamp(q, static_cast<float>(Lo(yt)), static_cast<float>(Hi(yt))));
      if (Load(y, e) != want && ++mismatches <= 5) {
        ADD_FAILURE() << "element " << e << ": got " << Load(y, e) << ", want " << want;
      }
    }
    ASSERT_EQ(mismatches, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, QuantizedMatMulTest, ::testing::Values(1, 4));

}  // namespace
}  // namespace ipfs_accelerate::engine
