#include "router/router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "../test_util.h"
#include "core/file_util.h"
#include "router/batch.h"
#include "router/model_cache.h"

namespace ipfs_accelerate::router {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_util::TempDir();
    std::string cmd = "/usr/bin/python3 " + std::string(test_util::SourceDir()) +
                      "/tools/gen_models/gen_models.py --out " + dir_->path() +
                      "/models --size test --only mlp,bert >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Model(const std::string& name) {
    return dir_->path() + "/models/" + name + "_test";
  }
  static std::string Repo() { return dir_->path() + "/repo"; }

  static Tensor Floats(Shape shape, uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    Tensor t = Tensor::Empty(DType::kFloat32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(gen);
    return t;
  }
  static InferRequest Mlp(int64_t batch, uint32_t seed) {
    InferRequest r;
    r.model = "mlp";
    r.inputs["x"] = Floats({batch, 16}, seed);
    return r;
  }
  static InferRequest Bert(int64_t batch, int64_t seq, uint32_t seed) {
    InferRequest r;
    r.model = "bert";
    for (const char* name : {"input_ids", "attention_mask", "token_type_ids"}) {
      Tensor t = Tensor::Empty(DType::kInt64, {batch, seq});
      for (int64_t i = 0; i < t.numel(); ++i) {
        t.data<int64_t>()[i] = std::string(name) == "input_ids"        ? 1 + (i * 7 + seed) % 90
                               : std::string(name) == "attention_mask" ? 1
                                                                       : 0;
      }
      r.inputs[name] = t;
    }
    return r;
  }
  // The largest |a - b| relative to the largest |b|.
  static double RelDiff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    if (a.shape() != b.shape()) return INFINITY;
    double diff = 0, scale = 1e-30;
    for (int64_t i = 0; i < a.numel(); ++i) {
      diff = std::max(diff, double(std::abs(a.data<float>()[i] - b.data<float>()[i])));
      scale = std::max(scale, double(std::abs(b.data<float>()[i])));
    }
    return diff / scale;
  }
  static std::unique_ptr<Router> Make(ModelSettings settings, int parallel = 1, uint64_t budget = 0,
                                      int caller_runs = 0) {
    auto router = std::make_unique<Router>(RouterOptions{.repo = Repo(),
                                                         .parallel_requests = parallel,
                                                         .memory_budget = budget,
                                                         .caller_runs = caller_runs});
    EXPECT_TRUE(router->AddModel("mlp", Model("mlp"), settings).ok());
    EXPECT_TRUE(router->AddModel("bert", Model("bert"), settings).ok());
    return router;
  }
  static test_util::TempDir* dir_;
};
test_util::TempDir* RouterTest::dir_ = nullptr;

TEST_F(RouterTest, BatchedAnswersEqualUnbatchedRuns) {
  auto plain = Make({});
  auto batched = Make({.max_batch_size = 8, .max_queue_delay_us = 50'000});
  std::vector<InferRequest> requests;
  for (int i = 0; i < 10; ++i) requests.push_back(Mlp(1 + i % 3, i));
  std::vector<std::promise<Result<InferResponse>>> promises(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    batched->Infer(requests[i], [&promises, i](Result<InferResponse> r) {
      promises[i].set_value(std::move(r));
    });
  }
  int64_t largest = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto got = promises[i].get_future().get();
    ASSERT_TRUE(got.ok()) << got.status().message();
    auto want = plain->InferSync(requests[i]);
    ASSERT_TRUE(want.ok()) << want.status().message();
    EXPECT_LE(RelDiff(got->outputs.at("y"), want->outputs.at("y")), 1e-6);
    EXPECT_EQ(got->batch_size >= requests[i].inputs.at("x").dim(0), true);
    largest = std::max(largest, got->batch_size);
  }
  EXPECT_GT(largest, 3) << "requests were never merged";
  auto stats = batched->Stats();
  for (const auto& s : stats) {
    if (s.name == "mlp") {
      EXPECT_EQ(s.success.count, 10u);
      EXPECT_EQ(s.inference_count, 19u);  // 1+2+3+1+2+3+1+2+3+1 items
      EXPECT_LT(s.execution_count, 10u);
    }
  }
}

TEST_F(RouterTest, DifferentShapesAreGroupedNotMixed) {
  auto plain = Make({});
  auto batched = Make({.max_batch_size = 8, .max_queue_delay_us = 50'000});
  std::vector<InferRequest> requests = {Bert(1, 8, 1), Bert(1, 12, 2), Bert(2, 8, 3),
                                        Bert(1, 12, 4)};
  std::vector<std::future<Result<InferResponse>>> answers;
  for (auto& r : requests) {
    answers.push_back(std::async(std::launch::async, [&] { return batched->InferSync(r); }));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    auto got = answers[i].get();
    ASSERT_TRUE(got.ok()) << got.status().message();
    auto want = plain->InferSync(requests[i]);
    ASSERT_TRUE(want.ok());
    for (const char* o : {"last_hidden_state", "pooler_output"}) {
      EXPECT_LE(RelDiff(got->outputs.at(o), want->outputs.at(o)), 1e-5) << o;
    }
  }
}

TEST_F(RouterTest, AClientBatchAboveMaxBatchSizeIsSplit) {
  auto plain = Make({});
  auto batched = Make({.max_batch_size = 4});
  InferRequest big = Mlp(11, 9);
  auto got = batched->InferSync(big);
  ASSERT_TRUE(got.ok()) << got.status().message();
  auto want = plain->InferSync(big);
  EXPECT_LE(RelDiff(got->outputs.at("y"), want->outputs.at("y")), 1e-6);
}

TEST_F(RouterTest, BadRequestsNameWhatIsWrong) {
  auto router = Make({});
  InferRequest r = Mlp(1, 1);
  r.model = "nope";
  EXPECT_EQ(router->InferSync(r).status().code(), StatusCode::kNotFound);
  r = Mlp(1, 1);
  r.inputs["x"] = Tensor::Zeros(DType::kInt32, {1, 16});
  auto s = router->InferSync(r).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("float32"), std::string::npos) << s.message();
  r = Mlp(1, 1);
  r.inputs["x"] = Floats({1, 15}, 1);
  EXPECT_EQ(router->InferSync(r).status().code(), StatusCode::kInvalidArgument);
  r = Mlp(1, 1);
  r.outputs = {"z"};
  EXPECT_EQ(router->InferSync(r).status().code(), StatusCode::kInvalidArgument);
  r = Mlp(1, 1);
  r.inputs.clear();
  EXPECT_EQ(router->InferSync(r).status().code(), StatusCode::kInvalidArgument);
  r = Mlp(1, 1);
  r.version = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
  EXPECT_EQ(router->InferSync(r).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(router->InferSync(Mlp(1, 1)).ok());  // and it goes on serving
}

TEST_F(RouterTest, AFullQueueRefusesAndCancelledOrLateRequestsAreDropped) {
  auto router = Make({.max_batch_size = 8, .max_queue_delay_us = 300'000, .max_queue_size = 2});
  ASSERT_TRUE(router->Describe("mlp").ok());  // known, so requests wait for their batch
  std::vector<std::future<Result<InferResponse>>> answers;
  auto cancel = std::make_shared<CancelToken>();
  InferRequest gone = Mlp(1, 1);
  gone.cancel = cancel;
  InferRequest late = Mlp(1, 2);
  late.timeout_s = 0.15;  // past the check below, before its batch would go
  answers.push_back(std::async(std::launch::async, [&] { return router->InferSync(gone); }));
  answers.push_back(std::async(std::launch::async, [&] { return router->InferSync(late); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(router->InferSync(Mlp(1, 3)).status().code(), StatusCode::kBusy);
  cancel->Cancel();
  EXPECT_EQ(answers[0].get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ(answers[1].get().status().code(), StatusCode::kDeadlineExceeded);
  for (const auto& s : router->Stats()) {
    if (s.name == "mlp") {
      EXPECT_EQ(s.rejected, 1u);
      EXPECT_EQ(s.cancelled, 2u);
      EXPECT_EQ(s.execution_count, 0u);  // nothing ran for them
    }
  }
}

TEST_F(RouterTest, ModelsAreServedByCidAndDescribed) {
  auto router = Make({});
  auto info = router->Describe("mlp");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->inputs.size(), 1u);
  EXPECT_EQ(info->inputs[0].shape, (std::vector<int64_t>{-1, 16}));
  InferRequest r = Mlp(2, 1);
  r.model = info->cid;
  auto got = router->InferSync(r);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->model, "mlp");
  EXPECT_EQ(got->cid, info->cid);
  // A CID that is in no registration and not in the repository: not found, and forgotten.
  r.model = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
  EXPECT_FALSE(router->InferSync(r).ok());
  EXPECT_EQ(router->List().size(), 2u);
}

TEST_F(RouterTest, TheLeastRecentlyUsedIdleModelIsUnloadedAndReloaded) {
  // Learn what each model is charged once it ran, then give room for the larger only.
  uint64_t mlp = 0, bert = 0;
  {
    auto router = Make({});
    ASSERT_TRUE(router->InferSync(Mlp(1, 1)).ok());
    ASSERT_TRUE(router->InferSync(Bert(1, 8, 1)).ok());
    for (const auto& s : router->Stats()) (s.name == "mlp" ? mlp : bert) = s.memory_bytes;
  }
  ASSERT_GT(mlp, 0u);
  ASSERT_GT(bert, 0u);
  auto router = Make({}, 1, std::max(mlp, bert) + std::min(mlp, bert) / 2);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(router->InferSync(Mlp(1, round)).ok());
    ASSERT_TRUE(router->InferSync(Bert(1, 8, round)).ok());
  }
  uint64_t evictions = 0, loads = 0;
  for (const auto& s : router->Stats()) evictions += s.evictions, loads += s.loads;
  EXPECT_GE(evictions, 4u);
  EXPECT_GE(loads, 6u);
}

TEST_F(RouterTest, AModelIsLetGoBeforeItsAnswerSoItCanBeUnloadedRightAfter) {
  auto router = Make({});
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(router->InferSync(Mlp(1, i)).ok());
    Status unloaded = router->Unload("mlp");
    ASSERT_TRUE(unloaded.ok()) << "round " << i << ": " << unloaded.message();
  }
}

TEST_F(RouterTest, AModelInUseIsNeverEvicted) {
  auto router = Make({});
  std::string mlp_cid = router->Describe("mlp")->cid, bert_cid = router->Describe("bert")->cid;
  uint64_t mlp = 0, bert = 0;
  {
    ModelCache sizes({.repo = Repo()});
    mlp = (*sizes.Acquire(mlp_cid, Model("mlp")))->Bytes();
    bert = (*sizes.Acquire(bert_cid, Model("bert")))->Bytes();
  }
  // Room for the larger and half the smaller: the two never fit together.
  ModelCache cache({.repo = Repo(), .budget = std::max(mlp, bert) + std::min(mlp, bert) / 2});
  auto a = cache.Acquire(mlp_cid, Model("mlp"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto b = cache.Acquire(bert_cid, Model("bert"));
  EXPECT_EQ(b.status().code(), StatusCode::kResourceExhausted);  // mlp is held: in use
  EXPECT_TRUE(cache.IsLoaded(mlp_cid));
  a->reset();
  EXPECT_TRUE(cache.Acquire(bert_cid, Model("bert")).ok());  // now mlp is idle and goes
  EXPECT_FALSE(cache.IsLoaded(mlp_cid));
  EXPECT_EQ(cache.Acquire("", Model("mlp")).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RouterTest, ServingManifestBesideTheModelSetsBatching) {
  std::string dir = dir_->path() + "/with_manifest";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(Model("mlp") + "/model.onnx", dir + "/model.onnx");
  ASSERT_TRUE(WriteFileAtomic(dir + "/serving.json",
                              std::string(R"({"max_batch_size": 4, "max_queue_delay_us": 100})"))
                  .ok());
  auto s = ReadServingManifest(Repo(), dir, {});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->max_batch_size, 4);
  EXPECT_EQ(s->max_queue_delay_us, 100);
  ASSERT_TRUE(WriteFileAtomic(dir + "/serving.json", std::string(R"({"max_batch": 4})")).ok());
  auto bad = ReadServingManifest(Repo(), dir, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("max_batch"), std::string::npos);
}

// Many threads, two models, batching on and two runs at once: every answer equals the answer of
// the same request alone.
// On an idle server (RouterOptions::caller_runs) a request runs on the thread that asked, unless
// it waits to be merged; otherwise on a worker.
TEST_F(RouterTest, AnIdleModelRunsOnTheCallersThreadWhenAllowed) {
  auto thread_of_answer = [](Router& router, InferRequest r) {
    std::promise<std::thread::id> where;
    router.Infer(std::move(r), [&where](Result<InferResponse> got) {
      EXPECT_TRUE(got.ok()) << got.status().message();
      where.set_value(std::this_thread::get_id());
    });
    return where.get_future().get();
  };
  auto here = std::this_thread::get_id();
  auto inline_router = Make({}, 1, 0, /*caller_runs=*/1);
  ASSERT_TRUE(inline_router->Load("mlp").ok());
  EXPECT_EQ(thread_of_answer(*inline_router, Mlp(1, 1)), here);
  auto worker_router = Make({}, 1, 0, /*caller_runs=*/0);
  ASSERT_TRUE(worker_router->Load("mlp").ok());
  EXPECT_NE(thread_of_answer(*worker_router, Mlp(1, 1)), here);
  // A request that could merge waits for others on a worker; a full batch goes at once. Two
  // slots: the worker that answered the first may not have given its slot back yet.
  auto batching = Make({.max_batch_size = 4, .max_queue_delay_us = 1000}, 2, 0, 1);
  ASSERT_TRUE(batching->Load("mlp").ok());
  EXPECT_NE(thread_of_answer(*batching, Mlp(1, 1)), here);
  EXPECT_EQ(thread_of_answer(*batching, Mlp(4, 1)), here);
}

class RouterConcurrentTest : public RouterTest, public ::testing::WithParamInterface<int> {};

TEST_P(RouterConcurrentTest, RequestsAcrossModelsAreAllCorrect) {
  auto plain = Make({});
  auto router = Make({.max_batch_size = 8, .max_queue_delay_us = 500}, 2, 0, GetParam());
  std::vector<InferRequest> pool = {Mlp(1, 1),     Mlp(2, 2),     Mlp(3, 3),
                                    Bert(1, 8, 4), Bert(2, 8, 5), Bert(1, 5, 6)};
  std::vector<InferResponse> want;
  for (auto& r : pool) want.push_back(plain->InferSync(r).value());
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 12; ++i) {
        size_t k = (t * 5 + i) % pool.size();
        auto got = router->InferSync(pool[k]);
        if (!got.ok()) {
          failed++;
          continue;
        }
        for (const auto& [name, w] : want[k].outputs) {
          if (RelDiff(got->outputs.at(name), w) > 1e-5) wrong++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

// caller_runs: 0 (every run on a worker) or 1 (runs on the callers' threads when a slot is free).
INSTANTIATE_TEST_SUITE_P(CallerRuns, RouterConcurrentTest, ::testing::Values(0, 1));

TEST(BatchTest, ConcatAndSplitRoundTrip) {
  Tensor a = Tensor::Empty(DType::kFloat32, {1, 3}), b = Tensor::Empty(DType::kFloat32, {2, 3});
  for (int i = 0; i < 3; ++i) a.data<float>()[i] = i;
  for (int i = 0; i < 6; ++i) b.data<float>()[i] = 10 + i;
  std::map<std::string, Tensor> pa{{"x", a}}, pb{{"x", b}};
  auto merged = Concat({&pa, &pb});
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->at("x").shape(), (Shape{3, 3}));
  EXPECT_EQ(merged->at("x").data<float>()[3], 10);
  auto parts = Split(*merged, {1, 2});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[1].at("x").shape(), (Shape{2, 3}));
  EXPECT_EQ((*parts)[1].at("x").data<float>()[5], 15);
  EXPECT_EQ(Split(*merged, {1, 1}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipfs_accelerate::router
