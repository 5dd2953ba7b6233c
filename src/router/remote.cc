#include "router/remote.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "core/json_util.h"
#include "core/log.h"
#include "net/http_client.h"
#include "net/multiaddr.h"
#include "net/peer_id.h"
#include "net/routing.h"
#include "router/fetch_on_miss.h"
#include "router/kserve.h"
#include "store/cid.h"

namespace ipfs_accelerate::router {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.001, seconds) * 1000));
}

std::vector<std::string> AuthHeaders(const Peer& peer) {
  std::vector<std::string> h;
  if (!peer.key.empty()) h.push_back("Authorization: Bearer " + peer.key);
  return h;
}

// The error a peer's non-200 answer stands for, with its {"error": …} message when it sent one.
Status PeerError(const Peer& peer, const net::HttpReply& reply) {
  std::string message;
  auto j = ParseJson(reply.body, "the peer's error");
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_string()) {
    message = (*j)["error"].get<std::string>();
  }
  std::string what = "peer " + PeerName(peer) + " answered " + std::to_string(reply.status) +
                     (message.empty() ? "" : ": " + message);
  if (reply.status == 404) return Status::NotFound(what);
  if (reply.status == 401 || reply.status == 403) {
    return Status::Unavailable(what + " (give its key as http://KEY@host:port)");
  }
  if (reply.status == 400 || reply.status == 413) return Status::InvalidArgument(what);
  return Status::Unavailable(what);
}

// The mean milliseconds of one execution, 0 when none was measured.
double ComputeMs(const ModelStats& s) {
  if (s.execution_count == 0) return 0;
  return (s.compute_input.ns + s.compute_infer.ns + s.compute_output.ns) / 1e6 /
         static_cast<double>(s.execution_count);
}

// Expected latency: compute time, stretched by the requests ahead of this one.
double WithQueue(double compute_ms, uint64_t queued, int parallel) {
  return compute_ms * (1.0 + static_cast<double>(queued) / std::max(1, parallel));
}

}  // namespace

Result<Peer> ParsePeer(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("peer '" + text + "': " + why +
                                   " (want http[s]://[KEY@]HOST:PORT, e.g. http://127.0.0.1:8001)");
  };
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return bad("not a URL");
  std::string scheme = text.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  std::string rest = text.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.find_first_of("?#") != std::string::npos) return bad("a query or fragment");
  Peer peer;
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    peer.key = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (peer.key.empty()) return bad("an empty key before '@'");
  }
  if (authority.empty()) return bad("no host");
  for (char c : authority + path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("a space or control byte");
  }
  peer.url = scheme + "://" + authority + path;
  return peer;
}

std::string PeerName(const Peer& peer) { return peer.url; }

Result<RemotePolicy> ParseRemotePolicy(const std::string& mode, std::vector<Peer> peers,
                                       std::vector<std::string> routers, bool lan) {
  RemotePolicy policy;
  policy.peers = std::move(peers);
  policy.routers = std::move(routers);
  if (mode.empty() || mode == "never") return policy;
  if (mode == "auto") {
    if (policy.peers.empty() && policy.routers.empty() && !lan) {
      return Status::InvalidArgument(
          "--remote auto needs peers to choose among: give --peer URL, the configuration's "
          "peers, ipfs.routers to find them, or (serve) --mdns to find them on the local "
          "network");
    }
    policy.mode = RemoteMode::kAuto;
    return policy;
  }
  auto peer = ParsePeer(mode);
  if (!peer.ok()) {
    return Status::InvalidArgument("--remote wants never, auto or a peer's URL; " +
                                   peer.status().message());
  }
  for (const Peer& known : policy.peers) {  // a configured peer's key
    if (known.url == peer->url && peer->key.empty()) peer->key = known.key;
  }
  policy.mode = RemoteMode::kPeer;
  policy.peer = *peer;
  return policy;
}

Result<RemotePolicy> RemotePolicyFromConfig(const Config& config, const std::string& remote_flag,
                                            const std::vector<std::string>& peer_flags, bool lan) {
  std::vector<Peer> peers;
  std::vector<std::string> texts = peer_flags;
  for (const std::string& t : config.List("peers")) texts.push_back(t);
  for (const std::string& text : texts) {
    IA_ASSIGN_OR_RETURN(Peer peer, ParsePeer(text));
    bool known = false;
    for (const Peer& p : peers) known |= p.url == peer.url;
    if (!known) peers.push_back(std::move(peer));
  }
  IA_ASSIGN_OR_RETURN(
      RemotePolicy policy,
      ParseRemotePolicy(remote_flag.empty() ? config.String("remote.mode") : remote_flag,
                        std::move(peers), config.List("ipfs.routers"), lan));
  policy.timeout_s = config.Number("remote.timeout");
  policy.ca_file = config.String("remote.ca_file");
  return policy;
}

const NodeModel* NodeStatus::Find(const std::string& cid) const {
  for (const NodeModel& m : models) {
    if (m.cid == cid) return &m;
  }
  return nullptr;
}

NodeStatus LocalNodeStatus(const Router& router, std::string peer_id, std::string platform,
                           nlohmann::json hardware) {
  NodeStatus s;
  s.peer_id = std::move(peer_id);
  s.platform = std::move(platform);
  s.cores = router.options().cores;
  s.parallel_requests = router.options().parallel_requests;
  s.hardware = std::move(hardware);
  for (const ModelStats& m : router.Stats()) {
    s.models.push_back({.name = m.name,
                        .cid = m.cid,
                        .loaded = m.loaded,
                        .compute_ms = ComputeMs(m),
                        .queued = m.queued});
  }
  return s;
}

nlohmann::json NodeStatusJson(const NodeStatus& s) {
  nlohmann::json models = nlohmann::json::array();
  for (const NodeModel& m : s.models) {
    models.push_back({{"name", m.name},
                      {"cid", m.cid},
                      {"loaded", m.loaded},
                      {"compute_ms", m.compute_ms},
                      {"queued", m.queued}});
  }
  return {{"peer_id", s.peer_id}, {"platform", s.platform},
          {"cores", s.cores},     {"parallel_requests", s.parallel_requests},
          {"models", models},     {"hardware", s.hardware}};
}

Result<NodeStatus> ParseNodeStatus(const nlohmann::json& j) {
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument("the node status " + why);
  };
  if (!j.is_object()) return bad("is not a JSON object");
  NodeStatus s;
  if (j.contains("peer_id")) {
    if (!j["peer_id"].is_string()) return bad("has a peer_id that is not a string");
    s.peer_id = j["peer_id"].get<std::string>();
  }
  if (j.contains("platform")) {
    if (!j["platform"].is_string()) return bad("has a platform that is not a string");
    s.platform = j["platform"].get<std::string>();
  }
  for (auto [key, field] :
       {std::pair{"cores", &s.cores}, std::pair{"parallel_requests", &s.parallel_requests}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 1 ||
        j[key].get<int64_t>() > 1 << 20) {
      return bad(std::string("has ") + key + " that is not a count ≥ 1");
    }
    *field = j[key].get<int>();
  }
  if (!j.contains("models") || !j["models"].is_array()) return bad("has no \"models\" list");
  for (const auto& m : j["models"]) {
    if (!m.is_object() || !m.contains("cid") || !m["cid"].is_string()) {
      return bad("lists a model without a \"cid\"");
    }
    NodeModel model;
    model.cid = m["cid"].get<std::string>();
    if (!store::Cid::Parse(model.cid).ok()) return bad("lists a model whose cid is not a CID");
    if (m.contains("name") && m["name"].is_string()) model.name = m["name"].get<std::string>();
    if (m.contains("loaded") && m["loaded"].is_boolean()) model.loaded = m["loaded"].get<bool>();
    if (m.contains("compute_ms")) {
      if (!m["compute_ms"].is_number() || !(m["compute_ms"].get<double>() >= 0) ||
          !std::isfinite(m["compute_ms"].get<double>())) {
        return bad("has a compute_ms that is not a number ≥ 0");
      }
      model.compute_ms = m["compute_ms"].get<double>();
    }
    if (m.contains("queued")) {
      if (!m["queued"].is_number_unsigned()) return bad("has a queued that is not a count");
      model.queued = m["queued"].get<uint64_t>();
    }
    s.models.push_back(std::move(model));
  }
  if (j.contains("hardware") && j["hardware"].is_object()) s.hardware = j["hardware"];
  return s;
}

RemoteInference::RemoteInference(RemotePolicy policy, Router* local, int threads)
    : policy_(std::move(policy)), local_(local), pool_(std::max(1, threads)) {}

Result<NodeStatus> RemoteInference::StatusOf(const Peer& peer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = status_.find(peer.url);
    if (it != status_.end() && Clock::now() - it->second.at < Millis(policy_.status_ttl_s)) {
      return it->second.status;
    }
  }
  auto t0 = Clock::now();
  auto reply = net::HttpFetch({.url = peer.url + "/ia/v1/node",
                               .headers = AuthHeaders(peer),
                               .ca_file = policy_.ca_file,
                               .max_body_bytes = size_t{8} << 20,
                               .timeout = Millis(std::min(policy_.timeout_s, 5.0))});
  double rtt_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  Result<NodeStatus> status = Status::Unavailable("");
  if (!reply.ok()) {
    status = reply.status();
  } else if (reply->status != 200) {
    status = PeerError(peer, *reply);
  } else {
    auto j = ParseJson(reply->body, "the node status of " + PeerName(peer));
    status = j.ok() ? ParseNodeStatus(*j) : Result<NodeStatus>(j.status());
    if (status.ok()) status->rtt_ms = rtt_ms;
  }
  if (!status.ok()) {
    // A node a router named that is no ipfs-accelerate node (a plain gateway) answers 404.
    Log(status.status().code() == StatusCode::kNotFound ? LogLevel::kInfo : LogLevel::kWarning,
        "remote: cannot read the status of peer " + PeerName(peer) + ": " +
            status.status().message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_[peer.url] = {Clock::now(), status};
  return status;
}

std::vector<Choice> RemoteInference::Plan(const std::string& cid, bool local_stored) {
  Choice here{.why = "this node"};
  if (policy_.mode == RemoteMode::kNever) return {here};
  if (policy_.mode == RemoteMode::kPeer) {
    return {Choice{.peer = policy_.peer, .why = "--remote " + PeerName(policy_.peer)}, here};
  }
  // What this node has measured of the model.
  double local_ms = 0;
  uint64_t local_queued = 0;
  int local_cores = local_ ? local_->options().cores : ThreadPool::DefaultThreads();
  int local_parallel = local_ ? local_->options().parallel_requests : 1;
  if (local_) {
    for (const ModelStats& m : local_->Stats()) {
      if (m.cid == cid) local_ms = ComputeMs(m), local_queued = m.queued;
    }
  }
  struct Candidate {
    Peer peer;
    NodeStatus status;
    const NodeModel* model;
  };
  std::vector<Peer> peers = KnownPeers();
  for (Peer& found : Discover(cid)) {
    bool known = false;
    for (const Peer& p : peers) known |= p.url == found.url;
    if (!known) peers.push_back(std::move(found));
  }
  std::vector<Candidate> candidates;
  for (const Peer& peer : peers) {
    auto status = StatusOf(peer);
    if (!status.ok()) continue;
    if (!policy_.self_peer_id.empty() && status->peer_id == policy_.self_peer_id) continue;
    Candidate c{peer, std::move(status).value(), nullptr};
    c.model = c.status.Find(cid);
    if (c.model) candidates.push_back(std::move(c));
  }
  // A compute time not measured on one side is taken from the other, scaled by the cores each
  // has (a stand-in for the performance model's prediction).
  if (local_ms == 0) {
    for (const Candidate& c : candidates) {
      if (c.model->compute_ms > 0) {
        local_ms =
            std::max(local_ms, c.model->compute_ms * c.status.cores / std::max(1, local_cores));
      }
    }
  }
  std::vector<Choice> plan;
  for (const Candidate& c : candidates) {
    double compute = c.model->compute_ms > 0
                         ? c.model->compute_ms
                         : local_ms * std::max(1, local_cores) / std::max(1, c.status.cores);
    double expected =
        c.status.rtt_ms + WithQueue(compute, c.model->queued, c.status.parallel_requests);
    plan.push_back({.peer = c.peer,
                    .expected_ms = expected,
                    .why = "peer " + PeerName(c.peer) + ": " + std::to_string(expected) +
                           " ms expected (round trip " + std::to_string(c.status.rtt_ms) +
                           " ms, compute " + std::to_string(compute) + " ms, " +
                           std::to_string(c.model->queued) + " queued)"});
  }
  // Running here without the model means fetching it first: any peer that serves it is sooner.
  here.expected_ms = local_stored ? WithQueue(local_ms, local_queued, local_parallel)
                                  : std::numeric_limits<double>::infinity();
  here.why = local_stored ? "this node: " + std::to_string(here.expected_ms) + " ms expected"
                          : "this node (it would fetch the model first)";
  plan.insert(plan.begin(), here);  // on a tie this node wins: the sort is stable
  std::stable_sort(plan.begin(), plan.end(),
                   [](const Choice& a, const Choice& b) { return a.expected_ms < b.expected_ms; });
  // This node is the last resort: nothing after it is tried.
  auto it = std::find_if(plan.begin(), plan.end(), [](const Choice& c) { return !c.peer; });
  plan.erase(it + 1, plan.end());
  return plan;
}

std::vector<Peer> RemoteInference::Discover(const std::string& cid) {
  if (policy_.routers.empty()) return {};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = discovered_.find(cid);
    if (it != discovered_.end() && Clock::now() - it->second.at < Millis(policy_.status_ttl_s)) {
      return it->second.peers;
    }
  }
  std::vector<Peer> found;
  auto root = store::Cid::Parse(cid);
  for (const std::string& router : policy_.routers) {
    if (!root.ok()) break;
    auto answer = net::FindProviders(router, *root, Millis(std::min(policy_.timeout_s, 5.0)));
    if (!answer.ok()) {
      Log(LogLevel::kWarning, "remote: router " + router + ": " + answer.status().message());
      continue;
    }
    for (const net::ProviderRecord& record : answer->records) {
      if (!policy_.self_peer_id.empty() && record.id == policy_.self_peer_id) continue;
      for (const std::string& url : net::GatewayUrls(record, nullptr)) {
        auto peer = ParsePeer(url);
        if (!peer.ok()) continue;
        for (const Peer& known : policy_.peers) {
          if (known.url == peer->url) peer->key = known.key;
        }
        bool dup = false;
        for (const Peer& p : found) dup |= p.url == peer->url;
        if (!dup) found.push_back(std::move(peer).value());
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  discovered_[cid] = {Clock::now(), found};
  return found;
}

std::vector<std::pair<Peer, NodeStatus>> RemoteInference::RefreshPeers() {
  std::vector<std::pair<Peer, NodeStatus>> out;
  for (const Peer& peer : KnownPeers()) {
    auto status = StatusOf(peer);
    if (status.ok()) out.emplace_back(peer, std::move(status).value());
  }
  return out;
}

void RemoteInference::PublishPeers(ProviderDirectory& directory) {
  std::vector<KnownProvider> known;
  for (auto& [peer, status] : RefreshPeers()) {
    if (status.peer_id.empty() || !net::ParsePeerId(status.peer_id).ok()) continue;
    if (status.peer_id == policy_.self_peer_id) continue;
    auto addr = net::HttpMultiaddrOfUrl(peer.url);
    if (!addr.ok()) continue;
    std::set<std::string> models;
    for (const NodeModel& m : status.models) models.insert(m.cid);
    known.push_back({.peer_id = status.peer_id,
                     .addrs = {*addr},
                     .protocols = {net::kGatewayProtocol},
                     .holds = [models = std::move(models)](const store::Cid& cid) {
                       return models.count(cid.ToString()) > 0;
                     }});
  }
  directory.SetPeers(std::move(known));
}

void RemoteInference::SetLanPeers(std::vector<Peer> peers) {
  for (Peer& p : peers) {
    for (const Peer& configured : policy_.peers) {
      if (configured.url == p.url && !configured.key.empty()) p.key = configured.key;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  lan_peers_ = std::move(peers);
}

std::vector<Peer> RemoteInference::KnownPeers() const {
  std::vector<Peer> out = policy_.peers;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Peer& p : lan_peers_) {
    bool dup = false;
    for (const Peer& q : out) dup |= q.url == p.url;
    if (!dup) out.push_back(p);
  }
  return out;
}

Result<ModelInfo> RemoteInference::Describe(const Peer& peer, const std::string& cid) {
  const std::string key = peer.url + " " + cid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = described_.find(key); it != described_.end()) return it->second;
  }
  auto reply = net::HttpFetch({.url = peer.url + "/v2/models/" + cid,
                               .headers = AuthHeaders(peer),
                               .ca_file = policy_.ca_file,
                               .max_body_bytes = size_t{8} << 20,
                               .timeout = Millis(policy_.timeout_s)});
  if (!reply.ok()) return reply.status().WithContext("peer " + PeerName(peer));
  if (reply->status != 200) return PeerError(peer, *reply);
  auto j = ParseJson(reply->body, "the model metadata of peer " + PeerName(peer));
  if (!j.ok()) return j.status();
  auto info = ParseModelMetadata(*j);
  if (!info.ok()) return info.status().WithContext("peer " + PeerName(peer) + "'s model metadata");
  std::lock_guard<std::mutex> lock(mu_);
  described_[key] = *info;
  return info;
}

Result<InferResponse> RemoteInference::CallPeer(const Peer& peer, const std::string& cid,
                                                const InferRequest& request) {
  ClientRequest call{
      .id = request.id, .outputs = request.outputs, .binary_inputs = true, .binary_outputs = true};
  for (const auto& [name, t] : request.inputs) call.inputs.emplace_back(name, t);
  IA_ASSIGN_OR_RETURN(EncodedBody body, EncodeInferRequest(call));
  std::vector<std::string> headers = AuthHeaders(peer);
  headers.push_back("Content-Type: application/octet-stream");
  headers.push_back("Inference-Header-Content-Length: " + std::to_string(*body.header_length));
  headers.push_back(std::string(kForwardedHeader) + ": 1");
  double timeout_s =
      request.timeout_s > 0 ? std::min(request.timeout_s, policy_.timeout_s) : policy_.timeout_s;
  const std::string name = PeerName(peer);
  auto reply = net::HttpFetch({.method = "POST",
                               .url = peer.url + "/v2/models/" + cid + "/infer",
                               .headers = std::move(headers),
                               .body = std::move(body.body),
                               .ca_file = policy_.ca_file,
                               .max_body_bytes = size_t{1} << 30,
                               .timeout = Millis(timeout_s)});
  if (!reply.ok()) return reply.status().WithContext("peer " + name);
  if (reply->status != 200) return PeerError(peer, *reply);
  std::optional<uint64_t> header_length;
  if (auto it = reply->headers.find("inference-header-content-length");
      it != reply->headers.end()) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec != std::errc() || end != it->second.data() + it->second.size()) {
      return Status::InvalidArgument("peer " + name +
                                     " sent an Inference-Header-Content-Length that is not a "
                                     "number: '" +
                                     it->second + "'");
    }
    header_length = n;
  }
  auto response = DecodeInferResponse(reply->body, header_length);
  if (!response.ok()) return response.status().WithContext("peer " + name + "'s answer");
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("peer " + name + "'s answer for model " + cid + " " + why);
  };
  if (response->outputs.empty()) return invalid("has no outputs");
  for (const std::string& wanted : request.outputs) {
    if (!response->outputs.count(wanted)) return invalid("lacks the output '" + wanted + "'");
  }
  if (auto info = Describe(peer, cid); info.ok()) {
    const std::vector<TensorInfo>* declared = &info->outputs;
    for (const auto& [out_name, t] : response->outputs) {
      auto it = std::find_if(declared->begin(), declared->end(),
                             [&](const TensorInfo& i) { return i.name == out_name; });
      if (it == declared->end())
        return invalid("has an output '" + out_name + "' it does not declare");
      bool fits = it->dtype == t.dtype() && it->shape.size() == t.shape().size();
      for (size_t d = 0; fits && d < it->shape.size(); ++d) {
        fits = it->shape[d] < 0 || it->shape[d] == t.shape()[d];
      }
      if (!fits) {
        return invalid("has output '" + out_name + "' as " + DTypeName(t.dtype()) + " " +
                       ShapeToString(t.shape()) + " where the model declares " +
                       DTypeName(it->dtype) + " " + ShapeToString(it->shape));
      }
    }
  }
  response->model = request.model;
  response->cid = cid;
  return response;
}

void RemoteInference::Count(const Peer& peer, bool ok, uint64_t ns) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoteStats::PerPeer& p = stats_.peers[PeerName(peer)];
  if (ok) {
    ++p.ok;
    p.ns += ns;
  } else {
    ++p.failed;
  }
}

Result<std::optional<InferResponse>> RemoteInference::RunOnPeers(const std::vector<Choice>& plan,
                                                                 const std::string& cid,
                                                                 const InferRequest& request,
                                                                 std::string* answered_by) {
  for (const Choice& choice : plan) {
    if (!choice.peer) break;
    if (request.cancel && request.cancel->cancelled()) {
      return Status::Cancelled("the request was cancelled before it was sent to a peer");
    }
    auto t0 = Clock::now();
    auto r = CallPeer(*choice.peer, cid, request);
    Count(*choice.peer, r.ok(),
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
    if (r.ok()) {
      if (answered_by) *answered_by = PeerName(*choice.peer);
      return std::optional<InferResponse>(std::move(r).value());
    }
    Log(LogLevel::kWarning, "remote: " + r.status().message() + "; trying the next choice");
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.fallbacks;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.local;
  return std::optional<InferResponse>();
}

bool RemoteInference::HoldsHere(const std::string& cid) const {
  auto root = store::Cid::Parse(cid);
  if (!root.ok()) return false;
  auto repo = store::Repo::Open(store::Repo::DefaultPath(local_->options().repo),
                                store::Repo::Access::kShared, 0);
  if (!repo.ok()) return false;
  auto stored = DagIsStored(**repo, *root);
  return stored.ok() && *stored;
}

std::string RemoteInference::CidOf(const std::string& model) const {
  if (store::Cid::Parse(model).ok()) return model;
  if (!local_) return "";
  for (const ModelInfo& m : local_->List()) {
    if (m.name == model) return m.cid;
  }
  return "";
}

void RemoteInference::Infer(InferRequest request, InferCallback done) {
  std::string cid = CidOf(request.model);
  if (policy_.mode == RemoteMode::kNever || cid.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.local;
    }
    return local_->Infer(std::move(request), std::move(done));
  }
  pool_.Submit([this, cid, request = std::move(request), done = std::move(done)]() mutable {
    auto r = RunOnPeers(Plan(cid, HoldsHere(cid)), cid, request, nullptr);
    if (!r.ok()) return done(r.status());
    if (*r) return done(std::move(**r));
    local_->Infer(std::move(request), std::move(done));
  });
}

RemoteStats RemoteInference::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace ipfs_accelerate::router
