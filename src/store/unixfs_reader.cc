#include "store/unixfs_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "core/file_util.h"
#include "store/unixfs.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

constexpr int kMaxDepth = 512;

Result<UnixFsNode> LoadNode(BlockSource* source, const Cid& cid, std::string* block) {
  IA_ASSIGN_OR_RETURN(*block, source->GetBlock(cid));
  auto node = DecodeUnixFsNode(AsBytes(*block));
  if (!node.ok()) return node.status().WithContext(cid.ToString());
  return node;
}

// Names from a DAG become file names: refuse anything that could escape the target directory.
Status CheckSafeName(const std::string& name, const Cid& dir) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return Status::Corruption("directory " + dir.ToString() + " has an entry named \"" + name +
                              "\", which is not a safe file name");
  }
  return Status::Ok();
}

}  // namespace

void SplitIpfsPath(const std::string& text, std::string* root, std::string* path) {
  std::string t = text;
  if (t.starts_with("/ipfs/")) t = t.substr(6);
  auto slash = t.find('/');
  *root = t.substr(0, slash);
  *path = slash == std::string::npos ? "" : t.substr(slash + 1);
}

Result<Cid> UnixFsReader::Resolve(const Cid& root, const std::string& path) {
  Cid cur = root;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    std::string name =
        path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    pos = slash == std::string::npos ? path.size() : slash + 1;
    if (name.empty()) continue;
    IA_ASSIGN_OR_RETURN(std::string block, source_->GetBlock(cur));
    IA_ASSIGN_OR_RETURN(cur, DirectoryEntry(cur, block, name));
  }
  return cur;
}

Result<DagStat> UnixFsReader::Stat(const Cid& cid) {
  DagStat st;
  st.cid = cid;
  IA_ASSIGN_OR_RETURN(std::string block, source_->GetBlock(cid));
  st.block_size = block.size();
  st.cumulative_size = block.size();
  if (cid.codec() == kCodecRaw) {
    st.type = "file";
    st.size = block.size();
    return st;
  }
  if (cid.codec() != kCodecDagPb) {
    st.type = CodecName(cid.codec());
    return st;
  }
  auto node = DecodeUnixFsNode(AsBytes(block));
  if (!node.ok()) return node.status().WithContext(cid.ToString());
  st.type = UnixFsTypeName(node->fs.type);
  st.links = node->pb.links.size();
  for (const PbLink& l : node->pb.links) st.cumulative_size += l.tsize.value_or(0);
  if (node->fs.type == UnixFsType::kFile || node->fs.type == UnixFsType::kRaw) {
    st.size = node->fs.filesize.value_or(0);
  }
  if (node->fs.type == UnixFsType::kSymlink) st.size = node->fs.data ? node->fs.data->size() : 0;
  return st;
}

Result<std::vector<DirEntry>> UnixFsReader::List(const Cid& cid) {
  std::vector<DirEntry> out;
  if (cid.codec() != kCodecDagPb)
    return Status::InvalidArgument(cid.ToString() + " is a file, not a directory");
  std::string block;
  IA_ASSIGN_OR_RETURN(UnixFsNode node, LoadNode(source_, cid, &block));
  if (node.fs.type == UnixFsType::kHamtShard) {
    return Status::Unsupported(cid.ToString() +
                               " is a HAMT-sharded directory; these are not supported yet");
  }
  if (node.fs.type != UnixFsType::kDirectory) {
    return Status::InvalidArgument(cid.ToString() + " is a " + UnixFsTypeName(node.fs.type) +
                                   ", not a directory");
  }
  for (const PbLink& link : node.pb.links) {
    DirEntry e;
    e.name = link.name.value_or("");
    e.cid = link.hash;
    IA_ASSIGN_OR_RETURN(DagStat st, Stat(link.hash));
    e.type = st.type;
    e.size = st.type == "file" ? st.size : link.tsize.value_or(0);
    out.push_back(std::move(e));
  }
  return out;
}

Status UnixFsReader::ReadFile(const Cid& cid,
                              const std::function<Status(std::span<const uint8_t>)>& out) {
  Range all;
  return ReadNode(cid, std::nullopt, 0, &all, out);
}

Status UnixFsReader::ReadFileRange(const Cid& cid, uint64_t offset, uint64_t length,
                                   const std::function<Status(std::span<const uint8_t>)>& out) {
  Range range{offset, length};
  if (length == 0) return Status::Ok();
  return ReadNode(cid, std::nullopt, 0, &range, out);
}

namespace {

// Emits the part of `bytes` that falls inside `range`, advancing it.
template <typename RangeT>
Status EmitRange(std::span<const uint8_t> bytes, RangeT* range,
                 const std::function<Status(std::span<const uint8_t>)>& out) {
  uint64_t skip = std::min<uint64_t>(range->skip, bytes.size());
  range->skip -= skip;
  bytes = bytes.subspan(skip);
  uint64_t n = std::min<uint64_t>(range->remaining, bytes.size());
  range->remaining -= n;
  return n ? out(bytes.first(n)) : Status::Ok();
}

}  // namespace

Status UnixFsReader::ReadNode(const Cid& cid, std::optional<uint64_t> expected, int depth,
                              Range* range,
                              const std::function<Status(std::span<const uint8_t>)>& out) {
  if (depth > kMaxDepth)
    return Status::Corruption("file DAG below " + cid.ToString() + " is too deep");
  if (range->remaining == 0) return Status::Ok();
  std::string block;
  if (cid.codec() == kCodecRaw) {
    IA_ASSIGN_OR_RETURN(block, source_->GetBlock(cid));
    if (expected && *expected != block.size()) {
      return Status::Corruption("raw block " + cid.ToString() + " holds " +
                                std::to_string(block.size()) + " bytes where its parent promised " +
                                std::to_string(*expected));
    }
    return EmitRange(AsBytes(block), range, out);
  }
  if (cid.codec() != kCodecDagPb) {
    return Status::Unsupported(cid.ToString() + " is " + CodecName(cid.codec()) +
                               ", not a UnixFS file");
  }
  IA_ASSIGN_OR_RETURN(UnixFsNode node, LoadNode(source_, cid, &block));
  if (node.fs.type == UnixFsType::kDirectory || node.fs.type == UnixFsType::kHamtShard) {
    return Status::InvalidArgument(cid.ToString() + " is a directory; use `get` or `ls`");
  }
  if (node.fs.type != UnixFsType::kFile && node.fs.type != UnixFsType::kRaw) {
    return Status::Unsupported(cid.ToString() + " is a UnixFS " + UnixFsTypeName(node.fs.type) +
                               ", not a file");
  }
  uint64_t total = node.fs.data ? node.fs.data->size() : 0;
  for (uint64_t b : node.fs.blocksizes) total += b;
  if (expected && *expected != total) {
    return Status::Corruption("file node " + cid.ToString() + " holds " + std::to_string(total) +
                              " bytes where its parent promised " + std::to_string(*expected));
  }
  if (node.fs.data) IA_RETURN_IF_ERROR(EmitRange(AsBytes(*node.fs.data), range, out));
  for (size_t i = 0; i < node.pb.links.size() && range->remaining > 0; ++i) {
    uint64_t size = node.fs.blocksizes[i];
    if (range->skip >= size) {  // wholly before the range: not read at all
      range->skip -= size;
      continue;
    }
    IA_RETURN_IF_ERROR(ReadNode(node.pb.links[i].hash, size, depth + 1, range, out));
  }
  return Status::Ok();
}

namespace {

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t RoundUp4K(uint64_t n) {
  return n > UINT64_MAX - 4095 ? UINT64_MAX : (n + 4095) & ~uint64_t{4095};
}

}  // namespace

Result<TreeSize> UnixFsReader::DeclaredSize(const Cid& cid) {
  std::map<std::string, TreeSize> memo;
  return DeclaredSizeMemo(cid, 0, &memo);
}

Result<TreeSize> UnixFsReader::DeclaredSizeMemo(const Cid& cid, int depth,
                                                std::map<std::string, TreeSize>* memo) {
  if (depth > kMaxDepth)
    return Status::Corruption("directory tree below " + cid.ToString() + " is too deep");
  if (auto it = memo->find(cid.NodeKey()); it != memo->end()) return it->second;
  TreeSize size;
  IA_ASSIGN_OR_RETURN(DagStat st, Stat(cid));
  if (st.type == "directory") {
    size.directories = 1;
    size.disk_bytes = 4096;
    std::string block;
    IA_ASSIGN_OR_RETURN(UnixFsNode node, LoadNode(source_, cid, &block));
    for (const PbLink& link : node.pb.links) {
      IA_ASSIGN_OR_RETURN(TreeSize child, DeclaredSizeMemo(link.hash, depth + 1, memo));
      size.bytes = SatAdd(size.bytes, child.bytes);
      size.files = SatAdd(size.files, child.files);
      size.directories = SatAdd(size.directories, child.directories);
      size.disk_bytes = SatAdd(size.disk_bytes, child.disk_bytes);
    }
  } else {
    size.files = 1;
    size.bytes = st.size;
    size.disk_bytes = RoundUp4K(st.size);
  }
  memo->emplace(cid.NodeKey(), size);
  return size;
}

Status UnixFsReader::GetInto(const Cid& cid, const std::string& path, int depth, uint64_t* done,
                             const std::function<void(uint64_t)>& progress,
                             const CancelToken* cancel) {
  if (depth > kMaxDepth)
    return Status::Corruption("directory tree below " + cid.ToString() + " is too deep");
  IA_ASSIGN_OR_RETURN(DagStat st, Stat(cid));
  if (st.type == "directory") {
    if (mkdir(path.c_str(), 0755) != 0)
      return Status::FromErrno("cannot create directory", path, errno);
    std::string block;
    IA_ASSIGN_OR_RETURN(UnixFsNode node, LoadNode(source_, cid, &block));
    for (const PbLink& link : node.pb.links) {
      std::string name = link.name.value_or("");
      IA_RETURN_IF_ERROR(CheckSafeName(name, cid));
      IA_RETURN_IF_ERROR(GetInto(link.hash, path + "/" + name, depth + 1, done, progress, cancel));
    }
    return SyncDir(path);
  }
  if (st.type != "file" && st.type != "raw") {
    return Status::Unsupported(cid.ToString() + " is a " + st.type +
                               "; get handles files and basic directories");
  }
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::FromErrno("cannot create", path, errno);
  IA_RETURN_IF_ERROR(ReadFile(cid, [&](std::span<const uint8_t> bytes) -> Status {
    if (cancel) IA_RETURN_IF_ERROR(cancel->Check("get"));
    *done += bytes.size();
    if (progress) progress(*done);
    return WriteAll(fd.get(), bytes.data(), bytes.size(), path);
  }));
  if (fsync(fd.get()) != 0) return Status::FromErrno("cannot sync", path, errno);
  return Status::Ok();
}

Status UnixFsReader::Get(const Cid& cid, const std::string& dest,
                         const std::function<void(uint64_t)>& progress, const CancelToken* cancel) {
  struct stat st;
  if (lstat(dest.c_str(), &st) == 0)
    return Status::InvalidArgument(dest + " already exists; choose another -o path");
  RemoveStalePartials(dest);
  IA_ASSIGN_OR_RETURN(TreeSize need, DeclaredSize(cid));
  std::string dir = DirName(dest);
  IA_ASSIGN_OR_RETURN(FreeSpace free, FreeSpaceAt(dir));
  auto count = [](uint64_t n, const char* one, const char* many) {
    return (n == UINT64_MAX ? std::string("more than 2^64") : std::to_string(n)) + " " +
           (n == 1 ? one : many);
  };
  if (need.disk_bytes > free.bytes) {
    return Status::ResourceExhausted(
        cid.ToString() + " declares " + count(need.bytes, "byte", "bytes") + " in " +
        count(need.files, "file", "files") + ", more than the " + std::to_string(free.bytes) +
        " bytes free in " + dir + "; free some space or choose another -o path");
  }
  if (SatAdd(need.files, need.directories) > free.inodes) {
    return Status::ResourceExhausted(
        cid.ToString() + " declares " + count(need.files, "file", "files") + " and " +
        count(need.directories, "directory", "directories") + ", more than the " +
        std::to_string(free.inodes) + " inodes free in " + dir + "; choose another -o path");
  }
  std::string tmp = PartialPath(dest);
  RemoveTree(tmp);
  uint64_t done = 0;
  Status s = GetInto(cid, tmp, 0, &done, progress, cancel);
  // A signal during the final syncs still means "stop": the output must not appear.
  if (s.ok() && cancel) s = cancel->Check("get");
  if (s.ok() && rename(tmp.c_str(), dest.c_str()) != 0)
    s = Status::FromErrno("cannot rename into place", dest, errno);
  if (!s.ok()) {
    RemoveTree(tmp);
    return s;
  }
  return SyncDir(DirName(dest));
}

}  // namespace ipfs_accelerate::store
