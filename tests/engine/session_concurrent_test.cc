// One session run from many threads at once, as the server does: every output equal to the
// result of the same input run alone, while shapes change between runs (so kernels' per-node
// state is replaced under the feet of runs still using it), with profiling on and with one run
// cancelled beside the others. Suites named *Concurrent* also run under ThreadSanitizer
// (`make test-tsan`). SessionThroughputTest prints (never asserts) two runs at once against two
// one after the other.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "../test_util.h"
#include "engine/onnx_loader.h"
#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::FloatAttr;
using test::IntAttr;
using test::IntsAttr;
using test::ModelBuilder;
using test::Random;
using Values = std::map<std::string, Tensor>;

constexpr int kThreads = 8;

// A transformer block on x [2, seq, 64] with seq dynamic: attention, residual, LayerNorm and an
// Erf-GELU MLP, which the optimizer fuses (attention, GELU, MatMul with bias).
Model AttentionBlock() {
  const int64_t d = 64, ff = 256;
  ModelBuilder b;
  b.Input("x", {2, -1, d}).Output("y");
  b.Init("wq", Random({d, d}, 100, -0.2f, 0.2f))
      .Init("wk", Random({d, d}, 101, -0.2f, 0.2f))
      .Init("wv", Random({d, d}, 102, -0.2f, 0.2f))
      .Init("scale", test::Scalar(0.125f))
      .Init("gamma", Random({d}, 103, 0.5f, 1.5f))
      .Init("beta", Random({d}, 104, -0.1f, 0.1f))
      .Init("w1", Random({d, ff}, 105, -0.2f, 0.2f))
      .Init("b1", Random({ff}, 106, -0.1f, 0.1f))
      .Init("w2", Random({ff, d}, 107, -0.2f, 0.2f))
      .Init("sqrt2", test::Scalar(std::sqrt(2.f)))
      .Init("one", test::Scalar(1.f))
      .Init("half", test::Scalar(0.5f));
  b.Op("MatMul", {"x", "wq"}, {"q"})
      .Op("MatMul", {"x", "wk"}, {"k"})
      .Op("MatMul", {"x", "wv"}, {"v"})
      .Op("Transpose", {"k"}, {"kt"}, {{"perm", IntsAttr({0, 2, 1})}})
      .Op("MatMul", {"q", "kt"}, {"s"})
      .Op("Mul", {"s", "scale"}, {"ss"})
      .Op("Softmax", {"ss"}, {"p"}, {{"axis", IntAttr(-1)}})
      .Op("MatMul", {"p", "v"}, {"a"})
      .Op("Add", {"a", "x"}, {"r"})
      .Op("LayerNormalization", {"r", "gamma", "beta"}, {"n"}, {{"epsilon", FloatAttr(1e-5f)}})
      .Op("MatMul", {"n", "w1"}, {"h0"})
      .Op("Add", {"h0", "b1"}, {"h"})
      .Op("Div", {"h", "sqrt2"}, {"hs"})
      .Op("Erf", {"hs"}, {"e"})
      .Op("Add", {"e", "one"}, {"e1"})
      .Op("Mul", {"h", "e1"}, {"he"})
      .Op("Mul", {"he", "half"}, {"g"})
      .Op("MatMul", {"g", "w2"}, {"m"})
      .Op("Add", {"m", "n"}, {"y"});
  return b.model();
}

// Convolutions on x [1, 3, H, W] with H and W dynamic (Conv, Relu, MaxPool, strided Conv,
// ConvTranspose): each run's shapes pick the oneDNN primitive, so a new size replaces the
// nodes' KernelState while other runs still hold the old one.
Model ConvNet() {
  ModelBuilder b;
  b.Input("x", {1, 3, -1, -1}).Output("y");
  b.Init("w1", Random({16, 3, 3, 3}, 1, -0.3f, 0.3f))
      .Init("b1", Random({16}, 2, -0.1f, 0.1f))
      .Init("w2", Random({16, 16, 3, 3}, 3, -0.2f, 0.2f))
      .Init("wt", Random({16, 8, 3, 3}, 4, -0.2f, 0.2f));
  b.Op("Conv", {"x", "w1", "b1"}, {"c1"}, {{"pads", IntsAttr({1, 1, 1, 1})}})
      .Op("Relu", {"c1"}, {"r1"})
      .Op("MaxPool", {"r1"}, {"p1"},
          {{"kernel_shape", IntsAttr({2, 2})}, {"strides", IntsAttr({2, 2})}})
      .Op("Conv", {"p1", "w2"}, {"c2"},
          {{"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}})
      .Op("ConvTranspose", {"c2", "wt"}, {"y"},
          {{"pads", IntsAttr({1, 1, 1, 1})}, {"strides", IntsAttr({2, 2})}});
  return b.model();
}

// Largest |a - b| over the largest |b|: 0 when equal.
double RelativeDifference(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::kFloat32) {
    return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0 ? 0 : 1;
  }
  double diff = 0, scale = 1e-30;
  for (int64_t i = 0; i < a.numel(); ++i) {
    diff = std::max(diff, std::abs(double{a.data<float>()[i]} - b.data<float>()[i]));
    scale = std::max(scale, std::abs(double{b.data<float>()[i]}));
  }
  return diff / scale;
}

// "" when `got` holds the outputs of `want`, equal within 1e-6; else what differs.
std::string Compare(const Values& got, const Values& want) {
  for (const auto& [name, w] : want) {
    auto it = got.find(name);
    if (it == got.end()) return "output '" + name + "' missing";
    if (it->second.shape() != w.shape()) {
      return "output '" + name + "' is " + ShapeToString(it->second.shape()) + ", alone it was " +
             ShapeToString(w.shape());
    }
    double d = RelativeDifference(it->second, w);
    if (d > 1e-6) return "output '" + name + "' differs by " + std::to_string(d);
  }
  return "";
}

// Runs every input alone (one after the other) for the expected outputs, then from kThreads
// threads at once, `runs` each (thread t's run r takes input (t + r) % inputs.size()), and
// holds every result to the one run alone.
void ExpectSameAsAlone(Session& s, const std::vector<Values>& inputs, int runs) {
  std::vector<Values> want;
  for (const Values& in : inputs) {
    auto out = s.Run(in);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    want.push_back(std::move(out).value());
  }
  std::mutex mu;
  std::vector<std::string> failures;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int r = 0; r < runs; ++r) {
        size_t i = (t + r) % inputs.size();
        auto out = s.Run(inputs[i]);
        std::string failure = out.ok() ? Compare(*out, want[i]) : out.status().ToString();
        if (!failure.empty()) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back("thread " + std::to_string(t) + ", input " + std::to_string(i) + ": " +
                             failure);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(failures.empty()) << failures.size()
                                << " runs differ from the run alone, first: " << failures.front();
}

std::unique_ptr<Session> MakeSession(Model model, SessionOptions options = {}) {
  auto s = Session::Create(std::move(model), std::move(options));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(SessionConcurrentTest, AttentionWithEverySequenceLengthGivesTheResultOfTheRunAlone) {
  auto s = MakeSession(AttentionBlock());
  ASSERT_TRUE(s);
  std::vector<Values> inputs;
  uint32_t seed = 7;
  for (int64_t seq : {5, 16, 33, 64, 96}) inputs.push_back({{"x", Random({2, seq, 64}, seed++)}});
  ExpectSameAsAlone(*s, inputs, 6);
}

TEST(SessionConcurrentTest, ConvStateReplacedByOtherShapesGivesTheResultOfTheRunAlone) {
  for (bool optimize : {false, true}) {  // optimized: NHWC convolutions and pooling
    SCOPED_TRACE(optimize ? "optimized" : "as written");
    auto s = MakeSession(ConvNet(), {.optimize = optimize});
    ASSERT_TRUE(s);
    std::vector<Values> inputs;
    uint32_t seed = 11;
    for (int64_t hw : {16, 24, 36, 40}) inputs.push_back({{"x", Random({1, 3, hw, hw}, seed++)}});
    ExpectSameAsAlone(*s, inputs, 6);
  }
}

TEST(SessionConcurrentTest, ProfileCountsEveryRunOfEveryThread) {
  auto s = MakeSession(ConvNet(), {.profile = true});
  ASSERT_TRUE(s);
  std::vector<Values> inputs = {{{"x", Random({1, 3, 20, 20}, 1)}},
                                {{"x", Random({1, 3, 28, 28}, 2)}}};
  constexpr int kRuns = 4;
  std::thread reader([&] {  // reads the profile while the runs add to it
    for (int i = 0; i < 20; ++i) {
      for (const NodeProfile& n : s->profile()) EXPECT_GE(n.total_ms, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  ExpectSameAsAlone(*s, inputs, kRuns);
  reader.join();
  auto profile = s->profile();
  ASSERT_EQ(profile.size(), s->model().graph.nodes.size());
  for (const NodeProfile& n : profile) {
    EXPECT_EQ(n.runs, static_cast<int64_t>(inputs.size()) + kThreads * kRuns) << n.name;
    EXPECT_GT(n.total_ms, 0) << n.name;
  }
  s->ResetProfile();
  for (const NodeProfile& n : s->profile()) EXPECT_EQ(n.runs, 0) << n.name;
}

TEST(SessionConcurrentTest, ACancelledRunStopsAloneAndTheOthersFinish) {
  auto s = MakeSession(AttentionBlock());
  ASSERT_TRUE(s);
  Values in = {{"x", Random({2, 32, 64}, 3)}};
  auto alone = s->Run(in);
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  CancelToken cancelled;
  cancelled.Cancel();
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunOptions options;
      if (t % 2) options.cancel = &cancelled;
      auto out = s->Run(in, options);
      if (!out.ok()) {
        results[t] = out.status();
      } else if (std::string d = Compare(*out, *alone); !d.empty()) {
        results[t] = Status::Internal(d);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    if (t % 2) {
      EXPECT_EQ(results[t].code(), StatusCode::kCancelled) << results[t].ToString();
    } else {
      EXPECT_TRUE(results[t].ok()) << results[t].ToString();
    }
  }
}

// The generated test models (tools/gen_models, made by tests/engine/models_test.sh) under
// $IA_TEST_MODELS or <source>/build/models; the test skips when they are missing.
std::string GeneratedModel(const std::string& name) {
  const char* env = std::getenv("IA_TEST_MODELS");
  std::string root = env && *env ? env : std::string(test_util::SourceDir()) + "/build/models";
  std::string path = root + "/" + name + "/model.onnx";
  return std::filesystem::exists(path) ? path : "";
}

Tensor Int64s(Shape shape, int64_t lo, int64_t hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  Tensor t = Tensor::Empty(DType::kInt64, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = dist(rng);
  return t;
}

// bert_test's inputs for `seq` tokens: ids below its vocabulary (100), a mask with the last
// `pad` tokens of the second row off, token types 0 then 1.
Values BertInputs(int64_t seq, int64_t pad, uint32_t seed) {
  Tensor mask = Int64s({2, seq}, 1, 1, 0), types = Int64s({2, seq}, 0, 0, 0);
  for (int64_t i = 0; i < seq; ++i) {
    if (i >= seq - pad) mask.data<int64_t>()[seq + i] = 0;
    if (i >= seq / 2) types.data<int64_t>()[i] = types.data<int64_t>()[seq + i] = 1;
  }
  return {{"input_ids", Int64s({2, seq}, 0, 99, seed)},
          {"attention_mask", mask},
          {"token_type_ids", types}};
}

TEST(SessionConcurrentTest, BertTestModelWithEverySequenceLength) {
  std::string path = GeneratedModel("bert_test");
  if (path.empty()) GTEST_SKIP() << "bert_test not generated (run tests/engine/models_test.sh)";
  auto model = LoadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto s = MakeSession(std::move(model).value());
  ASSERT_TRUE(s);
  std::vector<Values> inputs;
  uint32_t seed = 1;
  for (int64_t seq : {3, 8, 13, 21, 32}) inputs.push_back(BertInputs(seq, seq / 3, seed++));
  ExpectSameAsAlone(*s, inputs, 4);
}

TEST(SessionConcurrentTest, ResnetTestModelWithEveryBatchSize) {
  std::string path = GeneratedModel("resnet50_test");
  if (path.empty()) GTEST_SKIP() << "resnet50_test not generated (run tests/engine/models_test.sh)";
  auto model = LoadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto s = MakeSession(std::move(model).value());
  ASSERT_TRUE(s);
  std::vector<Values> inputs;
  for (int64_t batch : {1, 2, 3}) {
    inputs.push_back({{"pixel_values", Random({batch, 3, 32, 32}, static_cast<uint32_t>(batch))}});
  }
  ExpectSameAsAlone(*s, inputs, 3);
}

// Printed, never asserted: `runs` BERT runs per thread on 2 threads at once against the same
// runs one after the other, on one session with the default threads.
TEST(SessionThroughputTest, TwoRunsAtOnceAgainstOneAfterTheOther) {
  std::string path = GeneratedModel("bert_test");
  auto model = path.empty() ? Result<Model>(AttentionBlock()) : LoadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto s = MakeSession(std::move(model).value());
  ASSERT_TRUE(s);
  Values in = path.empty() ? Values{{"x", Random({2, 64, 64}, 1)}} : BertInputs(8, 3, 1);
  const int runs = path.empty() ? 50 : 200;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->Run(in).ok());
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto t0 = Clock::now();
  for (int i = 0; i < 2 * runs; ++i) ASSERT_TRUE(s->Run(in).ok());
  double serial = seconds(t0);
  t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < runs; ++i) EXPECT_TRUE(s->Run(in).ok());
    });
  }
  for (auto& th : threads) th.join();
  double together = seconds(t0);
  std::printf(
      "%s, %d threads per session, %d runs: one after the other %.1f runs/s, "
      "2 at once %.1f runs/s (x%.2f)\n",
      path.empty() ? "attention block" : "bert_test", s->threads(), 2 * runs, 2 * runs / serial,
      2 * runs / together, serial / together);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
