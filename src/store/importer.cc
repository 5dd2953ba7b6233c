#include "store/importer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <map>
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

// Copies bytes from a read function into reusable buffers.
class ReadSource : public ChunkSource {
 public:
  explicit ReadSource(std::function<Result<size_t>(uint8_t*, size_t)> read)
      : read_(std::move(read)) {}

  Result<std::span<const uint8_t>> Next(size_t size) override {
    if (free_.empty()) {
      owned_.push_back(std::make_unique<uint8_t[]>(size));
      free_.push_back(owned_.back().get());
    }
    uint8_t* buf = free_.back();
    size_t n = 0;
    while (n < size) {
      IA_ASSIGN_OR_RETURN(size_t got, read_(buf + n, size - n));
      if (got == 0) break;
      n += got;
    }
    if (n > 0) free_.pop_back();
    return std::span<const uint8_t>(buf, n);
  }
  void Release(std::span<const uint8_t> chunk) override {
    free_.push_back(const_cast<uint8_t*>(chunk.data()));
  }

 private:
  std::function<Result<size_t>(uint8_t*, size_t)> read_;
  std::vector<std::unique_ptr<uint8_t[]>> owned_;
  std::vector<uint8_t*> free_;
};

// Maps each chunk of a regular file: the hashing threads read the page cache directly, which
// saves the copy read() makes (about a sixth of the CPU time of hashing). The file must not
// shrink meanwhile (the process would get SIGBUS; the command-line tool reports it as an error).
class MappedSource : public ChunkSource {
 public:
  MappedSource(int fd, uint64_t size)
      : fd_(fd), size_(size), page_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {}
  ~MappedSource() override {
    for (auto& [data, m] : maps_) munmap(m.first, m.second);
  }

  Result<std::span<const uint8_t>> Next(size_t size) override {
    if (pos_ >= size_) return std::span<const uint8_t>();
    uint64_t len = std::min<uint64_t>(size, size_ - pos_);
    uint64_t start = pos_ & ~(page_ - 1);
    size_t map_len = static_cast<size_t>(pos_ - start + len);
    void* base = mmap(nullptr, map_len, PROT_READ, MAP_SHARED, fd_, static_cast<off_t>(start));
    if (base == MAP_FAILED) return Status::FromErrno("cannot map", "file", errno);
    madvise(base, map_len, MADV_POPULATE_READ);  // fault the pages in here, not in the hashers
    const uint8_t* data = static_cast<const uint8_t*>(base) + (pos_ - start);
    maps_[data] = {base, map_len};
    pos_ += len;
    return std::span<const uint8_t>(data, static_cast<size_t>(len));
  }
  void Release(std::span<const uint8_t> chunk) override {
    auto it = maps_.find(chunk.data());
    if (it == maps_.end()) return;
    munmap(it->second.first, it->second.second);
    maps_.erase(it);
  }

 private:
  int fd_;
  uint64_t size_;
  uint64_t page_;
  uint64_t pos_ = 0;
  std::map<const uint8_t*, std::pair<void*, size_t>> maps_;
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
  // Kubo (default configuration): raw leaves follow the CID version unless given; a raw block
  // can only be named by a CIDv1, so `--cid-version 0` alone must give Qm… CIDs.
  if (!raw_leaves_given) raw_leaves = version == 1;
  return Status::Ok();
}

Status ImportOptions::SetChunker(std::string_view spec) {
  constexpr std::string_view kPrefix = "size-";
  auto bad = [&] {
    return Status::InvalidArgument("chunker \"" + std::string(spec) +
                                   "\" is not supported; use size-N with 1 <= N <= 1048576");
  };
  if (!spec.starts_with(kPrefix) || spec.size() == kPrefix.size() ||
      spec.size() > kPrefix.size() + 8)
    return bad();
  uint64_t n = 0;
  for (char c : spec.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n < 1 || n > kMaxChunkSize) return bad();
  chunk_size = n;
  return Status::Ok();
}

Importer::Importer(ImportOptions options, BlockSink* sink, ThreadPool* pool,
                   std::function<void(uint64_t)> progress, EntryCallback on_entry)
    : options_(std::move(options)),
      sink_(sink),
      pool_(pool),
      progress_(std::move(progress)),
      on_entry_(std::move(on_entry)) {}

Cid Importer::MakeCid(uint64_t codec, std::string multihash) const {
  if (codec == kCodecDagPb && options_.cid_version == 0) return Cid::V0(std::move(multihash));
  return Cid::V1(codec, std::move(multihash));
}

Result<ImportedEntry> Importer::AddStream(ChunkSource& source) {
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

  // Enough chunks in flight to keep every worker busy while this thread reads the next ones.
  const size_t max_inflight = static_cast<size_t>(pool_->size()) * 2 + 2;
  struct InFlight {
    std::span<const uint8_t> chunk;
    std::future<Result<ImportedEntry>> result;
  };
  std::deque<InFlight> inflight;
  // Jobs read the chunks: wait for all of them on every way out of this function.
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
    source.Release(f.chunk);
    if (!leaf.ok()) return leaf.status();
    return tree.Add(std::move(leaf).value());
  };

  uint64_t chunks = 0;
  for (;;) {
    if (inflight.size() >= max_inflight) IA_RETURN_IF_ERROR(retire());
    IA_ASSIGN_OR_RETURN(std::span<const uint8_t> data, source.Next(chunk));
    if (data.empty() && chunks > 0)
      break;  // the reference chunkers emit one empty chunk, only for empty files
    ++chunks;
    bytes_read_ += data.size();
    if (progress_) progress_(bytes_read_);
    inflight.push_back(
        {data, pool_->Submit([&leaf_job, data] { return leaf_job(data.data(), data.size()); })});
    if (data.size() < chunk) break;
  }
  while (!inflight.empty()) IA_RETURN_IF_ERROR(retire());
  return tree.Finish();
}

Result<ImportedEntry> Importer::AddBytes(std::span<const uint8_t> bytes) {
  size_t offset = 0;
  ReadSource source([&](uint8_t* buf, size_t want) -> Result<size_t> {
    size_t n = std::min(want, bytes.size() - offset);
    std::memcpy(buf, bytes.data() + offset, n);
    offset += n;
    return n;
  });
  return AddStream(source);
}

Result<ImportedEntry> Importer::AddFd(int fd, const std::string& name) {
  ReadSource reader([&](uint8_t* buf, size_t want) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd, buf, want);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Status::FromErrno("cannot read", name, errno);
    }
  });
  auto entry = AddStream(reader);
  if (entry.ok()) entry->name = name;
  return entry;
}

Result<ImportedEntry> Importer::AddFile(const std::string& path, const std::string& shown) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("cannot open", path, errno);
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno("cannot stat", path, errno);
  MappedSource mapped(fd.get(), static_cast<uint64_t>(st.st_size));
  // Regular files of at least one chunk are mapped; small ones are cheaper to read.
  bool map = S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) >= options_.chunk_size &&
             options_.chunk_size >= 4096;
  auto entry = map ? AddStream(mapped) : AddFd(fd.get(), path);
  if (!entry.ok()) return entry;
  entry->name = BaseName(path);
  if (on_entry_) on_entry_(shown, *entry);
  return entry;
}

Result<ImportedEntry> Importer::MakeDirectory(std::vector<ImportedEntry> children,
                                              std::string name) {
  std::sort(children.begin(), children.end(), [](const ImportedEntry& a, const ImportedEntry& b) {
    return LinkNameLess(PbLink{{}, a.name, {}}, PbLink{{}, b.name, {}});
  });
  PbNode node;
  uint64_t size_estimate = 0, tsize = 0;
  UnixFsData dir;
  dir.type = UnixFsType::kDirectory;
  std::string data = EncodeUnixFs(dir);
  if (options_.dir_rule == ImportOptions::DirSizeRule::kBlockBytes)
    size_estimate = 1 + VarintSize(data.size()) + data.size();
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
                               " entries) measures " + std::to_string(size_estimate) +
                               " bytes, over the " + std::to_string(options_.dir_threshold) +
                               "-byte limit of a basic directory in profile " + options_.profile +
                               "; HAMT-sharded directories are not supported yet: split it");
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

Result<ImportedEntry> Importer::AddDirectory(const std::string& path, const std::string& shown,
                                             int depth) {
  if (depth > kMaxDirectoryDepth) {
    return Status::InvalidArgument(path + ": directories nested deeper than " +
                                   std::to_string(kMaxDirectoryDepth));
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
    if (S_ISLNK(st.st_mode)) {
      if (!options_.dereference_symlinks) {
        return Status::Unsupported(child +
                                   " is a symbolic link; add --dereference-symlinks (-L) to import "
                                   "what it points to (links are not stored as links yet)");
      }
      if (stat(child.c_str(), &st) != 0)
        return Status::FromErrno("cannot follow the link", child, errno);
    }
    if (S_ISREG(st.st_mode)) {
      IA_ASSIGN_OR_RETURN(ImportedEntry e, AddFile(child, shown + "/" + n));
      e.name = n;  // the link's name, not its target's
      children.push_back(std::move(e));
    } else if (S_ISDIR(st.st_mode)) {
      IA_ASSIGN_OR_RETURN(ImportedEntry e, AddDirectory(child, shown + "/" + n, depth + 1));
      e.name = n;
      children.push_back(std::move(e));
    } else {
      return Status::InvalidArgument(child + " is not a regular file or directory");
    }
  }
  IA_ASSIGN_OR_RETURN(ImportedEntry dir, MakeDirectory(std::move(children), BaseName(path)));
  if (on_entry_) on_entry_(shown, dir);
  return dir;
}

Result<ImportedEntry> Importer::AddPath(const std::string& path, bool recursive) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("no such file or directory: " + path);
    return Status::FromErrno("cannot stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!recursive) return Status::InvalidArgument(path + " is a directory; add it with -r");
    return AddDirectory(path, BaseName(path), 0);
  }
  if (!S_ISREG(st.st_mode))
    return Status::InvalidArgument(path + " is not a regular file or directory");
  return AddFile(path, BaseName(path));
}

}  // namespace ipfs_accelerate::store
