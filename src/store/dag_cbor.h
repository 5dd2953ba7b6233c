// DAG-CBOR (https://ipld.io/specs/codecs/dag-cbor/spec/): the CBOR subset IPLD uses, with links as
// tag 42 over a byte string holding 0x00 and a binary CID. Enough of it to read a block's links (so
// that pins, gc, verify and CAR import follow dag-cbor DAGs) and the CARv1 header.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

// Reads CBOR item by item. Every read checks the remaining length; errors are kCorruption
// prefixed with the `what` given at construction ("CAR header", "dag-cbor block bafy…").
class CborReader {
 public:
  CborReader(std::span<const uint8_t> in, std::string what) : in_(in), what_(std::move(what)) {}
  // An item's head: major type (0-7), argument and (when asked) the 5-bit additional information.
  // Indefinite lengths are not DAG-CBOR.
  Status Head(int* major, uint64_t* arg, uint8_t* info = nullptr);
  // The next `n` bytes (a string's contents).
  Result<std::span<const uint8_t>> Bytes(uint64_t n);
  // A link: tag 42's byte string (0x00, then a binary CID), after the tag's head was read.
  Result<Cid> LinkAfterTag();
  bool done() const { return pos_ == in_.size(); }
  Status Error(const std::string& message) const {
    return Status::Corruption(what_ + ": " + message);
  }

 private:
  std::span<const uint8_t> in_;
  std::string what_;
  size_t pos_ = 0;
};

// Appends the head of a CBOR item (major type, argument) in its shortest form.
void AppendCborHead(std::string& out, int major, uint64_t arg);

// The links of a DAG-CBOR block, in the order they appear. The whole block must be one well-formed
// item (nesting at most 256 deep, no indefinite lengths, no tags but 42, no trailing bytes);
// anything else is kCorruption naming `cid`.
Result<std::vector<Cid>> DagCborLinks(const Cid& cid, std::span<const uint8_t> block);

}  // namespace ipfs_accelerate::store
