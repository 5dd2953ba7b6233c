#include "store/cid.h"

#include <cstdio>

#include "store/multibase.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

// The longest CID we read: version 1, a 10-byte codec varint, a multihash with a 10-byte code,
// a 2-byte length and a kMaxDigestSize digest. Its longest text is base16; refusing longer text
// up front keeps base58 decoding, which is quadratic, cheap on hostile input.
constexpr size_t kMaxCidBytes = 1 + 10 + 10 + 2 + kMaxDigestSize;
constexpr size_t kMaxCidText = 1 + 2 * kMaxCidBytes;

std::string Shown(std::string_view text) {
  std::string s(text.substr(0, 100));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return "\"" + s + (text.size() > 100 ? "...\"" : "\"");
}

}  // namespace

std::string CodecName(uint64_t codec) {
  switch (codec) {
    case kCodecRaw:
      return "raw";
    case kCodecDagPb:
      return "dag-pb";
    case kCodecDagCbor:
      return "dag-cbor";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(codec));
      return buf;
    }
  }
}

Result<Cid> Cid::Read(std::span<const uint8_t> in, size_t* pos) {
  // A v0 CID is a bare sha2-256 multihash: it starts 0x12 0x20.
  if (in.size() - *pos >= 2 && in[*pos] == 0x12 && in[*pos + 1] == 0x20) {
    IA_ASSIGN_OR_RETURN(std::string mh, ReadMultihash(in, pos));
    return Cid::V0(std::move(mh));
  }
  auto version = ReadVarint(in, pos, /*minimal=*/true);
  if (!version)
    return Status::InvalidArgument("CID is truncated or has a malformed version varint");
  if (*version != 1) {
    return Status::InvalidArgument("unsupported CID version " + std::to_string(*version) +
                                   " (expected 0 or 1)");
  }
  auto codec = ReadVarint(in, pos, /*minimal=*/true);
  if (!codec) return Status::InvalidArgument("CID is truncated or has a malformed codec varint");
  IA_ASSIGN_OR_RETURN(std::string mh, ReadMultihash(in, pos));
  return Cid::V1(*codec, std::move(mh));
}

Result<Cid> Cid::FromBytes(std::span<const uint8_t> bytes) {
  size_t pos = 0;
  IA_ASSIGN_OR_RETURN(Cid cid, Read(bytes, &pos));
  if (pos != bytes.size()) {
    return Status::InvalidArgument("CID has " + std::to_string(bytes.size() - pos) +
                                   " trailing bytes");
  }
  return cid;
}

Result<Cid> Cid::Parse(std::string_view text) {
  auto fail = [&](const Status& s) {
    return Status::InvalidArgument("invalid CID " + Shown(text) + ": " + s.message());
  };
  if (text.empty()) return Status::InvalidArgument("invalid CID: empty string");
  if (text.size() > kMaxCidText) {
    return fail(Status::InvalidArgument("too long for a CID (" + std::to_string(text.size()) +
                                        " characters, at most " + std::to_string(kMaxCidText) +
                                        ")"));
  }
  std::string bytes;
  if (text.substr(0, 2) == "Qm" && text.size() != 46) {
    return fail(Status::InvalidArgument(
        "it looks like a CIDv0 (Qm…) but has " + std::to_string(text.size()) +
        " characters; a CIDv0 has 46 (was it cut short or pasted twice?)"));
  }
  if (text.size() == 46 && text.substr(0, 2) == "Qm") {
    auto decoded = DecodeBase58Btc(text);
    if (!decoded.ok()) return fail(decoded.status());
    bytes = std::move(decoded).value();
    auto cid = FromBytes(AsBytes(bytes));
    if (!cid.ok()) return fail(cid.status());
    if (cid->version() != 0) return fail(Status::InvalidArgument("not a CIDv0"));
    return cid;
  }
  auto decoded = DecodeMultibase(text);
  if (!decoded.ok()) return fail(decoded.status());
  bytes = std::move(decoded).value();
  auto cid = FromBytes(AsBytes(bytes));
  if (!cid.ok()) return fail(cid.status());
  if (cid->version() == 0)
    return fail(Status::InvalidArgument("a CIDv0 must not carry a multibase prefix"));
  return cid;
}

std::string Cid::Bytes() const {
  if (version_ == 0) return multihash_;
  std::string out;
  AppendVarint(out, 1);
  AppendVarint(out, codec_);
  out += multihash_;
  return out;
}

std::string Cid::ToString() const {
  std::string b = Bytes();
  if (version_ == 0) return Base58Btc(AsBytes(b));
  return "b" + Base32Lower(AsBytes(b));
}

std::string Cid::NodeKey() const {
  std::string key;
  AppendVarint(key, codec_);
  return key + multihash_;
}

Result<Cid> Cid::ToVersion(int version) const {
  if (version == version_) return *this;
  if (version == 1) return V1(codec_, multihash_);
  if (codec_ != kCodecDagPb || MultihashCode(multihash_) != kSha256Code) {
    return Status::InvalidArgument("only dag-pb sha2-256 CIDs have a v0 form; " + ToString() +
                                   " is " + CodecName(codec_));
  }
  return V0(multihash_);
}

}  // namespace ipfs_accelerate::store
