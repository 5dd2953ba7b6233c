// The few protobuf wire-format pieces dag-pb and UnixFS need, written by hand so that the
// decoders can be strict (field order, duplicates, unknown fields) where protobuf libraries are
// not.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate::store {

constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireBytes = 2;

struct PbField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  std::span<const uint8_t> bytes;  // length-delimited fields
  uint64_t value = 0;              // varint fields
};

// Reads one field at `*pos`. Only varint and length-delimited wire types exist in our formats;
// anything else, a truncation, a non-minimal varint (a second encoding of the same block) or a
// field number of 0 is kCorruption, prefixed with `what`.
Result<PbField> ReadPbField(std::span<const uint8_t> in, size_t* pos, const std::string& what);

void AppendPbTag(std::string& out, uint32_t field, uint32_t wire_type);
void AppendPbBytes(std::string& out, uint32_t field, std::string_view bytes);
void AppendPbVarint(std::string& out, uint32_t field, uint64_t value);

}  // namespace ipfs_accelerate::store
