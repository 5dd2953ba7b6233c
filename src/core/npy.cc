#include "core/npy.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "core/parse_number.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate {
namespace {

struct DescrEntry {
  const char* descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16},
    {"<i8", DType::kInt64},   {"<i4", DType::kInt32},   {"<i2", DType::kInt16},
    {"|i1", DType::kInt8},    {"|u1", DType::kUInt8},   {"<u2", DType::kUInt16},
    {"<u4", DType::kUInt32},  {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
};

// The header dict as NumPy writes it: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// — a Python literal with exactly these three keys, each once. Anything else is refused, with the
// reason, rather than guessed at.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Status Parse(std::string* descr, bool* fortran_order, Shape* shape) {
    // NumPy ends the header with '\n' after space padding; the dict itself must be closed.
    if (text_.empty() || text_.back() != '\n') {
      return Error("the header does not end with a newline (truncated or not written by NumPy)");
    }
    SkipSpace();
    if (!Eat('{')) return Error("the header is not a dict (it does not start with '{')");
    bool have_descr = false, have_order = false, have_shape = false;
    while (true) {
      SkipSpace();
      if (Eat('}')) break;
      if (pos_ >= text_.size()) return Error("the header dict is not closed with '}'");
      IA_ASSIGN_OR_RETURN(std::string key, String());
      SkipSpace();
      if (!Eat(':')) return Error("expected ':' after '" + key + "'");
      SkipSpace();
      bool* seen = key == "descr"           ? &have_descr
                   : key == "fortran_order" ? &have_order
                   : key == "shape"         ? &have_shape
                                            : nullptr;
      if (!seen) {
        return Error("unknown key '" + TerminalSafe(key) +
                     "' (a .npy header holds descr, fortran_order and shape)");
      }
      if (*seen) return Error("the key '" + key + "' appears twice");
      *seen = true;
      if (key == "descr") {
        IA_ASSIGN_OR_RETURN(*descr, String());
      } else if (key == "fortran_order") {
        IA_ASSIGN_OR_RETURN(*fortran_order, Bool());
      } else {
        IA_ASSIGN_OR_RETURN(*shape, Tuple());
      }
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat('}')) break;
      return Error("expected ',' or '}' after the value of '" + key + "'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("text after the header dict");
    if (!have_descr || !have_order || !have_shape) {
      return Error(std::string("the header lacks '") +
                   (!have_descr   ? "descr"
                    : !have_order ? "fortran_order"
                                  : "shape") +
                   "'");
    }
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("bad .npy header at byte " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Result<std::string> String() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return Error("expected a quoted string");
    }
    const char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return Error("a string is not closed");
    std::string s(text_.substr(pos_, end - pos_));
    if (s.find('\\') != std::string::npos || s.find('\n') != std::string::npos) {
      return Error("escapes and line breaks in strings are not supported");
    }
    pos_ = end + 1;
    return s;
  }
  Result<bool> Bool() {
    if (text_.substr(pos_).starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_).starts_with("False")) {
      pos_ += 5;
      return false;
    }
    return Error("fortran_order must be True or False");
  }
  // "()", "(3,)", "(2, 3)", "(2, 3,)": non-negative integers.
  Result<Shape> Tuple() {
    if (!Eat('(')) return Error("shape must be a tuple such as (2, 3)");
    Shape shape;
    bool comma = false;  // after the last dimension
    while (true) {
      SkipSpace();
      if (Eat(')')) {
        if (shape.size() == 1 && !comma) {
          // (3) is the integer 3 in Python, not a tuple; NumPy writes (3,).
          return Error("a one-dimensional shape is written (N,), with its comma");
        }
        break;
      }
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' &&
             text_[pos_] != ' ' && text_[pos_] != '\n') {
        ++pos_;
      }
      std::string_view item = text_.substr(start, pos_ - start);
      if (item.empty()) return Error("an empty dimension in the shape");
      if (item[0] == '-') {
        return Error("the shape has a negative dimension " + TerminalSafe(item));
      }
      auto dim = ParseInt(item, "a .npy shape dimension", 0);
      if (!dim.ok()) return Error(dim.status().message());
      shape.push_back(*dim);
      SkipSpace();
      comma = Eat(',');
      if (!comma && !(pos_ < text_.size() && text_[pos_] == ')')) {
        return Error("expected ',' or ')' in the shape");
      }
    }
    return shape;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The element count of `shape` when its bytes fit in `limit`, else nullopt.
std::optional<uint64_t> CheckedBytes(const Shape& shape, size_t element_size, uint64_t limit) {
  uint64_t bytes = element_size;
  bool zero = false;
  for (int64_t d : shape) zero |= d == 0;
  if (zero) return 0;
  for (int64_t d : shape) {
    if (static_cast<uint64_t>(d) > limit / bytes) return std::nullopt;
    bytes *= static_cast<uint64_t>(d);
  }
  return bytes;
}

}  // namespace

Result<Tensor> ParseNpy(std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") {
    return Status::InvalidArgument("not a .npy file (bad magic)");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::InvalidArgument(".npy header is truncated");
    header_len = 0;
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    offset = 12;
  } else {
    return Status::Unsupported(".npy format version " + std::to_string(major) +
                               " (this reader knows versions 1 to 3)");
  }
  if (bytes.size() - offset < header_len) {
    return Status::InvalidArgument(".npy header is truncated: it declares " +
                                   std::to_string(header_len) + " bytes, the file has " +
                                   std::to_string(bytes.size() - offset));
  }
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  IA_RETURN_IF_ERROR(
      HeaderParser(bytes.substr(offset, header_len)).Parse(&descr, &fortran_order, &shape));
  if (descr.size() == 3 && (descr[0] == '=' || (descr[0] == '<' && descr[2] == '1') ||
                            (descr[0] == '>' && descr[2] == '1'))) {
    descr[0] = descr[2] == '1' ? '|' : '<';  // native order is little-endian here
  }
  DType dtype = DType::kUndefined;
  for (const auto& d : kDescrs) {
    if (descr == d.descr) dtype = d.dtype;
  }
  if (dtype == DType::kUndefined) {
    return Status::Unsupported(".npy dtype '" + TerminalSafe(descr) +
                               "' is not supported (little-endian numbers and bool are)");
  }
  if (fortran_order) {
    return Status::Unsupported(".npy in Fortran order; save it with np.ascontiguousarray");
  }
  size_t data_off = offset + header_len;
  uint64_t have = bytes.size() - data_off;
  std::optional<uint64_t> want = CheckedBytes(shape, DTypeSize(dtype), have);
  if (!want || *want != have) {
    return Status::InvalidArgument(".npy data size (" + std::to_string(have) +
                                   " bytes) does not match its shape " + ShapeToString(shape) +
                                   " of " + DTypeName(dtype));
  }
  Tensor t = Tensor::Empty(dtype, shape);
  if (t.nbytes()) std::memcpy(t.raw(), bytes.data() + data_off, t.nbytes());
  return t;
}

std::string EncodeNpy(const Tensor& t) {
  std::string descr = "?";
  for (const auto& d : kDescrs) {
    if (d.dtype == t.dtype()) descr = d.descr;
  }
  // Strings as NumPy's fixed-width bytes ('|S<longest>', NUL-padded; NumPy drops trailing NULs).
  const bool strings = t.dtype() == DType::kString;
  size_t width = 1;
  for (int64_t i = 0; strings && i < t.numel(); ++i)
    width = std::max(width, t.data<std::string>()[i].size());
  if (strings) descr = "|S" + std::to_string(width);
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) {
    shape += std::to_string(t.shape()[i]) +
             (t.rank() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  }
  shape += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  if (strings) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const std::string& s = t.data<std::string>()[i];
      out += s;
      out.append(width - s.size(), '\0');
    }
  } else {
    out.append(static_cast<const char*>(t.raw()), t.nbytes());
  }
  return out;
}

}  // namespace ipfs_accelerate
