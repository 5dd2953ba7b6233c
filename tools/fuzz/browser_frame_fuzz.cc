// Fuzzes the decoder of the tensor frames browser workers send (browser/frames.h): any bytes give
// a frame or an error, never a crash or an allocation past what the frame holds; what decodes
// survives a round trip through EncodeFrame.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "browser/frames.h"

namespace {

using namespace ipfs_accelerate;

void Require(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "frame round trip failed: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto frame = browser::DecodeFrame(bytes);
  if (!frame.ok()) return 0;
  size_t held = 0;
  for (const auto& [name, t] : frame->tensors) held += t.nbytes();
  Require(held <= size, "tensors hold more bytes than the frame", size);
  auto encoded = browser::EncodeFrame(*frame);
  Require(encoded.ok(), "a decoded frame does not encode", size);
  auto again = browser::DecodeFrame(*encoded);
  Require(again.ok(), "an encoded frame does not decode", size);
  Require(again->tensors.size() == frame->tensors.size(), "tensor count changed", size);
  for (size_t i = 0; i < frame->tensors.size(); ++i) {
    const Tensor& a = frame->tensors[i].second;
    const Tensor& b = again->tensors[i].second;
    Require(frame->tensors[i].first == again->tensors[i].first, "a name changed", size);
    Require(a.dtype() == b.dtype() && a.shape() == b.shape(), "a type or shape changed", size);
    Require(a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0, "bytes changed",
            size);
  }
  return 0;
}
