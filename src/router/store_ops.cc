#include "router/store_ops.h"

#include <memory>
#include <utility>

#include "net/remote_source.h"
#include "net/source_chain.h"
#include "router/providers.h"
#include "store/dag_walk.h"

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

namespace {

// Counts the blocks the chain writes back (the fetched ones) on their way to the writer.
class CountingSink : public store::BlockSink {
 public:
  CountingSink(store::BlockSink* inner, FetchProgress* progress)
      : inner_(inner), progress_(progress) {}
  Status Put(const store::Cid& cid, std::span<const std::span<const uint8_t>> parts) override {
    IA_RETURN_IF_ERROR(inner_->Put(cid, parts));
    ++progress_->fetched_blocks;
    for (auto part : parts) progress_->fetched_bytes += part.size();
    return Status::Ok();
  }

 private:
  store::BlockSink* inner_;
  FetchProgress* progress_;
};

}  // namespace

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
  FetchProgress done;
  CountingSink counted(writer.get(), &done);
  net::SourceChain chain({&repo}, remote, &counted);
  IA_RETURN_IF_ERROR(store::WalkDag(chain, root, [&](const store::Cid&, const std::string& block) {
    if (cancel) IA_RETURN_IF_ERROR(cancel->Check("fetching " + root.ToString()));
    ++done.blocks;
    done.bytes += block.size();
    if (progress) progress(done);
    return Status::Ok();
  }));
  IA_RETURN_IF_ERROR(writer->Commit());
  if (request.pin) IA_RETURN_IF_ERROR(repo.Pin(root, /*check_dag=*/false));
  return done;
}

Result<std::string> ReadStoredBlock(const std::string& repo_path, const store::Cid& cid) {
  // Opened per call: the server holds no repository lock between requests (gc may run).
  IA_ASSIGN_OR_RETURN(std::unique_ptr<store::Repo> repo,
                      store::Repo::Open(repo_path, store::Repo::Access::kShared, 0));
  return repo->GetBlock(cid);
}

}  // namespace ipfs_accelerate::router
