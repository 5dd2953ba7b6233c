#include "net/dns_message.h"

#include <arpa/inet.h>

#include <cstring>

namespace ipfs_accelerate::net {
namespace {

constexpr size_t kMaxName = 255;
constexpr size_t kMaxLabel = 63;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> p) : p_(p) {}

  bool U16(uint16_t* v) {
    if (pos_ + 2 > p_.size()) return false;
    *v = static_cast<uint16_t>(p_[pos_] << 8 | p_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    uint16_t hi, lo;
    if (!U16(&hi) || !U16(&lo)) return false;
    *v = uint32_t{hi} << 16 | lo;
    return true;
  }
  // A name at the current position, following compression pointers; labels joined with '.',
  // a '.' or '\' inside a label escaped with '\'.
  Status Name(std::string* out) {
    IA_ASSIGN_OR_RETURN(size_t end, NameAt(pos_, out));
    pos_ = end;
    return Status::Ok();
  }
  // The name at `at`; returns where the name's bytes end at `at` (after the first pointer).
  Result<size_t> NameAt(size_t at, std::string* out) const {
    out->clear();
    size_t end = 0;  // 0 until a pointer is followed
    size_t wire_length = 1;
    for (size_t pos = at;;) {
      if (pos >= p_.size()) return Status::InvalidArgument("DNS name runs past the packet");
      uint8_t len = p_[pos];
      if (len == 0) return end ? end : pos + 1;
      if ((len & 0xc0) == 0xc0) {
        if (pos + 1 >= p_.size()) return Status::InvalidArgument("DNS name pointer is cut off");
        size_t target = (len & 0x3f) << 8 | p_[pos + 1];
        // Pointing only backwards bounds the walk: every jump goes to an earlier byte.
        if (target >= pos) return Status::InvalidArgument("DNS name pointer does not point back");
        if (!end) end = pos + 2;
        pos = target;
        continue;
      }
      if (len & 0xc0) return Status::InvalidArgument("DNS label of unknown kind");
      if (pos + 1 + len > p_.size()) return Status::InvalidArgument("DNS label is cut off");
      wire_length += len + 1;
      if (wire_length > kMaxName) return Status::InvalidArgument("DNS name over 255 bytes");
      if (!out->empty()) out->push_back('.');
      for (size_t i = 0; i < len; ++i) {
        char c = static_cast<char>(p_[pos + 1 + i]);
        if (c == '.' || c == '\\') out->push_back('\\');
        out->push_back(c);
      }
      pos += 1 + len;
    }
  }
  bool Bytes(size_t n, std::span<const uint8_t>* out) {
    if (pos_ + n > p_.size()) return false;
    *out = p_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> p_;
  size_t pos_ = 0;
};

Status ReadRecord(Reader& r, DnsRecord* rec) {
  IA_RETURN_IF_ERROR(r.Name(&rec->name));
  uint16_t type, klass, length;
  if (!r.U16(&type) || !r.U16(&klass) || !r.U32(&rec->ttl) || !r.U16(&length)) {
    return Status::InvalidArgument("DNS record " + rec->name + " is cut off");
  }
  rec->type = type;
  rec->cache_flush = (klass & 0x8000) != 0;
  const size_t start = r.pos();
  std::span<const uint8_t> data;
  if (!r.Bytes(length, &data)) {
    return Status::InvalidArgument("DNS record " + rec->name + " says " + std::to_string(length) +
                                   " bytes of data; the packet has fewer");
  }
  auto bad = [&](const char* what) {
    return Status::InvalidArgument(std::string("DNS ") + what + " record " + rec->name +
                                   " is malformed");
  };
  switch (static_cast<DnsType>(type)) {
    case DnsType::kPtr: {
      IA_ASSIGN_OR_RETURN(size_t end, r.NameAt(start, &rec->target));
      if (end > start + length) return bad("PTR");
      break;
    }
    case DnsType::kSrv: {
      if (length < 7) return bad("SRV");
      rec->priority = static_cast<uint16_t>(data[0] << 8 | data[1]);
      rec->weight = static_cast<uint16_t>(data[2] << 8 | data[3]);
      rec->port = static_cast<uint16_t>(data[4] << 8 | data[5]);
      IA_ASSIGN_OR_RETURN(size_t end, r.NameAt(start + 6, &rec->target));
      if (end > start + length) return bad("SRV");
      break;
    }
    case DnsType::kTxt:
      for (size_t i = 0; i < data.size();) {
        size_t n = data[i];
        if (i + 1 + n > data.size()) return bad("TXT");
        if (n) rec->txt.emplace_back(reinterpret_cast<const char*>(&data[i + 1]), n);
        i += 1 + n;
      }
      break;
    case DnsType::kA:
    case DnsType::kAaaa: {
      const bool v4 = type == static_cast<uint16_t>(DnsType::kA);
      if (data.size() != (v4 ? 4u : 16u)) return bad(v4 ? "A" : "AAAA");
      char text[INET6_ADDRSTRLEN];
      if (!inet_ntop(v4 ? AF_INET : AF_INET6, data.data(), text, sizeof text)) return bad("A");
      rec->address = text;
      break;
    }
    default:
      rec->rdata.assign(reinterpret_cast<const char*>(data.data()), data.size());
  }
  return Status::Ok();
}

class Writer {
 public:
  void U16(uint16_t v) {
    out_.push_back(static_cast<char>(v >> 8));
    out_.push_back(static_cast<char>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  Status Name(std::string_view name) {
    std::string label;
    size_t total = 1;
    auto flush = [&]() -> Status {
      if (label.empty() || label.size() > kMaxLabel) {
        return Status::InvalidArgument("DNS name '" + std::string(name) +
                                       "' has an empty label or one over 63 bytes");
      }
      total += label.size() + 1;
      out_.push_back(static_cast<char>(label.size()));
      out_ += label;
      label.clear();
      return Status::Ok();
    };
    for (size_t i = 0; i < name.size(); ++i) {
      if (name[i] == '\\' && i + 1 < name.size()) {
        label.push_back(name[++i]);
      } else if (name[i] == '.') {
        IA_RETURN_IF_ERROR(flush());
      } else {
        label.push_back(name[i]);
      }
    }
    if (!name.empty()) IA_RETURN_IF_ERROR(flush());
    if (total > kMaxName) {
      return Status::InvalidArgument("DNS name '" + std::string(name) + "' is over 255 bytes");
    }
    out_.push_back('\0');
    return Status::Ok();
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

Status WriteRecord(Writer& w, const DnsRecord& rec) {
  IA_RETURN_IF_ERROR(w.Name(rec.name));
  w.U16(rec.type);
  w.U16(static_cast<uint16_t>(kDnsClassIn | (rec.cache_flush ? 0x8000 : 0)));
  w.U32(rec.ttl);
  const size_t length_at = w.out().size();
  w.U16(0);  // the data's length, written once known
  switch (static_cast<DnsType>(rec.type)) {
    case DnsType::kPtr:
      IA_RETURN_IF_ERROR(w.Name(rec.target));
      break;
    case DnsType::kSrv:
      w.U16(rec.priority), w.U16(rec.weight), w.U16(rec.port);
      IA_RETURN_IF_ERROR(w.Name(rec.target));
      break;
    case DnsType::kTxt:
      for (const std::string& s : rec.txt) {
        if (s.size() > 255) {
          return Status::InvalidArgument("DNS TXT string over 255 bytes in " + rec.name);
        }
        w.out().push_back(static_cast<char>(s.size()));
        w.out() += s;
      }
      if (rec.txt.empty()) w.out().push_back('\0');  // RFC 6763 §6.1: never empty
      break;
    case DnsType::kA:
    case DnsType::kAaaa: {
      const bool v4 = rec.type == static_cast<uint16_t>(DnsType::kA);
      unsigned char bytes[16];
      if (inet_pton(v4 ? AF_INET : AF_INET6, rec.address.c_str(), bytes) != 1) {
        return Status::InvalidArgument("DNS record " + rec.name + ": '" + rec.address +
                                       "' is no IPv" + (v4 ? "4" : "6") + " address");
      }
      w.out().append(reinterpret_cast<const char*>(bytes), v4 ? 4 : 16);
      break;
    }
    default:
      w.out() += rec.rdata;
  }
  const size_t length = w.out().size() - length_at - 2;
  if (length > 0xffff) return Status::InvalidArgument("DNS record " + rec.name + " is too long");
  w.out()[length_at] = static_cast<char>(length >> 8);
  w.out()[length_at + 1] = static_cast<char>(length);
  return Status::Ok();
}

}  // namespace

Result<DnsMessage> ParseDnsMessage(std::span<const uint8_t> packet) {
  if (packet.size() > kMaxDnsMessageBytes) {
    return Status::InvalidArgument("DNS message of " + std::to_string(packet.size()) +
                                   " bytes; mDNS allows at most 9000");
  }
  Reader r(packet);
  DnsMessage m;
  uint16_t counts[4];
  if (!r.U16(&m.id) || !r.U16(&m.flags) || !r.U16(&counts[0]) || !r.U16(&counts[1]) ||
      !r.U16(&counts[2]) || !r.U16(&counts[3])) {
    return Status::InvalidArgument("DNS message shorter than its 12-byte header");
  }
  for (uint16_t i = 0; i < counts[0]; ++i) {
    DnsQuestion q;
    IA_RETURN_IF_ERROR(r.Name(&q.name));
    uint16_t klass;
    if (!r.U16(&q.type) || !r.U16(&klass)) {
      return Status::InvalidArgument("DNS question " + q.name + " is cut off");
    }
    q.unicast_response = (klass & 0x8000) != 0;
    m.questions.push_back(std::move(q));
  }
  std::vector<DnsRecord>* sections[3] = {&m.answers, &m.authorities, &m.additionals};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s + 1]; ++i) {
      DnsRecord rec;
      IA_RETURN_IF_ERROR(ReadRecord(r, &rec));
      sections[s]->push_back(std::move(rec));
    }
  }
  return m;
}

Result<std::string> EncodeDnsMessage(const DnsMessage& m) {
  Writer w;
  w.U16(m.id);
  w.U16(m.flags);
  for (size_t n :
       {m.questions.size(), m.answers.size(), m.authorities.size(), m.additionals.size()}) {
    if (n > 0xffff) return Status::InvalidArgument("DNS message with over 65535 entries");
    w.U16(static_cast<uint16_t>(n));
  }
  for (const DnsQuestion& q : m.questions) {
    IA_RETURN_IF_ERROR(w.Name(q.name));
    w.U16(q.type);
    w.U16(static_cast<uint16_t>(kDnsClassIn | (q.unicast_response ? 0x8000 : 0)));
  }
  for (const auto* section : {&m.answers, &m.authorities, &m.additionals}) {
    for (const DnsRecord& rec : *section) IA_RETURN_IF_ERROR(WriteRecord(w, rec));
  }
  if (w.out().size() > kMaxDnsMessageBytes) {
    return Status::InvalidArgument("DNS message of " + std::to_string(w.out().size()) +
                                   " bytes; mDNS allows at most 9000");
  }
  return std::move(w.out());
}

bool DnsNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace ipfs_accelerate::net
