#include "net/car_fetcher.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/car_parser.h"
#include "store/dag_walk.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::net {
namespace {

// Sections between two stages, bounded by their bytes (one larger section is let in alone).
class SectionQueue {
 public:
  // False when the queue was closed (the stage after it stopped): the section is dropped.
  bool Push(store::CarSection&& s) {
    std::unique_lock lock(mu_);
    cv_.wait(lock,
             [&] { return closed_ || bytes_ == 0 || bytes_ + s.block.size() <= kCarQueueBytes; });
    if (closed_) return false;
    bytes_ += s.block.size();
    items_.push_back(std::move(s));
    cv_.notify_all();
    return true;
  }
  // The next section; nullopt once the queue is ended and drained, or closed.
  std::optional<store::CarSection> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || ended_ || !items_.empty(); });
    if (closed_ || items_.empty()) return std::nullopt;
    store::CarSection s = std::move(items_.front());
    items_.pop_front();
    bytes_ -= s.block.size();
    cv_.notify_all();
    return s;
  }
  // No more pushes: Pop drains what is queued.
  void End() {
    std::lock_guard lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  // Stop now: what is queued is dropped, pushes fail.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    items_.clear();
    bytes_ = 0;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<store::CarSection> items_;
  uint64_t bytes_ = 0;
  bool ended_ = false, closed_ = false;
};

// Block buffers handed back by the store stage for the parser to read into again: fresh memory
// costs a page fault per page on the machines measured (docs/BENCHMARKS.md).
class Buffers {
 public:
  std::string Get() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void Put(std::string s) {
    std::lock_guard lock(mu_);
    if (free_.size() < kKept) free_.push_back(std::move(s));
  }

 private:
  static constexpr size_t kKept = 64;
  std::mutex mu_;
  std::vector<std::string> free_;
};

// The verify stage's state: which CIDs may come, and which came.
class Expected {
 public:
  explicit Expected(const store::Cid& root) { Add(root); }

  // Ok when `s` may be stored; kCorruption (source marked down) when it was not expected or does
  // not hash to its CID. Sets `*duplicate` for a block already accepted (not stored again).
  Status Check(RemoteBlockSource& source, const store::Cid& root, const store::CarSection& s,
               bool* duplicate) {
    *duplicate = false;
    if (!expected_.Contains(s.cid)) {
      const std::string why = "it sent " + s.cid.ToString() + " in the CAR of " + root.ToString() +
                              ", and no block before it links to it";
      source.MarkDown(why);
      return Status::Corruption(source.url() + ": " + why +
                                " (nothing stored from it; source marked down)");
    }
    if (received_.Contains(s.cid)) {
      *duplicate = true;
      return Status::Ok();
    }
    IA_RETURN_IF_ERROR(source.Verify(s.cid, store::AsBytes(s.block)));
    IA_ASSIGN_OR_RETURN(std::vector<store::Cid> links, store::BlockLinks(s.cid, s.block));
    received_.Insert(s.cid);
    for (store::Cid& link : links) Add(link);
    return Status::Ok();
  }

  // Expected CIDs that did not come, in the order they became expected.
  std::vector<store::Cid> Missing() const {
    std::vector<store::Cid> out;
    for (const store::Cid& cid : order_) {
      if (!received_.Contains(cid)) out.push_back(cid);
    }
    return out;
  }

 private:
  void Add(const store::Cid& cid) {
    // Identity CIDs hold their bytes; no source sends them as blocks.
    if (store::IdentityDigest(cid.multihash())) return;
    if (expected_.Insert(cid)) order_.push_back(cid);
  }

  store::CidSet expected_, received_;
  std::vector<store::Cid> order_;
};

}  // namespace

Status FetchCar(
    RemoteBlockSource& source, store::BlockSource* local, store::BlockSink& sink,
    const store::Cid& root,
    const std::function<void(const store::Cid&, uint64_t bytes, bool fetched)>& on_block,
    const CancelToken* cancel, CarFetchResult* result) {
  *result = CarFetchResult();
  SectionQueue parsed, verified;
  Buffers buffers;
  Expected expected(root);
  Status verify_error;  // the source's fault, found by the verify stage
  Status store_error;   // the sink's failure: the whole fetch stops

  std::thread verifier([&] {
    while (std::optional<store::CarSection> s = parsed.Pop()) {
      bool duplicate = false;
      Status ok = expected.Check(source, root, *s, &duplicate);
      if (!ok.ok()) {
        verify_error = ok;
        parsed.Close();  // the parser's next push fails, which stops the transfer
        break;
      }
      if (duplicate) {
        buffers.Put(std::move(s->block));
      } else if (!verified.Push(std::move(*s))) {
        parsed.Close();
        break;
      }
    }
    verified.End();
  });
  std::thread storer([&] {
    while (std::optional<store::CarSection> s = verified.Pop()) {
      // Held already (a subtree whose root was missing while blocks below it were not).
      if (local && local->GetBlock(s->cid).ok()) {
        if (on_block) on_block(s->cid, s->block.size(), false);
        buffers.Put(std::move(s->block));
        continue;
      }
      std::span<const uint8_t> parts[] = {store::AsBytes(s->block)};
      Status ok = sink.Put(s->cid, parts);
      if (!ok.ok()) {
        store_error = ok;
        verified.Close();
        parsed.Close();
        return;
      }
      ++result->blocks;
      result->bytes += s->block.size();
      if (on_block) on_block(s->cid, s->block.size(), true);
      buffers.Put(std::move(s->block));
    }
  });

  // A section is a CID and a block of at most kMaxRemoteBlockBytes.
  store::CarParser parser(
      [&](store::CarSection&& s) -> Status {
        if (!parsed.Push(std::move(s))) return Status::Cancelled("the CAR's checks stopped it");
        return Status::Ok();
      },
      kMaxRemoteBlockBytes + 512, [&] { return buffers.Get(); });
  Status cancelled;
  Status stream = source.StreamCar(root, [&](std::span<const uint8_t> bytes) -> Status {
    if (cancel) {
      cancelled = cancel->Check("fetching a CAR of " + root.ToString());
      IA_RETURN_IF_ERROR(cancelled);
    }
    Status s = parser.Feed(bytes);
    if (!s.ok() && s.code() == StatusCode::kCorruption) {
      return Status::Corruption(source.url() + ": its CAR of " + root.ToString() +
                                " is malformed: " + s.message());
    }
    return s;
  });
  if (stream.ok()) {
    Status end = parser.Finish();
    if (!end.ok()) {
      stream = Status::Unavailable(source.url() + ": its CAR of " + root.ToString() +
                                   " ended early: " + end.message());
    }
  }
  if (cancelled.ok()) {
    parsed.End();  // what was parsed is still checked and stored
  } else {
    parsed.Close();
    verified.Close();
  }
  verifier.join();
  storer.join();

  result->missing = expected.Missing();
  result->stream = !verify_error.ok() ? verify_error : stream;
  if (!store_error.ok()) return store_error;
  if (!cancelled.ok()) return cancelled;
  return Status::Ok();
}

}  // namespace ipfs_accelerate::net
