// Fuzzes the dag-pb and UnixFS decoders: any bytes give a node or an error, and a block the
// strict decoder accepts is in canonical form, so encoding what it decoded gives the block back.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "store/dag_pb.h"
#include "store/unixfs.h"
#include "store/varint.h"

namespace {

using namespace ipfs_accelerate::store;

void Require(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "round trip failed: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

bool SameUnixFs(const UnixFsData& a, const UnixFsData& b) {
  return a.type == b.type && a.data == b.data && a.filesize == b.filesize &&
         a.blocksizes == b.blocksizes && a.hash_type == b.hash_type && a.fanout == b.fanout &&
         a.mode == b.mode && a.mtime_seconds == b.mtime_seconds && a.mtime_nanos == b.mtime_nanos;
}

// UnixFS is not held to byte-exact round trips (blocksizes may arrive packed or unpacked), but
// what decodes must encode to something that decodes to the same value.
void CheckUnixFs(std::span<const uint8_t> bytes) {
  auto fs = DecodeUnixFs(bytes);
  if (!fs.ok()) return;
  (void)UnixFsTypeName(fs->type);
  std::string encoded = EncodeUnixFs(*fs);
  auto again = DecodeUnixFs(AsBytes(encoded));
  Require(again.ok() && SameUnixFs(*again, *fs), "DecodeUnixFs(EncodeUnixFs(d)) != d",
          bytes.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> block(data, size);
  auto node = DecodeDagPb(block);
  if (node.ok()) {
    std::string encoded = EncodeDagPb(*node);
    Require(encoded.size() == size &&
                std::equal(encoded.begin(), encoded.end(), data,
                           [](char c, uint8_t b) { return static_cast<uint8_t>(c) == b; }),
            "EncodeDagPb(DecodeDagPb(block)) != block", size);
    for (size_t i = 1; i < node->links.size(); ++i) {
      Require(!LinkNameLess(node->links[i], node->links[i - 1]), "decoded links out of order",
              size);
    }
    if (node->data) CheckUnixFs(AsBytes(*node->data));
  }
  auto unixfs_node = DecodeUnixFsNode(block);
  Require(!unixfs_node.ok() || node.ok(), "DecodeUnixFsNode accepted a block DecodeDagPb rejects",
          size);
  // The input as a bare UnixFS message too: reaches the UnixFS decoder without dag-pb framing.
  CheckUnixFs(block);
  return 0;
}
