// ParseInt and ParseNumber: numbers people type, parsed whole, with errors that name the input.
#include "core/parse_number.h"

#include <gtest/gtest.h>

#include "../test_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;

TEST(ParseNumberTest, IntegersParseWholeWithinTheirRange) {
  EXPECT_EQ(*ParseInt("42", "--x"), 42);
  EXPECT_EQ(*ParseInt(" -7 ", "--x"), -7);
  EXPECT_EQ(*ParseInt("+3", "--x"), 3);
  EXPECT_EQ(*ParseInt("9223372036854775807", "--x"), INT64_MAX);
  for (const char* bad :
       {"", " ", "4x", "0x10", "1e3", "+-1", "--1", "99999999999999999999", "1 2", "٣"}) {
    auto r = ParseInt(bad, "--dim seq");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().ToString(), "invalid input: --dim seq wants an integer"))
        << r.status().ToString();
  }
  auto out = ParseInt("0", "--dim seq", 1, 10);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "--dim seq wants an integer from 1 to 10, got \"0\"");
}

TEST(ParseNumberTest, NumbersAreFiniteAndWhole) {
  EXPECT_EQ(*ParseNumber("2.5", "--t"), 2.5);
  EXPECT_EQ(*ParseNumber("1e3", "--t"), 1000);
  for (const char* bad : {"", "inf", "nan", "1e999", "2.5s", "0x1p3", "--1"}) {
    EXPECT_FALSE(ParseNumber(bad, "--t").ok()) << bad;
  }
  EXPECT_FALSE(ParseNumber("11", "--t", 0, 10).ok());
}

TEST(ParseNumberTest, TheValueShownIsQuotedAndCutShort) {
  auto r = ParseInt(std::string(500, '9') + "\x1b[2J", "--x");
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 200u);
  EXPECT_EQ(r.status().message().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate
