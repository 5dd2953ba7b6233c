#include "router/kserve.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "core/half.h"
#include "core/json_util.h"

namespace ipfs_accelerate::router {
namespace {

struct NamedType {
  const char* name;
  DType dtype;
};
constexpr NamedType kTypes[] = {
    {"BOOL", DType::kBool},     {"UINT8", DType::kUInt8},   {"UINT16", DType::kUInt16},
    {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64}, {"INT8", DType::kInt8},
    {"INT16", DType::kInt16},   {"INT32", DType::kInt32},   {"INT64", DType::kInt64},
    {"FP16", DType::kFloat16},  {"FP32", DType::kFloat32},  {"FP64", DType::kFloat64},
    {"BF16", DType::kBFloat16},
};

// Appends the elements of a (possibly nested) JSON array, row-major, to `out`.
Status Flatten(const nlohmann::json& data, std::vector<const nlohmann::json*>& out, uint64_t limit,
               const std::string& input) {
  if (!data.is_array()) {
    out.push_back(&data);
  } else {
    for (const auto& e : data) {
      IA_RETURN_IF_ERROR(Flatten(e, out, limit, input));
      if (out.size() > limit) {
        return Status::InvalidArgument("input '" + input +
                                       "' has more data than its shape holds (" +
                                       std::to_string(limit) + " elements)");
      }
    }
  }
  return Status::Ok();
}

template <typename T>
Status Store(const nlohmann::json& v, T* dst, const std::string& input) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean())
      return Status::InvalidArgument("input '" + input +
                                     "' is BOOL: its data must be true or false, got " + v.dump());
    *dst = v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    bool fits = false;
    if (v.is_number_unsigned()) {
      fits = v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      if (fits) *dst = static_cast<T>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      int64_t x = v.get<int64_t>();
      fits = std::is_signed_v<T> ? x >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                       x <= static_cast<int64_t>(std::numeric_limits<T>::max())
                                 : x >= 0;
      if (fits) *dst = static_cast<T>(x);
    }
    if (!fits) {
      return Status::InvalidArgument("input '" + input + "': " + v.dump().substr(0, 40) +
                                     " is not an integer that fits its datatype");
    }
  } else {
    if (!v.is_number()) {
      return Status::InvalidArgument("input '" + input + "': " + v.dump().substr(0, 40) +
                                     " is not a number");
    }
    *dst = static_cast<T>(v.get<double>());
  }
  return Status::Ok();
}

Status FillFromJson(Tensor& t, const std::vector<const nlohmann::json*>& values,
                    const std::string& input) {
  size_t n = values.size();
  auto each = [&](auto* dst) -> Status {
    for (size_t i = 0; i < n; ++i) IA_RETURN_IF_ERROR(Store(*values[i], dst + i, input));
    return Status::Ok();
  };
  switch (t.dtype()) {
    case DType::kBool:
      return each(t.data<bool>());
    case DType::kUInt8:
      return each(t.data<uint8_t>());
    case DType::kUInt16:
      return each(t.data<uint16_t>());
    case DType::kUInt32:
      return each(t.data<uint32_t>());
    case DType::kUInt64:
      return each(t.data<uint64_t>());
    case DType::kInt8:
      return each(t.data<int8_t>());
    case DType::kInt16:
      return each(t.data<int16_t>());
    case DType::kInt32:
      return each(t.data<int32_t>());
    case DType::kInt64:
      return each(t.data<int64_t>());
    case DType::kFloat32:
      return each(t.data<float>());
    case DType::kFloat64:
      return each(t.data<double>());
    case DType::kFloat16:
    case DType::kBFloat16: {
      uint16_t* dst = t.data<uint16_t>();
      for (size_t i = 0; i < n; ++i) {
        double x;
        IA_RETURN_IF_ERROR(Store(*values[i], &x, input));
        dst[i] = t.dtype() == DType::kFloat16 ? DoubleToHalf(x) : DoubleToBFloat16(x);
      }
      return Status::Ok();
    }
    case DType::kString: {
      std::string* dst = t.data<std::string>();
      for (size_t i = 0; i < n; ++i) {
        if (!values[i]->is_string()) {
          return Status::InvalidArgument("input '" + input +
                                         "': " + values[i]->dump().substr(0, 40) +
                                         " is not a string (datatype BYTES)");
        }
        dst[i] = values[i]->get<std::string>();
      }
      return Status::Ok();
    }
    default:
      return Status::Unsupported("datatype of input '" + input + "'");
  }
}

// BYTES in binary form: each element as a 4-byte little-endian length and its bytes.
size_t BinaryStringsSize(const Tensor& t) {
  size_t n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += 4 + t.data<std::string>()[i].size();
  return n;
}

void AppendBinaryStrings(std::string& out, const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    const std::string& s = t.data<std::string>()[i];
    const uint32_t len = static_cast<uint32_t>(s.size());
    const char prefix[4] = {static_cast<char>(len), static_cast<char>(len >> 8),
                            static_cast<char>(len >> 16), static_cast<char>(len >> 24)};
    out.append(prefix, 4);
    out += s;
  }
}

// Reads `t`'s strings from `data` (BinaryStringsSize bytes, all of them used); an error names
// `what` and where the data run out.
Status ReadBinaryStrings(std::string_view data, Tensor& t, const std::string& what) {
  size_t at = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (data.size() - at < 4) {
      return Status::InvalidArgument(what + ": the BYTES data end before element " +
                                     std::to_string(i) + "'s length");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at);
    const size_t len = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<size_t>(p[3]) << 24);
    at += 4;
    if (data.size() - at < len) {
      return Status::InvalidArgument(what + ": BYTES element " + std::to_string(i) + " is " +
                                     std::to_string(len) + " bytes but only " +
                                     std::to_string(data.size() - at) + " remain");
    }
    t.data<std::string>()[i].assign(data.data() + at, len);
    at += len;
  }
  if (at != data.size()) {
    return Status::InvalidArgument(what + ": " + std::to_string(data.size() - at) +
                                   " bytes left after the last BYTES element");
  }
  return Status::Ok();
}

// Shortest round-trip text of a number; JSON has no NaN or infinity, so those become null.
template <typename T>
void AppendNumber(std::string& out, T x) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(x)) {
      out += "null";
      return;
    }
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, r.ptr);
}

void AppendData(std::string& out, const Tensor& t) {
  out += '[';
  size_t n = static_cast<size_t>(t.numel());
  auto each = [&](const auto* p) {
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      AppendNumber(out, p[i]);
    }
  };
  switch (t.dtype()) {
    case DType::kBool:
      for (size_t i = 0; i < n; ++i)
        out += (i ? "," : ""), out += t.data<bool>()[i] ? "true" : "false";
      break;
    case DType::kUInt8:
      each(t.data<uint8_t>());
      break;
    case DType::kUInt16:
      each(t.data<uint16_t>());
      break;
    case DType::kUInt32:
      each(t.data<uint32_t>());
      break;
    case DType::kUInt64:
      each(t.data<uint64_t>());
      break;
    case DType::kInt8:
      each(t.data<int8_t>());
      break;
    case DType::kInt16:
      each(t.data<int16_t>());
      break;
    case DType::kInt32:
      each(t.data<int32_t>());
      break;
    case DType::kInt64:
      each(t.data<int64_t>());
      break;
    case DType::kFloat32:
      each(t.data<float>());
      break;
    case DType::kFloat64:
      each(t.data<double>());
      break;
    case DType::kFloat16:
    case DType::kBFloat16:
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        uint16_t h = t.data<uint16_t>()[i];
        AppendNumber(out, t.dtype() == DType::kFloat16 ? HalfToFloat(h) : BFloat16ToFloat(h));
      }
      break;
    case DType::kString:
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        // Bytes that are not UTF-8 become U+FFFD: JSON carries text (binary output is exact).
        out += nlohmann::json(t.data<std::string>()[i])
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      break;
    default:
      break;
  }
  out += ']';
}

std::string ShapeJson(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

// Appends one tensor object of "inputs" or "outputs": its data inline, or (`as_binary`) its size
// in parameters and its bytes to `binary`.
void AppendTensor(std::string& json, std::string& binary, const std::string& name, const Tensor& t,
                  bool as_binary) {
  json += "{\"name\":" + nlohmann::json(name).dump() + ",\"datatype\":\"" +
          DatatypeName(t.dtype()) + "\",\"shape\":" + ShapeJson(t.shape());
  if (as_binary && t.dtype() == DType::kString) {
    json += ",\"parameters\":{\"binary_data_size\":" + std::to_string(BinaryStringsSize(t)) + "}}";
    AppendBinaryStrings(binary, t);
  } else if (as_binary) {
    json += ",\"parameters\":{\"binary_data_size\":" + std::to_string(t.nbytes()) + "}}";
    // Tensors are held little-endian (x86, ARM): their bytes are the wire's.
    binary.append(static_cast<const char*>(t.raw()), t.nbytes());
  } else {
    json += ",\"data\":";
    AppendData(json, t);
    json += '}';
  }
}

}  // namespace

std::string DatatypeName(DType dtype) {
  if (dtype == DType::kString) return "BYTES";
  for (const NamedType& t : kTypes) {
    if (t.dtype == dtype) return t.name;
  }
  return "";
}

Result<DType> ParseDatatype(const std::string& name) {
  for (const NamedType& t : kTypes) {
    if (name == t.name) return t.dtype;
  }
  if (name == "BYTES") return DType::kString;
  std::string known;
  for (const NamedType& t : kTypes) known += std::string(known.empty() ? "" : ", ") + t.name;
  return Status::InvalidArgument("unknown datatype '" + name + "' (known: " + known + ", BYTES)");
}

namespace {

// The JSON of a body that may carry binary tensor data after it (Inference-Header-Content-Length).
Result<nlohmann::json> ParseHeaderJson(const std::string& body,
                                       std::optional<uint64_t> header_length, const char* what) {
  uint64_t json_bytes = header_length.value_or(body.size());
  if (json_bytes > body.size()) {
    return Status::InvalidArgument("Inference-Header-Content-Length is " +
                                   std::to_string(json_bytes) + " but the body has only " +
                                   std::to_string(body.size()) + " bytes");
  }
  IA_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(std::string_view(body.data(), json_bytes), what));
  if (!j.is_object()) return Status::InvalidArgument(std::string(what) + " must be a JSON object");
  return j;
}

// Decodes a list of tensor objects ("inputs" of a request, "outputs" of a response; `kind` is
// "input" or "output") into `out`. Binary data is read from body[*binary_at…], advancing it.
// Every size is checked before anything is allocated.
Status DecodeTensors(const nlohmann::json& list, const char* kind, const std::string& body,
                     bool has_header_length, uint64_t* binary_at,
                     std::map<std::string, Tensor>* out) {
  const std::string kind_s = kind;
  for (const auto& in : list) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) {
      return Status::InvalidArgument("every " + kind_s + " needs a \"name\" (a string)");
    }
    std::string name = in["name"].get<std::string>();
    const std::string what = kind_s + " '" + name + "'";
    if (out->count(name)) return Status::InvalidArgument(what + " is given twice");
    if (!in.contains("datatype") || !in["datatype"].is_string()) {
      return Status::InvalidArgument(what + " needs a \"datatype\"");
    }
    auto dtype = ParseDatatype(in["datatype"].get<std::string>());
    if (!dtype.ok()) return dtype.status().WithContext(what);
    if (!in.contains("shape") || !in["shape"].is_array()) {
      return Status::InvalidArgument(what + " needs a \"shape\" (a list of sizes)");
    }
    Shape shape;
    for (const auto& d : in["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return Status::InvalidArgument(what + ": shape " + in["shape"].dump() +
                                       " must hold sizes ≥ 0");
      }
      shape.push_back(d.get<int64_t>());
    }
    auto bytes = TensorBytes(*dtype, shape);
    if (!bytes.ok()) return bytes.status().WithContext(what + " of shape " + ShapeToString(shape));
    uint64_t elements = static_cast<uint64_t>(NumElements(shape));
    std::optional<uint64_t> binary_size;
    if (in.contains("parameters")) {
      const auto& p = in["parameters"];
      if (!p.is_object())
        return Status::InvalidArgument(what + ": \"parameters\" must be an object");
      if (p.contains("binary_data_size")) {
        if (!p["binary_data_size"].is_number_unsigned()) {
          return Status::InvalidArgument(what + ": binary_data_size must be an integer ≥ 0");
        }
        binary_size = p["binary_data_size"].get<uint64_t>();
      }
    }
    Tensor t;
    if (binary_size) {
      if (!has_header_length) {
        return Status::InvalidArgument(what +
                                       " has binary_data_size but the body comes without an "
                                       "Inference-Header-Content-Length header");
      }
      const bool strings = *dtype == DType::kString;
      // BYTES elements are 4 bytes at least: the count is bounded before the allocation.
      if (strings && (*binary_size < 4 * elements || *binary_size > body.size() - *binary_at)) {
        return Status::InvalidArgument(what + ": binary_data_size " + std::to_string(*binary_size) +
                                       " cannot hold " + std::to_string(elements) +
                                       " BYTES elements here");
      }
      if (!strings && *binary_size != *bytes) {
        return Status::InvalidArgument(what + ": binary_data_size is " +
                                       std::to_string(*binary_size) + " bytes but shape " +
                                       ShapeToString(shape) + " of " + DatatypeName(*dtype) +
                                       " needs " + std::to_string(*bytes));
      }
      if (*binary_size > body.size() - *binary_at) {
        return Status::InvalidArgument(
            what + ": binary_data_size is " + std::to_string(*binary_size) + " bytes but only " +
            std::to_string(body.size() - *binary_at) + " remain in the body");
      }
      t = Tensor::Empty(*dtype, shape);
      if (strings) {
        IA_RETURN_IF_ERROR(
            ReadBinaryStrings(std::string_view(body).substr(*binary_at, *binary_size), t, what));
      } else if (*binary_size) {
        std::memcpy(t.raw(), body.data() + *binary_at, *binary_size);
      }
      *binary_at += *binary_size;
    } else {
      if (!in.contains("data")) {
        return Status::InvalidArgument(what + " has no \"data\" (and no binary_data_size)");
      }
      std::vector<const nlohmann::json*> values;
      IA_RETURN_IF_ERROR(Flatten(in["data"], values, elements, name));
      if (values.size() != elements) {
        return Status::InvalidArgument(what + " has " + std::to_string(values.size()) +
                                       " values but shape " + ShapeToString(shape) + " holds " +
                                       std::to_string(elements));
      }
      t = Tensor::Empty(*dtype, shape);
      IA_RETURN_IF_ERROR(FillFromJson(t, values, name));
    }
    (*out)[name] = std::move(t);
  }
  if (*binary_at != body.size()) {
    return Status::InvalidArgument("the body has " + std::to_string(body.size() - *binary_at) +
                                   " bytes after the JSON header and the " + kind_s +
                                   "s' binary data (check Inference-Header-Content-Length and "
                                   "binary_data_size)");
  }
  return Status::Ok();
}

}  // namespace

Result<InferCall> DecodeInferRequest(const std::string& body,
                                     std::optional<uint64_t> header_length) {
  IA_ASSIGN_OR_RETURN(nlohmann::json j,
                      ParseHeaderJson(body, header_length, "the inference request"));
  InferCall call;
  if (j.contains("id")) {
    if (!j["id"].is_string()) return Status::InvalidArgument("\"id\" must be a string");
    call.request.id = j["id"].get<std::string>();
  }
  if (j.contains("parameters")) {
    const auto& p = j["parameters"];
    if (!p.is_object()) return Status::InvalidArgument("\"parameters\" must be an object");
    if (p.contains("binary_data_output")) {
      if (!p["binary_data_output"].is_boolean()) {
        return Status::InvalidArgument("parameters.binary_data_output must be true or false");
      }
      call.all_binary = p["binary_data_output"].get<bool>();
    }
    if (p.contains("timeout")) {  // Triton: microseconds
      if (!p["timeout"].is_number_unsigned()) {
        return Status::InvalidArgument("parameters.timeout must be microseconds (an integer ≥ 0)");
      }
      call.request.timeout_s = p["timeout"].get<uint64_t>() / 1e6;
    }
  }
  if (!j.contains("inputs") || !j["inputs"].is_array() || j["inputs"].empty()) {
    return Status::InvalidArgument("the inference request needs \"inputs\": a non-empty list");
  }
  uint64_t binary_at = header_length.value_or(body.size());
  IA_RETURN_IF_ERROR(DecodeTensors(j["inputs"], "input", body, header_length.has_value(),
                                   &binary_at, &call.request.inputs));
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array()) return Status::InvalidArgument("\"outputs\" must be a list");
    for (const auto& out : j["outputs"]) {
      if (!out.is_object() || !out.contains("name") || !out["name"].is_string()) {
        return Status::InvalidArgument("every requested output needs a \"name\" (a string)");
      }
      std::string name = out["name"].get<std::string>();
      call.request.outputs.push_back(name);
      if (out.contains("parameters") && out["parameters"].is_object() &&
          out["parameters"].contains("binary_data")) {
        const auto& b = out["parameters"]["binary_data"];
        if (!b.is_boolean()) {
          return Status::InvalidArgument("output '" + name +
                                         "': binary_data must be true or false");
        }
        if (b.get<bool>()) call.binary_outputs.insert(name);
      }
    }
  }
  return call;
}

Result<InferResponse> DecodeInferResponse(const std::string& body,
                                          std::optional<uint64_t> header_length) {
  IA_ASSIGN_OR_RETURN(nlohmann::json j,
                      ParseHeaderJson(body, header_length, "the inference response"));
  InferResponse response;
  for (auto [key, field] :
       {std::pair{"model_name", &response.model}, std::pair{"model_version", &response.cid},
        std::pair{"id", &response.id}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string())
      return Status::InvalidArgument(std::string("\"") + key + "\" must be a string");
    *field = j[key].get<std::string>();
  }
  if (!j.contains("outputs") || !j["outputs"].is_array()) {
    return Status::InvalidArgument("the inference response needs \"outputs\": a list");
  }
  uint64_t binary_at = header_length.value_or(body.size());
  IA_RETURN_IF_ERROR(DecodeTensors(j["outputs"], "output", body, header_length.has_value(),
                                   &binary_at, &response.outputs));
  return response;
}

EncodedBody EncodeInferResponse(const router::InferResponse& response, const InferCall& call) {
  std::string json = "{\"model_name\":" + nlohmann::json(response.model).dump() +
                     ",\"model_version\":" + nlohmann::json(response.cid).dump();
  if (!call.request.id.empty()) json += ",\"id\":" + nlohmann::json(call.request.id).dump();
  json += ",\"outputs\":[";
  // Outputs in the order asked for, else by name.
  std::vector<std::string> order = call.request.outputs;
  if (order.empty()) {
    for (const auto& [name, t] : response.outputs) order.push_back(name);
  }
  std::string binary;
  bool first = true;
  for (const std::string& name : order) {
    auto it = response.outputs.find(name);
    if (it == response.outputs.end()) continue;
    if (!first) json += ',';
    first = false;
    AppendTensor(json, binary, name, it->second,
                 call.all_binary || call.binary_outputs.count(name) > 0);
  }
  json += "]}";
  EncodedBody out;
  if (!binary.empty() || call.all_binary || !call.binary_outputs.empty()) {
    out.header_length = json.size();
    out.body = std::move(json) + binary;
  } else {
    out.body = std::move(json);
  }
  return out;
}

Result<EncodedBody> EncodeInferRequest(const ClientRequest& request) {
  std::string json = "{";
  if (!request.id.empty()) json += "\"id\":" + nlohmann::json(request.id).dump() + ",";
  if (request.binary_outputs) json += "\"parameters\":{\"binary_data_output\":true},";
  json += "\"inputs\":[";
  std::string binary;
  bool first = true;
  for (const auto& [name, t] : request.inputs) {
    if (DatatypeName(t.dtype()).empty()) {
      return Status::Unsupported("input '" + name + "' has dtype " + DTypeName(t.dtype()) +
                                 ", which an inference request cannot carry");
    }
    if (!first) json += ',';
    first = false;
    AppendTensor(json, binary, name, t, request.binary_inputs);
  }
  json += "]";
  if (!request.outputs.empty()) {
    json += ",\"outputs\":[";
    for (size_t i = 0; i < request.outputs.size(); ++i) {
      json += (i ? "," : "") + std::string("{\"name\":") +
              nlohmann::json(request.outputs[i]).dump() + "}";
    }
    json += "]";
  }
  json += "}";
  EncodedBody out;
  if (request.binary_inputs) out.header_length = json.size();
  out.body = std::move(json) + binary;
  return out;
}

nlohmann::json ModelMetadata(const router::ModelInfo& info) {
  auto tensors = [](const std::vector<router::TensorInfo>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : list) {
      out.push_back({{"name", t.name}, {"datatype", DatatypeName(t.dtype)}, {"shape", t.shape}});
    }
    return out;
  };
  return {{"name", info.name},
          {"versions", {info.cid}},
          {"platform", "onnx"},
          {"inputs", tensors(info.inputs)},
          {"outputs", tensors(info.outputs)},
          {"properties",
           {{"cid", info.cid}, {"max_batch_size", std::to_string(info.settings.max_batch_size)}}}};
}

Result<router::ModelInfo> ParseModelMetadata(const nlohmann::json& j) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("model metadata: " + what);
  };
  if (!j.is_object()) return bad("expected a JSON object");
  router::ModelInfo info;
  if (j.contains("name") && j["name"].is_string()) info.name = j["name"];
  if (j.contains("properties") && j["properties"].is_object() && j["properties"].contains("cid") &&
      j["properties"]["cid"].is_string()) {
    info.cid = j["properties"]["cid"];
  } else if (j.contains("versions") && j["versions"].is_array() && !j["versions"].empty() &&
             j["versions"][0].is_string()) {
    info.cid = j["versions"][0];
  }
  for (const char* key : {"inputs", "outputs"}) {
    const bool inputs = std::string(key) == "inputs";
    if (!j.contains(key) || !j[key].is_array()) {
      if (!inputs) continue;  // a client needs only the inputs
      return bad(std::string("no \"") + key + "\" array");
    }
    for (const auto& t : j[key]) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
          !t.contains("datatype") || !t["datatype"].is_string() || !t.contains("shape") ||
          !t["shape"].is_array()) {
        return bad(std::string(key) + " entry " + DumpJson(t).substr(0, 200) +
                   " lacks a string name and datatype or a shape array");
      }
      router::TensorInfo tensor;
      tensor.name = t["name"];
      auto dtype = ParseDatatype(t["datatype"]);
      if (!dtype.ok()) return dtype.status().WithContext("model metadata: " + tensor.name);
      tensor.dtype = *dtype;
      for (const auto& d : t["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < -1) {
          return bad(tensor.name + ": shape " + DumpJson(t["shape"]) +
                     " holds something other than sizes and -1");
        }
        tensor.shape.push_back(d.get<int64_t>());
      }
      (inputs ? info.inputs : info.outputs).push_back(std::move(tensor));
    }
  }
  if (info.inputs.empty()) return bad("the model declares no inputs");
  return info;
}

nlohmann::json ModelStatistics(const router::ModelStats& s) {
  auto d = [](const router::Duration& x) {
    return nlohmann::json{{"count", x.count}, {"ns", x.ns}};
  };
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& [size, x] : s.batches) {
    batches.push_back({{"batch_size", size}, {"compute_infer", d(x)}});
  }
  return {{"name", s.name},
          {"version", s.cid},
          {"last_inference", s.last_inference_ms},
          {"inference_count", s.inference_count},
          {"execution_count", s.execution_count},
          {"inference_stats",
           {{"success", d(s.success)},
            {"fail", d(s.fail)},
            {"queue", d(s.queue)},
            {"compute_input", d(s.compute_input)},
            {"compute_infer", d(s.compute_infer)},
            {"compute_output", d(s.compute_output)}}},
          {"batch_stats", batches},
          {"memory_usage", {{{"type", "CPU"}, {"id", 0}, {"byte_size", s.memory_bytes}}}}};
}

}  // namespace ipfs_accelerate::router
