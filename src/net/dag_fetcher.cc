#include "net/dag_fetcher.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

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
        const std::function<void(const DagFetchProgress&)>& progress, const CancelToken* cancel)
      : local_(local),
        sink_(sink),
        remote_(remote),
        options_(options),
        progress_(progress),
        cancel_(cancel) {}

  Status Run(const store::Cid& root) {
    seen_.Insert(root);
    stack_.push_back(root);
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
  return Fetch(local, sink, remote, options, progress, cancel).Run(root);
}

}  // namespace ipfs_accelerate::net
