#include "router/providers.h"

#include <algorithm>

#include "core/log.h"
#include "net/peer_id.h"
#include "store/repo.h"

namespace ipfs_accelerate::router {
namespace {

net::ProviderRecord RecordOf(const KnownProvider& p) {
  net::ProviderRecord r;
  r.id = p.peer_id;
  r.addrs = p.addrs;
  r.protocols = p.protocols;
  return r;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

void ProviderDirectory::SetSelf(std::string peer_id, std::vector<std::string> addrs) {
  KnownProvider self{.peer_id = std::move(peer_id),
                     .addrs = std::move(addrs),
                     .protocols = {net::kGatewayProtocol},
                     .holds = [repo = repo_path_](const store::Cid& cid) {
                       // Opened per question, as the gateway does: no lock is held between
                       // requests (gc may run).
                       auto r = store::Repo::Open(repo, store::Repo::Access::kShared, 0);
                       return r.ok() && (*r)->HasBlock(cid);
                     }};
  std::lock_guard lock(mu_);
  self_peer_id_ = self.peer_id;
  if (!providers_.empty() && providers_[0].peer_id == self.peer_id) {
    providers_[0] = std::move(self);
  } else {
    providers_.insert(providers_.begin(), std::move(self));
  }
}

void ProviderDirectory::AddPeer(KnownProvider peer) {
  std::lock_guard lock(mu_);
  for (KnownProvider& p : providers_) {
    if (p.peer_id == peer.peer_id) {
      p = std::move(peer);
      return;
    }
  }
  providers_.push_back(std::move(peer));
}

void ProviderDirectory::SetPeers(std::vector<KnownProvider> peers) {
  std::lock_guard lock(mu_);
  std::erase_if(providers_, [&](const KnownProvider& p) {
    return self_peer_id_.empty() || p.peer_id != self_peer_id_;
  });
  for (KnownProvider& p : peers) {
    if (p.peer_id != self_peer_id_) providers_.push_back(std::move(p));
  }
}

std::vector<net::ProviderRecord> ProviderDirectory::ProvidersOf(const store::Cid& cid) const {
  std::vector<KnownProvider> all;
  {
    std::lock_guard lock(mu_);
    all = providers_;
  }
  std::vector<net::ProviderRecord> out;
  for (const KnownProvider& p : all) {  // the questions touch disk: outside the lock
    if (p.holds && p.holds(cid)) out.push_back(RecordOf(p));
  }
  return out;
}

std::optional<net::ProviderRecord> ProviderDirectory::FindPeer(std::string_view peer_id) const {
  auto wanted = net::ParsePeerId(peer_id);
  if (!wanted.ok()) return std::nullopt;
  std::lock_guard lock(mu_);
  for (const KnownProvider& p : providers_) {
    auto id = net::ParsePeerId(p.peer_id);
    if (id.ok() && *id == *wanted) return RecordOf(p);
  }
  return std::nullopt;
}

RoutedProviders AskRouters(const std::vector<std::string>& routers, const store::Cid& cid,
                           std::chrono::milliseconds timeout) {
  RoutedProviders out;
  for (const std::string& router : routers) {
    auto answer = net::FindProviders(router, cid, timeout);
    if (!answer.ok()) {
      out.problems.push_back(answer.status().message());
      continue;
    }
    ++out.answered;
    for (const std::string& p : answer->problems)
      out.problems.push_back("router " + router + ": " + p);
    for (net::ProviderRecord& r : answer->records) {
      std::vector<std::string> bad;
      net::GatewayUrls(r, &bad);
      for (const std::string& p : bad) out.problems.push_back("router " + router + ": " + p);
      out.records.push_back(std::move(r));
    }
  }
  return out;
}

Result<FetchRequest> WithRoutedGateways(const FetchRequest& request, const store::Cid& root) {
  FetchRequest out = request;
  if (request.routers.empty()) return out;
  std::vector<std::string> failures;  // what each router that gave nothing usable said
  for (const std::string& router : request.routers) {
    auto answer = net::FindProviders(router, root, request.timeout);
    if (!answer.ok()) {
      Log(LogLevel::kWarning, "fetch: " + answer.status().message());
      failures.push_back(answer.status().message());
      continue;
    }
    std::vector<std::string> problems = answer->problems;
    std::vector<std::string> urls;
    for (const net::ProviderRecord& record : answer->records) {
      for (std::string& url : net::GatewayUrls(record, &problems)) urls.push_back(std::move(url));
    }
    for (const std::string& p : problems) {
      Log(LogLevel::kWarning, "fetch: router " + router + " answered a malformed record: " + p);
    }
    size_t added = 0;
    for (const std::string& url : urls) {
      if (std::find(out.gateways.begin(), out.gateways.end(), url) != out.gateways.end()) continue;
      out.gateways.push_back(url);
      ++added;
    }
    Log(LogLevel::kInfo,
        "fetch: router " + router + " named " + std::to_string(answer->records.size()) +
            " provider(s) of " + root.ToString() +
            "; gateways: " + (urls.empty() ? std::string("none") : Join(urls, " ")) +
            (added < urls.size() ? " (some already configured)" : ""));
    if (urls.empty()) {
      failures.push_back("router " + router + ": " +
                         (answer->records.empty()
                              ? std::string("no providers")
                              : std::to_string(answer->records.size()) +
                                    " provider(s) but no HTTP gateway address") +
                         (problems.empty() ? "" : " (" + Join(problems, "; ") + ")"));
    }
  }
  if (out.gateways.empty() && out.local_node.empty()) {
    return Status::NotFound("no source for " + root.ToString() + ": no gateway is configured and " +
                            "the routers named no usable provider: " + Join(failures, "; "));
  }
  return out;
}

Result<FetchProgress> FetchWithRouters(store::Repo& repo, const store::Cid& root,
                                       const FetchRequest& request,
                                       const std::function<void(const FetchProgress&)>& progress,
                                       const CancelToken* cancel) {
  auto routed = WithRoutedGateways(request, root);
  // Without a source (routed failed), the DAG may be stored whole already: walk the repository
  // alone, and if a block is missing, say what the routers answered.
  FetchRequest sources = routed.ok() ? *routed : request;
  sources.routers.clear();
  auto done = FetchDag(repo, root, sources, progress, cancel);
  if (!done.ok() && !routed.ok() && done.status().code() == StatusCode::kNotFound) {
    return routed.status();
  }
  return done;
}

}  // namespace ipfs_accelerate::router
