// CARs of part of a DAG: dag-scope block/entity/all, entity-bytes ranges, dups, identity roots.
// Every CAR is read back with CarReader (which verifies each block), and compared with WalkDag.
#include "store/car_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "store/car.h"
#include "store/dag_walk.h"
#include "store/importer.h"
#include "store/multihash.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::MemBlockStore;
using test_util::Span;

// A file of 70000 bytes cut into 64-byte leaves, 8 links a node: a three-level tree; a file whose
// leaves are all the same block; a directory over both.
class CarStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ThreadPool pool(2);
    ImportOptions o = ImportOptions::ForProfile("unixfs-v1-2025").value();
    o.chunk_size = 64;
    o.max_links = 8;
    Importer importer(o, &store_, &pool);
    content_ = test_util::DistinctBytes(70000);
    ImportedEntry file = importer.AddBytes(Span(content_)).value();
    file.name = "file";
    file_ = file.cid;
    ImportedEntry same = importer.AddBytes(Span(std::string(64 * 20, 'z'))).value();
    same.name = "same";
    same_ = same.cid;
    dir_ = importer.MakeDirectory({file, same}).value().cid;
  }

  // The CIDs of a CAR, in order, after checking its header names `root` and every block.
  std::vector<Cid> Cids(const Cid& root, const CarSelection& selection, Status* error = nullptr) {
    auto car = CarStream::Start(store_, root, selection);
    if (!car.ok()) {
      if (error) *error = car.status();
      return {};
    }
    std::string bytes;
    for (;;) {
      auto more = (*car)->Next(&bytes);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
    }
    MemoryReader in(Span(bytes));
    auto reader = CarReader::Open(&in);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    EXPECT_EQ(reader->roots(), std::vector<Cid>{root});
    std::vector<Cid> out;
    Cid cid;
    std::string block;
    for (;;) {
      auto more = reader->Next(&cid, &block);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      out.push_back(cid);
    }
    return out;
  }

  // The bytes [first, last] of the file, read through a store that holds only the CAR's blocks.
  std::string ReadRange(const std::vector<Cid>& cids, uint64_t first, uint64_t last) {
    MemBlockStore only;
    for (const Cid& c : cids) only.PutBlock(store_.GetBlock(c).value(), c.codec());
    UnixFsReader reader(&only);
    std::string out;
    Status s =
        reader.ReadFileRange(file_, first, last - first + 1, [&](std::span<const uint8_t> piece) {
          out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
          return Status::Ok();
        });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  MemBlockStore store_;
  std::string content_;
  Cid file_, same_, dir_;
};

TEST_F(CarStreamTest, AllIsTheDagWalk) {
  std::vector<Cid> walked;
  ASSERT_TRUE(WalkDag(store_, dir_, [&](const Cid& c, const std::string&) {
                walked.push_back(c);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(Cids(dir_, {}), walked);
  EXPECT_GT(walked.size(), 1100u);  // 1094 leaves of the file, its inner nodes, `same`, the dir
}

TEST_F(CarStreamTest, APathSendsItsDirectoriesThenWhatItLeadsTo) {
  std::vector<Cid> expected{dir_};
  for (const Cid& c : Cids(file_, {})) expected.push_back(c);
  EXPECT_EQ(Cids(dir_, {.path = {"file"}}), expected);
  EXPECT_EQ(Cids(dir_, {.scope = DagScope::kBlock, .path = {"same"}}),
            (std::vector<Cid>{dir_, same_}));
  Status error;
  EXPECT_TRUE(Cids(dir_, {.path = {"absent"}}, &error).empty());
  EXPECT_EQ(error.code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(error.message(), "no entry \"absent\""));
  EXPECT_TRUE(Cids(dir_, {.path = {"file", "below"}}, &error).empty());
  EXPECT_TRUE(HasSubstr(error.message(), "is not a directory"));
}

TEST_F(CarStreamTest, BlockIsTheRootAlone) {
  EXPECT_EQ(Cids(dir_, {.scope = DagScope::kBlock}), std::vector<Cid>{dir_});
  EXPECT_EQ(Cids(file_, {.scope = DagScope::kBlock}), std::vector<Cid>{file_});
}

TEST_F(CarStreamTest, EntityOfADirectoryIsItsBlockAndOfAFileTheWholeFile) {
  EXPECT_EQ(Cids(dir_, {.scope = DagScope::kEntity}), std::vector<Cid>{dir_});
  EXPECT_EQ(Cids(file_, {.scope = DagScope::kEntity}), Cids(file_, {}));
}

TEST_F(CarStreamTest, EntityBytesSendsOnlyTheBlocksOfTheRange) {
  const std::vector<Cid> whole = Cids(file_, {});
  struct Case {
    std::string range;
    uint64_t first, last;
  };
  for (const Case& c : std::vector<Case>{{"0:63", 0, 63},
                                         {"1000:1999", 1000, 1999},
                                         {"69990:*", 69990, 69999},
                                         {"-100:*", 69900, 69999},
                                         {"500:-69000", 500, 999},
                                         {"69000:999999", 69000, 69999}}) {
    SCOPED_TRACE(c.range);
    CarSelection sel{.entity_bytes = ParseEntityBytes(c.range).value()};
    std::vector<Cid> cids = Cids(file_, sel);
    ASSERT_FALSE(cids.empty());
    EXPECT_EQ(cids.front(), file_);
    // Enough to read the range (the reader would fail on a missing block), and few: the leaves
    // it spans (64 bytes each) plus at most one inner node per level on each side.
    EXPECT_EQ(ReadRange(cids, c.first, c.last), content_.substr(c.first, c.last - c.first + 1));
    uint64_t leaves = c.last / 64 - c.first / 64 + 1;
    EXPECT_LE(cids.size(), leaves + 1 + 2 * 3);
    EXPECT_LT(cids.size(), whole.size());
  }
}

TEST_F(CarStreamTest, EntityBytesOutsideTheFile) {
  Status error;
  EXPECT_TRUE(Cids(file_, {.entity_bytes = ParseEntityBytes("70000:*").value()}, &error).empty());
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(error.message(), "70000 bytes"));
  // A zero-length range resolves to the root block, as the spec says.
  EXPECT_EQ(Cids(file_, {.entity_bytes = ParseEntityBytes("10:-69995").value()}),
            std::vector<Cid>{file_});
  // Not a file: the range is ignored and the entity is sent.
  EXPECT_EQ(Cids(dir_, {.entity_bytes = ParseEntityBytes("0:10").value()}), std::vector<Cid>{dir_});
}

TEST_F(CarStreamTest, DupsSendsARepeatedBlockEachTime) {
  std::vector<Cid> once = Cids(same_, {});
  std::vector<Cid> every = Cids(same_, {.dups = true});
  // 20 equal leaves under 3 inner nodes (8, 8 and 4 links; the first two equal) and the root.
  EXPECT_EQ(once.size(), 4u);    // the root, the two distinct inner nodes, the one leaf
  EXPECT_EQ(every.size(), 24u);  // the root, 3 inner nodes, 20 leaves
}

TEST_F(CarStreamTest, IdentityRootIsTheHeaderAlone) {
  Cid probe = Cid::Parse("bafkqaaa").value();
  EXPECT_TRUE(Cids(probe, {}).empty());
  EXPECT_EQ(IdentityDigest(probe.multihash()), std::string());
}

TEST_F(CarStreamTest, MissingRootAndMissingChild) {
  MemBlockStore empty;
  auto car = CarStream::Start(empty, file_, {});
  ASSERT_FALSE(car.ok());
  EXPECT_EQ(car.status().code(), StatusCode::kNotFound);

  // The root is there, a child is not: the stream ends with an error after the root.
  MemBlockStore partial;
  partial.PutBlock(store_.GetBlock(file_).value(), kCodecDagPb);
  auto started = CarStream::Start(partial, file_, {});
  ASSERT_TRUE(started.ok());
  std::string bytes;
  EXPECT_TRUE((*started)->Next(&bytes).value());  // header
  EXPECT_TRUE((*started)->Next(&bytes).value());  // root
  auto next = (*started)->Next(&bytes);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kNotFound);
}

TEST(EntityBytesTest, Parse) {
  EXPECT_EQ(ParseEntityBytes("0:*").value().ToString(), "0:*");
  EXPECT_EQ(ParseEntityBytes("-1024:-1").value().ToString(), "-1024:-1");
  for (const char* bad : {"", "10", "a:b", "1:", ":5", "1:2:3", "0x10:*"}) {
    SCOPED_TRACE(bad);
    auto r = ParseEntityBytes(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasSubstr(r.status().message(), "entity-bytes"));
  }
  EXPECT_FALSE(ParseDagScope("files").ok());
  EXPECT_EQ(ParseDagScope("entity").value(), DagScope::kEntity);
}

}  // namespace
}  // namespace ipfs_accelerate::store
