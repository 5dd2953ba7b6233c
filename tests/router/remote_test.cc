// Remote inference against real servers on 127.0.0.1: a peer that serves a model through the
// same App as `serve`, and peers that fail, stall or answer what is not a valid answer.
#include "router/remote.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <future>
#include <random>

#include "../test_util.h"
#include "router/kserve.h"
#include "server/app.h"
#include "server/http_server.h"

namespace ipfs_accelerate::router {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using server::Responder;
using test_util::HasSubstr;

Tensor Floats(Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Tensor t = Tensor::Empty(DType::kFloat32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(gen);
  return t;
}

bool SameBytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// A node as `serve` makes it: a router behind the App on a real HTTP server.
class Node {
 public:
  Node(const std::string& repo, const std::string& model_dir, RemotePolicy policy = {}) {
    router_ = std::make_unique<Router>(RouterOptions{.repo = repo, .cores = 1});
    EXPECT_TRUE(router_->AddModel("mlp", model_dir, {}).ok());
    if (policy.mode != RemoteMode::kNever) {
      remote_ = std::make_unique<RemoteInference>(policy, router_.get());
    }
    app_ = std::make_unique<server::App>(
        *router_,
        server::AppHooks{.remote = remote_.get(), .node_status = [this] {
                           return NodeStatusJson(LocalNodeStatus(*router_, "peer", "cpu", {}));
                         }});
    auto started = server::HttpServer::Start(
        {.port = 0, .io_threads = 2},
        [this](HttpRequest r, Responder respond) { app_->Handle(std::move(r), respond); });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
  }
  ~Node() {
    server_->Stop(0);
    remote_.reset();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  Router& router() { return *router_; }
  RemoteInference* remote() { return remote_.get(); }

 private:
  std::unique_ptr<Router> router_;
  std::unique_ptr<RemoteInference> remote_;
  std::unique_ptr<server::App> app_;
  std::unique_ptr<server::HttpServer> server_;
};

// How a fake peer answers inference requests (its status and metadata are a real node's).
enum class Lie { kWrongShape, kWrongDtype, kMissingOutput, kGarbage, kShortBinary, kError, kStall };

// A peer that publishes the real model's status and metadata and then answers `lie`.
class LyingPeer {
 public:
  LyingPeer(Lie lie, nlohmann::json status, nlohmann::json metadata)
      : lie_(lie), status_(std::move(status)), metadata_(std::move(metadata)) {
    auto started = server::HttpServer::Start(
        {.port = 0, .io_threads = 2},
        [this](HttpRequest r, Responder respond) { Answer(std::move(r), respond); });
    EXPECT_TRUE(started.ok());
    server_ = std::move(started).value();
  }
  ~LyingPeer() { server_->Stop(0); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int infers() const { return infers_; }

 private:
  void Answer(HttpRequest r, const Responder& respond) {
    HttpResponse out;
    out.content_type = "application/json";
    if (r.path == "/ia/v1/node") {
      out.body = status_.dump();
      return respond(std::move(out));
    }
    if (r.method == "GET") {
      out.body = metadata_.dump();
      return respond(std::move(out));
    }
    ++infers_;
    InferResponse answer{.model = "mlp"};
    switch (lie_) {
      case Lie::kWrongShape:
        answer.outputs["y"] = Floats({3, 5}, 1);
        break;
      case Lie::kWrongDtype:
        answer.outputs["y"] = Tensor::Empty(DType::kInt64, {1, 8});
        break;
      case Lie::kMissingOutput:
        answer.outputs["other"] = Floats({1, 8}, 1);
        break;
      case Lie::kGarbage:
        out.body = "{\"outputs\": [{\"name\": 7}]";
        return respond(std::move(out));
      case Lie::kShortBinary:
        out.body = R"({"outputs":[{"name":"y","datatype":"FP32","shape":[1,8],)"
                   R"("parameters":{"binary_data_size":32}}]})";
        out.headers.emplace_back("Inference-Header-Content-Length",
                                 std::to_string(out.body.size()));
        out.body += std::string(12, '\0');
        return respond(std::move(out));
      case Lie::kError:
        return respond(HttpResponse::Error(500, "the GPU fell off"));
      case Lie::kStall:
        return;  // never answers
    }
    InferCall call;
    call.all_binary = true;
    EncodedBody body = EncodeInferResponse(answer, call);
    out.body = std::move(body.body);
    out.headers.emplace_back("Inference-Header-Content-Length",
                             std::to_string(*body.header_length));
    respond(std::move(out));
  }

  Lie lie_;
  nlohmann::json status_, metadata_;
  std::atomic<int> infers_{0};
  std::unique_ptr<server::HttpServer> server_;
};

class RemoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_util::TempDir();
    std::string cmd = "/usr/bin/python3 " + std::string(test_util::SourceDir()) +
                      "/tools/gen_models/gen_models.py --out " + dir_->path() +
                      "/models --size test --only mlp >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string ModelDir() { return dir_->path() + "/models/mlp_test"; }
  static std::string Repo(const std::string& name) { return dir_->path() + "/" + name; }

  static InferRequest Request(const std::string& model, uint32_t seed) {
    InferRequest r;
    r.model = model;
    r.inputs["x"] = Floats({2, 16}, seed);
    return r;
  }

  static test_util::TempDir* dir_;
};
test_util::TempDir* RemoteTest::dir_ = nullptr;

TEST_F(RemoteTest, PeerAnswersExactlyAsALocalRun) {
  Node peer(Repo("a"), ModelDir());
  auto info = peer.router().Describe("mlp");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  Router local(RouterOptions{.repo = Repo("c"), .cores = 1});
  ASSERT_TRUE(local.AddModel("mlp", ModelDir(), {}).ok());
  auto here = local.InferSync(Request("mlp", 7));
  ASSERT_TRUE(here.ok()) << here.status().ToString();

  auto policy = ParseRemotePolicy(peer.url(), {});
  ASSERT_TRUE(policy.ok());
  RemoteInference remote(*policy, nullptr);
  auto there = remote.CallPeer(*ParsePeer(peer.url()), info->cid, Request(info->cid, 7));
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  ASSERT_EQ(there->outputs.size(), here->outputs.size());
  for (const auto& [name, t] : here->outputs) {
    ASSERT_TRUE(there->outputs.count(name)) << name;
    EXPECT_TRUE(SameBytes(there->outputs.at(name), t)) << name;
  }
  EXPECT_EQ(there->cid, info->cid);
  // The peer ran it (its statistics count it) and publishes what it measured.
  auto status = remote.Plan(info->cid, /*local_stored=*/true);
  ASSERT_EQ(status.size(), 2u);
  EXPECT_TRUE(status[0].peer.has_value());
  EXPECT_FALSE(status[1].peer.has_value());
  uint64_t runs = 0;
  for (const auto& m : peer.router().Stats()) runs += m.execution_count;
  EXPECT_EQ(runs, 1u);
}

TEST_F(RemoteTest, AutoPrefersThePeerOnlyWhenItIsExpectedSooner) {
  Node peer(Repo("a2"), ModelDir());
  auto info = peer.router().Describe("mlp");
  ASSERT_TRUE(info.ok());
  auto policy = ParseRemotePolicy("auto", {*ParsePeer(peer.url())});
  ASSERT_TRUE(policy.ok());
  RemoteInference remote(*policy, nullptr);
  // Nothing measured anywhere and the model is here: this node, and nothing after it.
  auto plan = remote.Plan(info->cid, /*local_stored=*/true);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_FALSE(plan[0].peer.has_value());
  // Not here: running here means fetching it, so the peer that serves it goes first.
  plan = remote.Plan(info->cid, /*local_stored=*/false);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].peer->url, peer.url());
  // A model the peer does not serve is never sent to it.
  plan = remote.Plan("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", false);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_FALSE(plan[0].peer.has_value());
  // The node status names the model with what the peer measured.
  ASSERT_TRUE(peer.router().InferSync(Request("mlp", 1)).ok());
  auto status = ParseNodeStatus(NodeStatusJson(LocalNodeStatus(peer.router(), "p", "cpu", {})));
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_NE(status->Find(info->cid), nullptr);
  EXPECT_GT(status->Find(info->cid)->compute_ms, 0);
}

TEST_F(RemoteTest, ServeForwardsAndFallsBackToItselfWhenThePeerDies) {
  auto a = std::make_unique<Node>(Repo("a3"), ModelDir());
  auto cid = a->router().Describe("mlp");
  ASSERT_TRUE(cid.ok());
  auto policy = ParseRemotePolicy(a->url(), {});
  ASSERT_TRUE(policy.ok());
  policy->timeout_s = 5;
  Node c(Repo("c3"), ModelDir(), *policy);
  // Through C's server, by name: forwarded to A (which runs it: the IA-Forwarded header stops A
  // from forwarding again), the answer equal to C's own run.
  auto here = c.router().InferSync(Request("mlp", 3));
  ASSERT_TRUE(here.ok());
  std::promise<Result<InferResponse>> got;
  c.remote()->Infer(Request("mlp", 3), [&](Result<InferResponse> r) { got.set_value(r); });
  auto there = got.get_future().get();
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  EXPECT_TRUE(SameBytes(there->outputs.at("y"), here->outputs.at("y")));
  EXPECT_EQ(c.remote()->Stats().peers.at(a->url()).ok, 1u);
  EXPECT_EQ(c.remote()->Stats().fallbacks, 0u);

  a.reset();  // the peer goes away: C answers itself, and counts the fallback
  std::promise<Result<InferResponse>> again;
  c.remote()->Infer(Request("mlp", 3), [&](Result<InferResponse> r) { again.set_value(r); });
  auto local = again.get_future().get();
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_TRUE(SameBytes(local->outputs.at("y"), here->outputs.at("y")));
  RemoteStats stats = c.remote()->Stats();
  EXPECT_EQ(stats.fallbacks, 1u);
  EXPECT_EQ(stats.peers.begin()->second.failed, 1u);
  EXPECT_GE(stats.local, 1u);
}

TEST_F(RemoteTest, InvalidAnswersAreRefusedAndTheNextChoiceAnswers) {
  Node real(Repo("a4"), ModelDir());
  auto info = real.router().Describe("mlp");
  ASSERT_TRUE(info.ok());
  nlohmann::json status = NodeStatusJson(LocalNodeStatus(real.router(), "liar", "cpu", {}));
  nlohmann::json metadata = ModelMetadata(*info);
  Router local(RouterOptions{.repo = Repo("c4"), .cores = 1});
  ASSERT_TRUE(local.AddModel("mlp", ModelDir(), {}).ok());
  auto expected = local.InferSync(Request("mlp", 5));
  ASSERT_TRUE(expected.ok());

  struct Case {
    Lie lie;
    StatusCode code;
    const char* says;
  };
  for (const Case& c : {Case{Lie::kWrongShape, StatusCode::kInvalidArgument, "[3, 5]"},
                        Case{Lie::kWrongDtype, StatusCode::kInvalidArgument, "int64"},
                        Case{Lie::kMissingOutput, StatusCode::kInvalidArgument, "'other'"},
                        Case{Lie::kGarbage, StatusCode::kInvalidArgument, "answer"},
                        Case{Lie::kShortBinary, StatusCode::kInvalidArgument, "binary_data_size"},
                        Case{Lie::kError, StatusCode::kUnavailable, "the GPU fell off"},
                        Case{Lie::kStall, StatusCode::kDeadlineExceeded, "no complete reply"}}) {
    LyingPeer liar(c.lie, status, metadata);
    auto policy = ParseRemotePolicy(liar.url(), {});
    ASSERT_TRUE(policy.ok());
    policy->timeout_s = 1;
    RemoteInference remote(*policy, &local);
    auto r = remote.CallPeer(*ParsePeer(liar.url()), info->cid, Request(info->cid, 5));
    ASSERT_FALSE(r.ok()) << static_cast<int>(c.lie);
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_TRUE(HasSubstr(r.status().message(), c.says));
    // Through the dispatcher: the liar is tried, refused, and this node answers right.
    std::promise<Result<InferResponse>> got;
    remote.Infer(Request("mlp", 5), [&](Result<InferResponse> x) { got.set_value(x); });
    auto answer = got.get_future().get();
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_TRUE(SameBytes(answer->outputs.at("y"), expected->outputs.at("y")));
    EXPECT_EQ(remote.Stats().fallbacks, 1u);
    EXPECT_EQ(liar.infers(), 2);
  }
}

TEST_F(RemoteTest, PeersAndStatusesAreChecked) {
  auto peer = ParsePeer("https://s3cret-key-of-16@node.example:8443/");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->url, "https://node.example:8443");
  EXPECT_EQ(peer->key, "s3cret-key-of-16");
  EXPECT_EQ(PeerName(*peer).find("s3cret"), std::string::npos);
  for (const char* bad :
       {"node:8000", "ftp://x:1", "http://", "http://@x:1", "http://x:1/?a", "http://x y:1"}) {
    EXPECT_EQ(ParsePeer(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseRemotePolicy("auto", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRemotePolicy("sometimes", {}).status().code(), StatusCode::kInvalidArgument);
  auto keyed = ParseRemotePolicy("http://n:1", {*ParsePeer("http://key@n:1")});
  ASSERT_TRUE(keyed.ok());
  EXPECT_EQ(keyed->peer.key, "key");

  for (const char* bad :
       {"[]", "{}", R"({"models": [{"name": "x"}]})", R"({"models": [{"cid": "nope"}]})",
        R"({"models": [], "cores": 0})", R"({"models": [], "cores": -3})",
        R"({"models": [{"cid": "bafkqaaa", "compute_ms": -1}]})",
        R"({"models": [{"cid": "bafkqaaa", "queued": "many"}]})"}) {
    EXPECT_EQ(ParseNodeStatus(nlohmann::json::parse(bad)).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  auto ok = ParseNodeStatus(nlohmann::json::parse(
      R"({"peer_id": "p", "cores": 8, "models": [{"cid": "bafkqaaa", "compute_ms": 2.5}]})"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->cores, 8);
  EXPECT_DOUBLE_EQ(ok->Find("bafkqaaa")->compute_ms, 2.5);
}

}  // namespace
}  // namespace ipfs_accelerate::router
