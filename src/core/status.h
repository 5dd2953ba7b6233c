// Errors as values: every fallible call returns Status or Result<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ipfs_accelerate {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's input is malformed
  kNotFound,           // a block, file, pin or alias that does not exist
  kCorruption,         // bytes that do not match their hash or their format
  kIoError,            // the operating system refused a read, write or sync
  kUnsupported,        // valid input that this build cannot handle yet
  kBusy,               // another process holds a lock we need
  kResourceExhausted,  // a memory budget, disk space or a size limit would be exceeded
  kCancelled,          // stopped on request (Ctrl-C, SIGTERM)
  kDeadlineExceeded,   // stopped because its time ran out
  kUnavailable,        // a remote source or peer cannot be reached or is down (try later/elsewhere)
  kInternal,
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  // An IoError naming the operation, the path and strerror(err).
  static Status FromErrno(const std::string& what, const std::string& path, int err);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "kind: message", for people.
  std::string ToString() const;
  // Returns a copy whose message is "context: message".
  Status WithContext(const std::string& context) const;
  // Returns a status of the same code with `message` instead (Ok stays Ok).
  Status WithMessage(std::string message) const;

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ipfs_accelerate

#define IA_CONCAT_INNER(a, b) a##b
#define IA_CONCAT(a, b) IA_CONCAT_INNER(a, b)

#define IA_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::ipfs_accelerate::Status ia_status_ = (expr); \
    if (!ia_status_.ok()) return ia_status_;       \
  } while (0)

#define IA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define IA_ASSIGN_OR_RETURN(lhs, expr) \
  IA_ASSIGN_OR_RETURN_IMPL(IA_CONCAT(ia_result_, __LINE__), lhs, expr)
