// The repository: layout, verified reads, pins, aliases, garbage collection and verification.
#include "store/repo.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "store/dag_walk.h"
#include "store/importer.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::Span;
using test_util::TempDir;

std::unique_ptr<Repo> OpenRepo(const std::string& path,
                               Repo::Access access = Repo::Access::kShared) {
  auto r = Repo::Open(path, access);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

ImportOptions Options(const char* profile = "unixfs-v1-2025", uint64_t chunk = 1000) {
  ImportOptions o = ImportOptions::ForProfile(profile).value();
  o.chunk_size = chunk;
  return o;
}

// Imports `content` as a file (1000-byte chunks unless told otherwise) and makes it durable.
Cid Add(Repo& repo, const std::string& content, const ImportOptions& options = Options()) {
  ThreadPool pool(2);
  auto writer = repo.NewWriter(BlockWriter::Publish::kAfterEachSync);
  Importer importer(options, writer.get(), &pool);
  auto e = importer.AddBytes(Span(content));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  Status s = writer->Commit();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return e.ok() ? e->cid : Cid();
}

// Every CID of the DAG below `root`, parents first.
std::vector<Cid> DagCids(Repo& repo, const Cid& root) {
  std::vector<Cid> out;
  Status s = WalkDag(repo, root, [&](const Cid& c, const std::string&) {
    out.push_back(c);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

size_t CountBlockFiles(Repo& repo) {
  size_t n = 0;
  EXPECT_TRUE(repo.blocks().ForEach([&](const std::string&, const std::string&) { ++n; }).ok());
  return n;
}

void FlipByte(const std::string& path, size_t offset = 0) {
  ASSERT_EQ(chmod(path.c_str(), 0644), 0) << path;
  std::string bytes = test_util::MustRead(path);
  ASSERT_FALSE(bytes.empty());
  bytes[offset % bytes.size()] ^= 0x20;
  test_util::MustWrite(path, bytes);
}

std::vector<std::string> TempFiles(const std::string& repo_path) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(repo_path + "/blocks/.tmp")) {
    out.push_back(e.path().string());
  }
  return out;
}

TEST(RepoTest, OpenCreatesTheLayout) {
  TempDir tmp;
  const std::string path = tmp / "repo";
  auto repo = OpenRepo(path);
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(repo->path(), path);
  EXPECT_EQ(test_util::MustRead(path + "/version"), "ipfs-accelerate-repo 1\n");
  EXPECT_TRUE(std::filesystem::is_directory(path + "/blocks"));
  EXPECT_TRUE(std::filesystem::is_directory(path + "/blocks/.tmp"));
  EXPECT_TRUE(std::filesystem::exists(path + "/repo.lock"));
  EXPECT_EQ(repo->blocks().root(), path + "/blocks");
  // A second open of the same repository, while the first is open, shares it.
  auto again = OpenRepo(path);
  EXPECT_NE(again, nullptr);
}

TEST(RepoTest, OpenRefusesAnotherFormat) {
  TempDir tmp;
  ASSERT_TRUE(MakeDirs(tmp / "repo").ok());
  test_util::MustWrite(tmp / "repo/version", "ipfs-accelerate-repo 2\n");
  auto repo = Repo::Open(tmp / "repo");
  ASSERT_FALSE(repo.ok());
  EXPECT_EQ(repo.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(repo.status().message(), "ipfs-accelerate-repo 2"));
  EXPECT_EQ(test_util::MustRead(tmp / "repo/version"), "ipfs-accelerate-repo 2\n");
}

TEST(RepoTest, DefaultPathPrefersFlagThenEnvironmentThenHome) {
  const char* old_env = std::getenv("IPFS_ACCELERATE_PATH");
  std::string saved = old_env ? old_env : "";
  setenv("IPFS_ACCELERATE_PATH", "/from/env", 1);
  EXPECT_EQ(Repo::DefaultPath("/from/flag"), "/from/flag");
  EXPECT_EQ(Repo::DefaultPath(""), "/from/env");
  unsetenv("IPFS_ACCELERATE_PATH");
  const char* home = std::getenv("HOME");
  if (home && *home) {
    EXPECT_EQ(Repo::DefaultPath(""), std::string(home) + "/.ipfs_accelerate");
  }
  if (old_env) setenv("IPFS_ACCELERATE_PATH", saved.c_str(), 1);
}

TEST(RepoTest, GetBlockReturnsVerifiedBytes) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid cid = Add(*repo, "hello world");
  EXPECT_TRUE(repo->HasBlock(cid));
  auto b = repo->GetBlock(cid);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, "hello world");
  // Block files are read-only: nothing in this program rewrites a block in place.
  struct stat st;
  ASSERT_EQ(stat(repo->blocks().PathFor(cid.multihash()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u);
}

TEST(RepoTest, GetBlockOfMissingBlockIsNotFoundNamingTheCid) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid cid = Cid::V1(kCodecRaw, Sha256Multihash(Span(std::string("absent"))));
  EXPECT_FALSE(repo->HasBlock(cid));
  auto b = repo->GetBlock(cid);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(b.status().message(), cid.ToString()));
}

TEST(RepoTest, GetBlockDetectsCorruptionOnDisk) {
  TempDir tmp;
  Cid cid;
  {
    auto repo = OpenRepo(tmp / "repo");
    cid = Add(*repo, "hello world");
    FlipByte(repo->blocks().PathFor(cid.multihash()));
  }
  auto repo = OpenRepo(tmp / "repo");  // a fresh process: nothing cached
  auto b = repo->GetBlock(cid);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(b.status().message(), cid.ToString()));
  EXPECT_TRUE(HasSubstr(b.status().message(), "verify"));
}

TEST(RepoTest, PinsPersist) {
  TempDir tmp;
  Cid a, b;
  {
    auto repo = OpenRepo(tmp / "repo");
    a = Add(*repo, test_util::PatternBytes(3000));
    b = Add(*repo, "hello world");
    ASSERT_TRUE(repo->Pin(a).ok());
    ASSERT_TRUE(repo->Pin(b).ok());
    ASSERT_TRUE(repo->Pin(b).ok());  // pinning twice is fine
  }
  auto repo = OpenRepo(tmp / "repo");
  auto pins = repo->Pins();
  ASSERT_TRUE(pins.ok()) << pins.status().ToString();
  EXPECT_EQ(std::set<Cid>(pins->begin(), pins->end()), (std::set<Cid>{a, b}));
  EXPECT_EQ(pins->size(), 2u);

  ASSERT_TRUE(repo->Unpin(a).ok());
  pins = repo->Pins();
  ASSERT_TRUE(pins.ok());
  EXPECT_EQ(*pins, std::vector<Cid>{b});

  Status again = repo->Unpin(a);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(again.message(), a.ToString()));
}

TEST(RepoTest, PinRefusesAnIncompleteDag) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, test_util::PatternBytes(3000));
  std::vector<Cid> cids = DagCids(*repo, root);
  ASSERT_EQ(cids.size(), 4u);
  ASSERT_TRUE(repo->blocks().Remove(cids[2].multihash()).ok());
  auto fresh = OpenRepo(tmp / "repo");
  Status s = fresh->Pin(root);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(s.message(), root.ToString()));
  EXPECT_TRUE(HasSubstr(s.message(), cids[2].ToString()));
  EXPECT_TRUE(fresh->Pins()->empty());
}

TEST(RepoTest, PinRefusesACorruptDag) {
  TempDir tmp;
  Cid root;
  {
    auto repo = OpenRepo(tmp / "repo");
    root = Add(*repo, test_util::PatternBytes(3000));
    FlipByte(repo->blocks().PathFor(DagCids(*repo, root)[3].multihash()));
  }
  auto repo = OpenRepo(tmp / "repo");
  Status s = repo->Pin(root);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_TRUE(repo->Pins()->empty());
}

TEST(RepoTest, AliasesSetOverwriteRemoveAndResolve) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid a = Add(*repo, "model v1");
  Cid b = Add(*repo, "model v2");
  ASSERT_TRUE(repo->SetAlias("ppocr-v4", a).ok());
  ASSERT_TRUE(repo->SetAlias("model_1.0", b).ok());
  auto resolved = repo->Resolve("ppocr-v4");
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(*resolved, a);

  ASSERT_TRUE(repo->SetAlias("ppocr-v4", b).ok());  // aliases are mutable
  EXPECT_EQ(repo->Resolve("ppocr-v4").value(), b);
  auto all = repo->Aliases();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::map<std::string, Cid>{{"model_1.0", b}, {"ppocr-v4", b}}));

  ASSERT_TRUE(repo->RemoveAlias("ppocr-v4").ok());
  auto gone = repo->Resolve("ppocr-v4");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(gone.status().message(), "ppocr-v4"));
  EXPECT_TRUE(HasSubstr(gone.status().message(), "alias ls"));

  Status missing = repo->RemoveAlias("ppocr-v4");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);

  auto reopened = OpenRepo(tmp / "repo");
  EXPECT_EQ(reopened->Aliases()->size(), 1u);
}

TEST(RepoTest, ResolveTakesCidText) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  const std::string text = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
  auto cid = repo->Resolve(text);
  ASSERT_TRUE(cid.ok());
  EXPECT_EQ(cid->ToString(), text);
  auto bad = repo->Resolve("not a cid!");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(RepoTest, InvalidAliasNamesAreRejected) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid a = Add(*repo, "x");
  const std::string bad_names[] = {"",
                                   ".hidden",
                                   "..",
                                   "a/b",
                                   "has space",
                                   "tab\t",
                                   "caf\xc3\xa9",
                                   std::string(129, 'a'),
                                   "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
                                   "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"};
  for (const std::string& name : bad_names) {
    EXPECT_FALSE(ValidateAliasName(name).ok()) << "\"" << name << "\"";
    Status s = repo->SetAlias(name, a);
    ASSERT_FALSE(s.ok()) << "\"" << name << "\"";
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(HasSubstr(repo->SetAlias("a/b", a).message(), "'/'"));
  EXPECT_TRUE(repo->Aliases()->empty());
  EXPECT_TRUE(ValidateAliasName(std::string(128, 'a')).ok());
  EXPECT_TRUE(ValidateAliasName("A-z_0.9").ok());
}

TEST(RepoTest, GcNeedsExclusiveAccess) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid a = Add(*repo, "unpinned");
  auto stats = repo->CollectGarbage();
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(repo->HasBlock(a));
}

TEST(RepoTest, GcKeepsPinnedAndAliasedDagsAndRemovesTheRest) {
  TempDir tmp;
  const std::string path = tmp / "repo";
  std::string pinned_content = test_util::PatternBytes(3000);
  // Shares its first 1000-byte leaf with the pinned file.
  std::string unpinned_content =
      pinned_content.substr(0, 1000) + std::string(1000, 'u') + std::string(1000, 'v');
  Cid pinned, aliased, unpinned, unpinned_later;
  std::vector<Cid> pinned_cids, aliased_cids;
  {
    auto repo = OpenRepo(path);
    pinned = Add(*repo, pinned_content);
    aliased = Add(*repo, test_util::PatternBytes(5000), Options("unixfs-v0-2015", 1000));
    unpinned = Add(*repo, unpinned_content);
    unpinned_later = Add(*repo, "pinned, then unpinned");
    ASSERT_TRUE(repo->Pin(pinned).ok());
    ASSERT_TRUE(repo->SetAlias("model", aliased).ok());
    ASSERT_TRUE(repo->Pin(unpinned_later).ok());
    ASSERT_TRUE(repo->Unpin(unpinned_later).ok());
    pinned_cids = DagCids(*repo, pinned);
    aliased_cids = DagCids(*repo, aliased);
    ASSERT_EQ(CountBlockFiles(*repo), 4u + 6u + 3u + 1u);  // the unpinned file shares one leaf
  }
  test_util::MustWrite(path + "/blocks/.tmp/4242-0-7", "left by a crashed writer");

  GcStats stats;
  {
    auto repo = OpenRepo(path, Repo::Access::kExclusive);
    auto r = repo->CollectGarbage();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    stats = *r;
  }
  EXPECT_EQ(stats.blocks_removed,
            4u);  // two unique leaves and the root of `unpinned`, and `unpinned_later`
  EXPECT_EQ(stats.blocks_kept, 10u);
  EXPECT_EQ(stats.temp_files_removed, 1u);
  EXPECT_GT(stats.bytes_freed, 2000u);

  auto repo = OpenRepo(path);
  for (const Cid& c : pinned_cids) EXPECT_TRUE(repo->GetBlock(c).ok()) << c.ToString();
  for (const Cid& c : aliased_cids) EXPECT_TRUE(repo->GetBlock(c).ok()) << c.ToString();
  EXPECT_FALSE(repo->HasBlock(unpinned));
  EXPECT_FALSE(repo->HasBlock(unpinned_later));
  EXPECT_EQ(CountBlockFiles(*repo), 10u);
  EXPECT_TRUE(TempFiles(path).empty());

  uint64_t checked = 0;
  auto problems = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(checked, 10u);
}

TEST(RepoTest, GcRefusesToRunAroundADamagedPinnedDag) {
  TempDir tmp;
  const std::string path = tmp / "repo";
  {
    auto repo = OpenRepo(path);
    Cid pinned = Add(*repo, test_util::PatternBytes(3000));
    Add(*repo, "garbage");
    ASSERT_TRUE(repo->Pin(pinned).ok());
    ASSERT_TRUE(repo->blocks().Remove(DagCids(*repo, pinned)[1].multihash()).ok());
  }
  auto before = test_util::Snapshot(path + "/blocks");
  {
    auto repo = OpenRepo(path, Repo::Access::kExclusive);
    auto r = repo->CollectGarbage();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasSubstr(r.status().message(), "nothing removed"));
  }
  EXPECT_EQ(test_util::Snapshot(path + "/blocks"), before);
}

TEST(RepoTest, VerifyCleanRepository) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, test_util::PatternBytes(3000));
  Add(*repo, "other");
  uint64_t checked = 0;
  auto all = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(checked, 5u);
  auto one = repo->Verify(root, &checked);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->empty());
  EXPECT_EQ(checked, 4u);
}

TEST(RepoTest, VerifyFindsAFlippedByteAndNamesTheBlockAsItsDagDoes) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, test_util::PatternBytes(3000), Options("unixfs-v0-2015", 1000));
  ASSERT_TRUE(repo->Pin(root).ok());
  Cid leaf = DagCids(*repo, root)[2];
  ASSERT_EQ(leaf.version(), 0);
  const std::string leaf_path = repo->blocks().PathFor(leaf.multihash());
  FlipByte(leaf_path, 500);

  uint64_t checked = 0;
  auto all = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].cid, leaf.ToString());
  EXPECT_EQ((*all)[0].path, leaf_path);
  EXPECT_EQ((*all)[0].reason, "corrupt");
  EXPECT_EQ(checked, 4u);

  auto one = repo->Verify(root, &checked);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].cid, leaf.ToString());
  EXPECT_EQ((*one)[0].reason, "corrupt");
}

TEST(RepoTest, VerifyNamesUnreferencedBlocksByTheirRawCid) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, "hello world", Options("unixfs-v0-2015"));  // one dag-pb block, not pinned
  FlipByte(repo->blocks().PathFor(root.multihash()));
  uint64_t checked = 0;
  auto all = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].cid, Cid::V1(kCodecRaw, root.multihash()).ToString());
}

TEST(RepoTest, VerifyOfADagFindsAMissingBlock) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, test_util::PatternBytes(3000));
  Cid leaf = DagCids(*repo, root)[1];
  ASSERT_TRUE(repo->blocks().Remove(leaf.multihash()).ok());
  uint64_t checked = 0;
  auto one = repo->Verify(root, &checked);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].cid, leaf.ToString());
  EXPECT_EQ((*one)[0].reason, "missing");
  EXPECT_EQ(checked, 3u);
}

TEST(RepoTest, VerifyOfTheRepositoryFindsAMissingBlockOfAPinnedDag) {
  // `verify` with no argument is what people run to ask "is my store healthy?": a pinned model
  // with a block gone cannot be read, so it must not report "all intact".
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid root = Add(*repo, test_util::PatternBytes(3000));
  ASSERT_TRUE(repo->Pin(root).ok());
  Cid leaf = DagCids(*repo, root)[1];
  ASSERT_TRUE(repo->blocks().Remove(leaf.multihash()).ok());
  uint64_t checked = 0;
  auto all = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u) << "a pinned DAG is missing " << leaf.ToString();
  EXPECT_EQ((*all)[0].cid, leaf.ToString());
  EXPECT_EQ((*all)[0].reason, "missing");
}

TEST(RepoTest, VerifyFlagsStrayFiles) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  Cid a = Add(*repo, "hello world");
  std::string shard = repo->blocks().ShardDirFor(a.multihash());
  test_util::MustWrite(shard + "/notes.txt", "not a block");
  uint64_t checked = 0;
  auto all = repo->Verify(std::nullopt, &checked);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE(HasSubstr((*all)[0].reason, "stray file"));
  EXPECT_EQ((*all)[0].path, shard + "/notes.txt");
}

TEST(RepoTest, AddingTheContentAgainRepairsACorruptBlock) {
  // After `verify` reports a corrupt block, adding the original file again is how a user repairs
  // it; the add succeeds, so the block it names must be readable afterwards.
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  std::string content = test_util::PatternBytes(3000);
  Cid root = Add(*repo, content);
  Cid leaf = DagCids(*repo, root)[2];
  FlipByte(repo->blocks().PathFor(leaf.multihash()));
  auto fresh = OpenRepo(tmp / "repo");
  ASSERT_EQ(fresh->GetBlock(leaf).status().code(), StatusCode::kCorruption);

  EXPECT_EQ(Add(*fresh, content), root);
  auto again = OpenRepo(tmp / "repo");
  auto b = again->GetBlock(leaf);
  EXPECT_TRUE(b.ok()) << "the add succeeded but left the corrupt copy: " << b.status().ToString();
  uint64_t checked = 0;
  auto problems = again->Verify(std::nullopt, &checked);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
}

TEST(RepoTest, ConcurrentWritersOfTheSameContent) {
  // Several writers in one process, on several threads (an engine adding models while serving).
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  std::string content = test_util::PatternBytes(300000);
  Cid results[4];
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = Add(*repo, content, Options("unixfs-v1-2025", 1024)); });
  }
  for (auto& t : threads) t.join();
  for (const Cid& c : results) EXPECT_EQ(c, results[0]);
  uint64_t checked = 0;
  auto problems = repo->Verify(results[0], &checked);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(CountBlockFiles(*repo), checked);
  EXPECT_TRUE(TempFiles(tmp / "repo").empty());
}

TEST(RepoTest, CorruptPinsFileIsReportedNotIgnored) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  test_util::MustWrite(tmp / "repo/pins.json", "{not json");
  auto pins = repo->Pins();
  ASSERT_FALSE(pins.ok());
  EXPECT_EQ(pins.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(pins.status().message(), "pins.json"));
}

// The same bytes as a raw block (a file) and as a dag-pb node (a directory) are two DAG nodes: a
// walk that visits the raw one first must still follow the directory's links, or gc deletes
// blocks a pin reaches (found by probing: an ordinary `add -r` makes such a DAG).
TEST(RepoTest, GcKeepsBlocksBelowADirectoryWhoseBytesAlsoAppearAsAFile) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  std::string tree = tmp / "tree";
  std::filesystem::create_directories(tree + "/sub");
  test_util::MustWrite(tree + "/sub/f", "a file below the subdirectory");
  ThreadPool pool(2);
  ImportOptions o = Options();
  {
    // The subdirectory's dag-pb block, as the importer will make it, becomes a file beside it.
    test_util::MemBlockStore mem;
    Importer importer(o, &mem, &pool);
    Cid sub = importer.AddPath(tree + "/sub", true).value().cid;
    test_util::MustWrite(tree + "/copy", mem.GetBlock(sub).value());
  }
  auto writer = repo->NewWriter(BlockWriter::Publish::kAfterEachSync);
  Importer importer(o, writer.get(), &pool);
  auto root = importer.AddPath(tree, true);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  ASSERT_TRUE(writer->Commit().ok());
  ASSERT_TRUE(repo->Pin(root->cid).ok());
  std::vector<Cid> dag = DagCids(*repo, root->cid);
  EXPECT_EQ(dag.size(), 4u) << "root, copy (raw), sub (dag-pb), sub/f";
  repo.reset();

  auto exclusive = OpenRepo(tmp / "repo", Repo::Access::kExclusive);
  auto stats = exclusive->CollectGarbage();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->blocks_removed, 0u);
  for (const Cid& c : dag) EXPECT_TRUE(exclusive->GetBlock(c).ok()) << c.ToString();
}

}  // namespace
}  // namespace ipfs_accelerate::store
