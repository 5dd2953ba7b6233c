#include "core/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <ctime>

#include "core/json_util.h"

namespace ipfs_accelerate {
namespace {

const char* UpperName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

// "2026-12-06T10:33:03.123Z".
std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&seconds, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string ToString(LogLevel level) {
  std::string out = UpperName(level);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (ToString(l) == lower) return l;
  }
  return Status::InvalidArgument("unknown log level \"" + std::string(text) +
                                 "\": choose debug, info, warning or error");
}

Logger::~Logger() {
  if (owns_fd_) close(fd_);
}

Status Logger::Configure(LogLevel level, const std::string& file) {
  int fd = 2;
  if (!file.empty()) {
    fd = open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      int err = errno;
      Status s = Status::FromErrno("cannot open the log file", file, err);
      if (err != ENOENT) return s;
      return Status::IoError(s.message() + " (its directory is not created: make it first, or " +
                             "set logging.file to \"\" for stderr)");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (owns_fd_) close(fd_);
  fd_ = fd;
  owns_fd_ = !file.empty();
  level_ = level;
  return Status::Ok();
}

bool Logger::Enabled(LogLevel level) const {
  std::lock_guard<std::mutex> lock(mu_);
  return level >= level_;
}

void Logger::Log(LogLevel level, std::string_view message) {
  std::string line;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (level < level_) return;
    if (owns_fd_) line = Timestamp() + " ";
  }
  line += UpperName(level);
  line += ' ';
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else if (c == '\r') {
      line += "\\r";
    } else {
      line += c;
    }
  }
  line += '\n';
  Write(line);
}

void Logger::LogJson(const nlohmann::json& record, LogLevel level) {
  if (!Enabled(level)) return;
  std::string line;
  if (record.is_object() && (!record.contains("ts") || !record.contains("level"))) {
    nlohmann::json full = record;
    if (!full.contains("ts")) full["ts"] = Timestamp();
    if (!full.contains("level")) full["level"] = ToString(level);
    line = DumpJson(full);
  } else {
    line = DumpJson(record);
  }
  line += '\n';
  Write(line);
}

void Logger::Write(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  // One write(2) per line; a short write (a full disk, a signal) is finished under the lock, so
  // no other thread's line can come between its parts. Errors are dropped: there is nowhere
  // left to report them.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

Logger& ProcessLogger() {
  static Logger logger;
  return logger;
}

void Log(LogLevel level, std::string_view message) { ProcessLogger().Log(level, message); }

void LogJson(const nlohmann::json& record, LogLevel level) {
  ProcessLogger().LogJson(record, level);
}

}  // namespace ipfs_accelerate
