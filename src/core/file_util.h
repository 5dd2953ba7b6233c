// Small POSIX file helpers: whole-file reads, atomic durable writes, directory syncs, locks.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace ipfs_accelerate {

// Reads the whole file at `path`.
Result<std::string> ReadFile(const std::string& path);

// Replaces `path` with `data` so that readers see the old or the new content, never a mix:
// writes a temporary file beside it, fsyncs it, renames it over `path`, fsyncs the directory.
Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data);
Status WriteFileAtomic(const std::string& path, const std::string& data);

// Makes `path` and its parents (mode 0755); ok if it exists.
Status MakeDirs(const std::string& path);

// fsyncs a directory so that entries created or renamed in it are durable.
Status SyncDir(const std::string& path);

// Removes a directory tree; ok if it does not exist.
Status RemoveTree(const std::string& path);

// The directory part of `path` ("." when there is none).
std::string DirName(const std::string& path);

// Outputs that appear whole or not at all (get, car export) are built under a temporary name
// beside `dest`, "DEST.ia-partial-PID", and renamed into place when complete.
std::string PartialPath(const std::string& dest);
// Removes partial outputs for `dest` left by processes that are gone (killed, or a crash); those
// of live processes stay. Returns how many it removed.
int RemoveStalePartials(const std::string& dest);
// Whether process `pid` exists on this machine (a reused pid reads as alive: the safe answer).
bool ProcessAlive(int pid);

// Bytes and inodes an unprivileged user may still use on the file system holding `dir`.
struct FreeSpace {
  uint64_t bytes = 0;
  uint64_t inodes = 0;  // UINT64_MAX when the file system does not count them
};
Result<FreeSpace> FreeSpaceAt(const std::string& dir);

// An advisory lock (flock) on a file, released on destruction.
class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  FileLock() = default;
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Waits for the lock on `path` (created if missing). With `wait` false, fails with kBusy at once.
  static Result<FileLock> Acquire(const std::string& path, Mode mode, bool wait = true);

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// An open file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// Writes all of `data` to `fd`, retrying short writes.
Status WriteAll(int fd, const void* data, size_t size, const std::string& path_for_errors);

}  // namespace ipfs_accelerate
