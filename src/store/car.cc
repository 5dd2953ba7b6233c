#include "store/car.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <set>

#include "core/file_util.h"
#include "store/car_stream.h"
#include "store/dag_cbor.h"
#include "store/dag_walk.h"
#include "store/multihash.h"
#include "store/repo.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

constexpr uint64_t kMaxHeaderBytes = kMaxCarHeaderBytes;
constexpr uint64_t kMaxSectionBytes = kMaxCarSectionBytes;
constexpr uint64_t kMaxRoots = 1024;

}  // namespace

Result<std::vector<Cid>> ParseCarHeader(std::span<const uint8_t> header) {
  CborReader r(header, "CAR header");
  int major;
  uint64_t n;
  IA_RETURN_IF_ERROR(r.Head(&major, &n));
  if (major != 5) return Status::Corruption("CAR header is not a CBOR map");
  std::optional<uint64_t> version;
  std::optional<std::vector<Cid>> roots;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    IA_RETURN_IF_ERROR(r.Head(&major, &len));
    if (major != 3) return Status::Corruption("CAR header has a non-text key");
    IA_ASSIGN_OR_RETURN(auto key_bytes, r.Bytes(len));
    std::string key(key_bytes.begin(), key_bytes.end());
    if (key == "version") {
      uint64_t v;
      IA_RETURN_IF_ERROR(r.Head(&major, &v));
      if (major != 0) return Status::Corruption("CAR header: version is not an unsigned integer");
      version = v;
    } else if (key == "roots") {
      uint64_t count;
      IA_RETURN_IF_ERROR(r.Head(&major, &count));
      if (major != 4) return Status::Corruption("CAR header: roots is not an array");
      if (count > kMaxRoots) return Status::Corruption("CAR header lists more than 1024 roots");
      roots.emplace();
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t tag;
        IA_RETURN_IF_ERROR(r.Head(&major, &tag));
        if (major != 6 || tag != 42)
          return Status::Corruption("CAR header: a root is not a CID (tag 42)");
        auto cid = r.LinkAfterTag();
        if (!cid.ok()) return cid.status().WithContext("root " + std::to_string(k));
        roots->push_back(*cid);
      }
    } else {
      std::string shown = key.substr(0, 40);
      for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // no terminal escapes
      }
      return Status::Corruption("CAR header has an unknown key \"" + shown + "\"");
    }
  }
  if (!r.done()) return Status::Corruption("CAR header has trailing bytes");
  if (version == 2u) {
    return Status::Unsupported(
        "this is a CARv2 file; only CARv1 is supported (convert it to CARv1 first)");
  }
  if (version != 1u) return Status::Corruption("CAR header has no version 1");
  if (!roots) return Status::Corruption("CAR header has no roots");
  return std::move(*roots);
}

Result<size_t> FdReader::Read(uint8_t* buf, size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return Status::FromErrno("cannot read", name_, errno);
  }
}

Result<size_t> MemoryReader::Read(uint8_t* buf, size_t n) {
  size_t k = std::min(n, bytes_.size() - pos_);
  std::copy(bytes_.begin() + pos_, bytes_.begin() + pos_ + k, buf);
  pos_ += k;
  return k;
}

Status CarReader::ReadExact(uint8_t* buf, size_t n, const char* what) {
  size_t done = 0;
  while (done < n) {
    IA_ASSIGN_OR_RETURN(size_t got, in_->Read(buf + done, n - done));
    if (got == 0) {
      return Status::Corruption("CAR file is truncated: " + std::string(what) + " at offset " +
                                std::to_string(offset_ + done) + " ends early");
    }
    done += got;
  }
  offset_ += n;
  return Status::Ok();
}

// Reads a length varint; nullopt at a clean end of input (before its first byte).
Result<std::optional<uint64_t>> CarReader::ReadLength(const char* what) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    uint8_t b;
    IA_ASSIGN_OR_RETURN(size_t got, in_->Read(&b, 1));
    if (got == 0) {
      if (i == 0) return std::optional<uint64_t>();
      return Status::Corruption("CAR file is truncated inside a " + std::string(what) +
                                " length at offset " + std::to_string(offset_));
    }
    ++offset_;
    // The tenth byte holds bit 63 only; more would be silently dropped and wrap the length.
    if (i == 9 && b > 1) break;
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return std::optional<uint64_t>(v);
  }
  return Status::Corruption("CAR file has a malformed " + std::string(what) +
                            " length varint before offset " + std::to_string(offset_) +
                            " (it does not fit in 64 bits)");
}

Result<CarReader> CarReader::Open(ByteReader* in) {
  CarReader r(in);
  IA_ASSIGN_OR_RETURN(auto len, r.ReadLength("header"));
  if (!len) return Status::Corruption("CAR file is empty");
  if (*len == 0 || *len > kMaxHeaderBytes) {
    return Status::Corruption("CAR header length " + std::to_string(*len) +
                              " is out of range; is this a CAR file?");
  }
  std::string header(*len, '\0');
  IA_RETURN_IF_ERROR(
      r.ReadExact(reinterpret_cast<uint8_t*>(header.data()), header.size(), "header"));
  IA_ASSIGN_OR_RETURN(r.roots_, ParseCarHeader(AsBytes(header)));
  return r;
}

Result<bool> CarReader::Next(Cid* cid, std::string* block) {
  uint64_t section_offset = offset_;
  IA_ASSIGN_OR_RETURN(auto len, ReadLength("section"));
  if (!len) return false;
  if (*len == 0 || *len > kMaxSectionBytes) {
    return Status::Corruption("CAR section at offset " + std::to_string(section_offset) +
                              " has length " + std::to_string(*len) + " (must be 1 to " +
                              std::to_string(kMaxSectionBytes) + ")");
  }
  std::string section(*len, '\0');
  IA_RETURN_IF_ERROR(
      ReadExact(reinterpret_cast<uint8_t*>(section.data()), section.size(), "section"));
  size_t pos = 0;
  auto parsed = Cid::Read(AsBytes(section), &pos);
  if (!parsed.ok()) {
    return Status::Corruption("CAR section at offset " + std::to_string(section_offset) + ": " +
                              parsed.status().message());
  }
  *cid = std::move(parsed).value();
  *block = section.substr(pos);
  Status ok = VerifyMultihash(cid->multihash(), AsBytes(*block));
  if (!ok.ok()) {
    return Status(ok.code() == StatusCode::kCorruption
                      ? Status::Corruption("CAR block " + std::to_string(blocks_) + " (" +
                                           cid->ToString() + ", offset " +
                                           std::to_string(section_offset) +
                                           ") does not match its hash")
                      : ok);
  }
  ++blocks_;
  return true;
}

std::string EncodeCarHeader(const std::vector<Cid>& roots) {
  std::string cbor;
  AppendCborHead(cbor, 5, 2);
  AppendCborHead(cbor, 3, 5);
  cbor += "roots";
  AppendCborHead(cbor, 4, roots.size());
  for (const Cid& root : roots) {
    std::string bytes = root.Bytes();
    AppendCborHead(cbor, 6, 42);
    AppendCborHead(cbor, 2, bytes.size() + 1);
    cbor.push_back('\0');
    cbor += bytes;
  }
  AppendCborHead(cbor, 3, 7);
  cbor += "version";
  AppendCborHead(cbor, 0, 1);
  std::string out;
  AppendVarint(out, cbor.size());
  return out + cbor;
}

Status ExportCar(BlockSource& source, const Cid& root, const std::string& path,
                 const std::function<void(uint64_t)>& progress, const CancelToken* cancel) {
  bool to_stdout = path == "-";
  std::string tmp = to_stdout ? "stdout" : PartialPath(path);
  UniqueFd owned;
  int fd = STDOUT_FILENO;
  if (!to_stdout) {
    struct stat st;
    if (lstat(path.c_str(), &st) == 0) {
      return Status::InvalidArgument(path + " already exists; remove it or choose another -o path");
    }
    RemoveStalePartials(path);
    owned = UniqueFd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!owned.valid()) return Status::FromErrno("cannot create", tmp, errno);
    fd = owned.get();
  }
  std::string buf;
  uint64_t written = 0;
  auto flush = [&]() -> Status {
    IA_RETURN_IF_ERROR(WriteAll(fd, buf.data(), buf.size(), tmp));
    written += buf.size();
    buf.clear();
    if (progress) progress(written);
    return Status::Ok();
  };
  Status s = [&]() -> Status {
    IA_ASSIGN_OR_RETURN(std::unique_ptr<CarStream> car, CarStream::Start(source, root, {}));
    for (;;) {
      if (cancel) IA_RETURN_IF_ERROR(cancel->Check("car export"));
      IA_ASSIGN_OR_RETURN(bool more, car->Next(&buf));
      if (!more) return Status::Ok();
      if (buf.size() >= (1 << 20)) IA_RETURN_IF_ERROR(flush());
    }
  }();
  if (s.ok()) s = flush();
  if (!to_stdout) {
    if (s.ok() && fsync(fd) != 0) s = Status::FromErrno("cannot sync", tmp, errno);
    owned.Reset();
    if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0)
      s = Status::FromErrno("cannot rename into place", path, errno);
    if (!s.ok()) {
      unlink(tmp.c_str());
      return s;
    }
    return SyncDir(DirName(path));
  }
  return s;
}

Result<std::vector<Cid>> ImportCar(ByteReader& in, Repo& repo,
                                   const std::function<void(uint64_t)>& progress) {
  IA_ASSIGN_OR_RETURN(CarReader car, CarReader::Open(&in));
  if (car.roots().empty())
    return Status::Corruption("CAR header lists no roots; nothing to import");
  auto writer = repo.NewWriter(BlockWriter::Publish::kOnCommit);
  // The links of every node received, by NodeKey: the same bytes may arrive as raw and as dag-pb,
  // and only the dag-pb node has links to check.
  std::map<std::string, Result<std::vector<Cid>>> received;
  Cid cid;
  std::string block;
  for (;;) {
    IA_ASSIGN_OR_RETURN(bool more, car.Next(&cid, &block));
    if (!more) break;
    std::string key = cid.NodeKey();
    if (!received.count(key)) {
      auto links = BlockLinks(cid, block);
      if (!links.ok() && links.status().code() != StatusCode::kUnsupported) {
        return links.status().WithContext("CAR rejected, nothing imported");
      }
      // A codec we cannot read is refused below if a root reaches it: a node whose links are
      // unknown could hide missing blocks behind a pin.
      received.emplace(std::move(key), std::move(links));
    }
    std::span<const uint8_t> parts[] = {AsBytes(block)};
    IA_RETURN_IF_ERROR(writer->Put(cid, parts));
    if (progress) progress(car.offset());
  }
  // Every root and everything below it must be in the CAR or already in the repository.
  CidSet checked;
  for (const Cid& root : car.roots()) {
    std::vector<std::pair<Cid, Cid>> stack{{root, root}};  // node, parent
    while (!stack.empty()) {
      auto [c, parent] = stack.back();
      stack.pop_back();
      if (!checked.Insert(c)) continue;
      auto it = received.find(c.NodeKey());
      std::vector<Cid> links;
      if (it != received.end()) {
        if (!it->second.ok())
          return it->second.status().WithContext("CAR rejected, nothing imported");
        links = *it->second;
      } else if (repo.HasBlock(c)) {
        IA_ASSIGN_OR_RETURN(std::string b, repo.GetBlock(c));
        auto l = BlockLinks(c, b);
        if (!l.ok()) return l.status().WithContext("CAR rejected, nothing imported");
        links = std::move(l).value();
      } else {
        std::string where = c == root ? "root " : "block ";
        std::string from = c == root ? "" : " (linked from " + parent.ToString() + ")";
        return Status::NotFound("CAR rejected, nothing imported: " + where + c.ToString() + from +
                                " is neither in the CAR nor in the repository");
      }
      for (auto l = links.rbegin(); l != links.rend(); ++l) stack.push_back({*l, c});
    }
  }
  IA_RETURN_IF_ERROR(writer->Commit());
  return car.roots();
}

}  // namespace ipfs_accelerate::store
