// dag-pb (IPLD's protobuf codec): encoding and the strict decoding the spec asks for.
// https://ipld.io/specs/codecs/dag-pb/spec/ — links before data, links sorted by name bytes,
// each link Hash, Name, Tsize in that order, no unknown fields.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

struct PbLink {
  Cid hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<std::string> data;
};

// Encodes `node` (links are written in the order given; sort them first).
std::string EncodeDagPb(const PbNode& node);

// Decodes a dag-pb block, rejecting anything the spec forbids.
Result<PbNode> DecodeDagPb(std::span<const uint8_t> block);

// Orders links as the spec requires: by name bytes, a prefix before its extensions.
bool LinkNameLess(const PbLink& a, const PbLink& b);

// Encoded size of a link with these field sizes (Name and Tsize present).
size_t DagPbLinkSize(size_t name_bytes, size_t cid_bytes, uint64_t tsize);

}  // namespace ipfs_accelerate::store
