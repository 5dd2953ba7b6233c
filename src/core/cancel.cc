#include "core/cancel.h"

#include <signal.h>

namespace ipfs_accelerate {
namespace {

// The bridge from a signal handler to the token: a handler can only reach static storage.
std::atomic<CancelToken*> g_signal_token{nullptr};
std::atomic<int> g_received{0};

void OnSignal(int sig) {
  g_received.store(sig);
  if (CancelToken* token = g_signal_token.load()) token->Cancel();
  signal(sig, SIG_DFL);  // a second signal ends the process at once
}

}  // namespace

void CancelToken::SetTimeout(std::chrono::nanoseconds timeout) {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  deadline_ns_.store((now + timeout).count(), std::memory_order_relaxed);
}

Status CancelToken::Check(const std::string& what) const {
  if (cancelled()) return Status::Cancelled(what + " was interrupted");
  int64_t deadline = deadline_ns_.load(std::memory_order_relaxed);
  if (deadline != INT64_MAX &&
      std::chrono::steady_clock::now().time_since_epoch().count() >= deadline) {
    return Status::DeadlineExceeded(what + " ran past its time limit");
  }
  return Status::Ok();
}

ScopedSignalCancel::ScopedSignalCancel(CancelToken* token) {
  g_received.store(0);
  g_signal_token.store(token);
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
}

ScopedSignalCancel::~ScopedSignalCancel() {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  g_signal_token.store(nullptr);
}

int ScopedSignalCancel::received() { return g_received.load(); }

}  // namespace ipfs_accelerate
