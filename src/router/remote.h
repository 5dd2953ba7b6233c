// Remote inference: a request goes where it is expected to be answered soonest — this node, or a
// peer's KServe v2 endpoint — and falls back to the next choice, and finally to this node, when a
// peer fails, stalls or answers something that is not a valid answer. Each node publishes what it
// serves, its hardware and its measured compute times and queues (GET /ia/v1/node, NodeStatus),
// and that is what the choice is made from.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "router/providers.h"
#include "router/router.h"

namespace ipfs_accelerate::router {

// A node to send requests to: its base URL and the API key it wants.
struct Peer {
  std::string url;  // "http://127.0.0.1:8001": scheme, host and port, no path
  std::string key;  // sent as "Authorization: Bearer KEY"; "" for none
};
// "http[s]://[KEY@]HOST[:PORT][/]": the key, when there is one, rides in the URL's user part (as
// git remotes carry tokens) and is sent as a bearer token, never in the URL. kInvalidArgument
// naming the text otherwise.
Result<Peer> ParsePeer(const std::string& text);
// The URL with the key left out, for logs and metrics.
std::string PeerName(const Peer& peer);

enum class RemoteMode { kNever, kAuto, kPeer };
struct RemotePolicy {
  RemoteMode mode = RemoteMode::kNever;
  Peer peer;                // kPeer: the peer to try first
  std::vector<Peer> peers;  // kAuto: the peers to choose among
  // kAuto: delegated routers (ipfs.routers) asked which nodes provide a model; those that answer
  // GET /ia/v1/node are candidates too.
  std::vector<std::string> routers;
  std::string self_peer_id;  // this node's PeerID, never chosen as a peer ("" when unknown)
  double timeout_s = 30;     // each call to a peer, connecting included
  double status_ttl_s = 5;   // how long a peer's published status is used before it is asked again
  // PEM certificates that https peers are verified against (remote.ca_file; "": the system's).
  std::string ca_file;
};
// `--remote` (or the configuration's `remote`): "never", "auto", or a peer ("URL", "KEY@URL", or
// the URL of one of `peers`, whose key it then uses). kInvalidArgument otherwise.
// `routers` (ipfs.routers), or `lan` (peers found on the local network, SetLanPeers), let auto
// find peers without any configured.
Result<RemotePolicy> ParseRemotePolicy(const std::string& mode, std::vector<Peer> peers,
                                       std::vector<std::string> routers = {}, bool lan = false);

// The policy of the command line and the configuration: `remote_flag` ("" for the configuration's
// remote.mode), the peers of `peer_flags` and then the configuration's `peers`, remote.timeout,
// remote.ca_file, and ipfs.routers for discovery; `lan`: peers are also found on the local
// network.
Result<RemotePolicy> RemotePolicyFromConfig(const Config& config, const std::string& remote_flag,
                                            const std::vector<std::string>& peer_flags,
                                            bool lan = false);

// What a node publishes for its peers (GET /ia/v1/node).
struct NodeModel {
  std::string name, cid;
  bool loaded = false;
  double compute_ms = 0;  // mean time of one execution (merge, run, split); 0: not measured yet
  uint64_t queued = 0;    // requests waiting now
};
struct NodeStatus {
  std::string peer_id;
  std::string platform = "cpu";  // the best platform available for inference
  int cores = 1;                 // cores its runs share
  int parallel_requests = 1;     // runs at once
  std::vector<NodeModel> models;
  nlohmann::json hardware = nlohmann::json::object();  // hw's report, for people and planners
  double rtt_ms = 0;                                   // measured by the asker (not published)
  // The model whose CID is `cid`, or null.
  const NodeModel* Find(const std::string& cid) const;
};
// This node's status: its router's models and statistics.
NodeStatus LocalNodeStatus(const Router& router, std::string peer_id, std::string platform,
                           nlohmann::json hardware);
nlohmann::json NodeStatusJson(const NodeStatus& status);
// Reads a peer's status; kInvalidArgument naming the malformed field.
Result<NodeStatus> ParseNodeStatus(const nlohmann::json& j);

// One place to run a request: a peer, or this node (peer == nullopt).
struct Choice {
  std::optional<Peer> peer;
  double expected_ms = 0;  // round trip + compute + queue, as measured; 0 when nothing is known
  std::string why;         // for the log
};

// The header a forwarded request carries: its receiver runs it itself, so requests never loop.
inline constexpr const char* kForwardedHeader = "ia-forwarded";

// Counts for /metrics.
struct RemoteStats {
  struct PerPeer {
    uint64_t ok = 0, failed = 0;
    uint64_t ns = 0;  // time spent in successful calls
  };
  std::map<std::string, PerPeer> peers;  // by PeerName
  uint64_t local = 0;                    // requests run here after planning
  uint64_t fallbacks = 0;                // a peer failed and the next choice was tried
};

class RemoteInference {
 public:
  // `local` (may be null) runs what is not sent away; `threads` make the blocking peer calls.
  RemoteInference(RemotePolicy policy, Router* local, int threads = 4);
  RemoteInference(const RemoteInference&) = delete;
  RemoteInference& operator=(const RemoteInference&) = delete;

  // Where a request for the model `cid` should go, best first; this node is always the last
  // resort. `local_stored`: whether this node holds the model (else running here means fetching
  // it first). With kAuto, a peer comes first only when it serves the model and its expected
  // latency (round trip + its compute time for the model, scaled by its queue) is below this
  // node's; what is not measured counts as the other side's measurement, scaled by cores.
  std::vector<Choice> Plan(const std::string& cid, bool local_stored);

  // Runs `request` (its model named by `cid`) on `peer` with binary tensors, and checks the
  // answer: every output asked for (or at least one), each with a size that fits its shape and,
  // the dtype and shape the peer's model metadata declares (when it can be read). kUnavailable /
  // kDeadlineExceeded when the peer cannot be reached or does not answer in time, the peer's
  // error with its status otherwise, kInvalidArgument for an answer that is not a valid one.
  Result<InferResponse> CallPeer(const Peer& peer, const std::string& cid,
                                 const InferRequest& request);

  // Plans and runs `request` (the server's path): on a pool thread for peers, on the local router
  // for this node; a failed peer is logged, counted and followed by the next choice. `done` is
  // called exactly once. Needs a local router.
  void Infer(InferRequest request, InferCallback done);

  // Calls the peers of `plan` in order until one answers, and returns its answer (with its
  // PeerName in `answered_by`); nullopt when the plan reaches this node, which the caller then
  // runs (the CLI's path, without a router). kCancelled when request.cancel fires.
  Result<std::optional<InferResponse>> RunOnPeers(const std::vector<Choice>& plan,
                                                  const std::string& cid,
                                                  const InferRequest& request,
                                                  std::string* answered_by);

  // The peer's metadata of the model `cid` (GET /v2/models/{cid}): its inputs and outputs,
  // kept once read. The peer's error (kNotFound when it does not serve the model) otherwise.
  Result<ModelInfo> Describe(const Peer& peer, const std::string& cid);

  // Asks every known peer (configured, then found on the local network) for its status (each at
  // most once per status_ttl_s) and returns those that answered.
  std::vector<std::pair<Peer, NodeStatus>> RefreshPeers();
  // Tells `directory` of the known peers that answer (RefreshPeers), each providing the models
  // it serves at its URL's address, and forgets those that do not: a node's routing answers
  // list the peers it knows (GET /routing/v1/providers/{cid}).
  void PublishPeers(ProviderDirectory& directory);
  // The peers found on the local network (mDNS), replacing those found before; a configured
  // peer's key is used for the same URL. Candidates for kAuto like configured peers.
  void SetLanPeers(std::vector<Peer> peers);

  RemoteStats Stats() const;
  const RemotePolicy& policy() const { return policy_; }

 private:
  // The peer's status, asked again when older than status_ttl_s; kUnavailable when it could
  // not be read (and then not asked again for status_ttl_s).
  Result<NodeStatus> StatusOf(const Peer& peer);
  void Count(const Peer& peer, bool ok, uint64_t ns);
  // The nodes the routers name as providers of `cid` that serve HTTP (each router asked at most
  // once per status_ttl_s and CID); configured peers' keys are used for the same URL.
  std::vector<Peer> Discover(const std::string& cid);
  // The configured peers, then those found on the local network.
  std::vector<Peer> KnownPeers() const;
  // Whether the repository holds the whole model `cid` (running it here needs no fetch).
  bool HoldsHere(const std::string& cid) const;
  // The CID of a request's model: itself when it is one, else the registered model's.
  std::string CidOf(const std::string& model) const;

  RemotePolicy policy_;
  Router* local_;
  ThreadPool pool_;
  mutable std::mutex mu_;
  struct Cached {
    std::chrono::steady_clock::time_point at;
    Result<NodeStatus> status = Status::Unavailable("not asked yet");
  };
  std::map<std::string, Cached> status_;        // by URL
  std::map<std::string, ModelInfo> described_;  // by URL + " " + CID
  struct Discovered {
    std::chrono::steady_clock::time_point at;
    std::vector<Peer> peers;
  };
  std::map<std::string, Discovered> discovered_;  // by CID
  std::vector<Peer> lan_peers_;
  RemoteStats stats_;
};

}  // namespace ipfs_accelerate::router
