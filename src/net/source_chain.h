// Block sources in tiers, asked in order: memory, the repository, a local IPFS node, gateways and
// peers. Local tiers are asked in order; among the remote ones, the one expected to answer
// soonest (RemoteBlockSource::ExpectedMs) is asked first, the next when it lacks the block, is
// down or lies, with retries and backoff on transient failures. A block found remotely is written
// back into the sink (the repository), so it is fetched once. Remote tiers verify what they
// return (net/remote_source.h); this chain only chooses among them.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "net/remote_source.h"
#include "store/block_store.h"

namespace ipfs_accelerate::net {

struct RetryPolicy {
  int retries = 3;  // more tries of one block after transient failures (timeouts, resets)
  std::chrono::milliseconds backoff{100};  // before the first retry; doubled each time
};

struct RemoteBlock {
  std::string bytes;                          // verified against the CID
  const RemoteBlockSource* source = nullptr;  // which source gave it
};

// The block from the best of `remote` that has it, verified, not yet stored anywhere. kNotFound
// when every source said it lacks the block; else the last failure's code (kUnavailable,
// kDeadlineExceeded, kCorruption), each source's reason in the message. `stop` (may be empty) and
// `cancel` (may be null) end the retries early.
Result<RemoteBlock> FetchBlock(const std::vector<RemoteBlockSource*>& remote, const store::Cid& cid,
                               const RetryPolicy& policy, const CancelToken* cancel,
                               const std::function<bool()>& stop = nullptr);

class SourceChain : public store::BlockSource {
 public:
  // `local`: the tiers already on this machine (not written back to); `remote`: the others.
  // `write_back` takes every block a remote tier gave (may be null).
  SourceChain(std::vector<store::BlockSource*> local, std::vector<RemoteBlockSource*> remote,
              store::BlockSink* write_back, RetryPolicy policy = {});

  // The first local tier's answer that is not kNotFound, else FetchBlock's (kNotFound naming the
  // tiers when no remote source is configured).
  Result<std::string> GetBlock(const store::Cid& cid) override;

 private:
  std::vector<store::BlockSource*> local_;
  std::vector<RemoteBlockSource*> remote_;
  store::BlockSink* write_back_;
  RetryPolicy policy_;
};

}  // namespace ipfs_accelerate::net
