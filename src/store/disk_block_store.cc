#include "store/disk_block_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/file_util.h"
#include "store/multibase.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

constexpr std::string_view kSuffix = ".data";

std::string KeyFor(const std::string& multihash) { return Base32Lower(AsBytes(multihash)); }

}  // namespace

DiskBlockStore::DiskBlockStore(std::string root) : root_(std::move(root)) {}

std::string DiskBlockStore::ShardDirFor(const std::string& multihash) const {
  std::string key = KeyFor(multihash);
  return root_ + "/" + key.substr(key.size() - 3, 2);
}

std::string DiskBlockStore::PathFor(const std::string& multihash) const {
  return ShardDirFor(multihash) + "/" + KeyFor(multihash) + std::string(kSuffix);
}

bool DiskBlockStore::Has(const std::string& multihash) const {
  struct stat st;
  return stat(PathFor(multihash).c_str(), &st) == 0;
}

Result<std::string> DiskBlockStore::ReadRaw(const std::string& multihash) const {
  return ReadFile(PathFor(multihash));
}

Result<std::string> DiskBlockStore::GetBlock(const Cid& cid) {
  auto bytes = ReadRaw(cid.multihash());
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("block " + cid.ToString() + " is not in the repository");
    }
    return bytes.status();
  }
  Status s = VerifyMultihash(cid.multihash(), AsBytes(*bytes));
  if (!s.ok()) {
    return Status(
        s.code() == StatusCode::kCorruption
            ? Status::Corruption("block " + cid.ToString() + " is corrupt on disk (" +
                                 PathFor(cid.multihash()) +
                                 "): its bytes do not match its hash; run `ipfs-accelerate verify`")
            : s);
  }
  return bytes;
}

Status DiskBlockStore::Remove(const std::string& multihash) {
  std::string path = PathFor(multihash);
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::FromErrno("cannot remove", path, errno);
  return Status::Ok();
}

Status DiskBlockStore::ForEach(
    const std::function<void(const std::string& multihash, const std::string& path)>& fn) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator shard(root_, ec), end; !ec && shard != end; shard.increment(ec)) {
    std::string shard_name = shard->path().filename().string();
    if (shard_name.empty() || shard_name[0] == '.' || !shard->is_directory()) continue;
    std::error_code ec2;
    for (fs::directory_iterator it(shard->path(), ec2); !ec2 && it != end; it.increment(ec2)) {
      std::string name = it->path().filename().string();
      std::string path = it->path().string();
      std::string multihash;
      if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
        auto decoded = DecodeBase32(std::string_view(name).substr(0, name.size() - kSuffix.size()));
        if (decoded.ok()) {
          size_t pos = 0;
          auto mh = ReadMultihash(AsBytes(*decoded), &pos);
          if (mh.ok() && pos == decoded->size() && PathFor(*mh) == path) multihash = *mh;
        }
      }
      fn(multihash, path);
    }
    if (ec2) return Status::IoError("cannot list " + shard->path().string() + ": " + ec2.message());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError("cannot list " + root_ + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::store
