#include "server/http_server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "../test_util.h"
#include "core/file_util.h"
#include "http_test_client.h"

namespace ipfs_accelerate::server {
namespace {

using test_util::HasSubstr;
using test_util::HttpReply;
using test_util::HttpRequestText;
using test_util::HttpTestClient;

// Polls `done` until it holds; gives up after a minute (a safety net, not a timing assertion).
template <class Pred>
bool WaitUntil(Pred done) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

HttpServerOptions LocalOptions() {
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  return options;
}

// Answers every request at once with "METHOD path?query|body".
Handler Echo() {
  return [](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = request.method + " " + request.path + "?" + request.query + "|" + request.body;
    response.headers.emplace_back("X-Test", request.Header("x-test"));
    respond(std::move(response));
  };
}

std::unique_ptr<HttpServer> StartOrDie(HttpServerOptions options, Handler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// Requests the handler holds until the test answers them.
struct Held {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<HttpRequest, Responder>> requests;

  Handler handler() {
    return [this](HttpRequest request, Responder respond) {
      std::lock_guard lock(mu);
      requests.emplace_back(std::move(request), std::move(respond));
      cv.notify_all();
    };
  }
  std::pair<HttpRequest, Responder> Take() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return !requests.empty(); });
    auto front = std::move(requests.front());
    requests.pop_front();
    return front;
  }
};

TEST(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  auto server = StartOrDie(LocalOptions(), Echo());
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  HttpTestClient client(server->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(HttpRequestText("GET", "/v2/a%20b?x=1", "", "X-Test: one\r\n")));
  HttpReply first = client.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "GET /v2/a b?x=1|");
  EXPECT_EQ(first.Header("x-test"), "one");
  EXPECT_EQ(first.Header("content-type"), "text/plain");
  ASSERT_TRUE(client.Send(HttpRequestText("POST", "/infer", "{\"x\":1}")));
  HttpReply second = client.Read();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "POST /infer?|{\"x\":1}");
  EXPECT_NE(second.Header("connection"), "close");
}

TEST(HttpServerTest, Http10WithoutKeepAliveIsAnsweredAndClosed) {
  auto server = StartOrDie(LocalOptions(), Echo());
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\n\r\n"));
  HttpReply reply = client.Read();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "GET /old?|");
  EXPECT_TRUE(client.ReadsEof());
}

TEST(HttpServerTest, RequestCarriesHeadersRemoteAndIds) {
  std::mutex mu;
  std::vector<HttpRequest> seen;
  auto server = StartOrDie(LocalOptions(), [&](HttpRequest request, Responder respond) {
    {
      std::lock_guard lock(mu);
      seen.push_back(request);
    }
    respond(HttpResponse::Error(404, "no such route"));
  });
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  ASSERT_TRUE(client.Send(HttpRequestText("GET", "/x", "", "X-Mixed-Case: Value\r\n")));
  HttpReply reply = client.Read();
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body, "{\"error\":\"no such route\"}");
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  ASSERT_TRUE(client.Send(HttpRequestText("GET", "/y")));
  EXPECT_EQ(client.Read().status, 404);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("x-mixed-case"), "Value");
  EXPECT_TRUE(seen[0].HasHeader("host"));
  EXPECT_FALSE(seen[0].HasHeader("X-Mixed-Case"));  // names are lower-cased
  EXPECT_EQ(seen[0].remote.rfind("127.0.0.1:", 0), 0u) << seen[0].remote;
  EXPECT_FALSE(seen[0].tls);
  EXPECT_NE(seen[0].id, seen[1].id);
  ASSERT_TRUE(seen[0].client_gone);
  EXPECT_FALSE(seen[0].client_gone->cancelled());
}

TEST(HttpServerTest, ConcurrentClientsAnsweredFromWorkerThreads) {
  // The handler queues; two worker threads answer. Four clients, keep-alive, two io threads.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<HttpRequest, Responder>> queue;
  bool done = false;
  HttpServerOptions options = LocalOptions();
  options.io_threads = 2;
  auto server = StartOrDie(options, [&](HttpRequest request, Responder respond) {
    std::lock_guard lock(mu);
    queue.emplace_back(std::move(request), std::move(respond));
    cv.notify_one();
  });
  ASSERT_TRUE(server);
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return done || !queue.empty(); });
        if (queue.empty()) return;
        auto [request, respond] = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        HttpResponse response;
        response.body = request.path;
        respond(response);
        respond(HttpResponse::Error(500, "a second answer is ignored"));
      }
    });
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      HttpTestClient client(server->port());
      for (int i = 0; i < 5; ++i) {
        std::string path = "/c" + std::to_string(c) + "/r" + std::to_string(i);
        if (!client.Send(HttpRequestText("GET", path))) return;
        HttpReply reply = client.Read();
        if (reply.status == 200 && reply.body == path) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  for (auto& t : workers) t.join();
  EXPECT_EQ(ok.load(), 20);
  server->Stop(0);
}

TEST(HttpServerTest, OversizedContentLengthIs413WithoutReadingTheBody) {
  std::atomic<int> calls{0};
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 1024;
  auto server = StartOrDie(options, [&](HttpRequest, Responder respond) {
    ++calls;
    respond(HttpResponse{});
  });
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  // Only the headers are sent: the answer must come without the body.
  ASSERT_TRUE(
      client.Send("POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\n"
                  "Content-Length: 10000000\r\n\r\n"));
  HttpReply reply = client.Read();
  EXPECT_EQ(reply.status, 413);
  EXPECT_TRUE(HasSubstr(reply.body, "request body of 10000000 bytes is over the limit of 1024"));
  EXPECT_EQ(reply.Header("connection"), "close");
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 16;
  auto server = StartOrDie(options, Echo());
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n"));
  EXPECT_EQ(client.Read().status, 413);
}

TEST(HttpServerTest, HugeHeadersAre431) {
  HttpServerOptions options = LocalOptions();
  options.max_header_bytes = 1024;
  auto server = StartOrDie(options, Echo());
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  ASSERT_TRUE(
      client.Send(HttpRequestText("GET", "/", "", "X-Big: " + std::string(4000, 'a') + "\r\n")));
  HttpReply reply = client.Read();
  EXPECT_EQ(reply.status, 431);
  EXPECT_TRUE(HasSubstr(reply.body, "over the limit of 1024 bytes"));
  EXPECT_TRUE(client.ReadsEof());
}

TEST(HttpServerTest, MalformedRequestIs400AndTheServerKeepsServing) {
  auto server = StartOrDie(LocalOptions(), Echo());
  ASSERT_TRUE(server);
  for (const std::string bad :
       {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "\x01\x02\x03\r\n\r\n"}) {
    HttpTestClient client(server->port());
    ASSERT_TRUE(client.Send(bad));
    HttpReply reply = client.Read();
    EXPECT_EQ(reply.status, 400) << bad;
    EXPECT_TRUE(HasSubstr(reply.body, "\"error\"")) << bad;
    EXPECT_TRUE(client.ReadsEof()) << bad;
  }
  HttpTestClient good(server->port());
  ASSERT_TRUE(good.Send(HttpRequestText("GET", "/fine")));
  EXPECT_EQ(good.Read().status, 200);
}

TEST(HttpServerTest, ConcurrentSlowlorisIsCutOffWhileOthersAreServed) {
  HttpServerOptions options = LocalOptions();
  options.header_timeout_s = 0.3;
  auto server = StartOrDie(options, Echo());
  ASSERT_TRUE(server);
  HttpTestClient slow(server->port());
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\n"));
  bool served_meanwhile = false;
  bool cut_off = false;
  // One header byte every 20 ms, never finishing; a minute of it is far past 0.3 s.
  for (int i = 0; i < 3000 && !cut_off; ++i) {
    if (!slow.Send(i == 0 ? "X-Slow: " : "a") || slow.ClosedByPeer()) {
      cut_off = true;
      break;
    }
    if (i == 2) {
      HttpTestClient other(server->port());
      served_meanwhile = other.Send(HttpRequestText("GET", "/other")) && other.Read().status == 200;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served_meanwhile);
  EXPECT_TRUE(cut_off);
}

TEST(HttpServerTest, HeadersOrABodyTooSlowAreAnswered408AndTheConnectionCloses) {
  HttpServerOptions options = LocalOptions();
  options.header_timeout_s = 0.2;
  options.body_timeout_s = 0.2;
  auto server = StartOrDie(options, Echo());
  ASSERT_TRUE(server);
  {
    HttpTestClient client(server->port());
    ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n"));  // and the rest never comes
    HttpReply reply = client.Read();
    EXPECT_EQ(reply.status, 408);
    EXPECT_NE(reply.body.find("\"error\":\"the request's headers did not arrive within 0.2 s"),
              std::string::npos)
        << reply.body;
    EXPECT_TRUE(client.ReadsEof());
  }
  {
    HttpTestClient client(server->port());
    ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    HttpReply reply = client.Read();
    EXPECT_EQ(reply.status, 408);
    EXPECT_NE(reply.body.find("the request's body did not arrive"), std::string::npos)
        << reply.body;
  }
  HttpTestClient other(server->port());  // and the server serves on
  ASSERT_TRUE(other.Send(HttpRequestText("GET", "/after")));
  EXPECT_EQ(other.Read().status, 200);
}

TEST(HttpServerTest, ConnectionsBeyondMaxConnectionsAreTurnedAway) {
  HttpServerOptions options = LocalOptions();
  options.max_connections = 2;
  auto server = StartOrDie(options, Echo());
  ASSERT_TRUE(server);
  auto first = std::make_unique<HttpTestClient>(server->port());
  HttpTestClient second(server->port());
  ASSERT_TRUE(WaitUntil([&] { return server->open_connections() == 2; }));
  {
    HttpTestClient third(server->port());
    third.Send(HttpRequestText("GET", "/third"));
    HttpReply reply = third.Read();
    // A 503 when it got through before the close, else a plain close.
    EXPECT_TRUE(reply.status == 503 || reply.status == 0) << reply.status;
  }
  ASSERT_TRUE(second.Send(HttpRequestText("GET", "/second")));
  EXPECT_EQ(second.Read().status, 200);
  first.reset();
  ASSERT_TRUE(WaitUntil([&] { return server->open_connections() == 1; }));
  HttpTestClient fourth(server->port());
  ASSERT_TRUE(fourth.Send(HttpRequestText("GET", "/fourth")));
  EXPECT_EQ(fourth.Read().status, 200);
}

TEST(HttpServerTest, ConcurrentClientGoneIsCancelledWhenTheClientCloses) {
  Held held;
  auto server = StartOrDie(LocalOptions(), held.handler());
  ASSERT_TRUE(server);
  auto client = std::make_unique<HttpTestClient>(server->port());
  ASSERT_TRUE(client->Send(HttpRequestText("POST", "/v2/models/m/infer", "{}")));
  auto [request, respond] = held.Take();
  ASSERT_TRUE(request.client_gone);
  EXPECT_FALSE(request.client_gone->cancelled());
  client.reset();
  EXPECT_TRUE(WaitUntil([&] { return request.client_gone->cancelled(); }));
  respond(HttpResponse{});  // to a connection that is gone: nothing happens
  EXPECT_TRUE(WaitUntil([&] { return server->open_connections() == 0; }));
}

TEST(HttpServerTest, ConcurrentStopWaitsForTheRequestInFlightAndRefusesNewConnections) {
  Held held;
  auto server = StartOrDie(LocalOptions(), held.handler());
  ASSERT_TRUE(server);
  uint16_t port = server->port();
  HttpTestClient client(port);
  ASSERT_TRUE(client.Send(HttpRequestText("GET", "/slow")));
  auto [request, respond] = held.Take();
  std::thread stopper([&] { server->Stop(60); });
  // Once the listener is closed, connecting fails.
  EXPECT_TRUE(WaitUntil([&] { return !HttpTestClient(port).connected(); }));
  HttpResponse response;
  response.body = "late but answered";
  respond(response);
  HttpReply reply = client.Read();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "late but answered");
  EXPECT_EQ(reply.Header("connection"), "close");
  stopper.join();
  server->Stop(0);  // idempotent
  EXPECT_FALSE(HttpTestClient(port).connected());
}

TEST(HttpServerTest, StopWithoutGraceClosesHeldRequests) {
  Held held;
  auto server = StartOrDie(LocalOptions(), held.handler());
  ASSERT_TRUE(server);
  HttpTestClient client(server->port());
  ASSERT_TRUE(client.Send(HttpRequestText("GET", "/never")));
  auto [request, respond] = held.Take();
  server->Stop(0);
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_TRUE(request.client_gone->cancelled());
  respond(HttpResponse{});  // after Stop: nothing happens
  server.reset();
  respond(HttpResponse{});  // after the server is gone too
}

TEST(HttpServerTest, StartErrorsNameTheProblem) {
  HttpServerOptions options = LocalOptions();
  options.host = "not-an-address";
  auto bad_host = HttpServer::Start(options, Echo());
  ASSERT_FALSE(bad_host.ok());
  EXPECT_TRUE(HasSubstr(bad_host.status().message(), "not-an-address"));

  auto first = StartOrDie(LocalOptions(), Echo());
  ASSERT_TRUE(first);
  options = LocalOptions();
  options.port = first->port();
  auto taken = HttpServer::Start(options, Echo());
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), StatusCode::kBusy);
  EXPECT_TRUE(HasSubstr(taken.status().message(), std::to_string(first->port())));
}

TEST(HttpServerTest, ParseHttpRequestAppliesTheServersRules) {
  HttpServerOptions options;
  options.max_body_bytes = 8;
  auto ok = ParseHttpRequest(
      "POST /a%2Fb/c?q=%20 HTTP/1.1\r\nHost: x\r\nX-Key: V\r\nContent-Length: 3\r\n\r\nabc",
      options);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->method, "POST");
  EXPECT_EQ(ok->path, "/a/b/c");
  EXPECT_EQ(ok->query, "q=%20");
  EXPECT_EQ(ok->Header("x-key"), "V");
  EXPECT_EQ(ok->body, "abc");

  auto chunked = ParseHttpRequest(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      options);
  ASSERT_TRUE(chunked.ok()) << chunked.status().ToString();
  EXPECT_EQ(chunked->body, "abcde");

  auto absolute = ParseHttpRequest("GET http://host:1/p?x HTTP/1.1\r\n\r\n", options);
  ASSERT_TRUE(absolute.ok()) << absolute.status().ToString();
  EXPECT_EQ(absolute->path, "/p");
  EXPECT_EQ(absolute->query, "x");

  auto big = ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", options);
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ParseHttpRequest("GET /%00 HTTP/1.1\r\n\r\n", options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/1.1\r\nHost: x\r\n", options).status().code(),
            StatusCode::kInvalidArgument);  // cut short
  EXPECT_EQ(
      ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", options).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseHttpRequest("", options).ok());
  options.max_header_bytes = 64;
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", options)
                .status()
                .code(),
            StatusCode::kResourceExhausted);
}

// Runs `command` through the shell; its standard output, and its exit status in *status.
std::string RunShell(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    *status = -1;
    return out;
  }
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0) out.append(chunk, n);
  int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// A self-signed certificate for localhost, made with the openssl command.
bool MakeCertificate(const test_util::TempDir& dir, std::string* cert, std::string* key) {
  *cert = dir / "cert.pem";
  *key = dir / "key.pem";
  int status = 0;
  RunShell("openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + *key + "' -out '" + *cert +
               "' -days 1 -subj /CN=localhost 2>&1",
           &status);
  return status == 0;
}

TEST(HttpServerTest, ServesHttpsWithTheGivenCertificate) {
  test_util::TempDir dir;
  HttpServerOptions options = LocalOptions();
  ASSERT_TRUE(MakeCertificate(dir, &options.tls_cert_file, &options.tls_key_file));
  std::atomic<bool> saw_tls{false};
  auto server = StartOrDie(options, [&](HttpRequest request, Responder respond) {
    saw_tls = request.tls;
    Echo()(std::move(request), std::move(respond));
  });
  ASSERT_TRUE(server);
  std::string base = "https://127.0.0.1:" + std::to_string(server->port());
  int status = 0;
  // Two URLs: curl sends both over one kept-alive TLS connection.
  std::string out = RunShell(
      "curl -sSk --max-time 60 -d hello '" + base + "/secure?x=1' '" + base + "/again' 2>&1",
      &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "POST /secure?x=1|helloPOST /again?|hello");
  EXPECT_TRUE(saw_tls.load());
  // Plain HTTP to the HTTPS port gets no answer.
  HttpTestClient plain(server->port());
  plain.Send(HttpRequestText("GET", "/"));
  EXPECT_NE(plain.Read().status, 200);
}

TEST(HttpServerTest, ConcurrentTlsClientGoneIsCancelledWhenTheClientCloses) {
  test_util::TempDir dir;
  HttpServerOptions options = LocalOptions();
  ASSERT_TRUE(MakeCertificate(dir, &options.tls_cert_file, &options.tls_key_file));
  Held held;
  auto server = StartOrDie(options, held.handler());
  ASSERT_TRUE(server);
  int status = 0;
  // curl gives up after a second, while the handler still holds the request.
  std::thread curl([&] {
    RunShell(
        "curl -sk --max-time 1 https://127.0.0.1:" + std::to_string(server->port()) + "/held 2>&1",
        &status);
  });
  auto [request, respond] = held.Take();
  EXPECT_TRUE(request.tls);
  EXPECT_TRUE(WaitUntil([&] { return request.client_gone->cancelled(); }));
  curl.join();
  respond(HttpResponse{});
}

TEST(HttpServerTest, TlsFileErrorsNameTheFile) {
  test_util::TempDir dir;
  HttpServerOptions options = LocalOptions();
  options.tls_cert_file = dir / "missing.pem";
  options.tls_key_file = dir / "missing-key.pem";
  auto missing = HttpServer::Start(options, Echo());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(HasSubstr(missing.status().message(), dir / "missing.pem"));

  ASSERT_TRUE(WriteFileAtomic(dir / "garbage.pem", std::string("not a certificate")).ok());
  std::string cert, key;
  ASSERT_TRUE(MakeCertificate(dir, &cert, &key));
  options.tls_cert_file = dir / "garbage.pem";
  options.tls_key_file = key;
  auto garbage = HttpServer::Start(options, Echo());
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(
      HasSubstr(garbage.status().message(), "certificate chain from '" + (dir / "garbage.pem")));

  options.tls_cert_file = cert;
  options.tls_key_file = "";
  auto half = HttpServer::Start(options, Echo());
  ASSERT_FALSE(half.ok());
  EXPECT_TRUE(HasSubstr(half.status().message(), "both"));
}

}  // namespace
}  // namespace ipfs_accelerate::server
