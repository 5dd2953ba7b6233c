// Memory budgets as people write them, and where the setting comes from.
#include "core/memory_budget.h"

#include <gtest/gtest.h>

namespace ipfs_accelerate {
namespace {

TEST(MemoryBudgetTest, ParsesSizesWithAndWithoutUnits) {
  EXPECT_EQ(*ParseByteSize("1048576", "x"), 1048576u);
  EXPECT_EQ(*ParseByteSize("512MiB", "x"), 512u << 20);
  EXPECT_EQ(*ParseByteSize("4GiB", "x"), uint64_t{4} << 30);
  EXPECT_EQ(*ParseByteSize("4g", "x"), uint64_t{4} << 30);
  EXPECT_EQ(*ParseByteSize("64K", "x"), 64u << 10);
  EXPECT_EQ(*ParseByteSize("1.5GB", "x"), 1500000000u);
  EXPECT_EQ(*ParseByteSize("2 TiB", "x"), uint64_t{2} << 40);
  EXPECT_EQ(*ParseByteSize("100B", "x"), 100u);
}

TEST(MemoryBudgetTest, RefusesWhatIsNotASizeNamingTheSetting) {
  for (const char* bad : {"", "lots", "-5", "12XB", "0", "1e3", "99999999999TiB", "GiB"}) {
    auto r = ParseByteSize(bad, "--memory-limit");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("--memory-limit"), std::string::npos) << bad;
  }
}

TEST(MemoryBudgetTest, TheDefaultIsSomeOfTheAvailableMemory) {
  EXPECT_GE(DefaultMemoryLimit(), uint64_t{64} << 20);
}

TEST(MemoryBudgetTest, TheFlagWinsOverTheSettingWhichWinsOverTheDefault) {
  EXPECT_EQ(*MemoryLimitSetting("", Config::Defaults()), 0u);
  auto config = Config::Load({.overrides = {"engine.memory_limit=2GiB"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(*MemoryLimitSetting("", *config), uint64_t{2} << 30);
  EXPECT_EQ(*MemoryLimitSetting("256MiB", *config), 256u << 20);
  auto bad = Config::Load({.overrides = {"engine.memory_limit=plenty"}});
  ASSERT_TRUE(bad.ok());
  auto r = MemoryLimitSetting("", *bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("engine.memory_limit"), std::string::npos);
  EXPECT_NE(r.status().message().find("--set"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace ipfs_accelerate
