// serve: the models over HTTP (KServe v2), on the router.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include "browser/backend.h"
#include "browser/hub.h"
#include "browser/launcher.h"
#include "browser/routes.h"
#include "cli/cli.h"
#include "core/cancel.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/memory_budget.h"
#include "core/parse_number.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "hardware/platform.h"
#include "net/mdns.h"
#include "net/multiaddr.h"
#include "net/peer_id.h"
#include "router/fetch_config.h"
#include "router/providers.h"
#include "router/remote.h"
#include "router/router.h"
#include "router/task_models.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace ipfs_accelerate::cli {
namespace {

struct ServeOpts {
  std::string listen, api_key_file, admin_key_file, tls_cert, tls_key, memory_budget;
  std::vector<std::string> models, settings;
  int parallel = 0, threads = 0, io_threads = 2;
  std::string hardware = "cpu";
  std::vector<std::string> backends;
  bool launch_browser = false;
  int64_t max_batch_size = -1, max_queue_delay_us = -1, max_queue_size = -1;
  std::vector<int64_t> preferred;
  double timeout = -1, grace = 30, header_timeout = 10;
  std::string max_body = "64MiB";
  bool insecure_no_auth = false, no_optimize = false, offline = false;
  std::string precision = "fp32";
  std::string remote;              // "" for the configuration's remote.mode
  std::vector<std::string> peers;  // --peer
  bool mdns = false;               // --mdns (or discovery.mdns)
};

// "HOST:PORT", "[::1]:PORT" or ":PORT".
Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen wants HOST:PORT (127.0.0.1:8000), got \"" + text +
                                   "\"");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  IA_ASSIGN_OR_RETURN(int64_t port, ParseInt(text.substr(colon + 1), "--listen port", 0, 65535));
  return std::make_pair(host, static_cast<uint16_t>(port));
}

// --model-settings NAME=JSON|@FILE, by name: the text and where it came from.
Result<std::map<std::string, std::pair<std::string, std::string>>> ParseSettings(
    const std::vector<std::string>& specs) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--model-settings wants NAME=JSON or NAME=@FILE, got \"" +
                                     spec + "\"");
    }
    std::string name = spec.substr(0, eq), text = spec.substr(eq + 1),
                where = "--model-settings " + name;
    if (!text.empty() && text[0] == '@') {
      where = text.substr(1);
      IA_ASSIGN_OR_RETURN(text, ReadFile(where));
    }
    out[name] = {text, where};
  }
  return out;
}

// What mDNS uses when `serve` listens on `host`: the interface of that address, or every one when
// it listens on all (0.0.0.0); discovery.mdns_interfaces overrides. A loopback address is an
// error: no other machine could reach what would be announced.
Result<net::MdnsOptions> MdnsOptionsFor(const Config& config, const std::string& host) {
  if (server::IsLoopbackHost(host) || host == "localhost") {
    return Status::InvalidArgument(
        "--mdns announces this node to the local network, but it listens on " + host +
        ", which no other machine can reach: listen on the LAN address (--listen 0.0.0.0:8000 or "
        "the interface's address) and give the server API keys (--api-key-file)");
  }
  net::MdnsOptions options{.interfaces = config.List("discovery.mdns_interfaces")};
  if (options.interfaces.empty() && host != "0.0.0.0" && host != "::") {
    options.interfaces = {host};
  }
  return options;
}

int Serve(Context& ctx, const ServeOpts& o) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  // Flags win over the configuration (command line > environment > files > defaults).
  auto pick = [&](const std::string& flag, const char* key) {
    return flag.empty() ? config->String(key) : flag;
  };
  std::string log_file = config->String("logging.file");
  auto level = ParseLogLevel(config->String("logging.level"));
  if (!level.ok()) return Fail(level.status());
  if (Status s = ProcessLogger().Configure(*level, log_file); !s.ok()) return Fail(s);

  auto listen = ParseListen(pick(o.listen, "serve.listen"));
  if (!listen.ok()) return Fail(listen.status());
  const bool mdns = o.mdns || config->Bool("discovery.mdns");
  net::MdnsOptions mdns_options;
  if (mdns) {
    auto options = MdnsOptionsFor(*config, listen->first);
    if (!options.ok()) return Fail(options.status());
    mdns_options = std::move(options).value();
  }
  auto auth = server::AuthPolicy::Load(pick(o.api_key_file, "serve.api_key_file"),
                                       pick(o.admin_key_file, "serve.admin_key_file"));
  if (!auth.ok()) return Fail(auth.status());
  if (Status s = server::RequireAuthFor(listen->first, auth->has_keys(), o.insecure_no_auth);
      !s.ok()) {
    return Fail(s);
  }
  auto gateway_auth = server::ParseGatewayAuth(config->String("serve.gateway_auth"));
  if (!gateway_auth.ok()) return Fail(gateway_auth.status());
  uint64_t budget = config->Bytes("performance.cache_size");
  if (!o.memory_budget.empty()) {
    auto b = ParseByteSize(o.memory_budget, "--memory-budget");
    if (!b.ok()) return Fail(b.status());
    budget = *b;
  }
  auto max_body = ParseByteSize(o.max_body, "--max-body-size");
  if (!max_body.ok()) return Fail(max_body.status());

  router::ModelSettings defaults;
  if (o.max_batch_size >= 0) defaults.max_batch_size = o.max_batch_size;
  if (o.max_queue_delay_us >= 0) defaults.max_queue_delay_us = o.max_queue_delay_us;
  if (o.max_queue_size > 0) defaults.max_queue_size = o.max_queue_size;
  if (!o.preferred.empty()) defaults.preferred_batch_sizes = o.preferred;
  if (o.timeout >= 0) defaults.timeout_s = o.timeout;
  auto per_model = ParseSettings(o.settings);
  if (!per_model.ok()) return Fail(per_model.status());
  auto precision = engine::ParsePrecision(o.precision);
  if (!precision.ok()) return Fail(precision.status());
  // The models run where --hardware says (the engine's sessions: the CPU in this build).
  auto hw_choice = ResolveHardware(ctx, *config, o.hardware, nullptr, *precision);
  if (!hw_choice.ok()) return Fail(hw_choice.status());
  // Browser workers attach at /browser/ws; their execution providers are backends like the CPU.
  // The hub outlives the router, whose sessions run on it.
  browser::Hub hub({.gateway = config->String("browser.gateway"),
                    .load_timeout_s = config->Number("browser.load_timeout_s"),
                    .run_timeout_s = config->Number("browser.run_timeout_s")});
  engine::BackendRegistry backends = engine::BuiltinBackends();
  browser::AddBrowserBackends(backends, &hub);
  std::vector<std::string> backend_names = o.backends;
  if (hw_choice->platform != "cpu")
    backend_names.insert(backend_names.begin(), hw_choice->platform);
  for (const std::string& name : backend_names) {
    if (auto found = backends.Find(name); !found.ok()) return Fail(found.status());
  }

  auto router_owner = std::make_unique<router::Router>(router::RouterOptions{
      .repo = ctx.repo_flag,
      .cores = o.threads,
      .parallel_requests = o.parallel > 0
                               ? o.parallel
                               : static_cast<int>(config->Int("performance.parallel_requests")),
      .memory_budget = budget,
      // An idle model's request runs on the I/O thread that read it; one I/O thread always stays
      // free for the network.
      .caller_runs = std::max(0, o.io_threads - 1),
      .optimize = !o.no_optimize,
      .precision = *precision,
      .backends = backend_names,
      .registry = &backends,
      .defaults = defaults,
      .on_miss = router::MissPolicyFromConfig(*config, o.offline)});
  router::Router& router = *router_owner;
  router::TaskModels tasks;
  for (const std::string& spec : o.models) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return Fail(
          Status::InvalidArgument("--model wants NAME=REF (bert=./bert-base/ or "
                                  "bert=bafy…), got \"" +
                                  spec + "\""));
    }
    std::string name = spec.substr(0, eq);
    std::string ref = spec.substr(eq + 1);
    // Fetched now when missing, so that its serving.json is read and the first request waits for
    // nothing.
    if (Status s = FetchIfMissing(ctx, *config, ref, o.offline, false); !s.ok()) return Fail(s);
    // A package with a tokenizer serves its task (OpenAI-compatible routes), not tensors.
    if (router::IsTaskPackage(ctx.repo_flag, ref)) {
      if (Status s = tasks.Add(name, ctx.repo_flag, ref, {.threads = o.threads}); !s.ok()) {
        return Fail(s.WithContext("--model " + name));
      }
      continue;
    }
    // The flags, then a serving.json beside the model, then --model-settings.
    auto settings = router::ReadServingManifest(ctx.repo_flag, ref, defaults);
    if (settings.ok()) {
      if (auto it = per_model->find(name); it != per_model->end()) {
        settings = router::ModelSettings::FromJson(it->second.first, it->second.second, *settings);
      }
    }
    if (!settings.ok()) return Fail(settings.status());
    if (Status s = router.AddModel(name, ref, *settings); !s.ok()) return Fail(s);
  }
  for (const auto& [name, s] : *per_model) {
    bool known = false;
    for (const std::string& spec : o.models) known |= spec.rfind(name + "=", 0) == 0;
    if (!known)
      return Fail(
          Status::InvalidArgument("--model-settings names '" + name + "', which no --model gives"));
  }

  // The node's PeerID (made on the first start, REPO/keystore/identity) for its routing records.
  auto identity = net::NodeIdentity::LoadOrCreate(ctx.repo_flag);
  if (!identity.ok() && identity.status().code() == StatusCode::kIoError) {
    // A read-only repository can still be served; only the PeerID does not last.
    Log(LogLevel::kWarning,
        "serve: " + identity.status().message() + "; using a PeerID for this run only");
    identity = net::NodeIdentity::Generate();
  }
  if (!identity.ok()) return Fail(identity.status());
  router::ProviderDirectory providers(ctx.repo_flag);

  // Remote inference: what this node publishes for its peers, and where its requests may go.
  auto policy = router::RemotePolicyFromConfig(*config, o.remote, o.peers, mdns);
  if (!policy.ok()) return Fail(policy.status());
  policy->self_peer_id = identity->peer_id();
  // Also without --remote, known peers are asked what they serve, so that this node's routing
  // answers list them (GET /routing/v1/providers/{cid}).
  std::unique_ptr<router::RemoteInference> remote;
  if (policy->mode != router::RemoteMode::kNever || !policy->peers.empty() || mdns) {
    remote = std::make_unique<router::RemoteInference>(*policy, &router);
  }
  const bool forwards = policy->mode != router::RemoteMode::kNever;
  hardware::HardwareReport hw = hardware::DetectHardware(*hardware::RealSystemView(), *config);
  std::vector<hardware::PlatformInfo> usable = hardware::AvailableByPriority(hw);
  std::string platform = usable.empty() ? "cpu" : usable.front().name;
  nlohmann::json hw_json = hardware::ToJson(hw);

  std::atomic<server::HttpServer*> http_server{nullptr};  // set once it listens
  server::Metrics metrics([&router] { return router.Stats(); },
                          [&http_server] {
                            server::HttpServer* s = http_server.load();
                            return s ? s->open_connections() : 0;
                          });
  if (forwards) metrics.set_remote([&remote] { return remote->Stats(); });
  metrics.set_hardware_fallbacks(static_cast<int64_t>(hw_choice->fallbacks.size()));
  metrics.set_extra([&hub] { return browser::HubMetrics(hub); });
  server::App app(
      router, {.authorize = [&auth](const server::HttpRequest& r,
                                    server::RouteClass a) { return auth->Authorize(r, a); },
               .metrics = [&metrics] { return metrics.Text(); },
               .count_response = [&metrics](int status) { metrics.CountResponse(status); },
               .log_request = [](const nlohmann::json& record) { LogJson(record); },
               .gateway_auth = *gateway_auth,
               .providers = &providers,
               .remote = remote.get(),
               .node_status =
                   [&] {
                     return router::NodeStatusJson(
                         router::LocalNodeStatus(router, identity->peer_id(), platform, hw_json));
                   },
               .tasks = &tasks,
               .mounts = browser::BrowserMounts(
                   &hub, browser::OrtWebDir(config->String("browser.ort_dir")))});
  server::HttpServerOptions http{.host = listen->first,
                                 .port = listen->second,
                                 .io_threads = o.io_threads,
                                 .max_body_bytes = *max_body,
                                 .header_timeout_s = o.header_timeout,
                                 .tls_cert_file = pick(o.tls_cert, "serve.tls_cert"),
                                 .tls_key_file = pick(o.tls_key, "serve.tls_key")};
  if (http.tls_cert_file.empty() != http.tls_key_file.empty()) {
    return Fail(Status::InvalidArgument("TLS needs both --tls-cert and --tls-key"));
  }
  auto server =
      server::HttpServer::Start(http, [&app](server::HttpRequest r, server::Responder respond) {
        app.Handle(std::move(r), std::move(respond));
      });
  if (!server.ok()) return Fail(server.status());
  http_server = server->get();
  // Nodes on the local network: this one announced, the others found (mDNS, off by default).
  std::unique_ptr<net::MdnsNode> lan;
  if (mdns) {
    mdns_options.announce =
        net::MdnsAnnouncement{identity->peer_id(), (*server)->port(), !http.tls_cert_file.empty()};
    auto started = net::MdnsNode::Start(std::move(mdns_options));
    if (!started.ok()) return Fail(started.status());
    lan = std::move(started).value();
  }
  providers.SetSelf(identity->peer_id(), {net::HttpMultiaddr(listen->first, (*server)->port(),
                                                             !http.tls_cert_file.empty())});

  std::string scheme = http.tls_cert_file.empty() ? "http" : "https";
  std::string host =
      listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first;
  // A headless browser on this machine as a worker (it attaches like any other).
  std::unique_ptr<browser::LaunchedBrowser> local_browser;
  if (o.launch_browser || config->Bool("browser.launch")) {
    std::string path = browser::FindBrowser(config->String("browser.path"));
    std::string local = server::IsLoopbackHost(listen->first) ? host : "127.0.0.1";
    if (local == "0.0.0.0" || local == "[::]") local = "127.0.0.1";
    auto launched = browser::LaunchedBrowser::Launch(
        path,
        scheme + "://" + local + ":" + std::to_string((*server)->port()) + "/browser/?name=local");
    if (!launched.ok()) return Fail(launched.status().WithContext("--launch-browser"));
    local_browser = std::move(launched).value();
    Log(LogLevel::kInfo, "serve: started " + path + " headless as a local browser worker");
  }
  std::printf("serve: listening on %s://%s:%u (%s, %d at once × %d threads)\n", scheme.c_str(),
              host.c_str(), (*server)->port(), Plural(o.models.size(), "model").c_str(),
              router.options().parallel_requests, router.threads_per_run());
  std::fflush(stdout);
  Log(LogLevel::kInfo,
      "serve: listening on " + scheme + "://" + host + ":" + std::to_string((*server)->port()));
  Log(LogLevel::kInfo, "serve: PeerID " + identity->peer_id() +
                           " (GET /routing/v1/providers/{cid} lists it for what REPO holds)");

  CancelToken stop;
  ScopedSignalCancel on_signal(&stop);
  auto next_refresh = std::chrono::steady_clock::now();
  std::vector<std::string> lan_seen;
  while (!stop.cancelled()) {
    // A node that appears or leaves on the LAN is published at once, the rest every 10 s.
    bool changed = false;
    if (lan) {
      std::vector<router::Peer> peers;
      std::vector<std::string> urls;
      for (const net::MdnsPeer& p : lan->Peers()) {
        if (p.peer_id == identity->peer_id()) continue;
        peers.push_back({.url = p.Url(), .key = config->String("discovery.key")});
        urls.push_back(p.Url());
      }
      if (urls != lan_seen) {
        for (const std::string& url : urls) {
          if (std::find(lan_seen.begin(), lan_seen.end(), url) == lan_seen.end()) {
            Log(LogLevel::kInfo, "serve: found " + url + " on the local network (mDNS)");
          }
        }
        lan_seen = urls;
        remote->SetLanPeers(std::move(peers));
        changed = true;
      }
    }
    if (remote && (changed || std::chrono::steady_clock::now() >= next_refresh)) {
      remote->PublishPeers(providers);
      next_refresh = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  lan.reset();  // goodbye to the local network first
  app.set_ready(false);
  std::fprintf(stderr, "serve: stopping; finishing requests in flight (up to %.0f s)\n", o.grace);
  (*server)->Stop(o.grace);
  // Requests still queued past the grace period are answered "shutting down" while the server's
  // io context still exists to take the answers (it drops them: their connections are closed).
  remote.reset();  // its peer calls finish (each within remote.timeout) and answer
  router_owner.reset();
  Log(LogLevel::kInfo, "serve: stopped");
  return 0;  // a clean stop on SIGTERM/SIGINT is success
}

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ServeOpts>();
  auto* serve = app.add_subcommand(
      "serve",
      "Serve models over HTTP: KServe v2 / Open Inference Protocol (JSON and binary tensors), "
      "dynamic batching, /metrics");
  serve->add_option("--listen", o->listen,
                    "HOST:PORT to listen on (default serve.listen, 127.0.0.1:8000; port 0 picks a "
                    "free port, printed on stdout)");
  serve->add_option("-m,--model", o->models,
                    "NAME=REF, once per model: REF is a file, a directory with model.onnx, or a "
                    "CID/alias in the store (models stored here are also served by CID); a "
                    "model package with tokenizer.json serves its task on the OpenAI-compatible "
                    "routes (/v1/completions, /v1/chat/completions, /v1/embeddings)");
  serve->add_option("--model-settings", o->settings,
                    "NAME=JSON or NAME=@FILE: that model's batching settings "
                    "({\"max_batch_size\": 8, \"max_queue_delay_us\": 500, …})");
  serve
      ->add_option("--max-batch-size", o->max_batch_size,
                   "Dynamic batching: merge requests up to N items along the batch dimension "
                   "(default 0: off)")
      ->check(CLI::Range(0, 65536));
  serve
      ->add_option("--max-queue-delay-us", o->max_queue_delay_us,
                   "Dynamic batching: how long a request may wait for others (default 0)")
      ->check(CLI::Range(0, 60'000'000));
  serve->add_option("--preferred-batch-size", o->preferred,
                    "Dynamic batching: batch sizes to run at once when reached (repeatable)");
  serve
      ->add_option("--max-queue-size", o->max_queue_size,
                   "Requests that may wait per model; beyond it: 429 (default 1024)")
      ->check(CLI::Range(1, 1 << 20));
  serve
      ->add_option("--request-timeout", o->timeout,
                   "Seconds a request may wait in the queue before 504 (default 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--memory-budget", o->memory_budget,
                    "Bytes of loaded models (512MiB, 4GiB); the least recently used idle model is "
                    "unloaded beyond it (default performance.cache_size, else 80% of memory)");
  serve
      ->add_option("--parallel-requests", o->parallel,
                   "Runs at once, sharing the cores (default performance.parallel_requests)")
      ->check(CLI::Range(1, 256));
  AddHardwareOption(serve, o->hardware);
  serve
      ->add_option("--backends", o->backends,
                   "Backends in priority order, comma-separated: cpu, reference, or a browser "
                   "worker's webgpu, webnn, wasm (each runs whole models; the CPU answers what "
                   "it fails)")
      ->delimiter(',');
  serve->add_flag("--launch-browser", o->launch_browser,
                  "Start a headless browser (browser.path, else chromium) as a local worker "
                  "(browser.launch)");
  serve->add_option("--threads", o->threads, "Cores to use in all (default 0: every core)")
      ->check(CLI::Range(0, 1024));
  serve->add_option("--io-threads", o->io_threads, "Threads for network I/O (default 2)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--api-key-file", o->api_key_file,
                    "File of API keys, one per line: every route but liveness then needs "
                    "'Authorization: Bearer KEY' (required to listen beyond loopback)");
  serve->add_option("--admin-key-file", o->admin_key_file,
                    "File of admin keys for load/unload, the repository index and /metrics");
  serve->add_flag("--insecure-no-auth", o->insecure_no_auth,
                  "Allow listening beyond loopback without an API key");
  serve->add_option("--tls-cert", o->tls_cert, "PEM certificate: serve HTTPS");
  serve->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert");
  serve->add_option("--max-body-size", o->max_body,
                    "Largest request body (default 64MiB); larger: 413");
  serve
      ->add_option("--header-timeout", o->header_timeout,
                   "Seconds a client has to send a request's headers (default 10)")
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--grace-period", o->grace,
                   "Seconds SIGTERM/SIGINT waits for requests in flight (default 30)")
      ->check(CLI::NonNegativeNumber);
  serve->add_flag("--no-optimize", o->no_optimize, "Run the graphs as written");
  AddPrecisionOption(serve, o->precision);
  AddOfflineFlag(serve, o->offline);
  AddRemoteFlags(serve, o->remote, o->peers);
  serve->add_flag("--mdns", o->mdns,
                  "Announce this node on the local network and use the nodes found there as "
                  "peers (multicast DNS, _ipfs-accelerate._tcp; default discovery.mdns, off). "
                  "Needs --listen on an address other machines reach");
  serve->callback([&ctx, o] { ctx.run = [&ctx, o] { return Serve(ctx, *o); }; });
}

}  // namespace ipfs_accelerate::cli
