// File helpers: atomic durable writes, directories, locks and descriptors.
#include "core/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../test_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;
using test_util::TempDir;

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ReadFileTest, ReadsWholeFile) {
  TempDir dir;
  std::string big(200000, 'x');
  big[123456] = '\0';
  ASSERT_TRUE(WriteFileAtomic(dir / "f", big).ok());
  auto r = ReadFile(dir / "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, big);
}

TEST(ReadFileTest, MissingFileIsNotFoundAndNamesThePath) {
  TempDir dir;
  auto r = ReadFile(dir / "missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(r.status().message(), dir / "missing"));
}

TEST(WriteFileAtomicTest, CreatesFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "pins.json", std::string("{}\n")).ok());
  EXPECT_EQ(test_util::MustRead(dir / "pins.json"), "{}\n");
}

TEST(WriteFileAtomicTest, ReplacesContentAndLeavesNoTemporaryFiles) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "f", std::string("a long first version of the file")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "f", std::string("short")).ok());
  EXPECT_EQ(test_util::MustRead(dir / "f"), "short");  // no bytes of the old, longer content
  const uint8_t binary[] = {0, 1, 2, 0xff, 0};
  ASSERT_TRUE(WriteFileAtomic(dir / "f", std::span<const uint8_t>(binary)).ok());
  EXPECT_EQ(test_util::MustRead(dir / "f"), std::string("\0\1\2\xff\0", 5));
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"f"});
}

TEST(WriteFileAtomicTest, ReaderThatOpenedTheOldFileSeesOnlyTheOldContent) {
  TempDir dir;
  std::string old_content(100000, 'o');
  ASSERT_TRUE(WriteFileAtomic(dir / "f", old_content).ok());
  UniqueFd reader(open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(reader.valid());
  ASSERT_TRUE(WriteFileAtomic(dir / "f", std::string(100000, 'n')).ok());
  std::string seen(200000, '\0');
  size_t got = 0;
  for (ssize_t n; (n = read(reader.get(), seen.data() + got, seen.size() - got)) > 0;) got += n;
  seen.resize(got);
  EXPECT_EQ(seen, old_content);
  EXPECT_EQ(test_util::MustRead(dir / "f"), std::string(100000, 'n'));
}

TEST(WriteFileAtomicTest, FailureInMissingDirectoryLeavesNothing) {
  TempDir dir;
  Status s = WriteFileAtomic(dir / "no/such/dir/f", std::string("x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(s.message(), dir / "no/such/dir"));
  EXPECT_TRUE(Names(dir.path()).empty());
}

TEST(MakeDirsTest, CreatesParentsAndIsIdempotent) {
  TempDir dir;
  ASSERT_TRUE(MakeDirs(dir / "a/b/c").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a/b/c"));
  EXPECT_TRUE(MakeDirs(dir / "a/b/c").ok());
}

TEST(MakeDirsTest, FailsWhenAFileIsInTheWay) {
  TempDir dir;
  test_util::MustWrite(dir / "file", "x");
  Status s = MakeDirs(dir / "file/sub");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasSubstr(s.message(), dir / "file/sub"));
}

TEST(RemoveTreeTest, RemovesTreesWithReadOnlyFilesAndIgnoresMissing) {
  TempDir dir;
  ASSERT_TRUE(MakeDirs(dir / "t/sub").ok());
  test_util::MustWrite(dir / "t/sub/block", "x");
  ASSERT_EQ(chmod((dir / "t/sub/block").c_str(), 0444), 0);
  EXPECT_TRUE(RemoveTree(dir / "t").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "t"));
  EXPECT_TRUE(RemoveTree(dir / "t").ok());
}

TEST(SyncDirTest, SyncsExistingAndFailsOnMissing) {
  TempDir dir;
  EXPECT_TRUE(SyncDir(dir.path()).ok());
  Status s = SyncDir(dir / "missing");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasSubstr(s.message(), dir / "missing"));
}

TEST(DirNameTest, Cases) {
  EXPECT_EQ(DirName("a/b"), "a");
  EXPECT_EQ(DirName("/a/b/c"), "/a/b");
  EXPECT_EQ(DirName("b"), ".");
  EXPECT_EQ(DirName("/b"), "/");
}

TEST(FileLockTest, CreatesTheLockFile) {
  TempDir dir;
  auto lock = FileLock::Acquire(dir / "repo.lock", FileLock::Mode::kShared);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir / "repo.lock"));
}

TEST(FileLockTest, ExclusiveExcludesEveryoneWithoutWaiting) {
  TempDir dir;
  const std::string path = dir / "repo.lock";
  auto held = FileLock::Acquire(path, FileLock::Mode::kExclusive, /*wait=*/false);
  ASSERT_TRUE(held.ok()) << held.status().ToString();

  auto ex = FileLock::Acquire(path, FileLock::Mode::kExclusive, /*wait=*/false);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().code(), StatusCode::kBusy);
  EXPECT_TRUE(HasSubstr(ex.status().message(), path));

  auto sh = FileLock::Acquire(path, FileLock::Mode::kShared, /*wait=*/false);
  ASSERT_FALSE(sh.ok());
  EXPECT_EQ(sh.status().code(), StatusCode::kBusy);
}

TEST(FileLockTest, SharedAdmitsSharedButNotExclusive) {
  TempDir dir;
  const std::string path = dir / "repo.lock";
  auto a = FileLock::Acquire(path, FileLock::Mode::kShared, false);
  auto b = FileLock::Acquire(path, FileLock::Mode::kShared, false);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto ex = FileLock::Acquire(path, FileLock::Mode::kExclusive, false);
  ASSERT_FALSE(ex.ok());
  EXPECT_EQ(ex.status().code(), StatusCode::kBusy);
}

TEST(FileLockTest, ReleasedOnDestructionAndKeptAcrossMoves) {
  TempDir dir;
  const std::string path = dir / "repo.lock";
  {
    auto held = FileLock::Acquire(path, FileLock::Mode::kExclusive, false);
    ASSERT_TRUE(held.ok());
    FileLock moved(std::move(held).value());
    EXPECT_EQ(FileLock::Acquire(path, FileLock::Mode::kExclusive, false).status().code(),
              StatusCode::kBusy);
    FileLock assigned;
    assigned = std::move(moved);
    EXPECT_EQ(FileLock::Acquire(path, FileLock::Mode::kShared, false).status().code(),
              StatusCode::kBusy);
  }
  auto again = FileLock::Acquire(path, FileLock::Mode::kExclusive, false);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST(FileLockTest, MoveAssignReleasesThePreviousLock) {
  TempDir dir;
  auto a = FileLock::Acquire(dir / "a.lock", FileLock::Mode::kExclusive, false);
  auto b = FileLock::Acquire(dir / "b.lock", FileLock::Mode::kExclusive, false);
  ASSERT_TRUE(a.ok() && b.ok());
  FileLock holder = std::move(a).value();
  holder = std::move(b).value();  // drops a.lock
  EXPECT_TRUE(FileLock::Acquire(dir / "a.lock", FileLock::Mode::kExclusive, false).ok());
  EXPECT_FALSE(FileLock::Acquire(dir / "b.lock", FileLock::Mode::kExclusive, false).ok());
}

TEST(FileLockTest, UnopenableLockFileIsAnError) {
  TempDir dir;
  auto lock = FileLock::Acquire(dir / "missing/dir/repo.lock", FileLock::Mode::kShared);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), StatusCode::kIoError);
}

TEST(UniqueFdTest, ClosesOnDestructionAndReset) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    UniqueFd r(fds[0]);
    UniqueFd w(fds[1]);
    EXPECT_TRUE(r.valid());
    UniqueFd moved(std::move(w));
    EXPECT_FALSE(w.valid());
    EXPECT_EQ(moved.get(), fds[1]);
    moved.Reset();
    EXPECT_FALSE(moved.valid());
    EXPECT_EQ(fcntl(fds[1], F_GETFD), -1);
  }
  EXPECT_EQ(fcntl(fds[0], F_GETFD), -1);
}

TEST(WriteAllTest, WritesEverythingAndReportsErrors) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  std::string data = test_util::PatternBytes(30000);  // under the pipe buffer, so no reader needed
  ASSERT_TRUE(WriteAll(w.get(), data.data(), data.size(), "pipe").ok());
  w.Reset();
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(r.get(), buf, sizeof buf)) > 0;) got.append(buf, n);
  EXPECT_EQ(got, data);

  Status s = WriteAll(-1, "x", 1, "/some/where");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(HasSubstr(s.message(), "/some/where"));
}

}  // namespace
}  // namespace ipfs_accelerate
