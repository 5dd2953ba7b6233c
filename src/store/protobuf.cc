#include "store/protobuf.h"

#include "store/varint.h"

namespace ipfs_accelerate::store {

Result<PbField> ReadPbField(std::span<const uint8_t> in, size_t* pos, const std::string& what) {
  // Varints must be minimal: a padded one (0x81 0x00 for 1) would give the same block a second
  // encoding, and dag-pb promises one canonical form (EncodeDagPb(DecodeDagPb(b)) == b).
  auto tag = ReadVarint(in, pos, /*minimal=*/true);
  if (!tag) {
    return Status::Corruption(what + ": truncated, overlong or non-minimal field tag varint");
  }
  if (*tag > 0xffffffffULL || (*tag >> 3) == 0) {
    return Status::Corruption(what + ": invalid field tag " + std::to_string(*tag));
  }
  PbField f;
  f.number = static_cast<uint32_t>(*tag >> 3);
  f.wire_type = static_cast<uint32_t>(*tag & 7);
  if (f.wire_type == kWireVarint) {
    auto v = ReadVarint(in, pos, /*minimal=*/true);
    if (!v) {
      return Status::Corruption(what + ": field " + std::to_string(f.number) +
                                " has a truncated, overlong or non-minimal varint");
    }
    f.value = *v;
  } else if (f.wire_type == kWireBytes) {
    auto len = ReadVarint(in, pos, /*minimal=*/true);
    if (!len) {
      return Status::Corruption(what + ": field " + std::to_string(f.number) +
                                " has a truncated, overlong or non-minimal length varint");
    }
    if (*len > in.size() - *pos) {
      return Status::Corruption(what + ": field " + std::to_string(f.number) +
                                " runs past the end (" + std::to_string(*len) +
                                " bytes declared, " + std::to_string(in.size() - *pos) + " left)");
    }
    f.bytes = in.subspan(*pos, *len);
    *pos += *len;
  } else {
    return Status::Corruption(what + ": unexpected wire type " + std::to_string(f.wire_type) +
                              " for field " + std::to_string(f.number));
  }
  return f;
}

void AppendPbTag(std::string& out, uint32_t field, uint32_t wire_type) {
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}

void AppendPbBytes(std::string& out, uint32_t field, std::string_view bytes) {
  AppendPbTag(out, field, kWireBytes);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

void AppendPbVarint(std::string& out, uint32_t field, uint64_t value) {
  AppendPbTag(out, field, kWireVarint);
  AppendVarint(out, value);
}

}  // namespace ipfs_accelerate::store
