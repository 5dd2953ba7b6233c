// Fuzzes the streaming CAR parser (store/car_parser.h): any bytes, cut into pieces at any
// places, give the same sections and the same verdict as the whole input fed at once, and every
// block it gives is exactly the bytes it was read from.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "store/car_parser.h"

namespace {

using namespace ipfs_accelerate;
using namespace ipfs_accelerate::store;

void Require(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "CAR parser check failed: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

struct Run {
  Status fed, finished;
  std::vector<CarSection> sections;
  uint64_t offset = 0;
};

// Feeds `in` in pieces whose sizes come from the input's own bytes (`step` 0: all at once).
Run Parse(std::span<const uint8_t> in, size_t step) {
  Run out;
  CarParser parser(
      [&](CarSection&& s) {
        out.sections.push_back(std::move(s));
        return Status::Ok();
      },
      64 << 10);
  size_t pos = 0;
  while (pos < in.size() && out.fed.ok()) {
    const size_t n = step == 0 ? in.size() : 1 + (in[pos] % step);
    const size_t take = std::min(n, in.size() - pos);
    out.fed = parser.Feed(in.subspan(pos, take));
    pos += take;
  }
  out.finished = parser.Finish();
  out.offset = parser.offset();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  Run whole = Parse(in, 0);
  Run pieces = Parse(in, 7);
  Require(whole.fed.code() == pieces.fed.code(), "the verdict depends on the pieces", size);
  Require(whole.finished.code() == pieces.finished.code(), "Finish depends on the pieces", size);
  Require(whole.sections.size() == pieces.sections.size(), "sections depend on the pieces", size);
  Require(whole.offset <= size, "consumed more than the input", size);
  for (size_t i = 0; i < whole.sections.size(); ++i) {
    const CarSection& a = whole.sections[i];
    const CarSection& b = pieces.sections[i];
    Require(a.cid == b.cid && a.block == b.block && a.offset == b.offset,
            "a section depends on the pieces", size);
    // A section ends where the next one starts (the last one where the parser stopped, once
    // the stream ended cleanly); its block is the bytes before that end.
    const bool last = i + 1 == whole.sections.size();
    if (last && !whole.finished.ok()) continue;
    const uint64_t end = last ? whole.offset : whole.sections[i + 1].offset;
    Require(a.offset < end && end <= size && a.block.size() < end - a.offset,
            "a section outside the input", size);
    Require(std::string(reinterpret_cast<const char*>(data) + end - a.block.size(),
                        a.block.size()) == a.block,
            "a block is not the bytes it was read from", size);
  }
  return 0;
}
