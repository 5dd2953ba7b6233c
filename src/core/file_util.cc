#include "core/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

namespace ipfs_accelerate {

Result<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return Status::NotFound("no such file: " + path);
    return Status::FromErrno("cannot open", path, errno);
  }
  // One allocation of the file's size, read into directly (blocks are read this way: growing a
  // string 64 KiB at a time cost copies and page faults that halved the gateway's CAR rate).
  struct stat st;
  size_t expected = fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
  std::string out(expected, '\0');
  size_t have = 0;
  for (;;) {
    if (have == out.size()) out.resize(have + (have < (1 << 16) ? (1 << 16) : have));
    ssize_t n = read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot read", path, errno);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  out.resize(have);
  return out;
}

Status WriteAll(int fd, const void* data, size_t size, const std::string& path_for_errors) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot write", path_for_errors, errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string PartialPath(const std::string& dest) {
  return dest + ".ia-partial-" + std::to_string(getpid());
}

bool ProcessAlive(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH); }

int RemoveStalePartials(const std::string& dest) {
  std::string dir = DirName(dest);
  std::string prefix = dest.substr(dest.find_last_of('/') + 1) + ".ia-partial-";
  int removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (ProcessAlive(std::stoi(pid))) continue;
    if (RemoveTree(it->path().string()).ok()) ++removed;
  }
  return removed;
}

Result<FreeSpace> FreeSpaceAt(const std::string& dir) {
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0)
    return Status::FromErrno("cannot read free space of", dir, errno);
  FreeSpace free;
  free.bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  free.inodes = st.f_files == 0 ? UINT64_MAX : static_cast<uint64_t>(st.f_favail);
  return free;
}

Status SyncDir(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("cannot open directory", path, errno);
  if (fsync(fd.get()) != 0) return Status::FromErrno("cannot sync directory", path, errno);
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::FromErrno("cannot create", tmp, errno);
  Status s = WriteAll(fd.get(), data.data(), data.size(), tmp);
  if (s.ok() && fsync(fd.get()) != 0) s = Status::FromErrno("cannot sync", tmp, errno);
  fd.Reset();
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::FromErrno("cannot rename into place", path, errno);
  }
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  return SyncDir(DirName(path));
}

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  return WriteFileAtomic(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IoError("cannot create directory " + path + ": " + ec.message());
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IoError("cannot remove " + path + ": " + ec.message());
  return Status::Ok();
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode, bool wait) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("cannot open lock file", path, errno);
  int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Busy("another ipfs-accelerate process holds " + path + "; retry when it ends");
    }
    return Status::FromErrno("cannot lock", path, err);
  }
  return FileLock(fd);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    Reset();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() { Reset(); }

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace ipfs_accelerate
