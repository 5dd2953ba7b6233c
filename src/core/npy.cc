#include "core/npy.h"

#include <cstring>

namespace ipfs_accelerate {
namespace {

struct DescrEntry {
  const char* descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16}, {"<i8", DType::kInt64},
    {"<i4", DType::kInt32},   {"<i2", DType::kInt16},   {"|i1", DType::kInt8},    {"|u1", DType::kUInt8},
    {"<u2", DType::kUInt16},  {"<u4", DType::kUInt32},  {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
};

// The value after `'key':` in the header dict, up to the next top-level comma or brace.
std::string Field(const std::string& header, const std::string& key) {
  auto pos = header.find("'" + key + "'");
  if (pos == std::string::npos) return "";
  pos = header.find(':', pos);
  if (pos == std::string::npos) return "";
  ++pos;
  int depth = 0;
  std::string out;
  for (; pos < header.size(); ++pos) {
    char c = header[pos];
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (depth == 0 && (c == ',' || c == '}')) break;
    out += c;
  }
  auto b = out.find_first_not_of(" ");
  auto e = out.find_last_not_of(" ");
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

}  // namespace

Result<Tensor> ParseNpy(std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") return Status::InvalidArgument("not a .npy file (bad magic)");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::InvalidArgument(".npy header is truncated");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return Status::Unsupported(".npy format version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) return Status::InvalidArgument(".npy header is truncated");
  std::string header(bytes.substr(offset, header_len));
  std::string descr = Field(header, "descr");
  if (descr.size() >= 2) descr = descr.substr(1, descr.size() - 2);  // strip quotes
  if (descr.size() == 3 && descr[0] == '=') descr[0] = '<';
  DType dtype = DType::kUndefined;
  for (const auto& d : kDescrs) {
    if (descr == d.descr) dtype = d.dtype;
  }
  if (dtype == DType::kUndefined) return Status::Unsupported(".npy dtype '" + descr + "' is not supported");
  if (Field(header, "fortran_order") != "False") return Status::Unsupported(".npy in Fortran order");
  std::string shape_text = Field(header, "shape");
  Shape shape;
  std::string num;
  for (char c : shape_text) {
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (!num.empty()) {
      shape.push_back(std::stoll(num));
      num.clear();
    }
  }
  if (!num.empty()) shape.push_back(std::stoll(num));
  long double elems = 1;
  for (int64_t d : shape) elems *= d;
  size_t data_off = offset + header_len;
  if (elems * DTypeSize(dtype) != static_cast<long double>(bytes.size() - data_off)) {
    return Status::InvalidArgument(".npy data size does not match its shape " + ShapeToString(shape));
  }
  Tensor t = Tensor::Empty(dtype, shape);
  std::memcpy(t.raw(), bytes.data() + data_off, t.nbytes());
  return t;
}

std::string EncodeNpy(const Tensor& t) {
  std::string descr = "?";
  for (const auto& d : kDescrs) {
    if (d.dtype == t.dtype()) descr = d.descr;
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.rank() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

}  // namespace ipfs_accelerate
