// Fuzzes the server's request path end to end, without sockets: bytes → the HTTP parser the
// server uses (ParseHttpRequest) → the application's handler (routes, keys, KServe v2 decoding,
// the router with a real model, batching; the trustless gateway's raw and CAR answers with their
// dag-scope, entity-bytes and car-* parameters; the routing API; the node status) → the
// response, streamed bodies read to their end. Every request must be answered exactly once, with
// a status from 200 to 599, and every error must be a JSON object {"error": "..."}.
// The model is a one-node ONNX graph (Identity on FP32 [-1, 4]) written at start-up; a user key
// "fuzz-user-key-0123456789" and an admin key "fuzz-admin-key-0123456789" are configured. The
// repository holds a directory (the model and a 5000-byte file in 1 KiB chunks); the text
// CIDROOT in an input stands for the directory's CID and CIDFILE for the file's, so the corpus
// reaches stored content although CIDs are computed at start-up.
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/thread_pool.h"
#include "router/providers.h"
#include "router/remote.h"
#include "router/router.h"
#include "router/store_ops.h"
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

// A repository in a new temporary directory holding the model's directory and a chunked file.
std::string MakeRepo(const std::string& model_path, std::string* root, std::string* file) {
  std::string dir = model_path.substr(0, model_path.rfind('/'));
  std::string data(5000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  std::ofstream(dir + "/data.bin", std::ios::binary) << data;
  std::string repo_path = dir + "/repo";
  auto repo = store::Repo::Open(repo_path);
  if (!repo.ok()) std::abort();
  router::AddRequest add;
  add.options.chunk_size = 1024;
  add.paths = {dir};
  add.recursive = true;
  ThreadPool pool(1);
  auto added = router::AddPaths(repo->get(), add, &pool, {}, nullptr);
  if (!added.ok() || added->roots.size() != 1) std::abort();
  *root = added->roots[0].ToString();
  for (const auto& e : added->entries) {
    if (e.path.size() >= 8 && e.path.substr(e.path.size() - 8) == "data.bin") {
      *file = e.cid.ToString();
    }
  }
  return repo_path;
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

struct Fixture {
  std::string model = WriteModel();
  std::string root, file;
  std::string repo = MakeRepo(model, &root, &file);
  router::Router router{{.repo = repo, .cores = 1, .parallel_requests = 1}};
  router::ProviderDirectory providers{repo};
  server::AuthPolicy auth;
  std::unique_ptr<server::App> app;
  Fixture() {
    providers.SetSelf("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
                      {"/ip4/127.0.0.1/tcp/8000/http"});
    auto user = server::ApiKeys::FromKeys({"fuzz-user-key-0123456789"}, "fuzz");
    auto admin = server::ApiKeys::FromKeys({"fuzz-admin-key-0123456789"}, "fuzz");
    if (!user.ok() || !admin.ok()) std::abort();
    auth = server::AuthPolicy(*user, *admin);
    if (!router.AddModel("id", model, {.max_batch_size = 4}).ok()) std::abort();
    app = std::make_unique<server::App>(
        router,
        server::AppHooks{.authorize = [this](const server::HttpRequest& r,
                                             server::RouteClass c) { return auth.Authorize(r, c); },
                         .metrics = [] { return std::string("# metrics\n"); },
                         .providers = &providers,
                         .node_status =
                             [this] {
                               return router::NodeStatusJson(
                                   router::LocalNodeStatus(router, "p", "cpu", {}));
                             }});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  server::HttpServerOptions limits;
  limits.max_body_bytes = 1 << 20;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  ReplaceAll(bytes, "CIDROOT", f->root);
  ReplaceAll(bytes, "CIDFILE", f->file);
  auto request = server::ParseHttpRequest(bytes, limits);
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
  if (r.stream) {  // a CAR: read to its end (an error ends it early, as a broken connection)
    std::string piece;
    for (int pieces = 0;; ++pieces) {
      auto more = r.stream->Next(&piece);
      if (!more.ok()) {
        if (more.status().message().empty()) std::abort();
        break;
      }
      if (!*more) break;
      if (pieces > 100000) std::abort();  // a stream that never ends
      piece.clear();
    }
  }
  if (r.status >= 400) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) std::abort();
  }
  return 0;
}
