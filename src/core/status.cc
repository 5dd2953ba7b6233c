#include "core/status.h"

#include <cstring>

namespace ipfs_accelerate {

Status Status::FromErrno(const std::string& what, const std::string& path, int err) {
  return IoError(what + " " + path + ": " + std::strerror(err));
}

std::string Status::ToString() const {
  const char* kind = "error";
  switch (code_) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      kind = "invalid input";
      break;
    case StatusCode::kNotFound:
      kind = "not found";
      break;
    case StatusCode::kCorruption:
      kind = "corrupt data";
      break;
    case StatusCode::kIoError:
      kind = "I/O error";
      break;
    case StatusCode::kUnsupported:
      kind = "unsupported";
      break;
    case StatusCode::kBusy:
      kind = "busy";
      break;
    case StatusCode::kResourceExhausted:
      kind = "limit exceeded";
      break;
    case StatusCode::kCancelled:
      kind = "cancelled";
      break;
    case StatusCode::kDeadlineExceeded:
      kind = "deadline exceeded";
      break;
    case StatusCode::kUnavailable:
      kind = "unavailable";
      break;
    case StatusCode::kInternal:
      kind = "internal error";
      break;
  }
  return std::string(kind) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

Status Status::WithMessage(std::string message) const {
  if (ok()) return *this;
  return Status(code_, std::move(message));
}

}  // namespace ipfs_accelerate
