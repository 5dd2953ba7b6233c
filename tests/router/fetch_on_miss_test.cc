// Fetching on a miss: a CID the repository lacks is fetched from a gateway (a test server that
// answers from another repository, as `serve` does), or refused when offline, with messages that
// say what to do; what is stored already is never asked for.
#include "router/fetch_on_miss.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>

#include "../test_util.h"
#include "router/model_ref.h"
#include "router/router.h"
#include "server/http_server.h"
#include "store/dag_walk.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::router {
namespace {

using store::Cid;
using store::Repo;
using test_util::HasSubstr;
using test_util::TempDir;

// A trustless gateway over the repository at `repo_path` that serves raw blocks only (a CAR
// request is answered 406, as by a gateway without CARs); counts block requests.
class Gateway {
 public:
  explicit Gateway(std::string repo_path) : repo_path_(std::move(repo_path)) {
    auto started = server::HttpServer::Start(
        {.port = 0, .io_threads = 2}, [this](server::HttpRequest r, server::Responder respond) {
          if (r.QueryParam("format") == "car") {
            return respond(server::HttpResponse::Error(406, "raw blocks only"));
          }
          ++requests_;
          auto cid = Cid::Parse(r.path.substr(std::string("/ipfs/").size()));
          auto block =
              cid.ok() ? ReadStoredBlock(repo_path_, *cid) : Result<std::string>(cid.status());
          if (!block.ok()) return respond(server::HttpResponse::Error(404, "no such block"));
          server::HttpResponse out;
          out.content_type = "application/vnd.ipld.raw";
          out.body = std::move(block).value();
          respond(std::move(out));
        });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) server_ = std::move(started).value();
  }
  ~Gateway() {
    if (server_) server_->Stop(0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int requests() const { return requests_; }

 private:
  std::string repo_path_;
  std::atomic<int> requests_{0};
  std::unique_ptr<server::HttpServer> server_;
};

std::unique_ptr<Repo> OpenRepo(const std::string& path) {
  auto r = Repo::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// A model directory of 10 blocks (model.onnx in 5 chunks) added to the repository `src`.
class FetchOnMissTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(model_dir_ + "/tokenizer");
    test_util::MustWrite(model_dir_ + "/model.onnx", test_util::PatternBytes(5000));
    test_util::MustWrite(model_dir_ + "/config.json", "{\"task\": \"embed\"}");
    test_util::MustWrite(model_dir_ + "/tokenizer/tokenizer.json", "{}");
    AddRequest add;
    add.options = store::ImportOptions::ForProfile("unixfs-v1-2025").value();
    ASSERT_TRUE(add.options.SetChunker("size-1024").ok());
    add.paths = {model_dir_};
    add.recursive = true;
    auto repo = OpenRepo(src_);
    ASSERT_TRUE(repo);
    ThreadPool pool(1);
    auto added = AddPaths(repo.get(), add, &pool, nullptr, nullptr);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    root_ = added->roots.at(0);
  }

  MissPolicy Online() const {
    MissPolicy p;
    p.request.gateways = {gateway_.url()};
    p.request.timeout = std::chrono::milliseconds(5000);
    return p;
  }

  TempDir tmp_;
  std::string src_ = tmp_ / "src", dst_ = tmp_ / "dst", model_dir_ = tmp_ / "model";
  Cid root_;
  Gateway gateway_{src_};
};

constexpr uint64_t kBlocks = 10;

TEST_F(FetchOnMissTest, AMissFetchesTheWholeDagVerifiedAndPinsItThenAsksNothingMore) {
  auto repo = OpenRepo(dst_);
  ASSERT_TRUE(repo);
  EXPECT_FALSE(*DagIsStored(*repo, root_));
  auto done = EnsureLocal(*repo, root_, Online(), nullptr, nullptr);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->blocks, kBlocks);
  EXPECT_EQ(done->fetched_blocks, kBlocks);
  EXPECT_EQ(gateway_.requests(), static_cast<int>(kBlocks));
  EXPECT_TRUE(*DagIsStored(*repo, root_));
  EXPECT_EQ(*repo->Pins(), std::vector<Cid>{root_});

  auto again = EnsureLocal(*repo, root_, Online(), nullptr, nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->blocks, 0u);  // present: nothing walked, nothing asked
  EXPECT_EQ(gateway_.requests(), static_cast<int>(kBlocks));
}

TEST_F(FetchOnMissTest, OfflineAMissIsNotFoundAndSaysHowToFetch) {
  auto repo = OpenRepo(dst_);
  ASSERT_TRUE(repo);
  MissPolicy offline = Online();
  offline.offline = true;
  auto done = EnsureLocal(*repo, root_, offline, nullptr, nullptr);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().code(), StatusCode::kNotFound);
  const std::string& m = done.status().message();
  EXPECT_TRUE(HasSubstr(m, root_.ToString() + " is not in the repository at " + dst_));
  EXPECT_TRUE(HasSubstr(m, "--offline or ipfs.offline"));
  EXPECT_TRUE(HasSubstr(m, "ipfs-accelerate fetch " + root_.ToString() + " --from"));
  EXPECT_EQ(gateway_.requests(), 0);
  EXPECT_FALSE(repo->HasBlock(root_));
}

TEST_F(FetchOnMissTest, APartialDagIsCompletedWithOnlyTheBlocksItLacks) {
  {
    auto repo = OpenRepo(dst_);
    ASSERT_TRUE(repo);
    MissPolicy no_pin = Online();
    no_pin.request.pin = false;
    ASSERT_TRUE(EnsureLocal(*repo, root_, no_pin, nullptr, nullptr).ok());
    // Take one chunk of model.onnx away, as a fetch killed part way leaves the DAG.
    store::UnixFsReader reader(repo.get());
    Cid file = *reader.Resolve(root_, "model.onnx");
    std::vector<Cid> chunks = *store::BlockLinks(file, *repo->GetBlock(file));
    ASSERT_EQ(chunks.size(), 5u);
    ASSERT_TRUE(repo->blocks().Remove(chunks[2].multihash()).ok());
  }
  auto repo = OpenRepo(dst_);
  ASSERT_TRUE(repo);
  EXPECT_FALSE(*DagIsStored(*repo, root_));
  MissPolicy offline = Online();
  offline.offline = true;
  auto refused = EnsureLocal(*repo, root_, offline, nullptr, nullptr);
  EXPECT_TRUE(HasSubstr(refused.status().message(), "is only in part in the repository"));

  int before = gateway_.requests();
  auto done = EnsureLocal(*repo, root_, Online(), nullptr, nullptr);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->fetched_blocks, 1u);
  EXPECT_EQ(gateway_.requests(), before + 1);
  auto file = ReadFileRef(dst_, "/ipfs/" + root_.ToString() + "/model.onnx", "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->bytes, test_util::PatternBytes(5000));
}

TEST_F(FetchOnMissTest, NoSourceOrUnreachableSourcesNameWhatWasAskedAndFailFast) {
  auto repo = OpenRepo(dst_);
  ASSERT_TRUE(repo);
  auto none = EnsureLocal(*repo, root_, MissPolicy{}, nullptr, nullptr);
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(none.status().message(), "no source to fetch " + root_.ToString()));
  EXPECT_TRUE(HasSubstr(none.status().message(), "--set ipfs.gateway=URL"));

  // As the seed's defaults are on a machine without an IPFS node or a gateway: nothing listens.
  MissPolicy nowhere;
  nowhere.request.local_node = "http://127.0.0.1:1";
  nowhere.request.gateways = {"http://127.0.0.1:1"};
  auto t0 = std::chrono::steady_clock::now();
  auto failed = EnsureLocal(*repo, root_, nowhere, nullptr, nullptr);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(failed.ok());
  EXPECT_LT(seconds, 10.0);
  const std::string& m = failed.status().message();
  EXPECT_TRUE(HasSubstr(m, "is not in the repository at " + dst_));
  EXPECT_TRUE(HasSubstr(m, "the IPFS node http://127.0.0.1:1 (ipfs.local_node)"));
  EXPECT_TRUE(HasSubstr(m, "the gateway http://127.0.0.1:1 (ipfs.gateway)"));
  EXPECT_TRUE(HasSubstr(m, "--set ipfs.gateway=URL"));
  auto pins = repo->Pins();
  EXPECT_TRUE(pins.ok() && pins->empty());
}

TEST_F(FetchOnMissTest, ACancelledFetchStopsAndKeepsWhatItStored) {
  auto repo = OpenRepo(dst_);
  ASSERT_TRUE(repo);
  CancelToken cancel;
  cancel.Cancel();
  auto done = EnsureLocal(*repo, root_, Online(), nullptr, &cancel);
  EXPECT_EQ(done.status().code(), StatusCode::kCancelled) << done.status().ToString();
  EXPECT_TRUE(repo->Pins()->empty());
}

TEST_F(FetchOnMissTest, ReferencesFetchOnlyForACid) {
  // A local path and an alias name ask for nothing.
  EXPECT_EQ(EnsureRefLocal(dst_, model_dir_, Online(), nullptr, nullptr)->blocks, 0u);
  EXPECT_EQ(EnsureRefLocal(dst_, "some-alias", Online(), nullptr, nullptr)->blocks, 0u);
  EXPECT_EQ(gateway_.requests(), 0);
  // A path below a CID fetches the DAG of the CID.
  uint64_t progress_calls = 0;
  auto done = EnsureRefLocal(
      dst_, "/ipfs/" + root_.ToString() + "/model.onnx", Online(),
      [&](const FetchProgress&) { ++progress_calls; }, nullptr);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->fetched_blocks, kBlocks);
  EXPECT_EQ(progress_calls, kBlocks);
  auto file = ReadFileRef(dst_, root_.ToString() + "/config.json", "");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->bytes, "{\"task\": \"embed\"}");
}

// The router fetches a model it is asked for by CID, as `serve` does for KServe requests.
TEST(RouterFetchOnMissTest, AModelRequestedByCidIsFetchedThenRun) {
  TempDir tmp;
  std::string cmd = "/usr/bin/python3 " + std::string(test_util::SourceDir()) +
                    "/tools/gen_models/gen_models.py --out " + tmp.path() +
                    "/models --size test --only mlp >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string src = tmp / "src";
  Cid root;
  {
    auto repo = OpenRepo(src);
    ASSERT_TRUE(repo);
    AddRequest add;
    add.options = store::ImportOptions::ForProfile("unixfs-v1-2025").value();
    add.paths = {tmp.path() + "/models/mlp_test"};
    add.recursive = true;
    ThreadPool pool(1);
    auto added = AddPaths(repo.get(), add, &pool, nullptr, nullptr);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    root = added->roots.at(0);
  }
  Gateway gateway(src);
  InferRequest request;
  request.inputs["x"] = Tensor::Empty(DType::kFloat32, {1, 16});
  for (int i = 0; i < 16; ++i) request.inputs["x"].data<float>()[i] = 0.1f * i;

  // Offline (the router's default): not found, and the gateway is not asked.
  std::string model_cid;
  {
    Router offline(RouterOptions{.repo = tmp / "offline", .parallel_requests = 1});
    Status s = offline.AddModel("mlp", root.ToString(), {});
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_EQ(gateway.requests(), 0);
  }
  MissPolicy online;
  online.request.gateways = {gateway.url()};
  Router router(RouterOptions{.repo = tmp / "dst", .parallel_requests = 1, .on_miss = online});
  // By the CID of the model file, whose DAG is fetched on the first request.
  auto file_cid = [&] {
    auto repo = OpenRepo(src);
    store::UnixFsReader reader(repo.get());
    return reader.Resolve(root, "model.onnx")->ToString();
  }();
  request.model = file_cid;
  auto got = router.InferSync(request);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->cid, file_cid);
  EXPECT_GT(gateway.requests(), 0);
  // Registered by the directory's CID: stored already, nothing more is asked for it.
  int asked = gateway.requests();
  ASSERT_TRUE(router.AddModel("mlp", "/ipfs/" + root.ToString(), {}).ok());
  EXPECT_GT(gateway.requests(), asked);  // the directory's other blocks
  asked = gateway.requests();
  request.model = "mlp";
  auto named = router.InferSync(request);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(gateway.requests(), asked);
  const Tensor& a = named->outputs.begin()->second;
  const Tensor& b = got->outputs.begin()->second;
  ASSERT_EQ(a.nbytes(), b.nbytes());
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
}

}  // namespace
}  // namespace ipfs_accelerate::router
