// Block sources on other machines: an HTTP trustless gateway (GET /ipfs/{cid}?format=raw) and a
// local IPFS node's Kubo RPC API (POST /api/v0/block/get?arg={cid}). Both answer through
// RemoteBlockSource::GetBlock, the one place remote bytes are checked against their CID: a block
// that does not match is never returned (so never stored), and the source that sent it is marked
// down and asked nothing more.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "net/http_client.h"
#include "store/block_store.h"

namespace ipfs_accelerate::net {

// The largest block a remote source may send: the bitswap and gateway limit (2 MiB).
inline constexpr size_t kMaxRemoteBlockBytes = size_t{2} << 20;

class RemoteBlockSource : public store::BlockSource {
 public:
  // `url` is the source's base URL (scheme, host, port); `timeout` bounds each block request.
  RemoteBlockSource(std::string url, std::chrono::milliseconds timeout);

  // The block's bytes, verified. kNotFound when the source does not have it, kIoError when the
  // source cannot be reached, answers out of protocol or is down, kDeadlineExceeded on timeout,
  // kCorruption when it sent bytes that do not hash to `cid` (the source is then down).
  Result<std::string> GetBlock(const store::Cid& cid) final;

  const std::string& url() const { return url_; }
  bool down() const { return down_.load(); }
  // Why the source is down ("" while it is up).
  std::string down_reason() const;

 protected:
  // One request for the block's bytes as the source sent them (not yet verified).
  virtual Result<std::string> Request(const store::Cid& cid) = 0;

  std::string url_;
  std::chrono::milliseconds timeout_;

 private:
  void MarkDown(const std::string& why);

  std::atomic<bool> down_{false};
  mutable std::mutex reason_mu_;
  std::string down_reason_;
};

// A trustless gateway (IPFS HTTP Gateway spec, application/vnd.ipld.raw responses).
class GatewaySource : public RemoteBlockSource {
 public:
  using RemoteBlockSource::RemoteBlockSource;

 protected:
  Result<std::string> Request(const store::Cid& cid) override;
};

// A local IPFS node through Kubo's RPC API (every call a POST; errors as JSON {"Message", ...}).
class KuboRpcSource : public RemoteBlockSource {
 public:
  using RemoteBlockSource::RemoteBlockSource;

 protected:
  Result<std::string> Request(const store::Cid& cid) override;
};

}  // namespace ipfs_accelerate::net
