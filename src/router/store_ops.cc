#include "router/store_ops.h"

#include <memory>
#include <utility>

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

}  // namespace ipfs_accelerate::router
