// The load generator's pure parts (arrivals, summary, URLs, inputs from metadata) and its loops
// against a small in-test HTTP server. Request bytes and metadata parsing: kserve_test.cc.
#include "server/loadgen.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include "../test_util.h"
#include "core/json_util.h"

namespace ipfs_accelerate::server {
namespace {

using test_util::HasSubstr;
using json = nlohmann::json;

TEST(LoadgenTest, PoissonGapsHaveTheRatesMeanAndAnExponentialSpread) {
  PoissonArrivals a(200, 7);
  const int n = 20000;
  double sum = 0, sum_sq = 0;
  int below_mean = 0;
  for (int i = 0; i < n; ++i) {
    double g = a.NextGapSeconds();
    ASSERT_GT(g, 0);
    sum += g;
    sum_sq += g * g;
    below_mean += g < 1.0 / 200;
  }
  double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 1.0 / 200, 0.05 / 200);  // the standard error is 0.7%: 7 of them
  EXPECT_NEAR(sd / mean, 1.0, 0.05);         // exponential: the spread equals the mean
  EXPECT_NEAR(static_cast<double>(below_mean) / n, 1 - std::exp(-1.0), 0.02);
  // Seeded: the same gaps again.
  PoissonArrivals b(200, 7), c(200, 7);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.NextGapSeconds(), c.NextGapSeconds());
}

TEST(LoadgenTest, SummaryHasPercentilesThroughputAndErrorsByStatus) {
  LoadgenResult r;
  for (int i = 100; i >= 1; --i) r.latencies_ms.push_back(i);
  r.ok = 100;
  r.requests = 104;
  r.errors = {{503, 3}, {0, 1}};
  r.wall_s = 2;
  json s = LoadgenSummaryJson(r, 8);
  EXPECT_EQ(s["requests"], 104);
  EXPECT_EQ(s["errors"], 4);
  EXPECT_EQ(s["errors_by_status"]["503"], 3);
  EXPECT_EQ(s["errors_by_status"]["connection"], 1);
  EXPECT_DOUBLE_EQ(s["throughput"]["requests_per_s"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(s["throughput"]["items_per_s"].get<double>(), 400);
  EXPECT_DOUBLE_EQ(s["latency_ms"]["p50"].get<double>(), 50.5);
  EXPECT_NEAR(s["latency_ms"]["p90"].get<double>(), 90.1, 1e-9);
  EXPECT_NEAR(s["latency_ms"]["p99"].get<double>(), 99.01, 1e-9);
  EXPECT_DOUBLE_EQ(s["latency_ms"]["max"].get<double>(), 100);
}

TEST(LoadgenTest, UrlsAreHttpOnly) {
  auto u = ParseHttpUrl("http://127.0.0.1:8000/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->base, "");
  u = ParseHttpUrl("http://[::1]:9/x/y/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->base, "/x/y");
  EXPECT_EQ(u->HostPort(), "[::1]:9");
  EXPECT_EQ(ParseHttpUrl("http://example.org")->port, 80);
  auto tls = ParseHttpUrl("https://example.org");
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(tls.status().message(), "https is not supported"));
  EXPECT_FALSE(ParseHttpUrl("127.0.0.1:8000").ok());
  EXPECT_FALSE(ParseHttpUrl("http://h:99999").ok());
  EXPECT_FALSE(ParseHttpUrl("http://:80").ok());
}

router::ModelInfo Bert() {
  auto m = router::ParseModelMetadata(json::parse(R"({
    "name": "bert", "versions": ["bafyfake"], "platform": "onnx",
    "inputs": [{"name": "input_ids", "datatype": "INT64", "shape": [-1, -1]},
               {"name": "attention_mask", "datatype": "INT64", "shape": [-1, -1]},
               {"name": "scale", "datatype": "FP32", "shape": [2]}],
    "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}]})"));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(LoadgenTest, InputsAreSynthesizedForTheMetadataWithDynamicDimsSized) {
  router::ModelInfo m = Bert();
  EXPECT_EQ(m.cid, "bafyfake");
  ASSERT_EQ(m.inputs.size(), 3u);

  std::vector<std::string> synthesized;
  auto inputs = MakeLoadgenInputs(m, DynamicDims{}, {}, 1, &synthesized);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  EXPECT_EQ(synthesized, (std::vector<std::string>{"input_ids", "attention_mask", "scale"}));
  ASSERT_EQ(inputs->size(), 3u);
  EXPECT_EQ((*inputs)[0].second.shape(), (Shape{1, 128}));  // batch 1, others 128
  EXPECT_EQ((*inputs)[1].second.data<int64_t>()[5], 1);     // a mask is all ones
  EXPECT_EQ((*inputs)[2].second.shape(), (Shape{2}));

  DynamicDims dims;
  dims.batch = 4;
  dims.exact["attention_mask.1"] = 16;
  Tensor given = Tensor::Zeros(DType::kFloat32, {2});
  synthesized.clear();
  inputs = MakeLoadgenInputs(m, dims, {{"scale", given}}, 1, &synthesized);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  EXPECT_EQ(synthesized, (std::vector<std::string>{"input_ids", "attention_mask"}));
  EXPECT_EQ((*inputs)[0].second.shape(), (Shape{4, 128}));
  EXPECT_EQ((*inputs)[1].second.shape(), (Shape{4, 16}));
  EXPECT_EQ((*inputs)[2].second.raw(), given.raw());  // given as it is

  auto wrong = MakeLoadgenInputs(m, {}, {{"scale", Tensor::Zeros(DType::kInt32, {2})}}, 1, nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(HasSubstr(wrong.status().message(), "input scale is int32"));
  auto unknown = MakeLoadgenInputs(m, {}, {{"x", given}}, 1, nullptr);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(HasSubstr(unknown.status().message(), "no input named 'x'"));
  DynamicDims bad_dim;
  bad_dim.exact["nope.1"] = 3;
  EXPECT_FALSE(MakeLoadgenInputs(m, bad_dim, {}, 1, nullptr).ok());
}

TEST(LoadgenTest, ARequestCarriesItsFirstInputsBatch) {
  EXPECT_EQ(ItemsPerRequest({{"ids", Tensor::Zeros(DType::kInt64, {4, 128})},
                             {"mask", Tensor::Zeros(DType::kInt64, {2, 128})}}),
            4);
  EXPECT_EQ(ItemsPerRequest({{"s", Tensor::Scalar(DType::kFloat32, 1.0f)}}), 1);
  EXPECT_EQ(ItemsPerRequest({}), 1);
}

// A request body as loadgen sends it (the protocol's encoder; its bytes: kserve_test.cc).
router::EncodedBody SmallBody(bool binary) {
  Tensor x = Tensor::Zeros(DType::kFloat32, {1, 2});
  auto body = router::EncodeInferRequest(
      {.inputs = {{"x", x}}, .binary_inputs = binary, .binary_outputs = binary});
  EXPECT_TRUE(body.ok()) << body.status().ToString();
  return *body;
}

// A tiny HTTP/1.1 server: answers every request with `status` and "{}", keep-alive; counts them.
class TinyServer {
 public:
  explicit TinyServer(int status) : status_(status) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_ = std::thread([this] {
      while (true) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        clients_.emplace_back([this, c] { Serve(c); });
      }
    });
  }
  ~TinyServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accept_.join();
    for (auto& t : clients_) t.join();
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve(int c) {
    std::string in;
    char buf[65536];
    while (true) {
      size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        std::string head = in.substr(0, end);
        for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (size_t p = head.find("content-length:"); p != std::string::npos) {
          length = std::stoul(head.substr(p + 15));
        }
        if (in.size() >= end + 4 + length) {
          in.erase(0, end + 4 + length);
          ++requests_;
          std::string out = "HTTP/1.1 " + std::to_string(status_) +
                            " X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
          if (write(c, out.data(), out.size()) < 0) break;
          continue;
        }
      }
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    close(c);
  }

  int status_;
  int fd_;
  uint16_t port_ = 0;
  std::thread accept_;
  std::vector<std::thread> clients_;
  std::atomic<int> requests_{0};
};

LoadgenOptions Options(uint16_t port) {
  LoadgenOptions o;
  o.url = *ParseHttpUrl("http://127.0.0.1:" + std::to_string(port));
  o.model = "m";
  o.duration_s = 0.5;
  o.drain_s = 5;
  return o;
}

TEST(LoadgenTest, ClosedLoopCountsEveryAnswer) {
  TinyServer server(200);
  router::EncodedBody body = SmallBody(true);
  LoadgenOptions o = Options(server.port());
  o.concurrency = 3;
  auto r = RunLoadgen(o, body, nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->ok, 0u);
  EXPECT_EQ(r->error_count(), 0u);
  EXPECT_EQ(r->requests, r->ok);
  EXPECT_EQ(r->latencies_ms.size(), r->ok);
  EXPECT_EQ(static_cast<int>(r->ok), server.requests());
  EXPECT_FALSE(r->interrupted);
  EXPECT_GT(r->wall_s, 0);
}

TEST(LoadgenTest, OpenLoopSendsPoissonArrivalsAndCountsErrorsByStatus) {
  TinyServer server(503);
  router::EncodedBody body = SmallBody(false);
  LoadgenOptions o = Options(server.port());
  o.rate = 100;
  o.open_connections = 4;
  auto r = RunLoadgen(o, body, nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ok, 0u);
  EXPECT_GT(r->errors[503], 0u);  // about 50 expected; any is enough here
  EXPECT_LE(r->errors[503], r->requests);
}

TEST(LoadgenTest, CancelStopsAndKeepsWhatWasMeasured) {
  TinyServer server(200);
  router::EncodedBody body = SmallBody(false);
  LoadgenOptions o = Options(server.port());
  o.duration_s = 600;
  CancelToken cancel;
  auto r = RunLoadgen(o, body, &cancel, [&](double, uint64_t ok, uint64_t) {
    if (ok > 0) cancel.Cancel();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->interrupted);
  EXPECT_GT(r->ok, 0u);
}

TEST(LoadgenTest, NoServerIsAnErrorNamingIt) {
  TinyServer server(200);
  uint16_t port = server.port();
  auto url = *ParseHttpUrl("http://127.0.0.1:1");
  auto m = FetchModelMetadata(url, "m", "");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasSubstr(m.status().message(), "127.0.0.1:1")) << port;
}

}  // namespace
}  // namespace ipfs_accelerate::server
