#include "store/importer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <memory>

#include "core/file_util.h"
#include "store/dag_pb.h"
#include "store/multihash.h"
#include "store/unixfs.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

constexpr uint64_t kMaxChunkSize = 1 << 20;
constexpr int kMaxDirectoryDepth = 256;

std::span<const uint8_t> Bytes(const std::string& s) { return AsBytes(s); }

std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

// Builds the balanced layout of the reference importers as leaves stream in: each level holds
// up to `max_links` children; a full level is folded into one parent on the level above when
// the next child arrives.
class BalancedTree {
 public:
  using MakeParent = std::function<Result<ImportedEntry>(const std::vector<ImportedEntry>&)>;
  BalancedTree(size_t max_links, MakeParent make_parent)
      : max_links_(max_links), make_parent_(std::move(make_parent)) {}

  Status Add(ImportedEntry child) { return AddAt(0, std::move(child)); }

  Result<ImportedEntry> Finish() {
    if (leaves_ == 1) return levels_[0][0];  // a one-chunk file is its own root
    for (size_t k = 0; k + 1 < levels_.size(); ++k) {
      if (levels_[k].empty()) continue;
      IA_ASSIGN_OR_RETURN(ImportedEntry parent, Fold(k));
      IA_RETURN_IF_ERROR(AddAt(k + 1, std::move(parent)));
    }
    auto& top = levels_.back();
    if (levels_.size() > 1 && top.size() == 1) return top[0];
    return Fold(levels_.size() - 1);
  }

 private:
  Status AddAt(size_t k, ImportedEntry child) {
    if (k == 0) ++leaves_;
    if (levels_.size() <= k) levels_.resize(k + 1);
    if (levels_[k].size() == max_links_) {
      IA_ASSIGN_OR_RETURN(ImportedEntry parent, Fold(k));
      IA_RETURN_IF_ERROR(AddAt(k + 1, std::move(parent)));
    }
    levels_[k].push_back(std::move(child));
    return Status::Ok();
  }

  Result<ImportedEntry> Fold(size_t k) {
    auto parent = make_parent_(levels_[k]);
    levels_[k].clear();
    return parent;
  }

  size_t max_links_;
  MakeParent make_parent_;
  std::vector<std::vector<ImportedEntry>> levels_;
  uint64_t leaves_ = 0;
};

}  // namespace

Result<ImportOptions> ImportOptions::ForProfile(std::string_view name) {
  ImportOptions o;
  o.profile = std::string(name);
  if (name == "unixfs-v1-2025") {
    o.cid_version = 1;
    o.raw_leaves = true;
    o.chunk_size = 1 << 20;
    o.max_links = 1024;
    o.dir_rule = DirSizeRule::kBlockBytes;
  } else if (name == "unixfs-v0-2015") {
    o.cid_version = 0;
    o.raw_leaves = false;
    o.chunk_size = 256 << 10;
    o.max_links = 174;
    o.dir_rule = DirSizeRule::kLinksBytes;
  } else {
    return Status::InvalidArgument("unknown import profile \"" + std::string(name) +
                                   "\"; use unixfs-v1-2025 (default) or unixfs-v0-2015");
  }
  return o;
}

Status ImportOptions::SetCidVersion(int version, bool raw_leaves_given) {
  if (version != 0 && version != 1) {
    return Status::InvalidArgument("--cid-version must be 0 or 1, not " + std::to_string(version));
  }
  cid_version = version;
  if (version == 1 && !raw_leaves_given) raw_leaves = true;
  return Status::Ok();
}

Status ImportOptions::SetChunker(std::string_view spec) {
  constexpr std::string_view kPrefix = "size-";
  auto bad = [&] {
    return Status::InvalidArgument("chunker \"" + std::string(spec) +
                                   "\" is not supported; use size-N with 1 <= N <= 1048576");
  };
  if (!spec.starts_with(kPrefix) || spec.size() == kPrefix.size() || spec.size() > kPrefix.size() + 8) return bad();
  uint64_t n = 0;
  for (char c : spec.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n < 1 || n > kMaxChunkSize) return bad();
  chunk_size = n;
  return Status::Ok();
}

Importer::Importer(ImportOptions options, BlockSink* sink, ThreadPool* pool, std::function<void(uint64_t)> progress)
    : options_(std::move(options)), sink_(sink), pool_(pool), progress_(std::move(progress)) {}

Cid Importer::MakeCid(uint64_t codec, std::string multihash) const {
  if (codec == kCodecDagPb && options_.cid_version == 0) return Cid::V0(std::move(multihash));
  return Cid::V1(codec, std::move(multihash));
}

Result<ImportedEntry> Importer::AddStream(const std::function<Result<size_t>(uint8_t*, size_t)>& read) {
  const size_t chunk = options_.chunk_size;
  const bool raw = options_.raw_leaves;

  // Encodes, stores and hashes one parent node of a file.
  auto make_parent = [&](const std::vector<ImportedEntry>& children) -> Result<ImportedEntry> {
    UnixFsData fs;
    fs.type = UnixFsType::kFile;
    PbNode node;
    uint64_t total = 0, tsize = 0;
    for (const ImportedEntry& c : children) {
      node.links.push_back({c.cid, std::string(), c.tsize});
      fs.blocksizes.push_back(c.file_size);
      total += c.file_size;
      tsize += c.tsize;
    }
    fs.filesize = total;
    node.data = EncodeUnixFs(fs);
    std::string block = EncodeDagPb(node);
    ImportedEntry e;
    e.cid = MakeCid(kCodecDagPb, Sha256Multihash(Bytes(block)));
    e.tsize = block.size() + tsize;
    e.file_size = total;
    if (sink_) {
      std::span<const uint8_t> parts[] = {Bytes(block)};
      IA_RETURN_IF_ERROR(sink_->Put(e.cid, parts));
    }
    return e;
  };
  BalancedTree tree(options_.max_links, make_parent);

  // Hashes (and stores) one leaf; runs on the pool.
  auto leaf_job = [this, raw](const uint8_t* data, size_t n) -> Result<ImportedEntry> {
    ImportedEntry e;
    e.file_size = n;
    std::span<const uint8_t> chunk(data, n);
    if (raw) {
      e.cid = Cid::V1(kCodecRaw, Sha256Multihash(chunk));
      e.tsize = n;
      if (sink_) {
        std::span<const uint8_t> parts[] = {chunk};
        IA_RETURN_IF_ERROR(sink_->Put(e.cid, parts));
      }
      return e;
    }
    LeafFraming f = FileLeafFraming(n);
    Sha256Hasher h;
    h.Update(f.prefix);
    h.Update(chunk);
    h.Update(f.suffix);
    e.cid = MakeCid(kCodecDagPb, h.FinishMultihash());
    e.tsize = f.prefix.size() + n + f.suffix.size();
    if (sink_) {
      std::span<const uint8_t> parts[] = {Bytes(f.prefix), chunk, Bytes(f.suffix)};
      IA_RETURN_IF_ERROR(sink_->Put(e.cid, parts));
    }
    return e;
  };

  // Enough buffers to keep every worker busy while this thread reads the next chunks.
  const size_t buffers = static_cast<size_t>(pool_->size()) * 2 + 2;
  std::vector<std::unique_ptr<uint8_t[]>> pool_bufs;
  std::vector<uint8_t*> free_bufs;
  struct InFlight {
    uint8_t* buf;
    std::future<Result<ImportedEntry>> result;
  };
  std::deque<InFlight> inflight;
  // Jobs read the buffers: wait for all of them on every way out of this function.
  struct Drain {
    std::deque<InFlight>* q;
    ~Drain() {
      for (auto& f : *q) f.result.wait();
    }
  } drain{&inflight};

  auto retire = [&]() -> Status {
    InFlight f = std::move(inflight.front());
    inflight.pop_front();
    Result<ImportedEntry> leaf = f.result.get();
    free_bufs.push_back(f.buf);
    if (!leaf.ok()) return leaf.status();
    return tree.Add(std::move(leaf).value());
  };

  uint64_t chunks = 0;
  for (;;) {
    if (free_bufs.empty()) {
      if (pool_bufs.size() < buffers) {
        pool_bufs.push_back(std::make_unique<uint8_t[]>(chunk));
        free_bufs.push_back(pool_bufs.back().get());
      } else {
        IA_RETURN_IF_ERROR(retire());
      }
    }
    uint8_t* buf = free_bufs.back();
    size_t n = 0;
    while (n < chunk) {
      IA_ASSIGN_OR_RETURN(size_t got, read(buf + n, chunk - n));
      if (got == 0) break;
      n += got;
    }
    if (n == 0 && chunks > 0) break;  // the reference chunkers emit one empty chunk, only for empty files
    free_bufs.pop_back();
    ++chunks;
    bytes_read_ += n;
    if (progress_) progress_(bytes_read_);
    inflight.push_back({buf, pool_->Submit([&leaf_job, buf, n] { return leaf_job(buf, n); })});
    if (n < chunk) break;
  }
  while (!inflight.empty()) IA_RETURN_IF_ERROR(retire());
  return tree.Finish();
}

Result<ImportedEntry> Importer::AddBytes(std::span<const uint8_t> bytes) {
  size_t offset = 0;
  return AddStream([&](uint8_t* buf, size_t want) -> Result<size_t> {
    size_t n = std::min(want, bytes.size() - offset);
    std::memcpy(buf, bytes.data() + offset, n);
    offset += n;
    return n;
  });
}

Result<ImportedEntry> Importer::AddFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("cannot open", path, errno);
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  auto entry = AddStream([&](uint8_t* buf, size_t want) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, want);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Status::FromErrno("cannot read", path, errno);
    }
  });
  if (entry.ok()) entry->name = BaseName(path);
  return entry;
}

Result<ImportedEntry> Importer::MakeDirectory(std::vector<ImportedEntry> children, std::string name) {
  std::sort(children.begin(), children.end(), [](const ImportedEntry& a, const ImportedEntry& b) {
    return LinkNameLess(PbLink{{}, a.name, {}}, PbLink{{}, b.name, {}});
  });
  PbNode node;
  uint64_t size_estimate = 0, tsize = 0;
  UnixFsData dir;
  dir.type = UnixFsType::kDirectory;
  std::string data = EncodeUnixFs(dir);
  if (options_.dir_rule == ImportOptions::DirSizeRule::kBlockBytes) size_estimate = 1 + VarintSize(data.size()) + data.size();
  for (size_t i = 0; i < children.size(); ++i) {
    const ImportedEntry& c = children[i];
    if (i > 0 && c.name == children[i - 1].name) {
      return Status::InvalidArgument("two entries named \"" + c.name + "\" in one directory");
    }
    size_t cid_bytes = c.cid.Bytes().size();
    size_estimate += options_.dir_rule == ImportOptions::DirSizeRule::kLinksBytes
                         ? c.name.size() + cid_bytes
                         : DagPbLinkSize(c.name.size(), cid_bytes, c.tsize);
    node.links.push_back({c.cid, c.name, c.tsize});
    tsize += c.tsize;
  }
  if (size_estimate > options_.dir_threshold) {
    return Status::Unsupported("directory \"" + name + "\" (" + std::to_string(children.size()) +
                               " entries) measures " + std::to_string(size_estimate) + " bytes, over the " +
                               std::to_string(options_.dir_threshold) + "-byte limit of a basic directory in profile " +
                               options_.profile + "; HAMT-sharded directories are not supported yet: split it");
  }
  node.data = std::move(data);
  std::string block = EncodeDagPb(node);
  ImportedEntry e;
  e.name = std::move(name);
  e.cid = MakeCid(kCodecDagPb, Sha256Multihash(Bytes(block)));
  e.tsize = block.size() + tsize;
  e.is_directory = true;
  if (sink_) {
    std::span<const uint8_t> parts[] = {Bytes(block)};
    IA_RETURN_IF_ERROR(sink_->Put(e.cid, parts));
  }
  return e;
}

Result<ImportedEntry> Importer::AddDirectory(const std::string& path, int depth) {
  if (depth > kMaxDirectoryDepth) {
    return Status::InvalidArgument(path + ": directories nested deeper than " + std::to_string(kMaxDirectoryDepth));
  }
  std::vector<std::string> names;
  {
    DIR* dir = opendir(path.c_str());
    if (!dir) return Status::FromErrno("cannot open directory", path, errno);
    while (dirent* d = readdir(dir)) {
      std::string n = d->d_name;
      if (n == "." || n == "..") continue;
      if (n[0] == '.' && !options_.hidden) continue;
      names.push_back(std::move(n));
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  std::vector<ImportedEntry> children;
  for (const std::string& n : names) {
    std::string child = path + "/" + n;
    struct stat st;
    if (lstat(child.c_str(), &st) != 0) return Status::FromErrno("cannot stat", child, errno);
    if (S_ISREG(st.st_mode)) {
      IA_ASSIGN_OR_RETURN(ImportedEntry e, AddFile(child));
      children.push_back(std::move(e));
    } else if (S_ISDIR(st.st_mode)) {
      IA_ASSIGN_OR_RETURN(ImportedEntry e, AddDirectory(child, depth + 1));
      children.push_back(std::move(e));
    } else if (S_ISLNK(st.st_mode)) {
      return Status::Unsupported(child + " is a symbolic link; symlinks are not imported yet: copy the target in");
    } else {
      return Status::InvalidArgument(child + " is not a regular file or directory");
    }
  }
  return MakeDirectory(std::move(children), BaseName(path));
}

Result<ImportedEntry> Importer::AddPath(const std::string& path, bool recursive) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("no such file or directory: " + path);
    return Status::FromErrno("cannot stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!recursive) return Status::InvalidArgument(path + " is a directory; add it with -r");
    return AddDirectory(path, 0);
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file or directory");
  return AddFile(path);
}

}  // namespace ipfs_accelerate::store
