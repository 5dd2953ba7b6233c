#include "net/dag_fetcher.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "net/car_fetcher.h"
#include "net/source_chain.h"
#include "store/dag_walk.h"

namespace ipfs_accelerate::net {
namespace {

struct Obtained {
  std::string block;
  const RemoteBlockSource* from = nullptr;  // null: it was here already
};

class Fetch {
 public:
  Fetch(store::BlockSource& local, store::BlockSink& sink,
        const std::vector<RemoteBlockSource*>& remote, const DagFetchOptions& options,
        const DagFetchProgress& start, const std::function<void(const DagFetchProgress&)>& progress,
        const CancelToken* cancel)
      : local_(local),
        sink_(sink),
        remote_(remote),
        options_(options),
        progress_(progress),
        cancel_(cancel),
        done_(start) {}

  Status Run(const std::vector<store::Cid>& roots) {
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
      if (seen_.Insert(*it)) stack_.push_back(*it);
    }
    std::vector<std::thread> threads;
    const int n = std::max(1, options_.window);
    for (int i = 1; i < n; ++i) threads.emplace_back([this] { Work(); });
    Work();
    for (std::thread& t : threads) t.join();
    return error_;
  }

 private:
  void Work() {
    for (;;) {
      store::Cid cid;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !error_.ok() || !stack_.empty() || busy_ == 0; });
        if (!error_.ok() || stack_.empty()) {
          cv_.notify_all();
          return;
        }
        cid = std::move(stack_.back());
        stack_.pop_back();
        ++busy_;
      }
      Result<Obtained> got = Obtain(cid);
      Result<std::vector<store::Cid>> links =
          got.ok() ? store::BlockLinks(cid, got->block) : std::vector<store::Cid>{};
      std::lock_guard lock(mu_);
      --busy_;
      cv_.notify_all();
      Status s = !got.ok() ? got.status() : links.status();
      if (!s.ok()) {
        if (error_.ok()) error_ = s;
        continue;
      }
      // Depth first (last pushed, first taken), each node once.
      for (auto it = links->rbegin(); it != links->rend(); ++it) {
        if (seen_.Insert(*it)) stack_.push_back(std::move(*it));
      }
      ++done_.blocks;
      done_.bytes += got->block.size();
      if (got->from) {
        ++done_.fetched_blocks;
        done_.fetched_bytes += got->block.size();
        done_.last_source = got->from->url();
      }
      if (progress_) progress_(done_);
    }
  }

  bool Stopped() {
    std::lock_guard lock(mu_);
    return !error_.ok();
  }

  // The block from here, else from the best remote source that has it (then stored).
  Result<Obtained> Obtain(const store::Cid& cid) {
    if (cancel_) IA_RETURN_IF_ERROR(cancel_->Check("fetching " + cid.ToString()));
    Result<std::string> here = local_.GetBlock(cid);
    if (here.ok()) return Obtained{std::move(*here)};
    if (here.status().code() != StatusCode::kNotFound) return here.status();
    if (remote_.empty()) {
      return Status::NotFound(cid.ToString() +
                              " is not in the repository and no source to fetch it from is "
                              "configured (give --from GATEWAY or --local-node URL)");
    }
    IA_ASSIGN_OR_RETURN(RemoteBlock got, FetchBlock(remote_, cid, options_.retry, cancel_,
                                                    [this] { return Stopped(); }));
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(got.bytes.data()),
                                   got.bytes.size());
    std::span<const uint8_t> parts[] = {bytes};
    IA_RETURN_IF_ERROR(sink_.Put(cid, parts));
    return Obtained{std::move(got.bytes), got.source};
  }

  store::BlockSource& local_;
  store::BlockSink& sink_;
  const std::vector<RemoteBlockSource*>& remote_;
  const DagFetchOptions& options_;
  const std::function<void(const DagFetchProgress&)>& progress_;
  const CancelToken* cancel_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<store::Cid> stack_;
  store::CidSet seen_;
  int busy_ = 0;
  Status error_;
  DagFetchProgress done_;
};

}  // namespace

Status FetchDagBlocks(store::BlockSource& local, store::BlockSink& sink,
                      const std::vector<RemoteBlockSource*>& remote, const store::Cid& root,
                      const DagFetchOptions& options,
                      const std::function<void(const DagFetchProgress&)>& progress,
                      const CancelToken* cancel) {
  return Fetch(local, sink, remote, options, {}, progress, cancel).Run({root});
}

Status FetchDagBlocksFrom(store::BlockSource& local, store::BlockSink& sink,
                          const std::vector<RemoteBlockSource*>& remote,
                          const std::vector<store::Cid>& roots, const DagFetchOptions& options,
                          const DagFetchProgress& start,
                          const std::function<void(const DagFetchProgress&)>& progress,
                          const CancelToken* cancel) {
  if (roots.empty()) return Status::Ok();
  return Fetch(local, sink, remote, options, start, progress, cancel).Run(roots);
}

namespace {

// The walk of what is stored here: counts each stored block in `done` and returns the roots of
// the subtrees that are not stored, in depth-first order.
Result<std::vector<store::Cid>> MissingSubtrees(
    store::BlockSource& local, const store::Cid& root, DagFetchProgress& done,
    const std::function<void(const DagFetchProgress&)>& progress, const CancelToken* cancel) {
  std::vector<store::Cid> missing, stack{root};
  store::CidSet seen;
  seen.Insert(root);
  while (!stack.empty()) {
    store::Cid cid = std::move(stack.back());
    stack.pop_back();
    if (cancel) IA_RETURN_IF_ERROR(cancel->Check("fetching " + cid.ToString()));
    Result<std::string> here = local.GetBlock(cid);
    if (!here.ok()) {
      if (here.status().code() != StatusCode::kNotFound) return here.status();
      missing.push_back(std::move(cid));
      continue;
    }
    IA_ASSIGN_OR_RETURN(std::vector<store::Cid> links, store::BlockLinks(cid, *here));
    for (auto it = links.rbegin(); it != links.rend(); ++it) {
      if (seen.Insert(*it)) stack.push_back(std::move(*it));
    }
    ++done.blocks;
    done.bytes += here->size();
    if (progress) progress(done);
  }
  return missing;
}

// The source to ask for a CAR: up, not refused for CARs in this fetch, expected soonest.
RemoteBlockSource* CarSource(const std::vector<RemoteBlockSource*>& remote,
                             const std::vector<const RemoteBlockSource*>& refused) {
  RemoteBlockSource* best = nullptr;
  double best_ms = 0;
  for (RemoteBlockSource* source : remote) {
    if (source->down() || std::find(refused.begin(), refused.end(), source) != refused.end()) {
      continue;
    }
    const double ms = source->ExpectedMs(1 << 20);
    if (!best || ms < best_ms) best = source, best_ms = ms;
  }
  return best;
}

}  // namespace

Status FetchDag(store::BlockSource& local, store::BlockSink& sink,
                const std::vector<RemoteBlockSource*>& remote, const store::Cid& root,
                const DagFetchOptions& options,
                const std::function<void(const DagFetchProgress&)>& progress,
                const CancelToken* cancel) {
  DagFetchProgress done;
  IA_ASSIGN_OR_RETURN(std::vector<store::Cid> missing,
                      MissingSubtrees(local, root, done, progress, cancel));
  // By blocks: raw leaves (one block each, so a CAR brings nothing more and the window asks for
  // many at once) and whatever the CARs leave.
  std::vector<store::Cid> by_block;
  std::deque<store::Cid> by_car;
  for (store::Cid& cid : missing) {
    if (options.cars && !remote.empty() && cid.codec() != store::kCodecRaw) {
      by_car.push_back(std::move(cid));
    } else {
      by_block.push_back(std::move(cid));
    }
  }
  std::vector<const RemoteBlockSource*> refused;  // asked for no more CARs in this fetch
  while (!by_car.empty()) {
    store::Cid subtree = std::move(by_car.front());
    by_car.pop_front();
    RemoteBlockSource* source = CarSource(remote, refused);
    if (!source) {
      by_block.push_back(std::move(subtree));
      continue;
    }
    ++done.cars;
    CarFetchResult got;
    IA_RETURN_IF_ERROR(FetchCar(
        *source, &local, sink, subtree,
        [&](const store::Cid&, uint64_t bytes, bool fetched) {
          ++done.blocks;
          done.bytes += bytes;
          if (fetched) {
            ++done.fetched_blocks;
            done.fetched_bytes += bytes;
            done.last_source = source->url();
          }
          if (progress) progress(done);
        },
        cancel, &got));
    // A clean stream that lacks blocks, or a source without the root: the source does not have
    // them, so each is asked for block by block (of every source, in turn). Any other failure:
    // the next source that serves CARs takes over, raw leaves go block by block.
    const bool source_lacks = got.stream.ok() || got.stream.code() == StatusCode::kNotFound;
    if (!got.stream.ok()) {
      ++done.car_fallbacks;
      done.last_fallback = got.stream.message();
      // A source that serves no CARs (Kubo's RPC here, a gateway answering 406) is no incident.
      Log(got.stream.code() == StatusCode::kUnsupported ? LogLevel::kInfo : LogLevel::kWarning,
          "fetch: " + got.stream.message() + "; " + std::to_string(got.missing.size()) +
              " missing subtrees go to " + (source_lacks ? "block requests" : "other sources"));
      if (!source_lacks) refused.push_back(source);
    }
    for (auto it = got.missing.rbegin(); it != got.missing.rend(); ++it) {
      if (source_lacks || it->codec() == store::kCodecRaw) {
        by_block.push_back(std::move(*it));
      } else {
        by_car.push_front(std::move(*it));
      }
    }
  }
  // FetchDagBlocks walks from each root again: a block a CAR stored is found here once its batch
  // is durable, else asked for again (and not written twice).
  return FetchDagBlocksFrom(local, sink, remote, by_block, options, done, progress, cancel);
}

}  // namespace ipfs_accelerate::net
