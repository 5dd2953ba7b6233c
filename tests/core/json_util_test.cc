// ParseJson, the one parser for JSON from outside: bounded nesting, errors with a place, no
// exceptions.
#include "core/json_util.h"

#include <gtest/gtest.h>

#include <chrono>

#include "../test_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;

std::string Nested(char open, char close, int depth, const std::string& inner = "") {
  std::string text;
  for (int i = 0; i < depth; ++i) text += open == '{' ? "{\"k\":" : std::string(1, open);
  text += inner.empty() ? (open == '{' ? "1" : "") : inner;
  for (int i = 0; i < depth; ++i) text += close;
  return text;
}

TEST(JsonUtilTest, ParsesOrdinaryJson) {
  auto j = ParseJson(R"({"a": [1, 2, {"b": "c"}], "d": null})", "test");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["a"][2]["b"], "c");
}

TEST(JsonUtilTest, ArraysUpToTheLimitParseAndOneMoreIsRefused) {
  EXPECT_TRUE(ParseJson(Nested('[', ']', kMaxJsonDepth), "a.json").ok());
  auto deep = ParseJson(Nested('[', ']', kMaxJsonDepth + 1), "a.json");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(deep.status().message(), "a.json:1:65: JSON nested deeper than 64 levels"));
}

TEST(JsonUtilTest, ObjectsAndMixedNestingCountTheSame) {
  EXPECT_TRUE(ParseJson(Nested('{', '}', kMaxJsonDepth), "o.json").ok());
  auto deep = ParseJson(Nested('{', '}', kMaxJsonDepth + 1), "o.json");
  ASSERT_FALSE(deep.ok());
  EXPECT_TRUE(HasSubstr(deep.status().message(), "o.json:1:"));
  EXPECT_TRUE(HasSubstr(deep.status().message(), "nested deeper than 64"));
  std::string mixed;
  for (int i = 0; i < 40; ++i) mixed += "[{\"x\":";
  auto m = ParseJson(mixed, "m.json");  // 80 levels, unclosed: the depth is found first
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasSubstr(m.status().message(), "nested deeper than 64"));
  EXPECT_TRUE(ParseJson(Nested('[', ']', 10), "m.json", /*max_depth=*/10).ok());
  EXPECT_FALSE(ParseJson(Nested('[', ']', 11), "m.json", /*max_depth=*/10).ok());
}

// The reported crash: ~600 KB of "[[[…" must be a quick error, not a stack overflow.
TEST(JsonUtilTest, HugeNestingIsAQuickError) {
  std::string text = std::string(300000, '[') + std::string(300000, ']');
  auto t0 = std::chrono::steady_clock::now();
  auto j = ParseJson(text, "./ipfs_accelerate.json");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  ASSERT_FALSE(j.ok());
  EXPECT_TRUE(HasSubstr(j.status().message(), "./ipfs_accelerate.json:1:65"));
  EXPECT_FALSE(ParseJson(std::string(600000, '{'), "x").ok());
}

// Brackets inside strings are text: they never count as nesting, escaped quotes included.
TEST(JsonUtilTest, BracketsInStringsAreNotNesting) {
  std::string brackets = std::string(1000, '[') + std::string(1000, '{');
  auto j = ParseJson("{\"name\": \"" + brackets + "\"}", "s.json");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["name"], brackets);
  // An escaped quote does not end the string; an escaped backslash does not escape the quote.
  auto escaped = ParseJson(
      R"(["\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\\"])",
      "e.json");
  ASSERT_TRUE(escaped.ok()) << escaped.status().ToString();
  EXPECT_EQ((*escaped)[1], "\\");
  // After a string that ends in an escaped backslash, brackets count again.
  auto after = ParseJson("[\"\\\\\", " + Nested('[', ']', kMaxJsonDepth) + "]", "e.json");
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(HasSubstr(after.status().message(), "nested deeper"));
}

TEST(JsonUtilTest, SyntaxErrorsNameSourceLineAndColumnWithoutThrowing) {
  auto j = ParseJson("{\n  \"a\": 1x\n}\n", "c.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(j.status().message(), "c.json:2:9: syntax error: "))
      << j.status().message();
  for (std::string bad :
       {std::string(""), std::string("\xff"), std::string("[1,"), std::string("\"\\ud800\""),
        std::string("1e999999"), std::string("{\"a\":\"\xc3\"}"), std::string("]]]]"),
        std::string("\0", 1)}) {
    auto r = ParseJson(bad, "bad");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(HasSubstr(r.status().message(), "bad")) << bad;
  }
}

}  // namespace
}  // namespace ipfs_accelerate
