// CIDs: text and binary forms of v0 and v1, and the errors people see for bad input.
#include "store/cid.h"

#include <gtest/gtest.h>

#include <string>

#include "../test_util.h"
#include "store/multihash.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::Span;
using test_util::Unhex;

// `ipfs add` of "hello world" (no newline): CIDv0 of the dag-pb leaf, its CIDv1, and the raw leaf.
constexpr char kV0[] = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD";
constexpr char kV0Multihash[] =
    "1220f852c7fa62f971817f54d8a80dcd63fcf7098b3cbde9ae8ec1ee449013ec5db0";
constexpr char kV1DagPb[] = "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa";
constexpr char kV1DagPbBase58[] = "zdj7Wn9FQAURCP6MbwcWuzi7u65kAsXCdjNTkhbJcoaXBusq9";
constexpr char kV1Raw[] = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
constexpr char kV1RawBase58[] = "zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn";
constexpr char kV1RawBase16[] =
    "f01551220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

std::string ParseError(std::string_view text) {
  auto r = Cid::Parse(text);
  EXPECT_FALSE(r.ok()) << "\"" << text << "\" parsed as " << (r.ok() ? r->ToString() : "");
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  return r.status().message();
}

TEST(CidTest, ParsesAndFormatsV0) {
  auto cid = Cid::Parse(kV0);
  ASSERT_TRUE(cid.ok()) << cid.status().ToString();
  EXPECT_EQ(cid->version(), 0);
  EXPECT_EQ(cid->codec(), kCodecDagPb);
  EXPECT_EQ(test_util::Hex(cid->multihash()), kV0Multihash);
  EXPECT_EQ(cid->Bytes(), cid->multihash());  // a v0 CID is its bare multihash
  EXPECT_EQ(cid->ToString(), kV0);
  EXPECT_FALSE(cid->empty());
}

TEST(CidTest, ParsesAndFormatsV1) {
  auto raw = Cid::Parse(kV1Raw);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->version(), 1);
  EXPECT_EQ(raw->codec(), kCodecRaw);
  EXPECT_EQ(raw->multihash(), Sha256Multihash(Span(std::string("hello world"))));
  EXPECT_EQ(raw->ToString(), kV1Raw);
  EXPECT_EQ(test_util::Hex(raw->Bytes()), std::string(kV1RawBase16 + 1));

  auto pb = Cid::Parse(kV1DagPb);
  ASSERT_TRUE(pb.ok()) << pb.status().ToString();
  EXPECT_EQ(pb->version(), 1);
  EXPECT_EQ(pb->codec(), kCodecDagPb);
  EXPECT_EQ(test_util::Hex(pb->multihash()), kV0Multihash);
  EXPECT_EQ(pb->ToString(), kV1DagPb);
}

TEST(CidTest, OtherMultibasesParseToTheCanonicalBase32) {
  std::string upper = kV1Raw;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& text : {upper, std::string(kV1RawBase58), std::string(kV1RawBase16)}) {
    auto cid = Cid::Parse(text);
    ASSERT_TRUE(cid.ok()) << text << ": " << cid.status().ToString();
    EXPECT_EQ(cid->ToString(), kV1Raw) << text;
  }
  auto pb = Cid::Parse(kV1DagPbBase58);
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->ToString(), kV1DagPb);
}

TEST(CidTest, ConvertsBetweenVersions) {
  Cid v0 = Cid::Parse(kV0).value();
  auto v1 = v0.ToVersion(1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->ToString(), kV1DagPb);
  auto back = v1->ToVersion(0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToString(), kV0);
  EXPECT_EQ(*back, v0);
  EXPECT_NE(*v1, v0);  // same content, different CIDs

  auto raw_v0 = Cid::Parse(kV1Raw)->ToVersion(0);
  ASSERT_FALSE(raw_v0.ok());
  EXPECT_TRUE(HasSubstr(raw_v0.status().message(), "raw"));
  EXPECT_TRUE(HasSubstr(raw_v0.status().message(), kV1Raw));
}

TEST(CidTest, BinaryRoundTrip) {
  for (const char* text : {kV0, kV1DagPb, kV1Raw}) {
    Cid cid = Cid::Parse(text).value();
    std::string bytes = cid.Bytes();
    auto back = Cid::FromBytes(Span(bytes));
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    EXPECT_EQ(*back, cid) << text;
    EXPECT_EQ(back->ToString(), text);
  }
}

TEST(CidTest, ReadConsumesOneCidAtATime) {
  Cid a = Cid::Parse(kV0).value(), b = Cid::Parse(kV1Raw).value(), c = Cid::Parse(kV1DagPb).value();
  std::string stream = a.Bytes() + b.Bytes() + c.Bytes();
  size_t pos = 0;
  for (const Cid& want : {a, b, c}) {
    auto got = Cid::Read(Span(stream), &pos);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want);
  }
  EXPECT_EQ(pos, stream.size());
}

TEST(CidTest, FromBytesRejectsTrailingAndTruncatedBytes) {
  std::string bytes = Cid::Parse(kV1Raw)->Bytes();
  auto trailing = Cid::FromBytes(Span(bytes + "x"));
  ASSERT_FALSE(trailing.ok());
  EXPECT_TRUE(HasSubstr(trailing.status().message(), "trailing"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Cid::FromBytes(Span(bytes.substr(0, n))).ok()) << n << " bytes";
  }
}

TEST(CidTest, RejectsEmptyString) { EXPECT_TRUE(HasSubstr(ParseError(""), "empty")); }

TEST(CidTest, RejectsUnknownPrefixNamingIt) {
  std::string m = ParseError("xafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_TRUE(HasSubstr(m, "prefix 'x'"));
}

TEST(CidTest, RejectsBadBase58NamingTheCharacter) {
  std::string text = kV0;
  text[10] = '0';
  std::string m = ParseError(text);
  EXPECT_TRUE(HasSubstr(m, "'0'"));
  EXPECT_TRUE(HasSubstr(m, text));  // the message quotes what the user typed
}

TEST(CidTest, RejectsBadBase32NamingTheCharacter) {
  std::string text = kV1Raw;
  text[20] = '1';
  EXPECT_TRUE(HasSubstr(ParseError(text), "'1'"));
}

TEST(CidTest, RejectsTruncatedV1) {
  // 48 base32 characters are exactly 30 bytes: the digest lacks 6 of its 32 bytes.
  std::string text = std::string(kV1Raw).substr(0, 1 + 48);
  EXPECT_TRUE(HasSubstr(ParseError(text), "truncated"));
  // Cut anywhere else, the text is rejected too (its last character carries stray bits).
  for (size_t n = 2; n < std::string(kV1Raw).size(); ++n)
    ParseError(std::string(kV1Raw).substr(0, n));
}

TEST(CidTest, RejectsTruncatedV0SayingWhatIsWrong) {
  std::string text = kV0;
  text.pop_back();  // 45 characters: someone lost the last one when copying
  std::string m = ParseError(text);
  // The message must be about the CIDv0 being cut short, not about an unknown multibase 'Q'.
  EXPECT_TRUE(HasSubstr(m, "CIDv0") || HasSubstr(m, "truncated") || HasSubstr(m, "46")) << m;
}

TEST(CidTest, RejectsV0WithMultibasePrefix) {
  // "z" + base58 of the bare multihash, and base32 of it: v0 CIDs have no multibase form.
  for (const char* text : {"zQmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD",
                           "bciqpquwh7jrps4mbp5knrkanzvr7z5yjrm6l32nor3a64reqcpwf3ma"}) {
    EXPECT_TRUE(HasSubstr(ParseError(text), "multibase prefix")) << text;
  }
}

TEST(CidTest, RejectsWrongDigestLength) {
  // v1 raw sha2-256 whose multihash says 31 bytes (0x1f) and carries 31.
  std::string m = ParseError("bafkreh5zjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n");
  EXPECT_TRUE(HasSubstr(m, "digest length 31"));
  EXPECT_TRUE(HasSubstr(m, "32"));
}

TEST(CidTest, RejectsUnknownVersion) {
  std::string m = ParseError("bajybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa");
  EXPECT_TRUE(HasSubstr(m, "version 2"));
}

TEST(CidTest, RejectsNonMinimalVarints) {
  // Version 1 written as 0x81 0x00: same number, non-minimal encoding.
  std::string bytes = Unhex("8100 55 1220") + Sha256Multihash(Span(std::string("x"))).substr(2);
  EXPECT_FALSE(Cid::FromBytes(Span(bytes)).ok());
}

TEST(CidTest, RejectsOversizedDigests) {
  std::string bytes =
      Unhex("01 55 13 8101") + std::string(129, 'a');  // sha2-512 code, 129-byte digest
  auto r = Cid::FromBytes(Span(bytes));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "129"));
}

TEST(CidTest, ErrorQuotesLongInputShortened) {
  std::string text = "b" + std::string(500, 'a');
  std::string m = ParseError(text);
  EXPECT_LT(m.size(), 400u) << "a 500-character input should not be echoed whole";
}

TEST(CidTest, CodecNames) {
  EXPECT_EQ(CodecName(kCodecRaw), "raw");
  EXPECT_EQ(CodecName(kCodecDagPb), "dag-pb");
  EXPECT_EQ(CodecName(kCodecDagCbor), "dag-cbor");
  EXPECT_EQ(CodecName(0x0129), "0x129");
}

// A DAG node is its codec and multihash: v0 and v1 of a dag-pb block are one node, the same bytes
// as raw and as dag-pb are two (only the dag-pb one has links to follow).
TEST(CidSetTest, KeysByCodecAndMultihash) {
  Cid v0 = Cid::Parse(kV0).value();
  Cid v1 = Cid::Parse(kV1DagPb).value();
  Cid raw_twin = Cid::V1(kCodecRaw, v0.multihash());
  CidSet set;
  EXPECT_TRUE(set.Insert(v0));
  EXPECT_FALSE(set.Insert(v1)) << "v1 of the same dag-pb block is the same node";
  EXPECT_FALSE(set.Contains(raw_twin));
  EXPECT_TRUE(set.Insert(raw_twin)) << "the same bytes as raw are another node";
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(v0.NodeKey(), v1.NodeKey());
  EXPECT_NE(v0.NodeKey(), raw_twin.NodeKey());
}

}  // namespace
}  // namespace ipfs_accelerate::store
