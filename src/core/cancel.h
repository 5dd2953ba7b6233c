// Cooperative cancellation: long operations (writing a file, running a model, a benchmark) poll a
// token between units of work and stop with kCancelled or kDeadlineExceeded, unwinding through
// their ordinary error paths, so that whatever they were writing is removed, never left half done.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ipfs_accelerate {

// Thread-safe: any thread may cancel; any thread may poll.
class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Asks every operation polling this token to stop.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  // Stops operations once `timeout` from now has passed (replaces an earlier deadline).
  void SetTimeout(std::chrono::nanoseconds timeout);

  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Ok while neither cancelled nor past the deadline; else kCancelled or kDeadlineExceeded
  // naming `what` ("running model.onnx").
  Status Check(const std::string& what) const;

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};  // steady_clock, since its epoch
};

// While alive, the first SIGINT or SIGTERM cancels `token` (a second one ends the process at
// once, as the default action would). Restores the previous handlers when it goes. One at a time.
class ScopedSignalCancel {
 public:
  explicit ScopedSignalCancel(CancelToken* token);
  ~ScopedSignalCancel();
  ScopedSignalCancel(const ScopedSignalCancel&) = delete;
  ScopedSignalCancel& operator=(const ScopedSignalCancel&) = delete;

  // The signal that cancelled the token (SIGINT or SIGTERM), or 0.
  static int received();
};

}  // namespace ipfs_accelerate
