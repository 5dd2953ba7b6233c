// Fuzzes the CAR reader: any bytes give roots and verified blocks or an error, within a bounded
// number of steps; the roots it reads survive a round trip through EncodeCarHeader.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "store/car.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace {

using namespace ipfs_accelerate::store;

// A section takes at least two bytes and fuzz inputs are a few KiB, so only a reader that stops
// advancing reaches this cap; it keeps such a bug from hanging the fuzzer.
constexpr int kMaxBlocks = 100000;

void Require(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "CAR check failed: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemoryReader in(std::span<const uint8_t>(data, size));
  auto car = CarReader::Open(&in);
  if (!car.ok()) return 0;
  Require(car->offset() <= size, "header offset past the end", size);

  // The header we would write for these roots reads back as the same roots.
  std::string header = EncodeCarHeader(car->roots());
  MemoryReader header_in(AsBytes(header));
  auto reread = CarReader::Open(&header_in);
  Require(reread.ok() && reread->roots() == car->roots(),
          "EncodeCarHeader(roots) does not read back", size);

  Cid cid;
  std::string block;
  for (int i = 0; i < kMaxBlocks; ++i) {
    uint64_t before = car->offset();
    auto more = car->Next(&cid, &block);
    if (!more.ok() || !*more) break;
    Require(car->offset() > before && car->offset() <= size,
            "Next did not advance within the input", size);
    Require(VerifyMultihash(cid.multihash(), AsBytes(block)).ok(),
            "Next returned an unverified block", size);
  }
  return 0;
}
