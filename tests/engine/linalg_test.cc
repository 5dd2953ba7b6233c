// MatMul / Gemm through a Session: the oneDNN paths held to a naive loop on random data, the
// error for mismatched shapes, and (printed, never asserted) a GFLOP/s figure.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::FloatAttr;
using test::IntAttr;
using test::OneNode;
using test::Random;
using test::RunModel;

// Numpy matmul of float tensors by definition (double accumulation).
Tensor NaiveMatMul(const Tensor& a, const Tensor& b) {
  Shape as = a.shape(), bs = b.shape();
  bool av = as.size() == 1, bv = bs.size() == 1;
  if (av) as.insert(as.begin(), 1);
  if (bv) bs.push_back(1);
  size_t rank = std::max(as.size(), bs.size());
  while (as.size() < rank) as.insert(as.begin(), 1);
  while (bs.size() < rank) bs.insert(bs.begin(), 1);
  int64_t m = as[rank - 2], k = as[rank - 1], n = bs[rank - 1];
  Shape batch(rank - 2);
  for (size_t d = 0; d + 2 < rank; ++d) batch[d] = std::max(as[d], bs[d]);
  Shape out_shape = batch;
  if (!av) out_shape.push_back(m);
  if (!bv) out_shape.push_back(n);
  Tensor y = Tensor::Empty(DType::kFloat32, out_shape);
  int64_t batches = NumElements(batch);
  for (int64_t t = 0; t < batches; ++t) {
    int64_t rem = t, oa = 0, ob = 0, sa = 1, sb = 1;
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0; --d) {
      int64_t i = rem % batch[d];
      rem /= batch[d];
      oa += (as[d] == 1 ? 0 : i) * sa;
      ob += (bs[d] == 1 ? 0 : i) * sb;
      sa *= as[d];
      sb *= bs[d];
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          acc += double(a.data<float>()[(oa * m + i) * k + p]) *
                 double(b.data<float>()[(ob * k + p) * n + j]);
        }
        y.data<float>()[(t * m + i) * n + j] = static_cast<float>(acc);
      }
    }
  }
  return y;
}

void ExpectClose(const Tensor& want, const Tensor& got) {
  ASSERT_EQ(ShapeToString(want.shape()), ShapeToString(got.shape()));
  for (int64_t i = 0; i < want.numel(); ++i) {
    float w = want.data<float>()[i], g = got.data<float>()[i];
    ASSERT_NEAR(w, g, 1e-4 * std::fabs(w) + 1e-4) << "element " << i;
  }
}

TEST(LinalgTest, MatMulMatchesNaiveLoop) {
  std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},
      {{4}, {4, 5}},
      {{3, 4}, {4}},
      {{4}, {4}},
      {{2, 3, 7, 16}, {16, 9}},
      {{2, 1, 5, 8}, {3, 8, 6}},
      {{12, 33, 64}, {12, 64, 33}},
      {{1, 65, 130}, {130, 67}},
      {{5, 1, 3}, {1, 3, 2}},
      {{2, 0, 4}, {4, 3}},
  };
  uint32_t seed = 1;
  for (auto& [as, bs] : cases) {
    for (int threads : {1, 2}) {
      Tensor a = Random(as, seed++, -1.f, 1.f), b = Random(bs, seed++, -1.f, 1.f);
      auto y = RunModel(OneNode("MatMul", {"a", "b"}, {"y"}, {}, 17, DType::kFloat32),
                        {{"a", a}, {"b", b}}, threads);
      ASSERT_TRUE(y.ok()) << y.status().ToString();
      SCOPED_TRACE(ShapeToString(as) + " x " + ShapeToString(bs));
      ExpectClose(NaiveMatMul(a, b), y->at("y"));
    }
  }
}

TEST(LinalgTest, MatMulRejectsMismatchedInnerDimensions) {
  auto y = RunModel(OneNode("MatMul", {"a", "b"}, {"y"}, {}, 17, DType::kFloat32),
                    {{"a", Random({2, 3}, 1, -1.f, 1.f)}, {"b", Random({4, 5}, 2, -1.f, 1.f)}}, 2);
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().ToString().find("inner dimensions differ: [2, 3] x [4, 5]"),
            std::string::npos)
      << y.status().ToString();
}

TEST(LinalgTest, GemmMatchesNaiveLoop) {
  for (int ta : {0, 1}) {
    for (int tb : {0, 1}) {
      for (Shape cs : {Shape{}, Shape{1}, Shape{17}, Shape{9, 1}, Shape{9, 17}}) {
        int64_t M = 9, N = 17, K = 33;
        Tensor a = Random(ta ? Shape{K, M} : Shape{M, K}, 3, -1.f, 1.f),
               b = Random(tb ? Shape{N, K} : Shape{K, N}, 4, -1.f, 1.f);
        Tensor c = Random(cs, 5, -1.f, 1.f);
        std::map<std::string, Attribute> attrs = {{"transA", IntAttr(ta)},
                                                  {"transB", IntAttr(tb)},
                                                  {"alpha", FloatAttr(0.5f)},
                                                  {"beta", FloatAttr(2.f)}};
        auto y = RunModel(OneNode("Gemm", {"a", "b", "c"}, {"y"}, attrs, 17, DType::kFloat32),
                          {{"a", a}, {"b", b}, {"c", c}}, 2);
        ASSERT_TRUE(y.ok()) << y.status().ToString();
        Tensor want = Tensor::Empty(DType::kFloat32, {M, N});
        for (int64_t i = 0; i < M; ++i) {
          for (int64_t j = 0; j < N; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < K; ++p) {
              acc += double(a.data<float>()[ta ? p * M + i : i * K + p]) *
                     b.data<float>()[tb ? j * K + p : p * N + j];
            }
            int64_t ci =
                cs.empty() ? 0
                           : (cs.size() == 1 ? (cs[0] == 1 ? 0 : j) : (cs[1] == 1 ? i : i * N + j));
            want.data<float>()[i * N + j] =
                static_cast<float>(0.5 * acc + 2.0 * c.data<float>()[ci]);
          }
        }
        SCOPED_TRACE("transA " + std::to_string(ta) + " transB " + std::to_string(tb) + " C " +
                     ShapeToString(cs));
        ExpectClose(want, y->at("y"));
      }
    }
  }
}

TEST(LinalgTest, GemmRejectsMismatchedInnerDimensions) {
  auto y = RunModel(OneNode("Gemm", {"a", "b"}, {"y"}, {}, 17, DType::kFloat32),
                    {{"a", Random({2, 3}, 1, -1.f, 1.f)}, {"b", Random({4, 5}, 2, -1.f, 1.f)}}, 2);
  ASSERT_FALSE(y.ok());
  EXPECT_NE(y.status().ToString().find("inner dimensions differ"), std::string::npos)
      << y.status().ToString();
}

// Prints GFLOP/s for a BERT-sized MatMul; a figure for people, not an assertion.
TEST(LinalgTest, PrintsMatMulThroughput) {
  Tensor a = Random({128, 768}, 1, -1.f, 1.f), b = Random({768, 3072}, 2, -1.f, 1.f);
  for (int threads : {1, 2}) {
    auto session = Session::Create(OneNode("MatMul", {"a", "b"}, {"y"}, {}, 17, DType::kFloat32),
                                   SessionOptions{threads});
    ASSERT_TRUE(session.ok());
    std::map<std::string, Tensor> in = {{"a", a}, {"b", b}};
    ASSERT_TRUE((*session)->Run(in).ok());
    int reps = 50;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) (void)(*session)->Run(in);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    std::printf("MatMul [128,768]x[768,3072], %d thread(s): %.3f ms, %.1f GFLOP/s\n", threads,
                s * 1e3, 2.0 * 128 * 768 * 3072 / s / 1e9);
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine
