#include "store/car_stream.h"

#include <algorithm>
#include <charconv>

#include "store/car.h"
#include "store/dag_walk.h"
#include "store/multihash.h"
#include "store/unixfs.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

Result<int64_t> ParseOffset(std::string_view text, const char* which) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(std::string("entity-bytes: '") + std::string(text) +
                                   "' is no integer " + which +
                                   " offset (use from:to, e.g. "
                                   "0:1023, -1024:* or 0:*)");
  }
  return v;
}

bool IsIdentity(const Cid& cid) { return MultihashCode(cid.multihash()) == kIdentityCode; }

// The hex width of a HAMT shard's bucket names: 2 for the usual fanout of 256.
size_t ShardPrefixWidth(uint64_t fanout) {
  size_t width = 0;
  for (uint64_t v = fanout > 0 ? fanout - 1 : 0; v > 0; v >>= 4) ++width;
  return std::max<size_t>(width, 1);
}

}  // namespace

const char* DagScopeName(DagScope scope) {
  switch (scope) {
    case DagScope::kBlock:
      return "block";
    case DagScope::kEntity:
      return "entity";
    case DagScope::kAll:
      return "all";
  }
  return "?";
}

Result<DagScope> ParseDagScope(std::string_view text) {
  for (DagScope s : {DagScope::kBlock, DagScope::kEntity, DagScope::kAll}) {
    if (text == DagScopeName(s)) return s;
  }
  return Status::InvalidArgument("dag-scope '" + std::string(text.substr(0, 40)) +
                                 "' is none of block, entity, all");
}

std::string EntityBytes::ToString() const {
  return std::to_string(from) + ":" + (to ? std::to_string(*to) : "*");
}

Result<EntityBytes> ParseEntityBytes(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("entity-bytes '" + std::string(text.substr(0, 40)) +
                                   "' is not from:to (e.g. 0:1023, -1024:* or 0:*)");
  }
  EntityBytes range;
  IA_ASSIGN_OR_RETURN(range.from, ParseOffset(text.substr(0, colon), "from"));
  std::string_view to = text.substr(colon + 1);
  if (to != "*") {
    IA_ASSIGN_OR_RETURN(int64_t v, ParseOffset(to, "to"));
    range.to = v;
  }
  return range;
}

void AppendCarSection(std::string& out, const Cid& cid, std::string_view block) {
  std::string cid_bytes = cid.Bytes();
  AppendVarint(out, cid_bytes.size() + block.size());
  out += cid_bytes;
  out += block;
}

CarStream::CarStream(BlockSource& source, const Cid& root, const CarSelection& selection)
    : source_(source), root_(root), selection_(selection) {
  if (selection_.entity_bytes) selection_.scope = DagScope::kEntity;
}

Result<std::unique_ptr<CarStream>> CarStream::Start(BlockSource& source, const Cid& root,
                                                    const CarSelection& selection) {
  std::unique_ptr<CarStream> car(new CarStream(source, root, selection));
  if (IsIdentity(root) && selection.path.empty()) return car;  // the header alone (bafkqaaa)
  Cid target = root;
  IA_ASSIGN_OR_RETURN(std::string block, source.GetBlock(root));
  for (const std::string& name : selection.path) {
    IA_ASSIGN_OR_RETURN(Cid next, DirectoryEntry(target, block, name));
    car->path_blocks_.emplace_back(target, std::move(block));
    target = next;
    IA_ASSIGN_OR_RETURN(block, source.GetBlock(target));
  }
  Pending top{target};
  if (car->selection_.scope == DagScope::kEntity && car->selection_.entity_bytes) {
    // The file's size, to resolve negative offsets and "*"; not a file: the range is ignored.
    std::optional<uint64_t> size;
    if (target.codec() == kCodecRaw) {
      size = block.size();
    } else if (target.codec() == kCodecDagPb) {
      auto node = DecodeUnixFsNode(AsBytes(block));
      if (node.ok() && (node->fs.type == UnixFsType::kFile || node->fs.type == UnixFsType::kRaw)) {
        uint64_t total = node->fs.data ? node->fs.data->size() : 0;
        for (uint64_t b : node->fs.blocksizes) total += b;
        size = node->fs.filesize.value_or(total);
      }
    }
    if (size) {
      const EntityBytes& r = *car->selection_.entity_bytes;
      const int64_t n = static_cast<int64_t>(*size);
      int64_t first = r.from < 0 ? std::max<int64_t>(0, n + r.from) : r.from;
      int64_t last = !r.to ? n - 1 : (*r.to < 0 ? n + *r.to : std::min<int64_t>(*r.to, n - 1));
      if (r.from >= 0 && n > 0 && first >= n) {
        return Status::InvalidArgument("entity-bytes " + r.ToString() +
                                       " starts after the end of " + target.ToString() + " (" +
                                       std::to_string(n) + " bytes)");
      }
      if (last < first) {
        car->selection_.scope = DagScope::kBlock;  // a zero-length range: the root alone
      } else {
        car->range_first_ = static_cast<uint64_t>(first);
        car->range_last_ = static_cast<uint64_t>(last);
        top.entity = true;
      }
    }
  }
  car->root_block_ = std::move(block);
  car->stack_.push_back(std::move(top));
  return car;
}

Result<std::vector<CarStream::Pending>> CarStream::Children(const Pending& item,
                                                            const std::string& block) {
  std::vector<Pending> out;
  if (selection_.scope == DagScope::kBlock) return out;
  if (selection_.scope == DagScope::kAll) {
    IA_ASSIGN_OR_RETURN(std::vector<Cid> links, BlockLinks(item.cid, block));
    for (Cid& c : links) out.push_back({std::move(c)});
    return out;
  }
  // kEntity: only UnixFS nodes have more than their own block.
  if (item.cid.codec() != kCodecDagPb) return out;
  auto node = DecodeUnixFsNode(AsBytes(block));
  if (!node.ok()) return out;  // plain dag-pb, not UnixFS: the block alone
  const UnixFsType type = node->fs.type;
  if (type == UnixFsType::kFile || type == UnixFsType::kRaw) {
    uint64_t start = item.start + (node->fs.data ? node->fs.data->size() : 0);
    for (size_t i = 0; i < node->pb.links.size(); ++i) {
      uint64_t size = node->fs.blocksizes[i];
      bool wanted =
          !item.entity || (size > 0 && start <= range_last_ && start + size - 1 >= range_first_);
      if (wanted) out.push_back({node->pb.links[i].hash, item.entity, start});
      start += size;
    }
  } else if (type == UnixFsType::kHamtShard) {
    // The shard's inner nodes (links named by their bucket alone) enumerate the directory.
    size_t width = ShardPrefixWidth(node->fs.fanout.value_or(256));
    for (const PbLink& link : node->pb.links) {
      if (link.name && link.name->size() == width) out.push_back({link.hash});
    }
  }
  return out;
}

Result<bool> CarStream::Next(std::string* out) {
  if (!header_sent_) {
    header_sent_ = true;
    *out += EncodeCarHeader({root_});
    return true;
  }
  while (next_path_block_ < path_blocks_.size()) {
    auto& [cid, block] = path_blocks_[next_path_block_++];
    if (!selection_.dups) seen_.Insert(cid);
    if (IsIdentity(cid)) continue;
    ++sections_;
    AppendCarSection(*out, cid, block);
    std::string().swap(block);
    return true;
  }
  while (!stack_.empty()) {
    Pending item = std::move(stack_.back());
    stack_.pop_back();
    if (IsIdentity(item.cid)) continue;  // never sent: the bytes are in the CID
    if (!selection_.dups && !seen_.Insert(item.cid)) continue;
    std::string block;
    if (root_block_) {
      block = std::move(*root_block_);
      root_block_.reset();
    } else {
      auto got = source_.GetBlock(item.cid);
      if (!got.ok()) return got.status().WithContext("CAR of " + root_.ToString());
      block = std::move(*got);
    }
    if (++sections_ > kMaxCarSections) {
      return Status::ResourceExhausted("the CAR of " + root_.ToString() +
                                       " would carry more than " + std::to_string(kMaxCarSections) +
                                       " blocks (ask with dups=n)");
    }
    IA_ASSIGN_OR_RETURN(std::vector<Pending> children, Children(item, block));
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack_.push_back(std::move(*it));
    AppendCarSection(*out, item.cid, block);
    return true;
  }
  return false;
}

}  // namespace ipfs_accelerate::store
