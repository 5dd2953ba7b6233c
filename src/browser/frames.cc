#include "browser/frames.h"

#include <cstring>
#include <set>

namespace ipfs_accelerate::browser {
namespace {

using nlohmann::json;

constexpr char kMagic[4] = {'I', 'A', 'T', '1'};
constexpr size_t kPrefix = 8;  // magic + header length

struct WebType {
  DType dtype;
  const char* name;
};
constexpr WebType kWebTypes[] = {
    {DType::kFloat32, "float32"}, {DType::kFloat16, "float16"}, {DType::kFloat64, "float64"},
    {DType::kInt8, "int8"},       {DType::kUInt8, "uint8"},     {DType::kInt16, "int16"},
    {DType::kUInt16, "uint16"},   {DType::kInt32, "int32"},     {DType::kUInt32, "uint32"},
    {DType::kInt64, "int64"},     {DType::kUInt64, "uint64"},   {DType::kBool, "bool"},
};

DType WebDType(const std::string& name) {
  for (const WebType& t : kWebTypes) {
    if (name == t.name) return t.dtype;
  }
  return DType::kUndefined;
}

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

// A non-negative integer that fits in 53 bits (what a JavaScript number holds exactly), or -1.
int64_t Count(const json& j) {
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    return v < (uint64_t{1} << 53) ? static_cast<int64_t>(v) : -1;
  }
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    return v >= 0 && v < (int64_t{1} << 53) ? v : -1;
  }
  return -1;
}

}  // namespace

std::string WebDTypeName(DType dtype) {
  for (const WebType& t : kWebTypes) {
    if (t.dtype == dtype) return t.name;
  }
  return "";
}

Result<std::string> EncodeFrame(const Frame& frame) {
  json header = frame.header.is_object() ? frame.header : json::object();
  json list = json::array();
  size_t offset = 0;
  for (const auto& [name, t] : frame.tensors) {
    std::string dtype = WebDTypeName(t.dtype());
    if (dtype.empty()) {
      return Status::Unsupported("tensor '" + name + "' is " + DTypeName(t.dtype()) +
                                 ", which onnxruntime-web does not hold");
    }
    list.push_back({{"name", name},
                    {"dtype", dtype},
                    {"shape", t.shape()},
                    {"offset", offset},
                    {"bytes", t.nbytes()}});
    offset = Align8(offset + t.nbytes());
  }
  header["tensors"] = std::move(list);
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  size_t payload_at = Align8(kPrefix + text.size());
  std::string out(payload_at + offset, '\0');
  std::memcpy(out.data(), kMagic, 4);
  uint32_t n = static_cast<uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
  std::memcpy(out.data() + kPrefix, text.data(), text.size());
  offset = 0;
  for (const auto& [name, t] : frame.tensors) {
    if (t.nbytes() > 0) std::memcpy(out.data() + payload_at + offset, t.raw(), t.nbytes());
    offset = Align8(offset + t.nbytes());
  }
  return out;
}

Result<Frame> DecodeFrame(const std::string& bytes) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("malformed tensor frame: " + what);
  };
  if (bytes.size() < kPrefix || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return bad("it does not start with \"IAT1\"");
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{static_cast<uint8_t>(bytes[4 + i])} << (8 * i);
  if (n > bytes.size() - kPrefix) {
    return bad("its header length " + std::to_string(n) + " runs past the frame's " +
               std::to_string(bytes.size()) + " bytes");
  }
  Frame frame;
  frame.header = json::parse(bytes.begin() + kPrefix, bytes.begin() + kPrefix + n, nullptr, false);
  if (!frame.header.is_object()) return bad("its header is not a JSON object");
  const size_t payload_at = Align8(kPrefix + n);
  const size_t payload = bytes.size() >= payload_at ? bytes.size() - payload_at : 0;
  const json& list = frame.header.contains("tensors") ? frame.header["tensors"] : json::array();
  if (!list.is_array()) return bad("\"tensors\" is not an array");
  std::set<std::string> names;
  for (const json& e : list) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
      return bad("a tensor entry has no \"name\" string");
    }
    std::string name = e["name"].get<std::string>();
    std::string where = "tensor '" + name + "'";
    if (!names.insert(name).second) return bad(where + " appears twice");
    DType dtype = e.contains("dtype") && e["dtype"].is_string()
                      ? WebDType(e["dtype"].get<std::string>())
                      : DType::kUndefined;
    if (dtype == DType::kUndefined) {
      return bad(where + " has dtype " + (e.contains("dtype") ? e["dtype"].dump() : "(none)") +
                 ", not one of float32, float16, float64, int8, uint8, int16, uint16, int32, "
                 "uint32, int64, uint64, bool");
    }
    if (!e.contains("shape") || !e["shape"].is_array() || e["shape"].size() > 16) {
      return bad(where + " has no \"shape\" array of at most 16 dimensions");
    }
    Shape shape;
    for (const json& d : e["shape"]) {
      int64_t v = Count(d);
      if (v < 0)
        return bad(where + " has a dimension that is no non-negative integer: " + d.dump());
      shape.push_back(v);
    }
    IA_ASSIGN_OR_RETURN(size_t need, TensorBytes(dtype, shape));
    int64_t offset = e.contains("offset") ? Count(e["offset"]) : -1;
    int64_t count = e.contains("bytes") ? Count(e["bytes"]) : -1;
    if (offset < 0 || count < 0) return bad(where + " lacks a valid \"offset\" or \"bytes\"");
    if (static_cast<uint64_t>(count) != need) {
      return bad(where + " of " + e["dtype"].get<std::string>() + " " + ShapeToString(shape) +
                 " needs " + std::to_string(need) + " bytes, its entry says " +
                 std::to_string(count));
    }
    if (offset % 8 != 0)
      return bad(where + " starts at offset " + std::to_string(offset) + ", not a multiple of 8");
    if (static_cast<uint64_t>(offset) > payload || need > payload - offset) {
      return bad(where + " (bytes " + std::to_string(offset) + "+" + std::to_string(need) +
                 ") lies outside the payload of " + std::to_string(payload) + " bytes");
    }
    Tensor t;
    try {
      t = Tensor::Empty(dtype, shape);
    } catch (const AllocationError& e) {
      return e.status().WithContext(where);
    }
    if (need > 0) std::memcpy(t.raw(), bytes.data() + payload_at + offset, need);
    frame.tensors.emplace_back(std::move(name), std::move(t));
  }
  return frame;
}

}  // namespace ipfs_accelerate::browser
