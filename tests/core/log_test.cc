// The logger: levels filter, lines are whole under concurrency, JSON records are one per line.
#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "../test_util.h"
#include "core/file_util.h"
#include "core/json_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;
using test_util::TempDir;

std::vector<std::string> Lines(const std::string& path) {
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  std::vector<std::string> out;
  std::istringstream in(text.ok() ? *text : "");
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(LogTest, LevelsParseInAnyCaseAndPrintLowerCase) {
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("Warning"), LogLevel::kWarning);
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ToString(LogLevel::kWarning), "warning");
  auto bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "choose debug, info, warning or error"));
}

TEST(LogTest, FileLinesHaveTimestampLevelAndMessageAndRespectTheLevel) {
  TempDir tmp;
  std::string path = tmp / "a.log";
  Logger log;
  ASSERT_TRUE(log.Configure(LogLevel::kWarning, path).ok());
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kError));
  log.Log(LogLevel::kInfo, "not written");
  log.Log(LogLevel::kWarning, "two\nlines");
  log.Log(LogLevel::kError, "bad");
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  // 2026-12-06T10:33:03.123Z WARNING two\nlines
  ASSERT_GT(lines[0].size(), 25u);
  EXPECT_EQ(lines[0][4], '-');
  EXPECT_EQ(lines[0][10], 'T');
  EXPECT_EQ(lines[0][23], 'Z');
  EXPECT_EQ(lines[0].substr(24), " WARNING two\\nlines");
  EXPECT_EQ(lines[1].substr(24), " ERROR bad");
}

TEST(LogTest, ConfigureAppendsToAnExistingFile) {
  TempDir tmp;
  std::string path = tmp / "a.log";
  test_util::MustWrite(path, "earlier\n");
  Logger log;
  ASSERT_TRUE(log.Configure(LogLevel::kDebug, path).ok());
  log.Log(LogLevel::kDebug, "later");
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier");
  EXPECT_TRUE(HasSubstr(lines[1], "DEBUG later"));
}

TEST(LogTest, UnopenableFileIsAnErrorNamingItAndTheLoggerKeepsItsDestination) {
  TempDir tmp;
  std::string good = tmp / "good.log";
  Logger log;
  ASSERT_TRUE(log.Configure(LogLevel::kInfo, good).ok());
  std::string missing_dir = tmp / "no/such/dir/x.log";
  Status s = log.Configure(LogLevel::kDebug, missing_dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(s.message(), missing_dir));
  EXPECT_TRUE(HasSubstr(s.message(), "directory is not created"));
  EXPECT_NE(access((tmp / "no").c_str(), F_OK), 0);
  log.Log(LogLevel::kDebug, "still filtered at info");
  log.Log(LogLevel::kInfo, "still here");
  auto lines = Lines(good);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(HasSubstr(lines[0], "INFO still here"));
}

TEST(LogTest, JsonRecordsAreOneObjectPerLineWithTsAndLevelAdded) {
  TempDir tmp;
  std::string path = tmp / "req.log";
  Logger log;
  ASSERT_TRUE(log.Configure(LogLevel::kInfo, path).ok());
  log.LogJson({{"id", "r1"}, {"method", "POST"}, {"path", "/v2/models/m/infer"}, {"status", 200}});
  log.LogJson({{"ts", "given"}, {"level", "error"}, {"id", "r2"}}, LogLevel::kError);
  log.LogJson({{"id", "dropped"}}, LogLevel::kDebug);
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  auto first = ParseJson(lines[0], "line 1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["id"], "r1");
  EXPECT_EQ((*first)["status"], 200);
  EXPECT_EQ((*first)["level"], "info");
  EXPECT_TRUE((*first)["ts"].is_string());
  auto second = ParseJson(lines[1], "line 2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["ts"], "given");
}

// Many threads writing long lines at once: every line in the file is one whole line.
TEST(LogTest, ConcurrentLinesNeverInterleave) {
  TempDir tmp;
  std::string path = tmp / "c.log";
  Logger log;
  ASSERT_TRUE(log.Configure(LogLevel::kInfo, path).ok());
  constexpr int kThreads = 8, kLines = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      std::string payload(3000, static_cast<char>('a' + t));
      for (int i = 0; i < kLines; ++i) {
        if (i % 2) {
          log.Log(LogLevel::kInfo, payload);
        } else {
          log.LogJson({{"t", t}, {"i", i}, {"p", payload}});
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  for (const std::string& line : lines) {
    if (line.starts_with("{")) {
      auto j = ParseJson(line, "line");
      ASSERT_TRUE(j.ok()) << line.substr(0, 80);
      std::string p = (*j)["p"];
      EXPECT_EQ(p, std::string(3000, static_cast<char>('a' + (*j)["t"].get<int>())));
    } else {
      std::string body = line.substr(line.find(" INFO ") + 6);
      ASSERT_EQ(body.size(), 3000u);
      EXPECT_EQ(body, std::string(3000, body[0]));
    }
  }
}

TEST(LogTest, ProcessLoggerIsOneObject) { EXPECT_EQ(&ProcessLogger(), &ProcessLogger()); }

}  // namespace
}  // namespace ipfs_accelerate
