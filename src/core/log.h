// A small thread-safe logger: human lines ("INFO message") and structured records (one JSON
// object per line, e.g. the server's request log), to stderr or appended to a file. Every line
// is written whole with one write(2) under a lock (files opened O_APPEND), so lines of concurrent
// threads, and of other processes appending to the same file, never interleave.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error".
std::string ToString(LogLevel level);
// The level named `text`, in any case ("INFO"); kInvalidArgument naming the four otherwise.
Result<LogLevel> ParseLogLevel(std::string_view text);

class Logger {
 public:
  // Writes info and above to stderr until configured.
  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // From now on writes `level` and above to `file` (appended to; created when missing, but not
  // its directory), or to stderr when `file` is empty. On error (kIoError naming the file and
  // why) the logger keeps its previous destination and level.
  Status Configure(LogLevel level, const std::string& file);

  // Whether a message of `level` would be written (to skip building costly messages).
  bool Enabled(LogLevel level) const;
  // Writes "LEVEL message" (a file's lines start with an ISO 8601 UTC timestamp with
  // milliseconds). Line breaks in `message` are written as "\n" so one message is one line.
  void Log(LogLevel level, std::string_view message);
  // Writes `record` as one line of JSON when `level` is enabled. An object without "ts" or
  // "level" gets them (timestamp as above; the level's name).
  void LogJson(const nlohmann::json& record, LogLevel level = LogLevel::kInfo);

 private:
  void Write(const std::string& line);

  mutable std::mutex mu_;
  LogLevel level_ = LogLevel::kInfo;
  int fd_ = 2;  // stderr, or the file this logger opened
  bool owns_fd_ = false;
};

// The process's logger: the one piece of global mutable state allowed outside main. main (or the
// command it runs, such as `serve`) configures it once from logging.level and logging.file
// before starting threads; everything may log to it from any thread afterwards.
Logger& ProcessLogger();

// ProcessLogger().Log / LogJson.
void Log(LogLevel level, std::string_view message);
void LogJson(const nlohmann::json& record, LogLevel level = LogLevel::kInfo);

}  // namespace ipfs_accelerate
