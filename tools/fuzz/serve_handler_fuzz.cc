// Fuzzes the server's request path end to end, without sockets: bytes → the HTTP parser the
// server uses (ParseHttpRequest) → the application's handler (routes, keys, KServe v2 decoding,
// the router with a real model, batching) → the response. Every request must be answered exactly
// once, with a status from 200 to 599, and every error must be a JSON object {"error": "..."}.
// The model is a one-node ONNX graph (Identity on FP32 [-1, 4]) written at start-up; a user key
// "fuzz-user-key-0123456789" and an admin key "fuzz-admin-key-0123456789" are configured.
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "router/router.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/http_server.h"

namespace {

using namespace ipfs_accelerate;

std::string WriteModel() {
  char templ[] = "/tmp/serve_handler_fuzz_XXXXXX";
  const char* dir = mkdtemp(templ);
  if (!dir) std::abort();
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("identity");
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("Identity");
  n->set_name("id");
  n->add_input("x");
  n->add_output("y");
  for (auto [list, name] : {std::pair{g->add_input(), "x"}, std::pair{g->add_output(), "y"}}) {
    list->set_name(name);
    auto* t = list->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("batch");
    t->mutable_shape()->add_dim()->set_dim_value(4);
  }
  std::string path = std::string(dir) + "/model.onnx";
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

struct Fixture {
  router::Router router{{.repo = "/nonexistent-repo", .cores = 1, .parallel_requests = 1}};
  server::AuthPolicy auth;
  std::unique_ptr<server::App> app;
  Fixture() {
    auto user = server::ApiKeys::FromKeys({"fuzz-user-key-0123456789"}, "fuzz");
    auto admin = server::ApiKeys::FromKeys({"fuzz-admin-key-0123456789"}, "fuzz");
    if (!user.ok() || !admin.ok()) std::abort();
    auth = server::AuthPolicy(*user, *admin);
    if (!router.AddModel("id", WriteModel(), {.max_batch_size = 4}).ok()) std::abort();
    app = std::make_unique<server::App>(
        router,
        server::AppHooks{.authorize = [this](const server::HttpRequest& r,
                                             server::RouteClass c) { return auth.Authorize(r, c); },
                         .metrics = [] { return std::string("# metrics\n"); }});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  server::HttpServerOptions limits;
  limits.max_body_bytes = 1 << 20;
  auto request =
      server::ParseHttpRequest(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!request.ok()) {
    if (request.status().message().empty()) std::abort();
    return 0;
  }
  request->client_gone = std::make_shared<CancelToken>();
  auto answered = std::make_shared<std::promise<server::HttpResponse>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  f->app->Handle(std::move(*request), [answered, calls](server::HttpResponse r) {
    if (calls->fetch_add(1) != 0) std::abort();  // answered twice
    answered->set_value(std::move(r));
  });
  server::HttpResponse r = answered->get_future().get();
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.status >= 400) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) std::abort();
  }
  return 0;
}
