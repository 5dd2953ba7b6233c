// Multibase: base32 (RFC 4648, lower case, no padding), base58btc and the prefixed forms.
#include "store/multibase.h"

#include <gtest/gtest.h>

#include <string>

#include "../test_util.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::Span;
using test_util::Unhex;

struct Vector {
  std::string bytes;
  const char* text;
};

// RFC 4648 section 10, lower case, padding dropped; plus the multibase spec's "yes mani !".
const Vector kBase32[] = {
    {"", ""},
    {"f", "my"},
    {"fo", "mzxq"},
    {"foo", "mzxw6"},
    {"foob", "mzxw6yq"},
    {"fooba", "mzxw6ytb"},
    {"foobar", "mzxw6ytboi"},
    {"yes mani !", "pfsxgidnmfxgsibb"},
    {std::string("\0", 1), "aa"},
    {"\xff", "74"},
};

// The base58btc vectors of the multiformats and Bitcoin test suites, leading zeros included.
const Vector kBase58[] = {
    {"", ""},
    {std::string("\0", 1), "1"},
    {std::string("\0\0", 2), "11"},
    {std::string("\0\0\0\x01", 4), "1112"},
    {Unhex("0000287fb4cd"), "11233QC4"},
    {"\xff", "5Q"},
    {"Hello World!", "2NEpo7TZRRrLZSi2U"},
    {"yes mani !", "7paNL19xttacUY"},
    {"The quick brown fox jumps over the lazy dog.",
     "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
};

TEST(Base32Test, EncodesRfc4648Vectors) {
  for (const Vector& v : kBase32)
    EXPECT_EQ(Base32Lower(Span(v.bytes)), v.text) << "input \"" << v.bytes << "\"";
}

TEST(Base32Test, DecodesRfc4648VectorsInEitherCase) {
  for (const Vector& v : kBase32) {
    auto lower = DecodeBase32(v.text);
    ASSERT_TRUE(lower.ok()) << v.text << ": " << lower.status().ToString();
    EXPECT_EQ(*lower, v.bytes) << v.text;
    std::string upper = v.text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto u = DecodeBase32(upper);
    ASSERT_TRUE(u.ok()) << upper << ": " << u.status().ToString();
    EXPECT_EQ(*u, v.bytes) << upper;
  }
}

TEST(Base32Test, RoundTripsEveryLength) {
  std::string data = test_util::PatternBytes(70);
  for (size_t n = 0; n <= data.size(); ++n) {
    std::string in = data.substr(0, n);
    auto out = DecodeBase32(Base32Lower(Span(in)));
    ASSERT_TRUE(out.ok()) << n;
    EXPECT_EQ(*out, in) << n;
  }
}

TEST(Base32Test, RejectsCharactersOutsideTheAlphabetNamingThem) {
  for (char bad : {'1', '8', '9', '0', '=', '-', ' '}) {
    std::string text = "mzx" + std::string(1, bad) + "6ytb";
    auto r = DecodeBase32(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().message(), "'" + std::string(1, bad) + "'"));
  }
}

TEST(Base32Test, RejectsPaddingImpossibleLengthsAndNonZeroTrailingBits) {
  EXPECT_FALSE(DecodeBase32("my======").ok());  // padding is not used in multibase
  EXPECT_FALSE(DecodeBase32("m").ok());         // 5 bits cannot end a string
  EXPECT_FALSE(DecodeBase32("mzx").ok());       // 15 bits: 7 left over
  EXPECT_FALSE(DecodeBase32("mz").ok());        // "my" is "f"; "mz" has a 1 in the unused bits
  auto r = DecodeBase32("mzxw6yr");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().message(), "mzxw6yr"));
}

TEST(Base58Test, EncodesVectors) {
  for (const Vector& v : kBase58)
    EXPECT_EQ(Base58Btc(Span(v.bytes)), v.text) << test_util::Hex(v.bytes);
}

TEST(Base58Test, DecodesVectorsKeepingLeadingZeros) {
  for (const Vector& v : kBase58) {
    auto r = DecodeBase58Btc(v.text);
    ASSERT_TRUE(r.ok()) << v.text << ": " << r.status().ToString();
    EXPECT_EQ(test_util::Hex(*r), test_util::Hex(v.bytes)) << v.text;
  }
}

TEST(Base58Test, RoundTripsWithLeadingZeros) {
  for (size_t zeros = 0; zeros < 4; ++zeros) {
    for (size_t n = 0; n < 40; n += 3) {
      std::string in = std::string(zeros, '\0') + test_util::PatternBytes(n);
      auto out = DecodeBase58Btc(Base58Btc(Span(in)));
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(test_util::Hex(*out), test_util::Hex(in)) << zeros << " zeros, " << n << " bytes";
    }
  }
}

TEST(Base58Test, RejectsCharactersOutsideTheAlphabetNamingThem) {
  // 0, O, I and l are left out of base58 because they look alike.
  for (char bad : {'0', 'O', 'I', 'l', '+', '/', ' '}) {
    std::string text = "2NEpo7" + std::string(1, bad) + "TZRR";
    auto r = DecodeBase58Btc(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().message(), "'" + std::string(1, bad) + "'"));
    EXPECT_TRUE(HasSubstr(r.status().message(), text));
  }
}

TEST(Base58Test, RejectsNonAscii) {
  auto r = DecodeBase58Btc("2NEp\xc3\xa9o7");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(MultibaseTest, DecodesEachSupportedPrefix) {
  const std::string want = "yes mani !";
  for (const char* text : {"bpfsxgidnmfxgsibb", "BPFSXGIDNMFXGSIBB", "z7paNL19xttacUY",
                           "f796573206d616e692021", "F796573206D616E692021"}) {
    auto r = DecodeMultibase(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(*r, want) << text;
  }
}

TEST(MultibaseTest, RejectsEmptyUnknownPrefixAndBadBase16) {
  auto empty = DecodeMultibase("");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(HasSubstr(empty.status().message(), "empty"));

  auto unknown = DecodeMultibase("meWVzIG1hbmkgIQ");  // base64: valid multibase, not supported here
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(HasSubstr(unknown.status().message(), "'m'"));

  EXPECT_FALSE(DecodeMultibase("f7965732").ok());  // odd length
  auto bad_hex = DecodeMultibase("f79657g");
  EXPECT_FALSE(bad_hex.ok());
  auto bad58 = DecodeMultibase("z7paNL19xttacUY0");
  ASSERT_FALSE(bad58.ok());
  EXPECT_TRUE(HasSubstr(bad58.status().message(), "'0'"));
}

}  // namespace
}  // namespace ipfs_accelerate::store
