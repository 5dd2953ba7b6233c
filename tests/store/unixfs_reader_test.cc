// Reading UnixFS DAGs: paths, listings, exact file bytes, and `get` that never leaves half a tree.
#include "store/unixfs_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "store/dag_walk.h"
#include "store/importer.h"
#include "store/multihash.h"
#include "store/unixfs.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::MemBlockStore;
using test_util::Span;
using test_util::TempDir;

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// root/{a: "hello world", big: 70000 bytes in a two-level tree, empty: "", sub/{c: 3000 bytes}}
class UnixFsReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ThreadPool pool(2);
    ImportOptions o = ImportOptions::ForProfile("unixfs-v1-2025").value();
    o.chunk_size = 64;
    Importer importer(o, &store_, &pool);
    big_ = test_util::PatternBytes(70000);
    c_ = test_util::PatternBytes(3000);
    auto file = [&](const std::string& name, const std::string& content) {
      ImportedEntry e = importer.AddBytes(Span(content)).value();
      e.name = name;
      return e;
    };
    a_ = file("a", "hello world");
    ImportedEntry big = file("big", big_);
    big_cid_ = big.cid;
    ImportedEntry empty = file("empty", "");
    c_cid_ = file("c", c_).cid;
    ImportedEntry sub = importer.MakeDirectory({file("c", c_)}, "sub").value();
    sub_cid_ = sub.cid;
    root_ = importer.MakeDirectory({a_, big, empty, sub}).value().cid;
  }

  std::string Cat(const Cid& cid, Status* status = nullptr) {
    std::string out;
    UnixFsReader reader(&store_);
    Status s = reader.ReadFile(cid, [&](std::span<const uint8_t> b) {
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      return Status::Ok();
    });
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return out;
  }

  MemBlockStore store_;
  std::string big_, c_;
  ImportedEntry a_;
  Cid big_cid_, c_cid_, sub_cid_, root_;
};

TEST_F(UnixFsReaderTest, ResolvesPaths) {
  UnixFsReader reader(&store_);
  EXPECT_EQ(reader.Resolve(root_, "").value(), root_);
  EXPECT_EQ(reader.Resolve(root_, "a").value(), a_.cid);
  EXPECT_EQ(reader.Resolve(root_, "sub").value(), sub_cid_);
  EXPECT_EQ(reader.Resolve(root_, "sub/c").value(), c_cid_);
  EXPECT_EQ(reader.Resolve(root_, "sub//c/").value(), c_cid_);
}

TEST_F(UnixFsReaderTest, ResolveErrorsNameTheMissingPart) {
  UnixFsReader reader(&store_);
  auto missing = reader.Resolve(root_, "sub/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(missing.status().message(), "\"nope\""));
  EXPECT_TRUE(HasSubstr(missing.status().message(), sub_cid_.ToString()));

  auto through_file = reader.Resolve(root_, "big/x");
  ASSERT_FALSE(through_file.ok());
  EXPECT_EQ(through_file.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(through_file.status().message(), "not a directory"));

  auto through_raw = reader.Resolve(root_, "a/x");
  ASSERT_FALSE(through_raw.ok());
  EXPECT_TRUE(HasSubstr(through_raw.status().message(), "not a directory"));

  EXPECT_FALSE(reader.Resolve(root_, "..").ok());
}

TEST_F(UnixFsReaderTest, ListsEntriesWithTypesAndSizes) {
  UnixFsReader reader(&store_);
  auto entries = reader.List(root_);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 4u);
  const DirEntry& a = (*entries)[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.cid, a_.cid);
  EXPECT_EQ(a.type, "file");
  EXPECT_EQ(a.size, 11u);
  EXPECT_EQ((*entries)[1].name, "big");
  EXPECT_EQ((*entries)[1].type, "file");
  EXPECT_EQ((*entries)[1].size, 70000u);
  EXPECT_EQ((*entries)[2].name, "empty");
  EXPECT_EQ((*entries)[2].size, 0u);
  EXPECT_EQ((*entries)[3].name, "sub");
  EXPECT_EQ((*entries)[3].type, "directory");
  EXPECT_EQ((*entries)[3].cid, sub_cid_);
}

TEST_F(UnixFsReaderTest, ListOfAFileIsAnError) {
  UnixFsReader reader(&store_);
  for (const Cid& file : {a_.cid, big_cid_}) {
    auto r = reader.List(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().message(), "not a directory"));
  }
}

TEST_F(UnixFsReaderTest, StatReportsTypeAndSizes) {
  UnixFsReader reader(&store_);
  auto big = reader.Stat(big_cid_);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->type, "file");
  EXPECT_EQ(big->size, 70000u);
  EXPECT_EQ(big->links, 2u);  // 1094 leaves under two parents
  EXPECT_GT(big->cumulative_size, 70000u);
  auto raw = reader.Stat(a_.cid);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->type, "file");
  EXPECT_EQ(raw->size, 11u);
  EXPECT_EQ(raw->block_size, 11u);
  auto dir = reader.Stat(root_);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->type, "directory");
  EXPECT_EQ(dir->links, 4u);
}

TEST_F(UnixFsReaderTest, ReadFileStreamsExactBytes) {
  EXPECT_EQ(Cat(a_.cid), "hello world");
  EXPECT_EQ(Cat(c_cid_), c_);
  EXPECT_EQ(Cat(store_.PutBlock("", kCodecRaw)), "");
  std::string big = Cat(big_cid_);
  EXPECT_EQ(big.size(), big_.size());
  EXPECT_TRUE(big == big_) << "the 70000 bytes read back differ from what was imported";
}

TEST_F(UnixFsReaderTest, ReadFileOfADirectoryIsAnError) {
  Status s;
  Cat(root_, &s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(s.message(), "directory"));
}

TEST_F(UnixFsReaderTest, ReadFileStopsAtTheFirstWriteError) {
  UnixFsReader reader(&store_);
  size_t calls = 0;
  Status s = reader.ReadFile(big_cid_, [&](std::span<const uint8_t>) {
    return ++calls == 3 ? Status::IoError("stdout closed") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(calls, 3u);
}

TEST_F(UnixFsReaderTest, CorruptLeafYieldsOnlyTheBytesBeforeIt) {
  std::vector<Cid> leaves;
  ASSERT_TRUE(WalkDag(store_, big_cid_, [&](const Cid& c, const std::string&) {
                if (c.codec() == kCodecRaw) leaves.push_back(c);
                return Status::Ok();
              }).ok());
  const size_t bad = 200;  // leaves are 64 bytes; the first 256 hold distinct content
  ASSERT_GT(leaves.size(), bad);
  store_.Corrupt(leaves[bad], 7);
  Status s;
  std::string out = Cat(big_cid_, &s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_LE(out.size(), bad * 64) << "bytes of (or after) the corrupt leaf were emitted";
  EXPECT_TRUE(out == big_.substr(0, out.size())) << "the output must be a prefix of the file";
}

TEST_F(UnixFsReaderTest, InconsistentBlocksizesAreCorruption) {
  // A file node promising 5 + 5 bytes over leaves of 11 and 5 bytes: same total as the filesize
  // would claim if it were checked alone, so only the per-link check catches it.
  Cid five = store_.PutBlock("12345", kCodecRaw);
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.filesize = 10;
  fs.blocksizes = {5, 5};
  PbNode node;
  node.links = {{a_.cid, std::string(), 11}, {five, std::string(), 5}};
  node.data = EncodeUnixFs(fs);
  Cid liar = store_.PutBlock(EncodeDagPb(node));
  Status s;
  std::string out = Cat(liar, &s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(s.message(), "promised"));
  EXPECT_EQ(out, "") << "no bytes of the inconsistent leaf may be emitted";
}

TEST_F(UnixFsReaderTest, GetWritesAFile) {
  TempDir tmp;
  UnixFsReader reader(&store_);
  uint64_t last = 0;
  Status s = reader.Get(big_cid_, tmp / "big.bin", [&](uint64_t n) { last = n; });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(test_util::MustRead(tmp / "big.bin") == big_);
  EXPECT_EQ(last, 70000u);
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"big.bin"});
}

TEST_F(UnixFsReaderTest, GetWritesADirectoryTree) {
  TempDir tmp;
  UnixFsReader reader(&store_);
  Status s = reader.Get(root_, tmp / "out", nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Names(tmp / "out"), (std::vector<std::string>{"a", "big", "empty", "sub"}));
  EXPECT_EQ(test_util::MustRead(tmp / "out/a"), "hello world");
  EXPECT_TRUE(test_util::MustRead(tmp / "out/big") == big_);
  EXPECT_EQ(test_util::MustRead(tmp / "out/empty"), "");
  EXPECT_EQ(test_util::MustRead(tmp / "out/sub/c"), c_);
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"out"});
}

TEST_F(UnixFsReaderTest, GetRefusesAnExistingDestination) {
  TempDir tmp;
  test_util::MustWrite(tmp / "taken", "mine");
  ASSERT_TRUE(MakeDirs(tmp / "dir").ok());
  UnixFsReader reader(&store_);
  for (const char* dest : {"taken", "dir"}) {
    Status s = reader.Get(a_.cid, tmp / dest, nullptr);
    ASSERT_FALSE(s.ok()) << dest;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(s.message(), "already exists"));
  }
  EXPECT_EQ(test_util::MustRead(tmp / "taken"), "mine");
  EXPECT_TRUE(std::filesystem::is_empty(tmp / "dir"));
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"dir", "taken"}));
}

TEST_F(UnixFsReaderTest, FailedGetLeavesNothingBehind) {
  TempDir tmp;
  store_.Erase(c_cid_);  // the last file of the tree is missing
  UnixFsReader reader(&store_);
  Status s = reader.Get(root_, tmp / "out", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()))
      << "neither the destination nor a partial tree may remain";

  std::vector<Cid> leaves;
  ASSERT_TRUE(WalkDag(store_, big_cid_, [&](const Cid& c, const std::string&) {
                if (c.codec() == kCodecRaw) leaves.push_back(c);
                return Status::Ok();
              }).ok());
  store_.Corrupt(leaves[leaves.size() / 2]);
  s = reader.Get(big_cid_, tmp / "big.bin", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

// A directory node with one entry named `name` pointing at "hello world".
Cid DirWithName(MemBlockStore& store, const Cid& target, const std::string& name) {
  UnixFsData dir;
  dir.type = UnixFsType::kDirectory;
  PbNode node;
  node.links = {{target, name, 11}};
  node.data = EncodeUnixFs(dir);
  return store.PutBlock(EncodeDagPb(node));
}

TEST_F(UnixFsReaderTest, GetRejectsUnsafeNames) {
  for (const std::string& name :
       {std::string(".."), std::string("."), std::string(""), std::string("../escape"),
        std::string("a/b"), std::string("/etc/passwd"), std::string("nul\0x", 5)}) {
    TempDir tmp;
    ASSERT_TRUE(MakeDirs(tmp / "parent").ok());
    Cid dir = DirWithName(store_, a_.cid, name);
    UnixFsReader reader(&store_);
    Status s = reader.Get(dir, tmp / "parent/out", nullptr);
    ASSERT_FALSE(s.ok()) << "accepted entry name \"" << name << "\"";
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << name;
    EXPECT_TRUE(HasSubstr(s.message(), "not a safe file name")) << name;
    EXPECT_TRUE(std::filesystem::is_empty(tmp / "parent")) << name;
    EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"parent"})
        << "something escaped for \"" << name << "\"";
  }
}

TEST(SplitIpfsPathTest, Cases) {
  struct Case {
    const char* text;
    const char* root;
    const char* path;
  };
  const Case cases[] = {
      {"bafyroot", "bafyroot", ""},
      {"bafyroot/a/b", "bafyroot", "a/b"},
      {"/ipfs/bafyroot", "bafyroot", ""},
      {"/ipfs/bafyroot/a", "bafyroot", "a"},
      {"ppocr-v4/det.onnx", "ppocr-v4", "det.onnx"},
  };
  for (const Case& c : cases) {
    std::string root, path;
    SplitIpfsPath(c.text, &root, &path);
    EXPECT_EQ(root, c.root) << c.text;
    EXPECT_EQ(path, c.path) << c.text;
  }
}

}  // namespace
}  // namespace ipfs_accelerate::store
