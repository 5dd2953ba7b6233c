// Block sources on other machines: an HTTP trustless gateway (GET /ipfs/{cid}?format=raw, and
// whole subtrees as CARs) and a local IPFS node's Kubo RPC API (POST /api/v0/block/get?arg={cid}).
// Every remote byte is checked against its CID in one place, RemoteBlockSource::Verify (GetBlock
// and the CAR fetcher both call it): a block that does not match is never returned (so never
// stored), and the source that sent it is marked down and asked nothing more.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <span>
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

  // The block's bytes, verified. kNotFound when the source does not have it, kUnavailable when the
  // source cannot be reached, answers out of protocol or is down, kDeadlineExceeded on timeout,
  // kCorruption when it sent bytes that do not hash to `cid` (the source is then down).
  Result<std::string> GetBlock(const store::Cid& cid) final;

  // The one check of bytes a source sent: Ok when `bytes` hash to `cid`; kCorruption when they do
  // not, and the source is then marked down; kUnsupported for a hash function we cannot check.
  Status Verify(const store::Cid& cid, std::span<const uint8_t> bytes);

  // Streams a CAR of every block below `root` (dag-scope=all, order=dfs, dups=n) to `on_bytes`
  // as it arrives; the bytes are not checked here (the caller parses them and calls Verify).
  // kUnsupported when the source does not serve CARs (HTTP 400, 406, 501, or a kind of source
  // without them), kNotFound when it lacks the root, kUnavailable when it is down or the stream
  // breaks, kDeadlineExceeded when no bytes come for the timeout, or the error `on_bytes` returns.
  Status StreamCar(const store::Cid& root,
                   const std::function<Status(std::span<const uint8_t>)>& on_bytes);

  // Asks the source nothing more, for `why` (the first reason given is kept).
  void MarkDown(const std::string& why);

  const std::string& url() const { return url_; }
  bool down() const { return down_.load(); }
  // Why the source is down ("" while it is up).
  std::string down_reason() const;

  // The source's score, the seed's select_optimal_provider criteria measured on every request:
  // the milliseconds a request for a block of `bytes` is expected to take here now, from the
  // source's latency and bandwidth (moving averages), its reliability (answers that were not
  // errors) and its load (requests in flight). A source never asked scores its requests in flight
  // (about 0), so each is tried.
  double ExpectedMs(uint64_t bytes) const;
  struct Stats {
    uint64_t requests = 0, failures = 0, bytes = 0;
    double latency_ms = 0;    // moving average of the time to a small block
    double bytes_per_ms = 0;  // moving average of throughput on large blocks
    int in_flight = 0;
  };
  Stats stats() const;

 protected:
  // One request for the block's bytes as the source sent them (not yet verified).
  virtual Result<std::string> Request(const store::Cid& cid) = 0;
  // One request for a CAR below `root` (see StreamCar); the base class serves none.
  virtual Status RequestCar(const store::Cid& root,
                            const std::function<Status(std::span<const uint8_t>)>& on_bytes);

  std::string url_;
  std::chrono::milliseconds timeout_;

 private:
  // Counts one finished request: its outcome, bytes and time.
  void Record(bool ok, uint64_t bytes, double ms);
  // Counts a request that failed with `error`; marks the source down after kMaxFailuresInARow.
  void RecordFailure(const Status& error, double ms);

  std::atomic<bool> down_{false};
  mutable std::mutex mu_;  // guards what follows
  std::string down_reason_;
  Stats stats_;
  int failures_in_a_row_ = 0;
};

// Requests in a row that may fail (unreachable, timed out, out of protocol) before a source is
// marked down for the rest of its life.
inline constexpr int kMaxFailuresInARow = 3;

// A trustless gateway (IPFS HTTP Gateway spec: application/vnd.ipld.raw blocks and
// application/vnd.ipld.car streams).
class GatewaySource : public RemoteBlockSource {
 public:
  using RemoteBlockSource::RemoteBlockSource;

 protected:
  Result<std::string> Request(const store::Cid& cid) override;
  Status RequestCar(const store::Cid& root,
                    const std::function<Status(std::span<const uint8_t>)>& on_bytes) override;
};

// A local IPFS node through Kubo's RPC API (every call a POST; errors as JSON {"Message", ...}):
// blocks with /api/v0/block/get, whole DAGs as a CAR with /api/v0/dag/export.
class KuboRpcSource : public RemoteBlockSource {
 public:
  using RemoteBlockSource::RemoteBlockSource;

 protected:
  Result<std::string> Request(const store::Cid& cid) override;
  Status RequestCar(const store::Cid& root,
                    const std::function<Status(std::span<const uint8_t>)>& on_bytes) override;
};

}  // namespace ipfs_accelerate::net
