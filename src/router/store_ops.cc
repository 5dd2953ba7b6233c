#include "router/store_ops.h"

#include <memory>
#include <utility>

#include "net/dag_fetcher.h"
#include "net/remote_source.h"
#include "router/providers.h"
#include "store/dag_walk.h"
#include "store/multihash.h"

namespace ipfs_accelerate::router {

namespace {

Status CheckCancel(const CancelToken* cancel) {
  return cancel ? cancel->Check("adding to the store") : Status::Ok();
}

}  // namespace

Result<AddResult> AddPaths(store::Repo* repo, const AddRequest& request, ThreadPool* pool,
                           const std::function<void(uint64_t)>& progress,
                           const CancelToken* cancel) {
  std::unique_ptr<store::BlockWriter> writer;
  if (repo) writer = repo->NewWriter(store::BlockWriter::Publish::kAfterEachSync);
  AddResult result;
  store::Importer importer(request.options, writer.get(), pool, progress,
                           [&result](const std::string& path, const store::ImportedEntry& e) {
                             result.entries.push_back({path, e.cid});
                           });
  std::vector<store::ImportedEntry> imported;
  if (request.fd >= 0) {
    IA_RETURN_IF_ERROR(CheckCancel(cancel));
    IA_ASSIGN_OR_RETURN(store::ImportedEntry e, importer.AddFd(request.fd, request.fd_name));
    if (e.name.empty()) e.name = e.cid.ToString();
    result.entries.push_back({e.name, e.cid});
    imported.push_back(std::move(e));
  } else {
    for (const std::string& path : request.paths) {
      IA_RETURN_IF_ERROR(CheckCancel(cancel));
      IA_ASSIGN_OR_RETURN(store::ImportedEntry e, importer.AddPath(path, request.recursive));
      imported.push_back(std::move(e));
    }
  }
  if (request.wrap) {
    IA_ASSIGN_OR_RETURN(store::ImportedEntry dir, importer.MakeDirectory(imported));
    result.entries.push_back({"", dir.cid});
    result.roots.push_back(dir.cid);
  } else {
    for (const auto& e : imported) result.roots.push_back(e.cid);
  }
  if (writer) IA_RETURN_IF_ERROR(writer->Commit());
  if (!repo) return result;
  // Pins and the alias come last and only once everything is durable: what a stopped add leaves
  // behind is unreachable and gc takes it.
  IA_RETURN_IF_ERROR(CheckCancel(cancel));
  if (request.pin) {
    for (const store::Cid& root : result.roots) {
      IA_RETURN_IF_ERROR(repo->Pin(root, /*check_dag=*/false));
    }
  }
  if (!request.alias.empty() && !result.roots.empty()) {
    IA_RETURN_IF_ERROR(repo->SetAlias(request.alias, result.roots.back()));
  }
  return result;
}

Result<std::vector<store::Cid>> ImportCarFile(store::ByteReader& in, store::Repo& repo, bool pin,
                                              const std::function<void(uint64_t)>& progress) {
  IA_ASSIGN_OR_RETURN(std::vector<store::Cid> roots, store::ImportCar(in, repo, progress));
  if (pin) {
    // The import verified and stored every block, so the DAG need not be walked again.
    for (const store::Cid& root : roots) IA_RETURN_IF_ERROR(repo.Pin(root, /*check_dag=*/false));
  }
  return roots;
}

Result<FetchProgress> FetchDag(store::Repo& repo, const store::Cid& root,
                               const FetchRequest& request,
                               const std::function<void(const FetchProgress&)>& progress,
                               const CancelToken* cancel) {
  // Delegated routers are asked for providers of the root first (router/providers.cc).
  if (!request.routers.empty()) return FetchWithRouters(repo, root, request, progress, cancel);
  std::vector<std::unique_ptr<net::RemoteBlockSource>> owned;
  if (!request.local_node.empty()) {
    owned.push_back(std::make_unique<net::KuboRpcSource>(request.local_node, request.timeout));
  }
  for (const std::string& url : request.gateways) {
    owned.push_back(std::make_unique<net::GatewaySource>(url, request.timeout));
  }
  std::vector<net::RemoteBlockSource*> remote;
  for (auto& source : owned) remote.push_back(source.get());

  // Blocks become visible as their batch is durable, so a stopped fetch keeps them.
  std::unique_ptr<store::BlockWriter> writer =
      repo.NewWriter(store::BlockWriter::Publish::kAfterEachSync);
  net::DagFetchOptions options;
  options.window = request.window;
  options.retry.retries = request.retries;
  FetchProgress done;
  IA_RETURN_IF_ERROR(net::FetchDag(
      repo, *writer, remote, root, options,
      [&](const net::DagFetchProgress& p) {
        done.blocks = p.blocks;
        done.bytes = p.bytes;
        done.fetched_blocks = p.fetched_blocks;
        done.fetched_bytes = p.fetched_bytes;
        done.source = p.last_source;
        if (progress) progress(done);
      },
      cancel));
  IA_RETURN_IF_ERROR(writer->Commit());
  if (request.pin) IA_RETURN_IF_ERROR(repo.Pin(root, /*check_dag=*/false));
  return done;
}

Result<std::string> ReadStoredBlock(const std::string& repo_path, const store::Cid& cid) {
  if (auto bytes = store::IdentityDigest(cid.multihash())) return std::move(*bytes);
  if (repo_path.empty()) return Status::NotFound("this server has no repository");
  // Opened per call: the server holds no repository lock between requests (gc may run).
  IA_ASSIGN_OR_RETURN(std::unique_ptr<store::Repo> repo,
                      store::Repo::Open(repo_path, store::Repo::Access::kShared, 0));
  return repo->GetBlock(cid);
}

namespace {

// The source of a CAR whose root is an identity CID: nothing is read from it.
class NoBlocks : public store::BlockSource {
 public:
  Result<std::string> GetBlock(const store::Cid& cid) override {
    return Status::NotFound(cid.ToString() + ": this server has no repository");
  }
};

}  // namespace

Result<std::unique_ptr<StoredCar>> StoredCar::Open(const std::string& repo_path,
                                                   const store::Cid& root,
                                                   const store::CarSelection& selection) {
  std::unique_ptr<StoredCar> car(new StoredCar());
  if (store::IdentityDigest(root.multihash())) {
    car->source_ = std::make_unique<NoBlocks>();
  } else if (repo_path.empty()) {
    return Status::NotFound("this server has no repository");
  } else {
    IA_ASSIGN_OR_RETURN(car->source_,
                        store::Repo::Open(repo_path, store::Repo::Access::kShared, 0));
  }
  IA_ASSIGN_OR_RETURN(car->car_, store::CarStream::Start(*car->source_, root, selection));
  return car;
}

}  // namespace ipfs_accelerate::router
