// UnixFS: the Data message inside dag-pb nodes, encoded byte for byte as the reference importers
// do.
#include "store/unixfs.h"

#include <gtest/gtest.h>

#include <string>

#include "../test_util.h"
#include "store/multihash.h"
#include "store/protobuf.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::Span;
using test_util::Unhex;

std::string FileLeafBlock(const std::string& chunk) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  if (!chunk.empty()) fs.data = chunk;
  fs.filesize = chunk.size();
  PbNode node;
  node.data = EncodeUnixFs(fs);
  return EncodeDagPb(node);
}

Cid RawCid(const std::string& content) {
  return Cid::V1(kCodecRaw, Sha256Multihash(Span(content)));
}

TEST(UnixFsTest, HelloWorldLeafMatchesKnownBytesAndCid) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.data = "hello world";
  fs.filesize = 11;
  EXPECT_EQ(test_util::Hex(EncodeUnixFs(fs)), "0802120b68656c6c6f20776f726c64180b");
  std::string block = FileLeafBlock("hello world");
  EXPECT_EQ(test_util::Hex(block), "0a110802120b68656c6c6f20776f726c64180b");
  EXPECT_EQ(Cid::V0(Sha256Multihash(Span(block))).ToString(),
            "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
}

TEST(UnixFsTest, EmptyFileLeafOmitsDataAndMatchesKnownCid) {
  std::string block = FileLeafBlock("");
  EXPECT_EQ(test_util::Hex(block), "0a0408021800");
  EXPECT_EQ(Cid::V0(Sha256Multihash(Span(block))).ToString(),
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
}

TEST(UnixFsTest, EncodesFieldsInNumberOrderWithUnpackedBlocksizes) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.filesize = 300;
  fs.blocksizes = {100, 200};
  EXPECT_EQ(test_util::Hex(EncodeUnixFs(fs)),
            "080218ac022064"
            "20c801");
  UnixFsData dir;
  dir.type = UnixFsType::kDirectory;
  EXPECT_EQ(test_util::Hex(EncodeUnixFs(dir)), "0801");
}

TEST(UnixFsTest, RoundTripsEveryField) {
  UnixFsData fs;
  fs.type = UnixFsType::kHamtShard;
  fs.data = std::string("\0bitfield", 9);
  fs.filesize = 7;
  fs.blocksizes = {1, 2, 3};
  fs.hash_type = 0x22;
  fs.fanout = 256;
  fs.mode = 0644;
  fs.mtime_seconds = 1700000000;
  fs.mtime_nanos = 123456789;
  auto back = DecodeUnixFs(Span(EncodeUnixFs(fs)));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, fs.type);
  EXPECT_EQ(back->data, fs.data);
  EXPECT_EQ(back->filesize, fs.filesize);
  EXPECT_EQ(back->blocksizes, fs.blocksizes);
  EXPECT_EQ(back->hash_type, fs.hash_type);
  EXPECT_EQ(back->fanout, fs.fanout);
  EXPECT_EQ(back->mode, fs.mode);
  EXPECT_EQ(back->mtime_seconds, fs.mtime_seconds);
  EXPECT_EQ(back->mtime_nanos, fs.mtime_nanos);
}

TEST(UnixFsTest, AcceptsPackedBlocksizes) {
  // Type File, filesize 300, blocksizes packed as one length-delimited field 4.
  auto d = DecodeUnixFs(Span(Unhex("0802 18ac02 2203 64c801")));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->blocksizes, (std::vector<uint64_t>{100, 200}));
}

TEST(UnixFsTest, RejectsMalformedData) {
  struct Case {
    const char* hex;
    const char* why;
  };
  const Case cases[] = {
      {"", "missing Type"},
      {"1800", "missing Type"},
      {"0806", "unknown type 6"},
      {"0802 0802", "duplicate field 1"},
      {"0802 1800 1801", "duplicate field 3"},
      {"0802 4801", "unknown field 9"},
      {"0a00", "wrong wire type"},         // Type as bytes
      {"0802 1001", "wrong wire type"},    // Data as varint
      {"0802 12", "truncated"},            // Data's length is missing
      {"0802 1205 6869", "past the end"},  // Data declares 5 bytes, 2 follow
  };
  for (const Case& c : cases) {
    auto r = DecodeUnixFs(Span(Unhex(c.hex)));
    ASSERT_FALSE(r.ok()) << c.hex;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << c.hex;
    EXPECT_TRUE(HasSubstr(r.status().message(), c.why)) << c.hex;
  }
}

TEST(UnixFsTest, FileLeafFramingEqualsTheEncodedLeaf) {
  for (uint64_t n : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, 262144ull, 1ull << 20}) {
    std::string chunk = test_util::PatternBytes(n);
    LeafFraming f = FileLeafFraming(n);
    EXPECT_EQ(test_util::Hex(f.prefix + chunk + f.suffix), test_util::Hex(FileLeafBlock(chunk)))
        << n << " bytes";
  }
}

TEST(UnixFsNodeTest, AcceptsConsistentFileNode) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.filesize = 5;
  fs.blocksizes = {2, 3};
  PbNode pb;
  pb.links = {{RawCid("ab"), std::string(), 2}, {RawCid("cde"), std::string(), 3}};
  pb.data = EncodeUnixFs(fs);
  auto node = DecodeUnixFsNode(Span(EncodeDagPb(pb)));
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->fs.type, UnixFsType::kFile);
  EXPECT_EQ(node->pb.links.size(), 2u);
}

TEST(UnixFsNodeTest, RejectsBlocksizeCountDifferentFromLinks) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.filesize = 2;
  fs.blocksizes = {2};
  PbNode pb;
  pb.links = {{RawCid("ab"), std::string(), 2}, {RawCid("cd"), std::string(), 2}};
  pb.data = EncodeUnixFs(fs);
  auto node = DecodeUnixFsNode(Span(EncodeDagPb(pb)));
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(node.status().message(), "2 links but 1 blocksizes"));
}

TEST(UnixFsNodeTest, RejectsFilesizeDifferentFromDataPlusBlocksizes) {
  UnixFsData fs;
  fs.type = UnixFsType::kFile;
  fs.data = "xy";
  fs.filesize = 6;  // 2 bytes inline + 3 below = 5
  fs.blocksizes = {3};
  PbNode pb;
  pb.links = {{RawCid("cde"), std::string(), 3}};
  pb.data = EncodeUnixFs(fs);
  auto node = DecodeUnixFsNode(Span(EncodeDagPb(pb)));
  ASSERT_FALSE(node.ok());
  EXPECT_TRUE(HasSubstr(node.status().message(), "filesize 6"));
  EXPECT_TRUE(HasSubstr(node.status().message(), "(5)"));
}

TEST(UnixFsNodeTest, RejectsNodeWithoutData) {
  PbNode pb;
  pb.links = {{RawCid("a"), std::string("a"), 1}};
  auto node = DecodeUnixFsNode(Span(EncodeDagPb(pb)));
  ASSERT_FALSE(node.ok());
  EXPECT_TRUE(HasSubstr(node.status().message(), "no UnixFS Data"));
}

TEST(UnixFsNodeTest, DirectoryNeedsNoBlocksizes) {
  UnixFsData dir;
  dir.type = UnixFsType::kDirectory;
  PbNode pb;
  pb.links = {{RawCid("a"), std::string("a"), 1}};
  pb.data = EncodeUnixFs(dir);
  EXPECT_TRUE(DecodeUnixFsNode(Span(EncodeDagPb(pb))).ok());
}

TEST(UnixFsTest, TypeNames) {
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kFile), "file");
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kDirectory), "directory");
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kRaw), "raw");
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kSymlink), "symlink");
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kHamtShard), "hamt-sharded-directory");
  EXPECT_STREQ(UnixFsTypeName(UnixFsType::kMetadata), "metadata");
}

}  // namespace
}  // namespace ipfs_accelerate::store
