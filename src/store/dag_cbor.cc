#include "store/dag_cbor.h"

namespace ipfs_accelerate::store {
namespace {

constexpr int kMaxNesting = 256;

}  // namespace

Status CborReader::Head(int* major, uint64_t* arg, uint8_t* info_out) {
  if (pos_ >= in_.size()) return Error("CBOR ends early");
  uint8_t b = in_[pos_++];
  *major = b >> 5;
  uint8_t info = b & 31;
  if (info_out) *info_out = info;
  if (info < 24) {
    *arg = info;
    return Status::Ok();
  }
  int bytes = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
  if (bytes == 0) return Error("CBOR item with an indefinite or reserved length encoding");
  if (in_.size() - pos_ < static_cast<size_t>(bytes)) return Error("CBOR ends early");
  *arg = 0;
  for (int i = 0; i < bytes; ++i) *arg = (*arg << 8) | in_[pos_++];
  return Status::Ok();
}

Result<std::span<const uint8_t>> CborReader::Bytes(uint64_t n) {
  if (in_.size() - pos_ < n) return Error("CBOR string runs past the end");
  auto out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<Cid> CborReader::LinkAfterTag() {
  int major;
  uint64_t size;
  IA_RETURN_IF_ERROR(Head(&major, &size));
  if (major != 2 || size < 1) return Error("a link (tag 42) is not a byte string");
  IA_ASSIGN_OR_RETURN(auto bytes, Bytes(size));
  if (bytes[0] != 0) return Error("a link (tag 42) lacks the 0x00 multibase prefix");
  auto cid = Cid::FromBytes(bytes.subspan(1));
  if (!cid.ok()) return Error("a link (tag 42): " + cid.status().message());
  return cid;
}

void AppendCborHead(std::string& out, int major, uint64_t arg) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  int bytes = arg < 24             ? 0
              : arg < (1u << 8)    ? 1
              : arg < (1u << 16)   ? 2
              : arg < (1ull << 32) ? 4
                                   : 8;
  if (bytes == 0) {
    out.push_back(static_cast<char>(m | arg));
    return;
  }
  out.push_back(static_cast<char>(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27)));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((arg >> (8 * i)) & 0xff));
}

Result<std::vector<Cid>> DagCborLinks(const Cid& cid, std::span<const uint8_t> block) {
  CborReader r(block, "dag-cbor block " + cid.ToString());
  std::vector<Cid> links;
  // Items still to read per open container, innermost last: an explicit stack, so nesting depth
  // costs no native stack and is bounded by kMaxNesting.
  std::vector<uint64_t> pending{1};
  while (!pending.empty()) {
    if (pending.back() == 0) {
      pending.pop_back();
      continue;
    }
    --pending.back();
    int major;
    uint64_t arg;
    uint8_t info;
    IA_RETURN_IF_ERROR(r.Head(&major, &arg, &info));
    switch (major) {
      case 0:  // unsigned integer
      case 1:  // negative integer
        break;
      case 2:  // byte string
      case 3:  // text string
        IA_RETURN_IF_ERROR(r.Bytes(arg).status());
        break;
      case 4:    // array
      case 5: {  // map: keys and values
        if (pending.size() > kMaxNesting) {
          return r.Error("nested more than " + std::to_string(kMaxNesting) + " levels deep");
        }
        uint64_t items = arg;
        if (major == 5 && __builtin_mul_overflow(arg, uint64_t{2}, &items)) {
          return r.Error("a map's length does not fit");
        }
        // Each item takes at least one byte: a longer count is a lie, refused before it is used.
        if (items > block.size()) return r.Error("a container declares more items than bytes");
        pending.push_back(items);
        break;
      }
      case 6:  // tag
        if (arg != 42)
          return r.Error("tag " + std::to_string(arg) + " (DAG-CBOR allows only 42, a link)");
        {
          IA_ASSIGN_OR_RETURN(Cid link, r.LinkAfterTag());
          links.push_back(std::move(link));
        }
        break;
      case 7:  // false, true, null (20-22) and floats (25-27, read with the head)
        if (info < 20 || info == 23 || info == 24) {
          return r.Error("a CBOR simple value other than false, true and null");
        }
        break;
    }
  }
  if (!r.done()) return r.Error("trailing bytes after the first CBOR item");
  return links;
}

}  // namespace ipfs_accelerate::store
