#include "router/fetch_on_miss.h"

#include <memory>
#include <vector>

#include "router/model_ref.h"
#include "store/dag_walk.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::router {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "the IPFS node U (ipfs.local_node) and the gateways A, B (ipfs.gateway)".
std::string SourcesText(const FetchRequest& request) {
  std::vector<std::string> parts;
  if (!request.local_node.empty()) {
    parts.push_back("the IPFS node " + request.local_node + " (ipfs.local_node)");
  }
  if (!request.gateways.empty()) {
    parts.push_back(std::string(request.gateways.size() == 1 ? "the gateway " : "the gateways ") +
                    Join(request.gateways) + " (ipfs.gateway)");
  }
  if (!request.routers.empty()) {
    parts.push_back("the providers that " + Join(request.routers) + " (ipfs.routers) name");
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return out;
}

constexpr char kHowToConfigure[] =
    "Set the sources with --set ipfs.gateway=URL[,URL...] (a trustless gateway, e.g. another "
    "node's `ipfs-accelerate serve`) and --set ipfs.local_node=URL (a Kubo RPC API; \"\" for "
    "none), or in REPO/config.json or IPFS_ACCELERATE_IPFS_GATEWAY";

}  // namespace

Result<bool> DagIsStored(store::Repo& repo, const store::Cid& root) {
  IA_ASSIGN_OR_RETURN(std::vector<store::Cid> pins, repo.Pins());
  for (const store::Cid& pin : pins) {
    if (pin.NodeKey() == root.NodeKey()) return true;
  }
  store::CidSet seen;
  std::vector<store::Cid> stack{root};
  while (!stack.empty()) {
    store::Cid cid = std::move(stack.back());
    stack.pop_back();
    if (!seen.Insert(cid)) continue;
    if (!repo.HasBlock(cid)) return false;
    if (cid.codec() == store::kCodecRaw) continue;  // no links: present is enough
    IA_ASSIGN_OR_RETURN(std::string block, repo.GetBlock(cid));
    IA_ASSIGN_OR_RETURN(std::vector<store::Cid> links, store::BlockLinks(cid, block));
    for (store::Cid& link : links) stack.push_back(std::move(link));
  }
  return true;
}

Result<FetchProgress> FetchFromSources(store::Repo& repo, const store::Cid& root,
                                       const FetchRequest& request, const FetchProgressFn& progress,
                                       const CancelToken* cancel) {
  if (request.local_node.empty() && request.gateways.empty() && request.routers.empty()) {
    return Status::InvalidArgument("no source to fetch " + root.ToString() + " from. " +
                                   kHowToConfigure + " (fetch: --from URL, --local-node URL)");
  }
  Result<FetchProgress> done = FetchDag(repo, root, request, progress, cancel);
  if (done.ok() || done.status().code() == StatusCode::kCancelled) return done;
  return done.status().WithMessage("fetching " + root.ToString() + " from " + SourcesText(request) +
                                   " failed: " + done.status().message() + ". " + kHowToConfigure);
}

Result<FetchProgress> EnsureLocal(store::Repo& repo, const store::Cid& root,
                                  const MissPolicy& policy, const FetchProgressFn& progress,
                                  const CancelToken* cancel) {
  IA_ASSIGN_OR_RETURN(bool stored, DagIsStored(repo, root));
  if (stored) return FetchProgress{};
  const std::string missing = root.ToString() +
                              (repo.HasBlock(root) ? " is only in part" : " is not") +
                              " in the repository at " + repo.path();
  if (policy.offline) {
    return Status::NotFound(missing + ", and fetching is off (--offline or ipfs.offline). Fetch " +
                            "it with `ipfs-accelerate fetch " + root.ToString() +
                            " --from GATEWAY_URL`, or leave out --offline (ipfs.offline=false) " +
                            "to fetch it from the configured sources");
  }
  Result<FetchProgress> done = FetchFromSources(repo, root, policy.request, progress, cancel);
  if (!done.ok() && done.status().code() != StatusCode::kCancelled) {
    return done.status().WithContext(missing);
  }
  return done;
}

Result<FetchProgress> EnsureRefLocal(const std::string& repo_flag, const std::string& ref,
                                     const MissPolicy& policy, const FetchProgressFn& progress,
                                     const CancelToken* cancel) {
  IA_ASSIGN_OR_RETURN(RefKind kind, ClassifyRef(repo_flag, ref));
  if (kind == RefKind::kLocal) return FetchProgress{};
  std::string root, path;
  store::SplitIpfsPath(ref, &root, &path);
  auto cid = store::Cid::Parse(root);
  if (!cid.ok()) return FetchProgress{};  // an alias, or not a reference: the reader says which
  IA_ASSIGN_OR_RETURN(std::unique_ptr<store::Repo> repo,
                      store::Repo::Open(store::Repo::DefaultPath(repo_flag)));
  return EnsureLocal(*repo, *cid, policy, progress, cancel);
}

}  // namespace ipfs_accelerate::router
