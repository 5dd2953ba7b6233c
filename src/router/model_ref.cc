#include "router/model_ref.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>

#include "core/file_util.h"
#include "core/memory_budget.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "engine/onnx_loader.h"
#include "store/importer.h"
#include "store/repo.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::router {

namespace {

// Protobuf cannot parse a message over 2 GiB, and every file read here is read whole: a larger
// one is refused before a byte is read, from its declared (store) or actual (local) size.
constexpr uint64_t kMaxFileBytes = (uint64_t{1} << 31) - 1;

Status CheckSize(const std::string& ref, uint64_t size) {
  if (size > kMaxFileBytes) {
    return Status::ResourceExhausted("\"" + ref + "\" is " + std::to_string(size) +
                                     " bytes; models and their files are read whole, up to 2 GiB "
                                     "(the limit of ONNX's protobuf encoding)");
  }
  if (uint64_t available = DefaultMemoryLimit(); size > available) {
    return Status::ResourceExhausted("\"" + ref + "\" is " + HumanBytes(size) +
                                     ", more than the memory available to read it (" +
                                     HumanBytes(available) + "); free memory first");
  }
  return Status::Ok();
}

// A file named by a store reference, and the directory it was found in (where a model's external
// data lives), if any.
struct StoredFile {
  std::unique_ptr<store::Repo> repo;
  store::Cid file;
  std::optional<store::Cid> dir;
  uint64_t size = 0;
};

Result<StoredFile> ResolveStored(const std::string& repo_flag, const std::string& ref,
                                 const std::string& default_name) {
  StoredFile out;
  IA_ASSIGN_OR_RETURN(out.repo, store::Repo::Open(store::Repo::DefaultPath(repo_flag)));
  std::string root, path;
  store::SplitIpfsPath(ref, &root, &path);
  auto cid = out.repo->Resolve(root);
  if (!cid.ok()) {
    return Status::NotFound(
        "\"" + ref + "\" is neither a file nor a CID or alias in the store at " + out.repo->path());
  }
  store::UnixFsReader reader(out.repo.get());
  IA_ASSIGN_OR_RETURN(store::Cid target, reader.Resolve(*cid, path));
  IA_ASSIGN_OR_RETURN(store::DagStat st, reader.Stat(target));
  if (st.type == "directory") {
    out.dir = target;
    IA_ASSIGN_OR_RETURN(target, reader.Resolve(target, default_name));
    IA_ASSIGN_OR_RETURN(st, reader.Stat(target));
  } else if (!path.empty()) {
    size_t slash = path.rfind('/');
    IA_ASSIGN_OR_RETURN(
        out.dir, reader.Resolve(*cid, slash == std::string::npos ? "" : path.substr(0, slash)));
  }
  out.file = target;
  out.size = st.size;
  return out;
}

// Fills dst with the bytes at `offset` of a stored file; every block is verified on the way.
Status ReadExactly(store::UnixFsReader& reader, const store::Cid& file, uint64_t offset,
                   std::span<uint8_t> dst, const std::string& name) {
  size_t done = 0;
  IA_RETURN_IF_ERROR(
      reader.ReadFileRange(file, offset, dst.size(), [&](std::span<const uint8_t> b) {
        size_t n = std::min(b.size(), dst.size() - done);
        std::memcpy(dst.data() + done, b.data(), n);
        done += n;
        return Status::Ok();
      }));
  if (done != dst.size()) return Status::InvalidArgument(name + " in the store is too short");
  return Status::Ok();
}

// A model's external data files in its directory in the store, read by range into the tensors.
class StoreExternalData : public engine::ExternalData {
 public:
  StoreExternalData(store::UnixFsReader* reader, std::optional<store::Cid> dir)
      : reader_(reader), dir_(std::move(dir)) {}

  Status Read(const std::string& location, uint64_t offset, uint64_t length, void* dst) override {
    if (!dir_) {
      return Status::Unsupported(
          "external data needs the model's directory: add the directory holding model.onnx and "
          "its data files, and name the directory (or a path inside it)");
    }
    auto it = files_.find(location);
    if (it == files_.end()) {
      auto cid = reader_->Resolve(*dir_, location);
      if (!cid.ok()) {
        return Status::NotFound("external data file " + location +
                                " is not in the model's directory " + dir_->ToString());
      }
      IA_ASSIGN_OR_RETURN(store::DagStat st, reader_->Stat(*cid));
      it = files_.emplace(location, std::make_pair(*cid, st.size)).first;
    }
    const auto& [cid, size] = it->second;
    if (offset > size || size - offset < length)
      return Status::InvalidArgument("external data file " + location + " is too short");
    return ReadExactly(*reader_, cid, offset, {static_cast<uint8_t*>(dst), length},
                       "external data file " + location);
  }

 private:
  store::UnixFsReader* reader_;
  std::optional<store::Cid> dir_;
  std::map<std::string, std::pair<store::Cid, uint64_t>> files_;
};

bool IsExplicitPath(const std::string& ref) {
  return ref.starts_with("./") || ref.starts_with("../") || ref == "." || ref == ".." ||
         (ref.starts_with("/") && !ref.starts_with("/ipfs/"));
}

}  // namespace

Result<RefKind> ClassifyRef(const std::string& repo_flag, const std::string& ref) {
  if (ref.empty()) return Status::InvalidArgument("an empty model or file reference");
  if (ref.starts_with("/ipfs/")) return RefKind::kStore;
  if (IsExplicitPath(ref)) return RefKind::kLocal;
  std::error_code ec;
  bool local = std::filesystem::exists(ref, ec);
  std::string root, path;
  store::SplitIpfsPath(ref, &root, &path);
  bool stored = store::Cid::Parse(root).ok();
  if (!stored && store::ValidateAliasName(root).ok()) {
    // Only an existing repository can hold the alias: a lookup never creates one.
    std::string repo_path = store::Repo::DefaultPath(repo_flag);
    if (std::filesystem::exists(repo_path + "/aliases.json", ec)) {
      IA_ASSIGN_OR_RETURN(auto repo, store::Repo::Open(repo_path));
      IA_ASSIGN_OR_RETURN(auto aliases, repo->Aliases());
      stored = aliases.count(root) > 0;
    }
  }
  if (local && stored) {
    return Status::InvalidArgument("\"" + ref +
                                   "\" names both a local file and a CID or alias in the store; "
                                   "write ./" +
                                   ref + " for the file or /ipfs/" + ref + " for the store");
  }
  return local ? RefKind::kLocal : RefKind::kStore;
}

Result<FileRef> ReadFileRef(const std::string& repo_flag, const std::string& ref,
                            const std::string& default_name, bool compute_cid) {
  FileRef file;
  IA_ASSIGN_OR_RETURN(RefKind kind, ClassifyRef(repo_flag, ref));
  if (kind == RefKind::kLocal) {
    std::error_code ec;
    std::string path = std::filesystem::is_directory(ref, ec) ? ref + "/" + default_name : ref;
    uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec) IA_RETURN_IF_ERROR(CheckSize(path, size));
    IA_ASSIGN_OR_RETURN(file.bytes, ReadFile(path));
    file.base_dir = DirName(path);
    if (compute_cid) {
      IA_ASSIGN_OR_RETURN(auto options, store::ImportOptions::ForProfile("unixfs-v1-2025"));
      ThreadPool pool(1);
      store::Importer importer(options, /*sink=*/nullptr, &pool);
      IA_ASSIGN_OR_RETURN(store::ImportedEntry entry,
                          importer.AddBytes({reinterpret_cast<const uint8_t*>(file.bytes.data()),
                                             file.bytes.size()}));
      file.cid = entry.cid.ToString();
    }
    return file;
  }
  IA_ASSIGN_OR_RETURN(StoredFile stored, ResolveStored(repo_flag, ref, default_name));
  IA_RETURN_IF_ERROR(CheckSize(ref, stored.size));
  store::UnixFsReader reader(stored.repo.get());
  file.bytes.reserve(stored.size);  // the reader checks that the blocks hold what the file declares
  IA_RETURN_IF_ERROR(reader.ReadFile(stored.file, [&](std::span<const uint8_t> b) {
    file.bytes.append(reinterpret_cast<const char*>(b.data()), b.size());
    return Status::Ok();
  }));
  file.cid = stored.file.ToString();
  file.from_store = true;
  return file;
}

Result<engine::Model> LoadModelRef(const std::string& repo_flag, const std::string& ref,
                                   std::string* cid) {
  std::error_code ec;
  IA_ASSIGN_OR_RETURN(RefKind kind, ClassifyRef(repo_flag, ref));
  if (!cid && kind == RefKind::kLocal && std::filesystem::exists(ref, ec)) {
    // Straight from the file: no copy of its bytes beside the parsed model.
    std::string path = std::filesystem::is_directory(ref, ec) ? ref + "/model.onnx" : ref;
    uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec) IA_RETURN_IF_ERROR(CheckSize(path, size));
    return engine::LoadModel(path);
  }
  if (kind == RefKind::kLocal) {
    IA_ASSIGN_OR_RETURN(FileRef file, ReadFileRef(repo_flag, ref, "model.onnx", cid != nullptr));
    auto model = engine::ParseModel(file.bytes, file.base_dir);
    if (!model.ok()) return model.status().WithContext(ref);
    if (cid) *cid = file.cid;
    return model;
  }
  // From the store, parsed as its blocks are read: no copy of the file beside the model.
  IA_ASSIGN_OR_RETURN(StoredFile stored, ResolveStored(repo_flag, ref, "model.onnx"));
  IA_RETURN_IF_ERROR(CheckSize(ref, stored.size));
  store::UnixFsReader reader(stored.repo.get());
  StoreExternalData external(&reader, stored.dir);
  auto read = [&](uint64_t offset, std::span<uint8_t> dst) {
    return ReadExactly(reader, stored.file, offset, dst, "model.onnx");
  };
  auto model = engine::ParseModelFrom(stored.size, read, &external);
  if (!model.ok()) return model.status().WithContext(ref);
  if (cid) *cid = stored.file.ToString();
  model->source_cid = stored.file.ToString();
  return model;
}

}  // namespace ipfs_accelerate::router
