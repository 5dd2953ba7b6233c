#include "store/dag_walk.h"

#include "store/dag_cbor.h"
#include "store/dag_pb.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {

Result<std::vector<Cid>> BlockLinks(const Cid& cid, const std::string& block) {
  std::vector<Cid> out;
  if (cid.codec() == kCodecRaw) return out;
  if (cid.codec() == kCodecDagCbor) return DagCborLinks(cid, AsBytes(block));
  if (cid.codec() != kCodecDagPb) {
    return Status::Unsupported("cannot follow the links of " + CodecName(cid.codec()) + " block " +
                               cid.ToString() + " (raw, dag-pb and dag-cbor are supported)");
  }
  auto node = DecodeDagPb(AsBytes(block));
  if (!node.ok()) return node.status().WithContext("block " + cid.ToString());
  for (auto& link : node->links) out.push_back(std::move(link.hash));
  return out;
}

Status WalkDag(BlockSource& source, const Cid& root,
               const std::function<Status(const Cid&, const std::string& block)>& visit) {
  CidSet seen;
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid cid = std::move(stack.back());
    stack.pop_back();
    if (!seen.Insert(cid)) continue;
    IA_ASSIGN_OR_RETURN(std::string block, source.GetBlock(cid));
    IA_RETURN_IF_ERROR(visit(cid, block));
    IA_ASSIGN_OR_RETURN(std::vector<Cid> links, BlockLinks(cid, block));
    for (auto it = links.rbegin(); it != links.rend(); ++it) stack.push_back(std::move(*it));
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::store
