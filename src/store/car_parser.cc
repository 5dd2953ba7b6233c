#include "store/car_parser.h"

#include <algorithm>

#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

// The longest CID a section may start with: a SHA-512 CID takes 68 bytes; identity CIDs carry
// their (small) content inline.
constexpr uint64_t kMaxCidBytes = 512;

}  // namespace

CarParser::CarParser(std::function<Status(CarSection&&)> on_section, uint64_t max_section_bytes,
                     std::function<std::string()> new_buffer)
    : on_section_(std::move(on_section)),
      max_section_bytes_(max_section_bytes),
      new_buffer_(std::move(new_buffer)) {}

Status CarParser::Fail(Status s) {
  state_ = State::kFailed;
  error_ = s;
  return s;
}

Status CarParser::LengthByte(uint8_t b, const char* what, bool* done) {
  // The tenth byte holds bit 63 only; more would be silently dropped and wrap the length.
  if (length_bytes_ == 9 && b > 1) {
    return Fail(Status::Corruption("CAR stream has a malformed " + std::string(what) +
                                   " length varint at offset " + std::to_string(offset_) +
                                   " (it does not fit in 64 bits)"));
  }
  length_ |= static_cast<uint64_t>(b & 0x7f) << (7 * length_bytes_);
  ++length_bytes_;
  *done = (b & 0x80) == 0;
  return Status::Ok();
}

Status CarParser::StartSection() {
  if (length_ == 0 || length_ > max_section_bytes_) {
    return Fail(Status::Corruption("CAR section at offset " + std::to_string(section_offset_) +
                                   " has length " + std::to_string(length_) + " (must be 1 to " +
                                   std::to_string(max_section_bytes_) + ")"));
  }
  head_.clear();
  left_ = std::min(length_, kMaxCidBytes);
  state_ = State::kCid;
  return Status::Ok();
}

Status CarParser::TryCid() {
  size_t pos = 0;
  auto cid = Cid::Read(AsBytes(head_), &pos);
  if (!cid.ok()) {
    return Fail(Status::Corruption("CAR section at offset " + std::to_string(section_offset_) +
                                   " does not start with a CID: " + cid.status().message()));
  }
  section_.cid = std::move(cid).value();
  section_.offset = section_offset_;
  section_.block = new_buffer_ ? new_buffer_() : std::string();
  section_.block.clear();
  section_.block.reserve(length_ - pos);
  section_.block.append(head_, pos, std::string::npos);
  left_ = length_ - head_.size();
  state_ = State::kBlock;
  return left_ == 0 ? EndSection() : Status::Ok();
}

Status CarParser::EndSection() {
  ++sections_;
  state_ = State::kSectionLength;
  length_ = 0;
  length_bytes_ = 0;
  Status s = on_section_(std::move(section_));
  section_ = CarSection();
  return s.ok() ? s : Fail(s);
}

Status CarParser::Feed(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kHeaderLength:
      case State::kSectionLength: {
        const bool header = state_ == State::kHeaderLength;
        if (!header && length_bytes_ == 0) section_offset_ = offset_;
        bool done = false;
        IA_RETURN_IF_ERROR(LengthByte(bytes[0], header ? "header" : "section", &done));
        bytes = bytes.subspan(1);
        ++offset_;
        if (!done) break;
        if (!header) {
          IA_RETURN_IF_ERROR(StartSection());
          break;
        }
        if (length_ == 0 || length_ > kMaxCarHeaderBytes) {
          return Fail(Status::Corruption("CAR header length " + std::to_string(length_) +
                                         " is out of range; is this a CAR stream?"));
        }
        head_.clear();
        head_.reserve(length_);
        left_ = length_;
        state_ = State::kHeader;
        break;
      }
      case State::kHeader:
      case State::kCid:
      case State::kBlock: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left_, bytes.size()));
        std::string& to = state_ == State::kBlock ? section_.block : head_;
        to.append(reinterpret_cast<const char*>(bytes.data()), n);
        bytes = bytes.subspan(n);
        offset_ += n;
        left_ -= n;
        if (left_ > 0) break;
        if (state_ == State::kBlock) {
          IA_RETURN_IF_ERROR(EndSection());
        } else if (state_ == State::kCid) {
          IA_RETURN_IF_ERROR(TryCid());
        } else {
          auto roots = ParseCarHeader(AsBytes(head_));
          if (!roots.ok()) return Fail(roots.status());
          roots_ = std::move(roots).value();
          head_.clear();
          length_ = 0;
          length_bytes_ = 0;
          state_ = State::kSectionLength;
        }
        break;
      }
    }
  }
  return state_ == State::kFailed ? error_ : Status::Ok();
}

Status CarParser::Finish() const {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kSectionLength && length_bytes_ == 0) return Status::Ok();
  if (state_ == State::kHeaderLength && length_bytes_ == 0) {
    return Status::Corruption("CAR stream is empty (no header)");
  }
  const char* where = state_ == State::kHeaderLength || state_ == State::kHeader ? "the header"
                      : state_ == State::kSectionLength ? "a section length"
                                                        : "a section";
  return Status::Corruption("CAR stream is truncated: it ends inside " + std::string(where) +
                            " at offset " + std::to_string(offset_) + " (after " +
                            std::to_string(sections_) + " complete sections)");
}

}  // namespace ipfs_accelerate::store
