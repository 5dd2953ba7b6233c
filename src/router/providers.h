// Provider discovery, both ways: the directory this node answers GET /routing/v1/providers/{cid}
// from (itself, and the peers it knows of), and asking delegated routers which gateways hold a
// DAG's root before a fetch.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "net/routing.h"
#include "router/store_ops.h"
#include "store/cid.h"

namespace ipfs_accelerate::router {

// A node that may provide content: this node, or a peer it learnt of (peer discovery fills these).
struct KnownProvider {
  std::string peer_id;                 // "12D3KooW…"
  std::vector<std::string> addrs;      // multiaddrs, e.g. /ip4/127.0.0.1/tcp/8080/http
  std::vector<std::string> protocols;  // e.g. transport-ipfs-gateway-http
  // Whether it holds the block of a CID. Called from server threads: must be thread-safe.
  std::function<bool(const store::Cid&)> holds;
};

// Thread-safe: the server's threads ask while the serve command (and later discovery) tells.
class ProviderDirectory {
 public:
  // `repo_path`: the repository this node serves its gateway from.
  explicit ProviderDirectory(std::string repo_path) : repo_path_(std::move(repo_path)) {}
  ProviderDirectory(const ProviderDirectory&) = delete;
  ProviderDirectory& operator=(const ProviderDirectory&) = delete;

  // This node, once its server listens: its PeerID and the addresses of its gateway. It provides a
  // CID when its repository holds that block; it is listed first. Until this is called, the
  // directory lists only the peers it was told of.
  void SetSelf(std::string peer_id, std::vector<std::string> addrs);
  // A peer (replacing one of the same PeerID).
  void AddPeer(KnownProvider peer);
  // Every peer at once: those not in `peers` are forgotten (this node stays).
  void SetPeers(std::vector<KnownProvider> peers);

  // The providers of `cid`, this node first: every one that holds its block.
  std::vector<net::ProviderRecord> ProvidersOf(const store::Cid& cid) const;
  // The record of the node named `peer_id` (either text form of a PeerID), if it is known.
  std::optional<net::ProviderRecord> FindPeer(std::string_view peer_id) const;

 private:
  std::string repo_path_;
  mutable std::mutex mu_;
  std::vector<KnownProvider> providers_;  // this node first, once set
  std::string self_peer_id_;              // "" until SetSelf
};

// What the delegated routers say about a CID (routing findprovs, Python's find_providers).
struct RoutedProviders {
  std::vector<net::ProviderRecord> records;  // every router's, in the order of `routers`
  // One line per router that failed, malformed record or malformed address, naming its router.
  std::vector<std::string> problems;
  size_t answered = 0;  // routers that gave an answer (perhaps with no records)
};
// Asks each router of `routers` (delegated routing v1 URLs) for the providers of `cid`, each
// within `timeout`. Never fails: what went wrong is in `problems`.
RoutedProviders AskRouters(const std::vector<std::string>& routers, const store::Cid& cid,
                           std::chrono::milliseconds timeout);

// What FetchDag fetches from once the routers have been asked: `request` with the gateway URLs of
// the providers of `root` (those of every router in request.routers, in order) appended to
// request.gateways, after the configured ones and without duplicates. Routers that fail or answer
// malformed records are logged as warnings and skipped when another source remains; when none
// remains (no gateway, local node or usable provider), the error says what each router answered.
Result<FetchRequest> WithRoutedGateways(const FetchRequest& request, const store::Cid& root);

// FetchDag for a request with routers: asks them first (WithRoutedGateways), then fetches from
// the gateways and providers together. When no source remains the repository alone is walked (the
// DAG may be stored whole already); a missing block then fails with what the routers answered.
Result<FetchProgress> FetchWithRouters(store::Repo& repo, const store::Cid& root,
                                       const FetchRequest& request,
                                       const std::function<void(const FetchProgress&)>& progress,
                                       const CancelToken* cancel);

}  // namespace ipfs_accelerate::router
