// BlockWriter: a block appears under its name only once its bytes are durable, and CAR imports
// publish all of their blocks or none.
#include "store/block_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../test_util.h"
#include "store/multihash.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::Span;
using test_util::TempDir;

struct Blob {
  Cid cid;
  std::string bytes;
};

Blob MakeBlob(const std::string& bytes) {
  return {Cid::V1(kCodecRaw, Sha256Multihash(Span(bytes))), bytes};
}

Status PutBlob(BlockWriter& w, const Blob& b) {
  std::span<const uint8_t> parts[] = {Span(b.bytes)};
  return w.Put(b.cid, parts);
}

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

class BlockWriterTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  DiskBlockStore store_{tmp_ / "blocks"};
};

TEST_F(BlockWriterTest, PublishesOnCommitAndLeavesNoTemporaryFiles) {
  BlockWriter w(&store_, BlockWriter::Publish::kAfterEachSync);
  std::vector<Blob> blobs;
  for (int i = 0; i < 600; ++i)
    blobs.push_back(MakeBlob("block " + std::to_string(i)));  // several batches
  for (const Blob& b : blobs) ASSERT_TRUE(PutBlob(w, b).ok());
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_EQ(w.blocks_written(), 600u);
  for (const Blob& b : blobs) {
    auto got = store_.GetBlock(b.cid);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, b.bytes);
    struct stat st;
    ASSERT_EQ(stat(store_.PathFor(b.cid.multihash()).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0444u);
  }
  EXPECT_TRUE(std::filesystem::is_empty(store_.TempDir()));
}

TEST_F(BlockWriterTest, GatheredPartsFormOneBlock) {
  BlockWriter w(&store_, BlockWriter::Publish::kAfterEachSync);
  std::string a = "prefix-", b = "middle-", c = "suffix";
  Blob whole = MakeBlob(a + b + c);
  std::span<const uint8_t> parts[] = {Span(a), Span(b), Span(c)};
  ASSERT_TRUE(w.Put(whole.cid, parts).ok());
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_EQ(store_.GetBlock(whole.cid).value(), whole.bytes);
}

TEST_F(BlockWriterTest, SkipsBlocksAlreadyStoredOrAlreadyPut) {
  Blob b = MakeBlob("same");
  {
    BlockWriter w(&store_, BlockWriter::Publish::kAfterEachSync);
    ASSERT_TRUE(PutBlob(w, b).ok());
    ASSERT_TRUE(PutBlob(w, b).ok());
    ASSERT_TRUE(w.Commit().ok());
    EXPECT_EQ(w.blocks_written(), 1u);
  }
  BlockWriter again(&store_, BlockWriter::Publish::kAfterEachSync);
  ASSERT_TRUE(PutBlob(again, b).ok());
  ASSERT_TRUE(again.Commit().ok());
  EXPECT_EQ(again.blocks_written(), 0u);
}

TEST_F(BlockWriterTest, OnCommitPublishesNothingBeforeCommit) {
  BlockWriter w(&store_, BlockWriter::Publish::kOnCommit);
  std::vector<Blob> blobs;
  for (int i = 0; i < 600; ++i) blobs.push_back(MakeBlob("car block " + std::to_string(i)));
  for (const Blob& b : blobs) ASSERT_TRUE(PutBlob(w, b).ok());
  for (const Blob& b : blobs) EXPECT_FALSE(store_.Has(b.cid.multihash()));
  ASSERT_TRUE(w.Commit().ok());
  for (const Blob& b : blobs) EXPECT_TRUE(store_.Has(b.cid.multihash()));
  EXPECT_TRUE(std::filesystem::is_empty(store_.TempDir()));
}

TEST_F(BlockWriterTest, OnCommitWithoutCommitLeavesNothing) {
  {
    BlockWriter w(&store_, BlockWriter::Publish::kOnCommit);
    for (int i = 0; i < 600; ++i)
      ASSERT_TRUE(PutBlob(w, MakeBlob("abandoned " + std::to_string(i))).ok());
  }  // destroyed without Commit: an aborted import
  EXPECT_EQ(CountFiles(store_.root()), 0u);
}

TEST_F(BlockWriterTest, ExplicitAbortRemovesTemporaryFiles) {
  BlockWriter w(&store_, BlockWriter::Publish::kOnCommit);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutBlob(w, MakeBlob("x" + std::to_string(i))).ok());
  w.Abort();
  EXPECT_EQ(CountFiles(store_.root()), 0u);
  EXPECT_FALSE(PutBlob(w, MakeBlob("late")).ok());
}

TEST_F(BlockWriterTest, PutAfterCommitFails) {
  BlockWriter w(&store_, BlockWriter::Publish::kAfterEachSync);
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_FALSE(PutBlob(w, MakeBlob("late")).ok());
  EXPECT_FALSE(store_.Has(MakeBlob("late").cid.multihash()));
}

TEST_F(BlockWriterTest, WritersInOneProcessNeverShareTemporaryNames) {
  // Objects at the same offset in two threads' malloc arenas (which glibc aligns to 64 MiB) have
  // addresses that agree in their low 24 bits. Place two writers that way on purpose.
  constexpr size_t kApart = 16 << 20;
  std::vector<unsigned char> arena(kApart + sizeof(BlockWriter) + alignof(BlockWriter));
  void* first = arena.data();
  size_t space = arena.size();
  ASSERT_NE(std::align(alignof(BlockWriter), sizeof(BlockWriter), first, space), nullptr);
  void* second = static_cast<unsigned char*>(first) + kApart;
  auto* w1 = new (first) BlockWriter(&store_, BlockWriter::Publish::kAfterEachSync);
  auto* w2 = new (second) BlockWriter(&store_, BlockWriter::Publish::kAfterEachSync);
  Blob a = MakeBlob("written by the first writer"), b = MakeBlob("written by the second writer");
  Status sa = PutBlob(*w1, a);
  Status sb = PutBlob(*w2, b);
  EXPECT_TRUE(sa.ok()) << sa.ToString();
  EXPECT_TRUE(sb.ok()) << sb.ToString();
  EXPECT_TRUE(w1->Commit().ok());
  EXPECT_TRUE(w2->Commit().ok());
  w1->~BlockWriter();
  w2->~BlockWriter();
  EXPECT_TRUE(store_.GetBlock(a.cid).ok());
  EXPECT_TRUE(store_.GetBlock(b.cid).ok());
}

}  // namespace
}  // namespace ipfs_accelerate::store
