// The chart helpers of the HTML report: escaping, axis ticks and their labels, text fitting.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/report_common.h"
#include "bench/svg.h"

namespace ipfs_accelerate::bench {
namespace {

TEST(ReportSvgTest, EscapeCoversTextAndAttributes) {
  EXPECT_EQ(svg::Escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(svg::Escape("plain"), "plain");
}

TEST(ReportSvgTest, NiceTicksCoverTheRangeInRoundSteps) {
  const svg::Ticks t = svg::NiceTicks(8.53, 9.81, 5);
  EXPECT_DOUBLE_EQ(t.step, 0.2);
  EXPECT_NEAR(t.lo, 8.4, 1e-12);
  EXPECT_NEAR(t.hi, 10.0, 1e-12);
  EXPECT_EQ(t.values.size(), 9u);
  const svg::Ticks zero = svg::NiceTicks(5, 5, 5);  // a constant: widened around it
  EXPECT_LT(zero.lo, 5);
  EXPECT_GT(zero.hi, 5);
  const svg::Ticks nothing = svg::NiceTicks(0, 0, 5);
  EXPECT_GE(nothing.values.size(), 2u);
}

TEST(ReportSvgTest, TickLabelsHaveTheDecimalsTheStepNeeds) {
  EXPECT_EQ(svg::FormatTick(8.4, 0.2), "8.4");
  EXPECT_EQ(svg::FormatTick(1.25, 0.25), "1.25");
  EXPECT_EQ(svg::FormatTick(120, 20), "120");
  EXPECT_EQ(svg::FormatTick(-1e-17, 0.1), "0.0");
  EXPECT_EQ(svg::FormatTick(40000, 20000), "40k");
  EXPECT_EQ(svg::FormatTick(1200000, 200000), "1.2M");
  EXPECT_EQ(svg::FormatTick(0, 200000), "0");
  EXPECT_EQ(svg::FormatSi(5000), "5k");
  EXPECT_EQ(svg::FormatSi(20), "20");
}

TEST(ReportSvgTest, FitTicksKeepsLabelsApart) {
  // 100 px cannot hold 8 labels like "12.345 ms": fewer ticks are chosen.
  const svg::Ticks t = svg::FitTicks(12.3, 12.4, 100, 11, " ms");
  ASSERT_GE(t.values.size(), 2u);
  const double spacing = 100.0 / static_cast<double>(t.values.size() - 1);
  EXPECT_GE(spacing, svg::TextWidth(svg::FormatTick(t.values.back(), t.step) + " ms", 11));
}

TEST(ReportSvgTest, LogTicksSpanTheDecades) {
  const svg::Ticks t = svg::LogTicks(3500, 1.1e6);
  EXPECT_DOUBLE_EQ(t.lo, 1000);
  EXPECT_DOUBLE_EQ(t.hi, 1e7);
  const svg::LogScale s{t.lo, t.hi, 300, 0};
  EXPECT_DOUBLE_EQ(s(1000), 300);
  EXPECT_DOUBLE_EQ(s(1e7), 0);
  EXPECT_NEAR(s(1e5), 150, 1e-9);  // two of four decades
  EXPECT_DOUBLE_EQ(s(0), 300);
}

TEST(ReportSvgTest, FitTextCutsWholeCharacters) {
  EXPECT_EQ(svg::FitText("short", 500, 12), "short");
  const std::string cut = svg::FitText("ééééééééééééééééééééééé", 60, 12);
  EXPECT_LE(svg::TextWidth(cut, 12), 60);
  EXPECT_EQ(cut.substr(cut.size() - 3), "…");
  EXPECT_EQ((cut.size() - 3) % 2, 0u);  // no half of a two-byte character left
}

TEST(ReportSvgTest, NumbersForPeople) {
  EXPECT_EQ(FormatMs(123.456), "123.5");
  EXPECT_EQ(FormatMs(12.3456), "12.35");
  EXPECT_EQ(FormatMs(0.1234), "0.123");
  EXPECT_EQ(FormatMs(0.005123), "0.00512");
  EXPECT_EQ(FormatChange(-0.0001), "+0.0%");
  EXPECT_EQ(FormatChange(0.1), "+10.0%");
  EXPECT_EQ(FormatP(0), "<1e-15");
  EXPECT_EQ(FormatP(0.0312), "0.0312");
  EXPECT_EQ(FormatBytes(0), "-");
  EXPECT_EQ(FormatBytes(340 << 20), "340.0 MiB");
  EXPECT_EQ(ShortCid("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z"),
            "bafkreig…4s52z");
  EXPECT_EQ(ValidUtf8("ok \xff\xc3\xa9"), "ok \xEF\xBF\xBD\xC3\xA9");
}

}  // namespace
}  // namespace ipfs_accelerate::bench
