// dag-pb: the encoding the reference implementations write, and the strict decoding the spec asks
// for.
#include "store/dag_pb.h"

#include <gtest/gtest.h>

#include <string>

#include "../test_util.h"
#include "store/multihash.h"
#include "store/protobuf.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::Span;
using test_util::Unhex;

Cid LeafCid(const std::string& content) {
  return Cid::V1(kCodecRaw, Sha256Multihash(Span(content)));
}

// One encoded PBLink message, fields as given (to build invalid ones too).
std::string LinkBytes(const std::string& fields) {
  std::string out;
  AppendPbBytes(out, 2, fields);
  return out;
}
std::string HashField(const Cid& c) {
  std::string f;
  AppendPbBytes(f, 1, c.Bytes());
  return f;
}
std::string NameField(const std::string& name) {
  std::string f;
  AppendPbBytes(f, 2, name);
  return f;
}
std::string TsizeField(uint64_t v) {
  std::string f;
  AppendPbVarint(f, 3, v);
  return f;
}
std::string DataField(const std::string& d) {
  std::string f;
  AppendPbBytes(f, 1, d);
  return f;
}

std::string DecodeError(const std::string& block) {
  auto r = DecodeDagPb(Span(block));
  EXPECT_FALSE(r.ok()) << "accepted " << test_util::Hex(block);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  return r.status().message();
}

TEST(DagPbTest, EmptyDirectoryHasTheWellKnownCid) {
  PbNode node;
  node.data = Unhex("0801");  // UnixFS {Type: Directory}
  std::string block = EncodeDagPb(node);
  EXPECT_EQ(test_util::Hex(block), "0a020801");
  EXPECT_EQ(Cid::V0(Sha256Multihash(Span(block))).ToString(),
            "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
}

TEST(DagPbTest, EncodesLinksBeforeDataWithFieldsInOrder) {
  Cid a = LeafCid("a");
  PbNode node;
  node.links.push_back({a, std::string("x"), 5});
  node.data = "D";
  std::string want = LinkBytes(HashField(a) + NameField("x") + TsizeField(5)) + DataField("D");
  EXPECT_EQ(test_util::Hex(EncodeDagPb(node)), test_util::Hex(want));
}

TEST(DagPbTest, RoundTrip) {
  PbNode node;
  node.links.push_back({LeafCid("1"), std::string(""), 1});
  node.links.push_back({Cid::V0(Sha256Multihash(Span(std::string("2")))), std::string("a"), 300});
  node.links.push_back({LeafCid("3"), std::string("ab"), std::nullopt});
  node.links.push_back({LeafCid("4"), std::nullopt, 1ull << 40});
  std::sort(node.links.begin(), node.links.end(), LinkNameLess);
  node.data = std::string("\0\x01\xff", 3);
  std::string block = EncodeDagPb(node);
  auto back = DecodeDagPb(Span(block));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->links.size(), node.links.size());
  for (size_t i = 0; i < node.links.size(); ++i) {
    EXPECT_EQ(back->links[i].hash, node.links[i].hash) << i;
    EXPECT_EQ(back->links[i].name, node.links[i].name) << i;
    EXPECT_EQ(back->links[i].tsize, node.links[i].tsize) << i;
  }
  EXPECT_EQ(back->data, node.data);
  EXPECT_EQ(EncodeDagPb(*back), block);
}

TEST(DagPbTest, EmptyBlockAndEmptyDataAreDistinct) {
  auto empty = DecodeDagPb({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->links.empty());
  EXPECT_FALSE(empty->data.has_value());

  auto empty_data = DecodeDagPb(Span(Unhex("0a00")));
  ASSERT_TRUE(empty_data.ok());
  ASSERT_TRUE(empty_data->data.has_value());
  EXPECT_EQ(*empty_data->data, "");
}

TEST(DagPbTest, RejectsDataBeforeLinks) {
  std::string block = DataField("D") + LinkBytes(HashField(LeafCid("a")) + NameField("a"));
  EXPECT_TRUE(HasSubstr(DecodeError(block), "links must come first"));
}

TEST(DagPbTest, RejectsUnsortedLinks) {
  std::string block = LinkBytes(HashField(LeafCid("b")) + NameField("b")) +
                      LinkBytes(HashField(LeafCid("a")) + NameField("a"));
  EXPECT_TRUE(HasSubstr(DecodeError(block), "not sorted"));
  // A longer name sorts after its prefix: "ab" before "a" is out of order too.
  std::string prefix = LinkBytes(HashField(LeafCid("b")) + NameField("ab")) +
                       LinkBytes(HashField(LeafCid("a")) + NameField("a"));
  EXPECT_TRUE(HasSubstr(DecodeError(prefix), "not sorted"));
}

TEST(DagPbTest, AcceptsEqualNames) {
  // The spec sorts stably and allows repeated names (files leaves all have "").
  std::string block = LinkBytes(HashField(LeafCid("a")) + NameField("")) +
                      LinkBytes(HashField(LeafCid("b")) + NameField(""));
  EXPECT_TRUE(DecodeDagPb(Span(block)).ok());
}

TEST(DagPbTest, RejectsDuplicateData) {
  EXPECT_TRUE(HasSubstr(DecodeError(DataField("a") + DataField("b")), "duplicate Data"));
}

TEST(DagPbTest, RejectsUnknownNodeField) {
  std::string unknown;
  AppendPbVarint(unknown, 3, 1);
  EXPECT_TRUE(HasSubstr(DecodeError(DataField("a") + unknown), "unknown field 3"));
  std::string bytes_field;
  AppendPbBytes(bytes_field, 7, "x");
  EXPECT_TRUE(HasSubstr(DecodeError(bytes_field), "unknown field 7"));
}

TEST(DagPbTest, RejectsLinkFieldsOutOfOrder) {
  Cid a = LeafCid("a");
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes(NameField("a") + HashField(a))), "out of order"));
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes(HashField(a) + TsizeField(1) + NameField("a"))),
                        "out of order"));
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes(HashField(a) + HashField(a))), "duplicated"));
}

TEST(DagPbTest, RejectsLinkWithoutHash) {
  std::string m = DecodeError(LinkBytes(NameField("a") + TsizeField(3)));
  EXPECT_TRUE(HasSubstr(m, "missing Hash"));
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes("")), "missing Hash"));
}

TEST(DagPbTest, RejectsUnknownLinkFieldAndBadHash) {
  std::string extra;
  AppendPbVarint(extra, 4, 1);
  EXPECT_TRUE(
      HasSubstr(DecodeError(LinkBytes(HashField(LeafCid("a")) + extra)), "unknown field 4"));
  std::string bad_hash;
  AppendPbBytes(bad_hash, 1, "not a cid");
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes(bad_hash)), "bad Hash"));
}

TEST(DagPbTest, RejectsWrongWireTypes) {
  EXPECT_TRUE(HasSubstr(DecodeError(Unhex("0801")), "Data must be bytes"));  // Data as varint
  EXPECT_TRUE(HasSubstr(DecodeError(Unhex("1001")), "Links must be"));       // Links as varint
  std::string tsize_as_bytes;
  AppendPbBytes(tsize_as_bytes, 3, "x");
  EXPECT_TRUE(HasSubstr(DecodeError(LinkBytes(HashField(LeafCid("a")) + tsize_as_bytes)), "Tsize"));
  EXPECT_TRUE(HasSubstr(DecodeError(Unhex("0d01020304")), "wire type 5"));          // fixed32
  EXPECT_TRUE(HasSubstr(DecodeError(Unhex("090102030405060708")), "wire type 1"));  // fixed64
  EXPECT_FALSE(DecodeDagPb(Span(Unhex("0201"))).ok());  // field number 0
}

TEST(DagPbTest, RejectsTruncation) {
  PbNode node;
  node.links.push_back({LeafCid("a"), std::string("name"), 12345});
  node.data = "some data";
  std::string block = EncodeDagPb(node);
  const size_t link_end = block.size() - DataField("some data").size();
  for (size_t n = 1; n < block.size(); ++n) {
    if (n == link_end) continue;  // the links alone form a valid node
    auto r = DecodeDagPb(Span(block.substr(0, n)));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
  }
  EXPECT_TRUE(HasSubstr(DecodeError(block.substr(0, block.size() - 1)), "past the end"));
}

TEST(DagPbTest, LinkNameOrderIsByBytesWithPrefixesFirst) {
  auto less = [](std::string a, std::string b) {
    return LinkNameLess(PbLink{{}, std::move(a), {}}, PbLink{{}, std::move(b), {}});
  };
  EXPECT_TRUE(less("a", "b"));
  EXPECT_FALSE(less("b", "a"));
  EXPECT_TRUE(less("a", "ab"));
  EXPECT_FALSE(less("ab", "a"));
  EXPECT_FALSE(less("a", "a"));
  EXPECT_TRUE(less("", "a"));
  EXPECT_TRUE(less("B", "a"));         // upper case first: byte order, not locale order
  EXPECT_TRUE(less("z", "\xc3\xa9"));  // bytes >= 0x80 sort after ASCII
  EXPECT_TRUE(LinkNameLess(PbLink{{}, std::nullopt, {}}, PbLink{{}, std::string("a"), {}}));
}

TEST(DagPbTest, LinkSizeMatchesTheEncoding) {
  for (Cid cid : {LeafCid("x"), Cid::V0(Sha256Multihash(Span(std::string("x"))))}) {
    for (size_t name_len : {0, 1, 100, 127, 128, 300}) {
      for (uint64_t tsize : {0ull, 127ull, 128ull, 1ull << 20, 1ull << 40}) {
        PbNode node;
        node.links.push_back({cid, std::string(name_len, 'n'), tsize});
        EXPECT_EQ(EncodeDagPb(node).size(), DagPbLinkSize(name_len, cid.Bytes().size(), tsize))
            << "name " << name_len << " tsize " << tsize;
      }
    }
  }
}

}  // namespace
}  // namespace ipfs_accelerate::store
