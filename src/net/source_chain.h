// Block sources in tiers, asked in order: memory, the repository, a local IPFS node, gateways and
// peers. A block found in a later tier is written back into the sink (the repository), so it is
// fetched once. Remote tiers verify what they return (net/remote_source.h); this chain only
// orders them and skips those that are down.
#pragma once

#include <string>
#include <vector>

#include "net/remote_source.h"
#include "store/block_store.h"

namespace ipfs_accelerate::net {

class SourceChain : public store::BlockSource {
 public:
  // `local`: the tiers already on this machine (not written back to); `remote`: the others, in
  // order of preference. `write_back` takes every block a remote tier gave (may be null).
  SourceChain(std::vector<store::BlockSource*> local, std::vector<RemoteBlockSource*> remote,
              store::BlockSink* write_back);

  // The first tier's answer that is not kNotFound. When none has the block: kNotFound if every
  // remote tier said so, else the last remote error (unreachable, down, corrupt), each tier's
  // reason in the message.
  Result<std::string> GetBlock(const store::Cid& cid) override;

 private:
  std::vector<store::BlockSource*> local_;
  std::vector<RemoteBlockSource*> remote_;
  store::BlockSink* write_back_;
};

}  // namespace ipfs_accelerate::net
