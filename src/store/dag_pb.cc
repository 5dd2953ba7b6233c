#include "store/dag_pb.h"

#include <algorithm>
#include <cstring>

#include "store/protobuf.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

Result<PbLink> DecodeLink(std::span<const uint8_t> in, size_t index) {
  const std::string what = "dag-pb link " + std::to_string(index);
  PbLink link;
  int last_field = 0;
  size_t pos = 0;
  while (pos < in.size()) {
    IA_ASSIGN_OR_RETURN(PbField f, ReadPbField(in, &pos, what));
    if (f.number < 1 || f.number > 3) {
      return Status::Corruption(what + ": unknown field " + std::to_string(f.number));
    }
    if (static_cast<int>(f.number) <= last_field) {
      return Status::Corruption(what + ": field " + std::to_string(f.number) +
                                " is duplicated or out of order (Hash, Name, Tsize)");
    }
    last_field = static_cast<int>(f.number);
    if (f.number == 1) {
      if (f.wire_type != kWireBytes) return Status::Corruption(what + ": Hash must be bytes");
      auto cid = Cid::FromBytes(f.bytes);
      if (!cid.ok()) return Status::Corruption(what + ": bad Hash: " + cid.status().message());
      link.hash = std::move(cid).value();
    } else if (f.number == 2) {
      if (f.wire_type != kWireBytes) return Status::Corruption(what + ": Name must be a string");
      link.name = std::string(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
    } else {
      if (f.wire_type != kWireVarint) return Status::Corruption(what + ": Tsize must be a varint");
      link.tsize = f.value;
    }
  }
  if (link.hash.empty()) return Status::Corruption(what + ": missing Hash");
  return link;
}

}  // namespace

bool LinkNameLess(const PbLink& a, const PbLink& b) {
  // std::string compares char, which may be signed: compare as unsigned bytes.
  const std::string& x = a.name ? *a.name : std::string();
  const std::string& y = b.name ? *b.name : std::string();
  size_t n = std::min(x.size(), y.size());
  int c = std::memcmp(x.data(), y.data(), n);
  return c < 0 || (c == 0 && x.size() < y.size());
}

size_t DagPbLinkSize(size_t name_bytes, size_t cid_bytes, uint64_t tsize) {
  size_t link = 1 + VarintSize(cid_bytes) + cid_bytes + 1 + VarintSize(name_bytes) + name_bytes +
                1 + VarintSize(tsize);
  return 1 + VarintSize(link) + link;
}

std::string EncodeDagPb(const PbNode& node) {
  std::string out;
  for (const PbLink& link : node.links) {
    std::string l;
    AppendPbBytes(l, 1, link.hash.Bytes());
    if (link.name) AppendPbBytes(l, 2, *link.name);
    if (link.tsize) AppendPbVarint(l, 3, *link.tsize);
    AppendPbBytes(out, 2, l);
  }
  if (node.data) AppendPbBytes(out, 1, *node.data);
  return out;
}

Result<PbNode> DecodeDagPb(std::span<const uint8_t> block) {
  PbNode node;
  size_t pos = 0;
  while (pos < block.size()) {
    IA_ASSIGN_OR_RETURN(PbField f, ReadPbField(block, &pos, "dag-pb node"));
    if (f.number == 2) {
      if (f.wire_type != kWireBytes)
        return Status::Corruption("dag-pb node: Links must be messages");
      if (node.data)
        return Status::Corruption(
            "dag-pb node: a link follows the Data field (links must come first)");
      IA_ASSIGN_OR_RETURN(PbLink link, DecodeLink(f.bytes, node.links.size()));
      if (!node.links.empty() && LinkNameLess(link, node.links.back())) {
        return Status::Corruption("dag-pb node: links are not sorted by name (link " +
                                  std::to_string(node.links.size()) + ")");
      }
      node.links.push_back(std::move(link));
    } else if (f.number == 1) {
      if (f.wire_type != kWireBytes) return Status::Corruption("dag-pb node: Data must be bytes");
      if (node.data) return Status::Corruption("dag-pb node: duplicate Data field");
      node.data = std::string(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
    } else {
      return Status::Corruption("dag-pb node: unknown field " + std::to_string(f.number));
    }
  }
  return node;
}

}  // namespace ipfs_accelerate::store
