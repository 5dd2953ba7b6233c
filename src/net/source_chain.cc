#include "net/source_chain.h"

#include <algorithm>
#include <limits>
#include <thread>

namespace ipfs_accelerate::net {
namespace {

// The size a block request is scored for: the usual chunk of a model file.
constexpr uint64_t kTypicalBlockBytes = 1 << 20;
constexpr size_t kMaxReasonChars = 1500;

}  // namespace

Result<RemoteBlock> FetchBlock(const std::vector<RemoteBlockSource*>& remote, const store::Cid& cid,
                               const RetryPolicy& policy, const CancelToken* cancel,
                               const std::function<bool()>& stop) {
  const std::string what = "fetching " + cid.ToString();
  std::vector<bool> lacks(remote.size(), false);  // said it does not have the block
  std::vector<bool> skip(remote.size(), false);   // cannot give it (bad URL, too large, …)
  std::string reasons;
  Status last;
  int transient = 0;
  for (;;) {
    if (cancel) IA_RETURN_IF_ERROR(cancel->Check(what));
    if (stop && stop()) return Status::Cancelled(what + ": stopped");
    size_t best = remote.size();
    double best_ms = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < remote.size(); ++i) {
      if (remote[i]->down() || lacks[i] || skip[i]) continue;
      double ms = remote[i]->ExpectedMs(kTypicalBlockBytes);
      if (ms < best_ms) best_ms = ms, best = i;
    }
    if (best == remote.size()) {
      std::string message = "no source gave " + cid.ToString() + reasons;
      for (const RemoteBlockSource* s : remote) {
        if (s->down() && message.size() < kMaxReasonChars) {
          message += "; " + s->url() + " is down (" + s->down_reason() + ")";
        }
      }
      if (remote.empty()) message += " (no remote source is configured)";
      if (std::all_of(lacks.begin(), lacks.end(), [](bool b) { return b; })) {
        return Status::NotFound(message);
      }
      return last.ok() ? Status::Unavailable(message) : last.WithMessage(message);
    }
    Result<std::string> got = remote[best]->GetBlock(cid);
    if (got.ok()) return RemoteBlock{std::move(*got), remote[best]};
    if (reasons.size() < kMaxReasonChars) reasons += "; " + got.status().message();
    if (got.status().code() == StatusCode::kNotFound) {
      lacks[best] = true;
      continue;
    }
    last = got.status();
    if (last.code() == StatusCode::kCorruption || remote[best]->down()) continue;  // elsewhere
    if (last.code() == StatusCode::kInvalidArgument || last.code() == StatusCode::kUnsupported ||
        last.code() == StatusCode::kResourceExhausted) {
      skip[best] = true;  // asking again would get the same answer: ask elsewhere
      continue;
    }
    if (++transient > policy.retries) {
      return last.WithMessage("no source gave " + cid.ToString() + " in " +
                              std::to_string(transient) + " tries" + reasons);
    }
    // Backoff, in steps short enough to notice a cancel.
    auto until =
        std::chrono::steady_clock::now() + policy.backoff * (1 << std::min(transient - 1, 10));
    while (std::chrono::steady_clock::now() < until && !(cancel && cancel->cancelled())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

SourceChain::SourceChain(std::vector<store::BlockSource*> local,
                         std::vector<RemoteBlockSource*> remote, store::BlockSink* write_back,
                         RetryPolicy policy)
    : local_(std::move(local)),
      remote_(std::move(remote)),
      write_back_(write_back),
      policy_(policy) {}

Result<std::string> SourceChain::GetBlock(const store::Cid& cid) {
  for (store::BlockSource* tier : local_) {
    Result<std::string> got = tier->GetBlock(cid);
    if (got.ok() || got.status().code() != StatusCode::kNotFound) return got;
  }
  IA_ASSIGN_OR_RETURN(RemoteBlock got, FetchBlock(remote_, cid, policy_, nullptr));
  if (write_back_) {
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(got.bytes.data()),
                                   got.bytes.size());
    std::span<const uint8_t> parts[] = {bytes};
    IA_RETURN_IF_ERROR(write_back_->Put(cid, parts));
  }
  return std::move(got.bytes);
}

}  // namespace ipfs_accelerate::net
