// The float32 pooling fast paths (separable MaxPool/AveragePool without Indices, vectorised
// global pools) held to the direct loop, which float64 inputs and the Indices output still take,
// on odd shapes with pads, strides, dilations, ceil_mode and count_include_pad.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::IntAttr;
using test::IntsAttr;
using test::Random;

// Runs one pooling node at opset 19 on the CPU backend; `outputs` 2 asks for Indices too.
std::vector<Tensor> RunPool(const std::string& op, const Tensor& x,
                            const std::map<std::string, Attribute>& attrs, int outputs,
                            ThreadPool* pool) {
  std::vector<std::string> names = {"y"};
  if (outputs == 2) names.push_back("i");
  std::vector<Tensor> out;
  Status s = test::RunNode(cpu::CpuBackend(), test::MakeNode(op, {"x"}, names, attrs, 19), {&x},
                           &out, pool);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

Tensor ToDouble(const Tensor& t) {
  Tensor d = Tensor::Empty(DType::kFloat64, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
  return d;
}

struct Case {
  Shape shape;
  std::vector<int64_t> kernel, strides, pads, dilations;
  int64_t ceil_mode = 0;
};

std::vector<Case> Cases() {
  return {
      {{1, 3, 17, 13}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 0},
      {{2, 5, 9, 11}, {2, 3}, {1, 2}, {0, 1, 1, 0}, {1, 1}, 1},
      {{1, 4, 12, 10}, {3, 2}, {2, 3}, {1, 0, 2, 1}, {2, 1}, 1},
      {{1, 2, 7, 40}, {5, 5}, {3, 1}, {2, 2, 2, 2}, {1, 2}, 0},
      {{3, 2, 33}, {4}, {2}, {1, 2}, {1}, 1},
      {{1, 1, 3, 3}, {3, 3}, {1, 1}, {2, 2, 2, 2}, {1, 1}, 0},
  };
}

std::map<std::string, Attribute> Attrs(const Case& c) {
  return {{"kernel_shape", IntsAttr(c.kernel)},
          {"strides", IntsAttr(c.strides)},
          {"pads", IntsAttr(c.pads)},
          {"dilations", IntsAttr(c.dilations)},
          {"ceil_mode", IntAttr(c.ceil_mode)}};
}

TEST(PoolingTest, FloatMaxPoolMatchesTheDirectLoop) {
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (const Case& c : Cases()) {
    Tensor x = Random(c.shape, seed++);
    x.data<float>()[x.numel() / 2] = std::nanf("");  // a NaN wins its windows in both paths
    std::vector<Tensor> fast = RunPool("MaxPool", x, Attrs(c), 1, &pool);
    std::vector<Tensor> direct = RunPool("MaxPool", x, Attrs(c), 2, &pool);
    ASSERT_EQ(fast[0].shape(), direct[0].shape());
    for (int64_t i = 0; i < fast[0].numel(); ++i) {
      float a = fast[0].data<float>()[i], b = direct[0].data<float>()[i];
      if (std::isnan(b)) {
        EXPECT_TRUE(std::isnan(a)) << i;
      } else {
        EXPECT_EQ(a, b) << "element " << i << " of shape " << ShapeToString(c.shape);
      }
    }
  }
}

TEST(PoolingTest, FloatAveragePoolMatchesTheDirectLoop) {
  ThreadPool pool(2);
  uint32_t seed = 100;
  for (const Case& c : Cases()) {
    for (int64_t include_pad : {0, 1}) {
      Tensor x = Random(c.shape, seed++);
      auto attrs = Attrs(c);
      attrs["count_include_pad"] = IntAttr(include_pad);
      std::vector<Tensor> fast = RunPool("AveragePool", x, attrs, 1, &pool);
      std::vector<Tensor> direct = RunPool("AveragePool", ToDouble(x), attrs, 1, &pool);
      ASSERT_EQ(fast[0].shape(), direct[0].shape());
      for (int64_t i = 0; i < fast[0].numel(); ++i) {
        EXPECT_NEAR(fast[0].data<float>()[i], direct[0].data<double>()[i], 1e-5)
            << "element " << i << " of shape " << ShapeToString(c.shape) << " count_include_pad "
            << include_pad;
      }
    }
  }
}

TEST(PoolingTest, FloatGlobalPoolsMatchTheDirectLoop) {
  ThreadPool pool(2);
  for (Shape shape :
       {Shape{2, 3, 7, 9}, Shape{1, 4, 1, 1}, Shape{1, 2, 100}, Shape{1, 1, 70, 71}}) {
    Tensor x = Random(shape, 7);
    std::vector<Tensor> avg = RunPool("GlobalAveragePool", x, {}, 1, &pool);
    std::vector<Tensor> avg_ref = RunPool("GlobalAveragePool", ToDouble(x), {}, 1, &pool);
    std::vector<Tensor> max = RunPool("GlobalMaxPool", x, {}, 1, &pool);
    std::vector<Tensor> max_ref = RunPool("GlobalMaxPool", ToDouble(x), {}, 1, &pool);
    ASSERT_EQ(avg[0].shape(), avg_ref[0].shape());
    for (int64_t i = 0; i < avg[0].numel(); ++i) {
      EXPECT_NEAR(avg[0].data<float>()[i], avg_ref[0].data<double>()[i], 1e-6);
      EXPECT_EQ(max[0].data<float>()[i], static_cast<float>(max_ref[0].data<double>()[i]));
    }
  }
}

}  // namespace
}  // namespace ipfs_accelerate::engine
