// A CARv1 parser fed bytes as they arrive (from a network stream, in chunks of any size), where
// CarReader (store/car.h) pulls them from a reader. It frames sections and decodes their CIDs; it
// does not verify blocks against their CIDs: the caller does, in its one place for that (for
// remote bytes, RemoteBlockSource::Verify). Every length is checked against its limit before
// anything is allocated, so no input makes it hold more than one section.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/car.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

struct CarSection {
  Cid cid;
  std::string block;    // the bytes after the CID, not yet verified against it
  uint64_t offset = 0;  // where the section's length varint starts in the stream
};

class CarParser {
 public:
  // `on_section` gets each complete section in stream order; an error it returns stops the
  // parser and is returned by Feed. `max_section_bytes` bounds a section (CID + block).
  // `new_buffer` (may be empty) hands out the strings blocks are read into, so a caller can
  // recycle them (their capacity is kept; their contents are replaced).
  CarParser(std::function<Status(CarSection&&)> on_section,
            uint64_t max_section_bytes = kMaxCarSectionBytes,
            std::function<std::string()> new_buffer = nullptr);

  // Consumes the next bytes of the stream. kCorruption (with the stream offset) for a malformed
  // length, header or CID; kUnsupported for a CARv2 header. After an error every call fails again.
  Status Feed(std::span<const uint8_t> bytes);
  // Checks the stream ended where a section may end (not inside a length, header or section, and
  // not before the header): kCorruption "truncated" otherwise.
  Status Finish() const;

  bool header_done() const { return state_ > State::kHeader; }
  const std::vector<Cid>& roots() const { return roots_; }
  uint64_t offset() const { return offset_; }
  uint64_t sections() const { return sections_; }

 private:
  enum class State { kHeaderLength, kHeader, kSectionLength, kCid, kBlock, kFailed };
  // Adds one byte to the length varint being read; sets `*done` with the value in length_.
  Status LengthByte(uint8_t b, const char* what, bool* done);
  Status StartSection();
  Status TryCid();
  Status EndSection();
  Status Fail(Status s);

  std::function<Status(CarSection&&)> on_section_;
  uint64_t max_section_bytes_;
  std::function<std::string()> new_buffer_;

  State state_ = State::kHeaderLength;
  Status error_;
  uint64_t offset_ = 0;          // bytes consumed
  uint64_t length_ = 0;          // the varint being read, then the length of what follows it
  int length_bytes_ = 0;         // bytes of the varint read so far
  uint64_t section_offset_ = 0;  // of the section being read
  std::string head_;             // the header, or the first bytes of a section (its CID)
  CarSection section_;           // the section being read, once its CID is known
  uint64_t left_ = 0;            // bytes of the current part still to come
  std::vector<Cid> roots_;
  uint64_t sections_ = 0;
};

}  // namespace ipfs_accelerate::store
