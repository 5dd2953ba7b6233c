#include "net/source_chain.h"

namespace ipfs_accelerate::net {

SourceChain::SourceChain(std::vector<store::BlockSource*> local,
                         std::vector<RemoteBlockSource*> remote, store::BlockSink* write_back)
    : local_(std::move(local)), remote_(std::move(remote)), write_back_(write_back) {}

Result<std::string> SourceChain::GetBlock(const store::Cid& cid) {
  for (store::BlockSource* tier : local_) {
    Result<std::string> got = tier->GetBlock(cid);
    if (got.ok() || got.status().code() != StatusCode::kNotFound) return got;
  }
  Status last = Status::NotFound(cid.ToString() + " is in no local tier and no remote source " +
                                 "is configured");
  std::string reasons;
  bool only_not_found = true;
  for (RemoteBlockSource* tier : remote_) {
    if (tier->down()) {
      reasons += "; " + tier->url() + " is down (" + tier->down_reason() + ")";
      only_not_found = false;
      continue;
    }
    Result<std::string> got = tier->GetBlock(cid);
    if (got.ok()) {
      if (write_back_) {
        std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(got->data()), got->size());
        std::span<const uint8_t> parts[] = {bytes};
        IA_RETURN_IF_ERROR(write_back_->Put(cid, parts));
      }
      return got;
    }
    reasons += "; " + got.status().message();
    if (got.status().code() != StatusCode::kNotFound) only_not_found = false;
    last = got.status();
  }
  if (remote_.empty()) return last;
  const std::string message = "no source gave " + cid.ToString() + reasons;
  if (only_not_found) return Status::NotFound(message);
  switch (last.code()) {
    case StatusCode::kCorruption:
      return Status::Corruption(message);
    case StatusCode::kDeadlineExceeded:
      return Status::DeadlineExceeded(message);
    default:
      return Status::IoError(message);
  }
}

}  // namespace ipfs_accelerate::net
