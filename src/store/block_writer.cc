#include "store/block_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

// A batch is handed to the sync thread at this size; two may wait, which bounds dirty memory.
constexpr uint64_t kBatchBytes = 32 << 20;
constexpr size_t kBatchFiles = 256;
constexpr size_t kMaxQueuedBatches = 2;

}  // namespace

BlockWriter::BlockWriter(DiskBlockStore* store, Publish publish)
    : store_(store), publish_(publish), syncer_([this] { SyncLoop(); }) {
  // Unique among processes (pid) and among writers in one process (random).
  std::random_device rd;
  uint64_t nonce = (static_cast<uint64_t>(rd()) << 32) | rd();
  char buf[64];
  std::snprintf(buf, sizeof buf, "/%d-%016llx-", static_cast<int>(getpid()),
                static_cast<unsigned long long>(nonce));
  tmp_prefix_ = store_->TempDir() + buf;
}

BlockWriter::~BlockWriter() {
  if (!finished_) Abort();
}

Status BlockWriter::Put(const Cid& cid, std::span<const std::span<const uint8_t>> parts) {
  const std::string& mh = cid.multihash();
  std::string tmp_path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
    if (finished_) return Status::Internal("BlockWriter::Put after Commit or Abort");
    if (!seen_.insert(mh).second) return Status::Ok();
    tmp_path = tmp_prefix_ + std::to_string(tmp_counter_++);
  }
  // A block already stored is kept only if intact: adding the content again repairs it.
  if (store_->Has(mh)) {
    auto existing = store_->ReadRaw(mh);
    if (existing.ok() && VerifyMultihash(mh, AsBytes(*existing)).ok()) return Status::Ok();
  }

  UniqueFd fd(open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd.valid() && errno == ENOENT) {
    IA_RETURN_IF_ERROR(MakeDirs(store_->TempDir()));
    fd = UniqueFd(open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  }
  if (!fd.valid()) return Status::FromErrno("cannot create", tmp_path, errno);

  iovec iov[8];
  size_t n = 0;
  uint64_t size = 0;
  for (auto p : parts) {
    if (n == 8) return Status::Internal("too many block parts");
    iov[n++] = {const_cast<uint8_t*>(p.data()), p.size()};
    size += p.size();
  }
  uint64_t written = 0;
  size_t first = 0;
  while (written < size) {
    ssize_t w = writev(fd.get(), iov + first, static_cast<int>(n - first));
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = Status::FromErrno("cannot write", tmp_path, errno);
      unlink(tmp_path.c_str());
      return s;
    }
    written += static_cast<uint64_t>(w);
    size_t left = static_cast<size_t>(w);
    while (first < n && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < n) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  // Start write-back now so the batch sync mostly waits for I/O already under way.
  sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);

  std::unique_lock<std::mutex> lock(mu_);
  current_.push_back({std::move(fd), std::move(tmp_path), mh});
  current_bytes_ += size;
  blocks_written_++;
  bytes_written_ += size;
  if (current_bytes_ >= kBatchBytes || current_.size() >= kBatchFiles) {
    cv_.wait(lock, [this] { return queue_.size() < kMaxQueuedBatches || !error_.ok(); });
    HandOffLocked(lock);
  }
  return error_;
}

void BlockWriter::HandOffLocked(std::unique_lock<std::mutex>&) {
  if (current_.empty()) return;
  queue_.push_back(std::move(current_));
  current_.clear();
  current_bytes_ = 0;
  cv_.notify_all();
}

void BlockWriter::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    syncing_ = true;
    lock.unlock();
    Status s = SyncBatch(batch);
    lock.lock();
    syncing_ = false;
    if (!s.ok() && error_.ok()) error_ = s;
    if (s.ok() && publish_ == Publish::kOnCommit) {
      for (auto& p : batch) synced_.push_back(std::move(p));
    } else if (!s.ok()) {
      for (auto& p : batch) unlink(p.tmp_path.c_str());
    }
    cv_.notify_all();
  }
}

Status BlockWriter::SyncBatch(Batch& batch) {
  // On ext4 the first fdatasync commits the journal, which writes every file's data in the
  // batch; the rest return quickly. Each call is still needed for the guarantee per file.
  for (auto& p : batch) {
    if (fdatasync(p.fd.get()) != 0) return Status::FromErrno("cannot sync", p.tmp_path, errno);
    p.fd.Reset();
  }
  if (publish_ == Publish::kAfterEachSync) {
    for (auto& p : batch) IA_RETURN_IF_ERROR(PublishOne(p));
  }
  return Status::Ok();
}

Status BlockWriter::PublishOne(Pending& p) {
  std::string dir = store_->ShardDirFor(p.multihash);
  std::string final_path = store_->PathFor(p.multihash);
  if (rename(p.tmp_path.c_str(), final_path.c_str()) != 0) {
    if (errno != ENOENT) return Status::FromErrno("cannot rename block into", final_path, errno);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::FromErrno("cannot create", dir, errno);
    {
      std::lock_guard<std::mutex> lock(mu_);
      created_shard_ = true;
    }
    if (rename(p.tmp_path.c_str(), final_path.c_str()) != 0) {
      return Status::FromErrno("cannot rename block into", final_path, errno);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  dirs_to_sync_.insert(dir);
  return Status::Ok();
}

Status BlockWriter::Commit() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (finished_) return Status::Internal("BlockWriter::Commit called twice");
    HandOffLocked(lock);
    cv_.wait(lock, [this] { return queue_.empty() && !syncing_; });
    stopping_ = true;
    cv_.notify_all();
  }
  syncer_.join();
  if (!error_.ok()) {
    Abort();
    return error_;
  }
  if (publish_ == Publish::kOnCommit) {
    for (size_t i = 0; i < synced_.size(); ++i) {
      Status s = PublishOne(synced_[i]);
      if (!s.ok()) {
        Abort();
        return s;
      }
    }
    synced_.clear();
  }
  finished_ = true;
  for (const std::string& dir : dirs_to_sync_) IA_RETURN_IF_ERROR(SyncDir(dir));
  if (created_shard_) IA_RETURN_IF_ERROR(SyncDir(store_->root()));
  return Status::Ok();
}

void BlockWriter::Abort() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (error_.ok()) error_ = Status::Internal("aborted");
    cv_.notify_all();
  }
  if (syncer_.joinable()) syncer_.join();
  for (auto& batch : queue_) {
    for (auto& p : batch) unlink(p.tmp_path.c_str());
  }
  queue_.clear();
  for (auto& p : current_) unlink(p.tmp_path.c_str());
  current_.clear();
  for (auto& p : synced_) unlink(p.tmp_path.c_str());
  synced_.clear();
  finished_ = true;
}

}  // namespace ipfs_accelerate::store
