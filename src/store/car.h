// CAR v1 (content-addressed archives): https://ipld.io/specs/transport/car/carv1/
//   varint(header length) dag-cbor{roots: [CID…], version: 1}
//   then sections: varint(length) CID block
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

class Repo;

// Limits every CAR reader holds to before it allocates: a header's length, a section's length
// (blocks are at most 2 MiB in IPFS; this leaves room).
inline constexpr uint64_t kMaxCarHeaderBytes = uint64_t{1} << 20;
inline constexpr uint64_t kMaxCarSectionBytes = uint64_t{8} << 20;

// The roots of a CARv1 header's dag-cbor bytes (after its length varint). kCorruption naming what
// is wrong; kUnsupported for a CARv2 header.
Result<std::vector<Cid>> ParseCarHeader(std::span<const uint8_t> header);

// A source of bytes: Read returns how many it put in `buf` (0 only at the end).
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual Result<size_t> Read(uint8_t* buf, size_t n) = 0;
};

class FdReader : public ByteReader {
 public:
  FdReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override;

 private:
  int fd_;
  std::string name_;
};

class MemoryReader : public ByteReader {
 public:
  explicit MemoryReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override;

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// Streams a CAR: the header first, then one verified block at a time.
class CarReader {
 public:
  // Reads and checks the header. `in` must outlive the reader.
  static Result<CarReader> Open(ByteReader* in);

  const std::vector<Cid>& roots() const { return roots_; }
  // The next block, checked against its CID. Returns false at a clean end of file;
  // a truncated section or a block that does not match is kCorruption.
  Result<bool> Next(Cid* cid, std::string* block);
  // Bytes consumed so far.
  uint64_t offset() const { return offset_; }

 private:
  explicit CarReader(ByteReader* in) : in_(in) {}
  Status ReadExact(uint8_t* buf, size_t n, const char* what);
  Result<std::optional<uint64_t>> ReadLength(const char* what);

  ByteReader* in_;
  std::vector<Cid> roots_;
  uint64_t offset_ = 0;
  uint64_t blocks_ = 0;
};

// The header bytes of a CARv1 with these roots.
std::string EncodeCarHeader(const std::vector<Cid>& roots);

// Writes the DAG below `root` as a CAR to `path` ("-" for stdout), blocks in depth-first order,
// each once. A file appears only when complete (built under PartialPath(path), removed when the
// export fails or is cancelled); an existing `path` is refused, never overwritten.
Status ExportCar(BlockSource& source, const Cid& root, const std::string& path,
                 const std::function<void(uint64_t)>& progress,
                 const CancelToken* cancel = nullptr);

// Imports a CAR: every block is verified while streaming and staged; the import is published
// only if every root and every block reachable from the roots is present (in the CAR or
// already in the repository). Otherwise nothing changes. Returns the roots.
Result<std::vector<Cid>> ImportCar(ByteReader& in, Repo& repo,
                                   const std::function<void(uint64_t)>& progress);

}  // namespace ipfs_accelerate::store
