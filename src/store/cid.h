// Content identifiers, v0 (a bare sha2-256 multihash in base58btc) and v1
// (<version><codec><multihash>, base32 lower by default).
#pragma once

#include <compare>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate::store {

constexpr uint64_t kCodecRaw = 0x55;
constexpr uint64_t kCodecDagPb = 0x70;
constexpr uint64_t kCodecDagCbor = 0x71;

class Cid {
 public:
  Cid() = default;
  // A CIDv0: dag-pb with a sha2-256 multihash.
  static Cid V0(std::string multihash) { return Cid(0, kCodecDagPb, std::move(multihash)); }
  static Cid V1(uint64_t codec, std::string multihash) {
    return Cid(1, codec, std::move(multihash));
  }

  // Parses the text form: "Qm…" (v0) or a multibase string of a v1 CID.
  static Result<Cid> Parse(std::string_view text);
  // Parses exactly `bytes` as a binary CID.
  static Result<Cid> FromBytes(std::span<const uint8_t> bytes);
  // Reads a binary CID at `*pos`, advancing it (CIDs inside CAR files and dag-pb links).
  static Result<Cid> Read(std::span<const uint8_t> in, size_t* pos);

  int version() const { return version_; }
  uint64_t codec() const { return codec_; }
  const std::string& multihash() const { return multihash_; }
  bool empty() const { return multihash_.empty(); }

  // The binary form.
  std::string Bytes() const;
  // The canonical text: base58btc for v0, base32 lower ('b…') for v1.
  std::string ToString() const;
  // The same content under the other version (v1 of a v0 is dag-pb v1; v0 only for dag-pb
  // sha2-256).
  Result<Cid> ToVersion(int version) const;
  // What identifies a block as a node of a DAG: its codec and multihash (v0 and v1 of a dag-pb
  // block share it). Not the multihash alone: the same bytes as raw and as dag-pb are two nodes,
  // and only the dag-pb one has links. Storage is keyed by multihash (bytes); every set or map of
  // "seen" or "received" DAG nodes is keyed by this (see CidSet).
  std::string NodeKey() const;

  auto operator<=>(const Cid&) const = default;

 private:
  Cid(int version, uint64_t codec, std::string mh)
      : version_(version), codec_(codec), multihash_(std::move(mh)) {}
  int version_ = 1;
  uint64_t codec_ = 0;
  std::string multihash_;
};

// A set of DAG nodes, keyed by Cid::NodeKey: what walks use to visit each node once.
class CidSet {
 public:
  // Adds `cid`; false when a CID naming the same node (codec and multihash) is already in.
  bool Insert(const Cid& cid) { return keys_.insert(cid.NodeKey()).second; }
  bool Contains(const Cid& cid) const { return keys_.count(cid.NodeKey()) > 0; }
  size_t size() const { return keys_.size(); }

 private:
  std::set<std::string> keys_;
};

// "dag-pb", "raw", "dag-cbor" or the hex code.
std::string CodecName(uint64_t codec);

}  // namespace ipfs_accelerate::store
