// The importer must give the same CIDs as the IPFS reference importers. The multi-block and
// directory vectors below were computed with ipfs-unixfs-importer (tests/interop/ref_add.mjs) on
// test_util::PatternBytes content.
#include "store/importer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "../test_util.h"
#include "core/file_util.h"
#include "store/dag_walk.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::MemBlockStore;
using test_util::Span;
using test_util::TempDir;

ImportOptions Profile(const char* name, uint64_t chunk = 0) {
  auto o = ImportOptions::ForProfile(name);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  if (chunk) o->chunk_size = chunk;
  return o.value();
}

std::string AddBytesCid(const ImportOptions& options, const std::string& content, int threads = 4,
                        BlockSink* sink = nullptr) {
  ThreadPool pool(threads);
  Importer importer(options, sink, &pool);
  auto e = importer.AddBytes(Span(content));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? e->cid.ToString() : "";
}

TEST(ImporterTest, HelloWorldV1IsOneRawBlock) {
  EXPECT_EQ(AddBytesCid(Profile("unixfs-v1-2025"), "hello world"),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
}

TEST(ImporterTest, HelloWorldV0IsOneDagPbLeaf) {
  EXPECT_EQ(AddBytesCid(Profile("unixfs-v0-2015"), "hello world"),
            "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
}

TEST(ImporterTest, EmptyFile) {
  EXPECT_EQ(AddBytesCid(Profile("unixfs-v1-2025"), ""),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(AddBytesCid(Profile("unixfs-v0-2015"), ""),
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
}

TEST(ImporterTest, ReportsSizes) {
  ThreadPool pool(2);
  Importer importer(Profile("unixfs-v0-2015"), nullptr, &pool);
  auto e = importer.AddBytes(Span(std::string("hello world")));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->file_size, 11u);
  EXPECT_EQ(e->tsize, 19u);  // the 19-byte leaf block
  EXPECT_FALSE(e->is_directory);
}

TEST(ImporterTest, MultiBlockFilesMatchTheReferenceImporter) {
  struct Case {
    const char* profile;
    uint64_t chunk;
    size_t size;
    const char* cid;
  };
  const Case cases[] = {
      // 3 leaves under one root.
      {"unixfs-v1-2025", 1000, 3000, "bafybeif7kmpeyeu5odblpfk4r6dyjcm54sf4y6g42urq2murne4sh32gvq"},
      {"unixfs-v0-2015", 1000, 3000, "QmXR2sFpV5vmeeV76x5fvcXAkaytbsTmyt9jqgfMiSeooK"},
      // 196 leaves: more than 174 links, so two levels.
      {"unixfs-v0-2015", 256, 50000, "QmWk31V4TpHc7MaBiDLLgVpkqzw5FxZDUooxmTGHx4GanD"},
      // 1094 leaves: more than 1024 links, so two levels.
      {"unixfs-v1-2025", 64, 70000, "bafybeiclgn7hd7gf4wnrfhc5rkqlbnuycx3klelbgqe7jg6yu6wioqkwxe"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AddBytesCid(Profile(c.profile, c.chunk), test_util::PatternBytes(c.size)), c.cid)
        << c.profile << " chunk " << c.chunk << " size " << c.size;
  }
}

TEST(ImporterTest, SameCidForOneAndFourThreads) {
  std::string content = test_util::PatternBytes(70000);
  for (const char* profile : {"unixfs-v1-2025", "unixfs-v0-2015"}) {
    ImportOptions o = Profile(profile, 64);
    std::string one = AddBytesCid(o, content, 1);
    EXPECT_EQ(AddBytesCid(o, content, 4), one) << profile;
    EXPECT_EQ(AddBytesCid(o, content, 16), one) << profile;
  }
}

TEST(ImporterTest, SinkReceivesExactlyTheBlocksOfTheDag) {
  MemBlockStore store;
  ThreadPool pool(4);
  ImportOptions o = Profile("unixfs-v0-2015", 256);
  Importer importer(o, &store, &pool);
  std::string content = test_util::PatternBytes(50000);
  auto e = importer.AddBytes(Span(content));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::set<std::string> reachable;
  Status walk = WalkDag(store, e->cid, [&](const Cid& cid, const std::string&) {
    reachable.insert(cid.multihash());
    return Status::Ok();
  });
  ASSERT_TRUE(walk.ok()) << walk.ToString();
  EXPECT_EQ(reachable, store.multihashes());
  EXPECT_EQ(reachable.size(), 196u + 2 + 1);  // leaves, two parents, root
}

TEST(ImporterTest, OnlyHashGivesTheSameCidAsStoring) {
  MemBlockStore store;
  std::string content = test_util::PatternBytes(3000);
  ImportOptions o = Profile("unixfs-v1-2025", 1000);
  EXPECT_EQ(AddBytesCid(o, content, 2, &store), AddBytesCid(o, content, 2, nullptr));
  EXPECT_EQ(store.size(), 4u);
}

TEST(ImporterTest, ProgressReachesTheFileSize) {
  ThreadPool pool(2);
  uint64_t last = 0;
  Importer importer(Profile("unixfs-v1-2025", 1000), nullptr, &pool, [&](uint64_t done) {
    EXPECT_GE(done, last);
    last = done;
  });
  ASSERT_TRUE(importer.AddBytes(Span(test_util::PatternBytes(3500))).ok());
  EXPECT_EQ(last, 3500u);
}

class FailingSink : public BlockSink {
 public:
  explicit FailingSink(int fail_after) : left_(fail_after) {}
  Status Put(const Cid&, std::span<const std::span<const uint8_t>>) override {
    if (--left_ < 0) return Status::IoError("disk full (test)");
    return Status::Ok();
  }

 private:
  std::atomic<int> left_;
};

TEST(ImporterTest, SinkErrorIsReturned) {
  for (int fail_after : {0, 5, 100}) {
    FailingSink sink(fail_after);
    ThreadPool pool(4);
    Importer importer(Profile("unixfs-v1-2025", 64), &sink, &pool);
    auto e = importer.AddBytes(Span(test_util::PatternBytes(20000)));
    ASSERT_FALSE(e.ok()) << "fail after " << fail_after;
    EXPECT_EQ(e.status().code(), StatusCode::kIoError);
    EXPECT_TRUE(HasSubstr(e.status().message(), "disk full"));
  }
}

// dir/{a: "hello world", b: "", sub/c: PatternBytes(3000)}
void MakeTree(const TempDir& tmp) {
  ASSERT_TRUE(MakeDirs(tmp / "dir/sub").ok());
  test_util::MustWrite(tmp / "dir/a", "hello world");
  test_util::MustWrite(tmp / "dir/b", "");
  test_util::MustWrite(tmp / "dir/sub/c", test_util::PatternBytes(3000));
}

TEST(ImporterTest, DirectoriesMatchTheReferenceImporter) {
  TempDir tmp;
  MakeTree(tmp);
  struct Case {
    const char* profile;
    uint64_t chunk;
    const char* cid;
  };
  const Case cases[] = {
      {"unixfs-v1-2025", 0, "bafybeiacwkvdwa3lpmwx3mahsgfi5koecqzwh43xy5f5sjfenqyr55yyqi"},
      {"unixfs-v1-2025", 1000, "bafybeigq5pmmid6dvaz6av3a42a3qcoy6wju3gfhcrt2xx7rwydqtkkyd4"},
      {"unixfs-v0-2015", 0, "Qma6yLXA4ijW35oz6NDG2y3SkwxqcuKeKAq6SFFXEdioZd"},
      {"unixfs-v0-2015", 1000, "QmUVFSfCzPzsS8eerGnc3p2veqRJe8WEr5zxvA8pDapXbq"},
  };
  for (const Case& c : cases) {
    ThreadPool pool(3);
    Importer importer(Profile(c.profile, c.chunk), nullptr, &pool);
    auto e = importer.AddPath(tmp / "dir", /*recursive=*/true);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->cid.ToString(), c.cid) << c.profile << " chunk " << c.chunk;
    EXPECT_TRUE(e->is_directory);
    EXPECT_EQ(e->name, "dir");
  }
}

TEST(ImporterTest, AddPathOfAFileNamesIt) {
  TempDir tmp;
  test_util::MustWrite(tmp / "hello.txt", "hello world");
  ThreadPool pool(1);
  Importer importer(Profile("unixfs-v1-2025"), nullptr, &pool);
  auto e = importer.AddPath(tmp / "hello.txt", false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->name, "hello.txt");
  EXPECT_EQ(e->cid.ToString(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
}

TEST(ImporterTest, HiddenFilesOnlyWhenAsked) {
  TempDir tmp;
  MakeTree(tmp);
  ThreadPool pool(1);
  ImportOptions o = Profile("unixfs-v1-2025");
  auto without = Importer(o, nullptr, &pool).AddPath(tmp / "dir", true);
  test_util::MustWrite(tmp / "dir/.hidden", "secret");
  auto skipped = Importer(o, nullptr, &pool).AddPath(tmp / "dir", true);
  o.hidden = true;
  auto included = Importer(o, nullptr, &pool).AddPath(tmp / "dir", true);
  ASSERT_TRUE(without.ok() && skipped.ok() && included.ok());
  EXPECT_EQ(skipped->cid, without->cid);
  EXPECT_NE(included->cid, without->cid);
}

TEST(ImporterTest, AddPathErrors) {
  TempDir tmp;
  MakeTree(tmp);
  ThreadPool pool(1);
  Importer importer(Profile("unixfs-v1-2025"), nullptr, &pool);

  auto missing = importer.AddPath(tmp / "missing", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(missing.status().message(), tmp / "missing"));

  auto dir = importer.AddPath(tmp / "dir", false);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(dir.status().message(), "-r"));

  ASSERT_EQ(symlink("a", (tmp / "dir/link").c_str()), 0);
  auto link = importer.AddPath(tmp / "dir", true);
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(link.status().message(), tmp / "dir/link"));
}

TEST(ImportOptionsTest, Profiles) {
  ImportOptions v1 = Profile("unixfs-v1-2025");
  EXPECT_EQ(v1.cid_version, 1);
  EXPECT_TRUE(v1.raw_leaves);
  EXPECT_EQ(v1.chunk_size, 1u << 20);
  EXPECT_EQ(v1.max_links, 1024u);
  ImportOptions v0 = Profile("unixfs-v0-2015");
  EXPECT_EQ(v0.cid_version, 0);
  EXPECT_FALSE(v0.raw_leaves);
  EXPECT_EQ(v0.chunk_size, 256u << 10);
  EXPECT_EQ(v0.max_links, 174u);
}

TEST(ImportOptionsTest, UnknownProfileNamesItAndTheChoices) {
  auto o = ImportOptions::ForProfile("unixfs-v2");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(o.status().message(), "unixfs-v2"));
  EXPECT_TRUE(HasSubstr(o.status().message(), "unixfs-v1-2025"));
  EXPECT_TRUE(HasSubstr(o.status().message(), "unixfs-v0-2015"));
}

TEST(ImportOptionsTest, Chunker) {
  ImportOptions o = Profile("unixfs-v1-2025");
  ASSERT_TRUE(o.SetChunker("size-1").ok());
  EXPECT_EQ(o.chunk_size, 1u);
  ASSERT_TRUE(o.SetChunker("size-262144").ok());
  EXPECT_EQ(o.chunk_size, 262144u);
  ASSERT_TRUE(o.SetChunker("size-1048576").ok());
  EXPECT_EQ(o.chunk_size, 1048576u);
  for (const char* bad :
       {"size-0", "size-1048577", "size-", "size--1", "size-12a", "size-99999999999999999999",
        "rabin", "rabin-262144", "buzhash", "", "size-1 "}) {
    ImportOptions before = o;
    Status s = o.SetChunker(bad);
    ASSERT_FALSE(s.ok()) << "\"" << bad << "\" accepted";
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(s.message(), "\"" + std::string(bad) + "\""));
    EXPECT_TRUE(HasSubstr(s.message(), "size-N"));
    EXPECT_EQ(o.chunk_size, before.chunk_size) << "a rejected chunker must not change the options";
  }
}

TEST(ImportOptionsTest, CidVersion) {
  ImportOptions o = Profile("unixfs-v0-2015");
  for (int bad : {2, -1, 10}) {
    Status s = o.SetCidVersion(bad, false);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(s.message(), "0 or 1"));
    EXPECT_TRUE(HasSubstr(s.message(), std::to_string(bad)));
  }
  EXPECT_EQ(o.cid_version, 0);
  ASSERT_TRUE(o.SetCidVersion(1, /*raw_leaves_given=*/false).ok());
  EXPECT_EQ(o.cid_version, 1);
  EXPECT_TRUE(o.raw_leaves);  // like Kubo: v1 implies raw leaves unless told otherwise

  ImportOptions explicit_leaves = Profile("unixfs-v0-2015");
  explicit_leaves.raw_leaves = false;
  ASSERT_TRUE(explicit_leaves.SetCidVersion(1, /*raw_leaves_given=*/true).ok());
  EXPECT_FALSE(explicit_leaves.raw_leaves);
}

TEST(ImporterTest, CidVersionOneOnV0ProfileMatchesV1Leaves) {
  ImportOptions o = Profile("unixfs-v0-2015");
  ASSERT_TRUE(o.SetCidVersion(1, false).ok());
  EXPECT_EQ(AddBytesCid(o, "hello world"),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
}

ImportedEntry Entry(const std::string& name, const std::string& content) {
  ImportedEntry e;
  e.name = name;
  e.cid = Cid::V1(kCodecRaw, Sha256Multihash(Span(content)));
  e.tsize = e.file_size = content.size();
  return e;
}

TEST(MakeDirectoryTest, EmptyDirectoryHasTheWellKnownCid) {
  ThreadPool pool(1);
  auto v0 = Importer(Profile("unixfs-v0-2015"), nullptr, &pool).MakeDirectory({});
  auto v1 = Importer(Profile("unixfs-v1-2025"), nullptr, &pool).MakeDirectory({});
  ASSERT_TRUE(v0.ok() && v1.ok());
  EXPECT_EQ(v0->cid.ToString(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  EXPECT_EQ(v1->cid.ToString(), "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  EXPECT_TRUE(v1->is_directory);
}

TEST(MakeDirectoryTest, OrderOfChildrenDoesNotMatter) {
  ThreadPool pool(1);
  Importer importer(Profile("unixfs-v1-2025"), nullptr, &pool);
  auto ab = importer.MakeDirectory({Entry("a", "1"), Entry("b", "2"), Entry("B", "3")});
  auto ba = importer.MakeDirectory({Entry("b", "2"), Entry("B", "3"), Entry("a", "1")});
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->cid, ba->cid);
}

TEST(MakeDirectoryTest, RejectsDuplicateNames) {
  ThreadPool pool(1);
  Importer importer(Profile("unixfs-v1-2025"), nullptr, &pool);
  auto d =
      importer.MakeDirectory({Entry("model.onnx", "1"), Entry("x", "2"), Entry("model.onnx", "3")});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(d.status().message(), "\"model.onnx\""));
}

TEST(MakeDirectoryTest, OverThresholdIsUnsupportedAndMentionsHamt) {
  for (const char* profile : {"unixfs-v1-2025", "unixfs-v0-2015"}) {
    ThreadPool pool(1);
    MemBlockStore store;
    Importer importer(Profile(profile), &store, &pool);
    std::vector<ImportedEntry> children;
    for (int i = 0; i < 8000; ++i)
      children.push_back(Entry("file-" + std::to_string(i) + ".bin", "x"));
    auto d = importer.MakeDirectory(children, "big");
    ASSERT_FALSE(d.ok()) << profile;
    EXPECT_EQ(d.status().code(), StatusCode::kUnsupported);
    EXPECT_TRUE(HasSubstr(d.status().message(), "HAMT"));
    EXPECT_TRUE(HasSubstr(d.status().message(), "\"big\""));
    EXPECT_TRUE(HasSubstr(d.status().message(), "8000"));
    EXPECT_EQ(store.size(), 0u) << "nothing is stored for a directory that was refused";

    children.resize(100);
    EXPECT_TRUE(importer.MakeDirectory(children, "small").ok()) << profile;
  }
}

TEST(MakeDirectoryTest, ThresholdIsConfigurable) {
  ThreadPool pool(1);
  ImportOptions o = Profile("unixfs-v1-2025");
  o.dir_threshold = 200;
  Importer importer(o, nullptr, &pool);
  EXPECT_TRUE(importer.MakeDirectory({Entry("a", "1")}).ok());
  std::vector<ImportedEntry> children;
  for (int i = 0; i < 10; ++i) children.push_back(Entry("f" + std::to_string(i), "x"));
  auto d = importer.MakeDirectory(children);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace ipfs_accelerate::store
