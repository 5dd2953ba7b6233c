// TerminalSafe: the one helper that makes names from outside safe to print.
#include "core/terminal_text.h"

#include <gtest/gtest.h>

#include <string>

namespace ipfs_accelerate {
namespace {

TEST(TerminalSafeTest, PrintableTextAndUtf8PassUnchanged) {
  EXPECT_EQ(TerminalSafe("model-v1.onnx"), "model-v1.onnx");
  EXPECT_EQ(TerminalSafe("mod\xc3\xa8le \xe6\xa8\xa1\xe5\x9e\x8b \xf0\x9f\x98\x80"),
            "mod\xc3\xa8le \xe6\xa8\xa1\xe5\x9e\x8b \xf0\x9f\x98\x80");
}

TEST(TerminalSafeTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(TerminalSafe("clear\x1b[2Jscreen"), "clear\\x1b[2Jscreen");
  EXPECT_EQ(TerminalSafe("two\nlines\tand\rback"), "two\\nlines\\tand\\rback");
  EXPECT_EQ(TerminalSafe(std::string("nul\0cut", 7)), "nul\\x00cut") << "a NUL cuts nothing short";
  EXPECT_EQ(TerminalSafe("del\x7f"), "del\\x7f");
  EXPECT_EQ(TerminalSafe("back\\slash"), "back\\\\slash") << "escapes stay unambiguous";
  EXPECT_EQ(TerminalSafe("a\nb", /*keep_newlines=*/true), "a\nb");
}

TEST(TerminalSafeTest, C1ControlsAndInvalidUtf8AreEscaped) {
  EXPECT_EQ(TerminalSafe("csi\xc2\x9b"
                         "2J"),
            "csi\\xc2\\x9b2J");                     // U+009B, the one-byte CSI
  EXPECT_EQ(TerminalSafe("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
  EXPECT_EQ(TerminalSafe("bad\xff\xfe"), "bad\\xff\\xfe");
  EXPECT_EQ(TerminalSafe("overlong\xc0\xaf"), "overlong\\xc0\\xaf");
  EXPECT_EQ(TerminalSafe("surrogate\xed\xa0\x80"), "surrogate\\xed\\xa0\\x80");
  EXPECT_EQ(TerminalSafe("cut\xe6\xa8"), "cut\\xe6\\xa8");
}

}  // namespace
}  // namespace ipfs_accelerate
