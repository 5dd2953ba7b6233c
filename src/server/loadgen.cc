// The load generator's pure parts: URLs, metadata, inputs, request bodies and the summary.
#include "bench/loadgen.h"

#include <algorithm>
#include <cstring>

#include "bench/inputs.h"
#include "bench/statistics.h"
#include "core/half.h"
#include "core/json_util.h"
#include "core/parse_number.h"
#include "engine/graph.h"

namespace ipfs_accelerate::bench {
namespace {

using json = nlohmann::json;

// The protocol's names (the same table as the server's; bench may not include server).
const std::pair<const char*, DType> kDatatypes[] = {
    {"BOOL", DType::kBool},     {"UINT8", DType::kUInt8},   {"UINT16", DType::kUInt16},
    {"UINT32", DType::kUInt32}, {"UINT64", DType::kUInt64}, {"INT8", DType::kInt8},
    {"INT16", DType::kInt16},   {"INT32", DType::kInt32},   {"INT64", DType::kInt64},
    {"FP16", DType::kFloat16},  {"FP32", DType::kFloat32},  {"FP64", DType::kFloat64},
    {"BF16", DType::kBFloat16}};

template <typename T>
void AppendAll(json& data, const Tensor& t) {
  const T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) data.push_back(p[i]);
}

Result<json> FlatData(const std::string& name, const Tensor& t) {
  json data = json::array();
  switch (t.dtype()) {
    case DType::kFloat32:
      AppendAll<float>(data, t);
      break;
    case DType::kFloat64:
      AppendAll<double>(data, t);
      break;
    case DType::kFloat16:
      for (int64_t i = 0; i < t.numel(); ++i) data.push_back(HalfToFloat(t.data<uint16_t>()[i]));
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < t.numel(); ++i) {
        data.push_back(BFloat16ToFloat(t.data<uint16_t>()[i]));
      }
      break;
    case DType::kInt8:
      AppendAll<int8_t>(data, t);
      break;
    case DType::kInt16:
      AppendAll<int16_t>(data, t);
      break;
    case DType::kInt32:
      AppendAll<int32_t>(data, t);
      break;
    case DType::kInt64:
      AppendAll<int64_t>(data, t);
      break;
    case DType::kUInt8:
      AppendAll<uint8_t>(data, t);
      break;
    case DType::kUInt16:
      AppendAll<uint16_t>(data, t);
      break;
    case DType::kUInt32:
      AppendAll<uint32_t>(data, t);
      break;
    case DType::kUInt64:
      AppendAll<uint64_t>(data, t);
      break;
    case DType::kBool:
      AppendAll<bool>(data, t);
      break;
    default:
      return Status::Unsupported("input " + name + " has dtype " + DTypeName(t.dtype()) +
                                 ", which a JSON request cannot carry; use --binary");
  }
  return data;
}

}  // namespace

std::string HttpUrl::HostPort() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  if (url.starts_with("https://")) {
    return Status::Unsupported(url + ": https is not supported by loadgen yet; use http://");
  }
  if (!url.starts_with("http://")) {
    return Status::InvalidArgument("\"" + url +
                                   "\" is not an http:// URL; write e.g. http://127.0.0.1:8000");
  }
  std::string rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  HttpUrl out;
  out.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.base.empty() && out.base.back() == '/') out.base.pop_back();
  if (authority.find('@') != std::string::npos ||
      out.base.find_first_of("?#") != std::string::npos) {
    return Status::InvalidArgument(url + ": user info, queries and fragments are not supported");
  }
  std::string port;
  if (authority.starts_with("[")) {  // [::1]:8000
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument(url + ": unclosed '['");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::InvalidArgument(url + ": expected ':' after ']'");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::InvalidArgument(url + ": no host");
  if (!port.empty()) {
    auto p = ParseInt(port, url + ": port", 1, 65535);
    if (!p.ok()) return p.status();
    out.port = static_cast<uint16_t>(*p);
  }
  return out;
}

std::string KServeDatatype(DType dtype) {
  for (const auto& [name, d] : kDatatypes) {
    if (d == dtype) return name;
  }
  return "";
}

Result<DType> ParseKServeDatatype(const std::string& name) {
  for (const auto& [n, d] : kDatatypes) {
    if (name == n) return d;
  }
  if (name == "BYTES") {
    return Status::Unsupported("BYTES tensors are not supported by loadgen yet");
  }
  std::string known;
  for (const auto& [n, d] : kDatatypes) known += (known.empty() ? "" : ", ") + std::string(n);
  return Status::InvalidArgument("unknown datatype \"" + name + "\" (known: " + known + ")");
}

Result<RemoteModel> ParseModelMetadata(const json& j) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("model metadata: " + what);
  };
  if (!j.is_object()) return bad("expected a JSON object");
  RemoteModel m;
  if (j.contains("name") && j["name"].is_string()) m.name = j["name"];
  if (j.contains("platform") && j["platform"].is_string()) m.platform = j["platform"];
  if (j.contains("versions") && j["versions"].is_array()) {
    for (const json& v : j["versions"]) {
      if (v.is_string()) m.versions.push_back(v);
    }
  }
  for (const char* key : {"inputs", "outputs"}) {
    if (!j.contains(key) || !j[key].is_array()) {
      if (std::string(key) == "outputs") continue;  // only the inputs are needed
      return bad(std::string("no \"") + key + "\" array");
    }
    for (const json& t : j[key]) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
          !t.contains("datatype") || !t["datatype"].is_string() || !t.contains("shape") ||
          !t["shape"].is_array()) {
        return bad(std::string(key) + " entry " + DumpJson(t).substr(0, 200) +
                   " lacks a string name and datatype or a shape array");
      }
      RemoteTensor r;
      r.name = t["name"];
      auto dtype = ParseKServeDatatype(t["datatype"]);
      if (!dtype.ok()) return dtype.status().WithContext("model metadata: " + r.name);
      r.dtype = *dtype;
      for (const json& d : t["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < -1) {
          return bad(r.name + ": shape " + DumpJson(t["shape"]) +
                     " holds something other than sizes and -1");
        }
        r.shape.push_back(d.get<int64_t>());
      }
      (std::string(key) == "inputs" ? m.inputs : m.outputs).push_back(std::move(r));
    }
  }
  if (m.inputs.empty()) return bad("the model declares no inputs");
  return m;
}

Result<std::vector<std::pair<std::string, Tensor>>> MakeRemoteInputs(
    const RemoteModel& model, const DynamicDims& dims, const std::map<std::string, Tensor>& given,
    uint64_t seed, std::vector<std::string>* synthesized) {
  std::string names;
  for (const auto& in : model.inputs) names += (names.empty() ? "" : ", ") + in.name;
  for (const auto& [name, t] : given) {
    auto it = std::find_if(model.inputs.begin(), model.inputs.end(),
                           [&](const RemoteTensor& r) { return r.name == name; });
    if (it == model.inputs.end()) {
      return Status::InvalidArgument("the model has no input named '" + name +
                                     "' (its inputs: " + names + ")");
    }
    if (it->dtype != t.dtype()) {
      return Status::InvalidArgument("input " + name + " is " + DTypeName(t.dtype()) +
                                     ", but the model takes " + DTypeName(it->dtype));
    }
  }
  for (const auto& [key, v] : dims.exact) {
    size_t dot = key.rfind('.');
    auto it = std::find_if(model.inputs.begin(), model.inputs.end(), [&](const RemoteTensor& r) {
      return dot != std::string::npos && r.name == key.substr(0, dot);
    });
    if (it == model.inputs.end()) {
      return Status::InvalidArgument("--dim " + key + ": expected INPUT.AXIS with an input of " +
                                     "the model (its inputs: " + names + "), batch or seq");
    }
  }
  // The benchmark's synthesis over a model made of the metadata, every dimension fixed here.
  engine::Model m;
  for (const auto& in : model.inputs) {
    if (given.count(in.name)) continue;
    engine::ValueInfo v;
    v.name = in.name;
    v.dtype = in.dtype;
    std::vector<engine::Dim> shape;
    for (size_t a = 0; a < in.shape.size(); ++a) {
      int64_t size = in.shape[a];
      if (size < 0) {
        auto e = dims.exact.find(in.name + "." + std::to_string(a));
        size = e != dims.exact.end() ? e->second : a == 0 ? dims.batch : dims.seq;
      }
      shape.push_back({size, ""});
    }
    v.shape = std::move(shape);
    m.graph.inputs.push_back(std::move(v));
    if (synthesized) synthesized->push_back(in.name);
  }
  IA_ASSIGN_OR_RETURN(auto made, SynthesizeInputs(m, InputShape{}, {}, seed));
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& in : model.inputs) {
    auto g = given.find(in.name);
    out.emplace_back(in.name, g != given.end() ? g->second : made.at(in.name));
  }
  return out;
}

Result<InferBody> EncodeInferBody(const std::vector<std::pair<std::string, Tensor>>& inputs,
                                  bool binary) {
  InferBody out;
  json request = json::object();
  json list = json::array();
  std::string tail;
  for (const auto& [name, t] : inputs) {
    std::string datatype = KServeDatatype(t.dtype());
    if (datatype.empty()) {
      return Status::Unsupported("input " + name + " has dtype " + DTypeName(t.dtype()) +
                                 ", which the protocol has no name for");
    }
    json entry = {{"name", name}, {"datatype", datatype}, {"shape", t.shape()}};
    if (binary) {
      entry["parameters"] = {{"binary_data_size", t.nbytes()}};
      // Tensors are held little-endian (x86, ARM): their bytes are the wire's.
      tail.append(static_cast<const char*>(t.raw()), t.nbytes());
    } else {
      IA_ASSIGN_OR_RETURN(entry["data"], FlatData(name, t));
    }
    list.push_back(std::move(entry));
  }
  request["inputs"] = std::move(list);
  if (binary) request["parameters"] = {{"binary_data_output", true}};
  out.body = DumpJson(request);
  if (binary) {
    out.header_length = out.body.size();
    out.body += tail;
  }
  if (!inputs.empty() && inputs[0].second.rank() > 0) out.items = inputs[0].second.dim(0);
  return out;
}

uint64_t LoadgenResult::error_count() const {
  uint64_t n = 0;
  for (const auto& [status, count] : errors) n += count;
  return n;
}

json LoadgenSummaryJson(const LoadgenResult& r, int64_t items_per_request) {
  SampleStats s = Summarize(r.latencies_ms);
  json errors = json::object();
  for (const auto& [status, count] : r.errors) {
    errors[status == 0 ? "connection" : std::to_string(status)] = count;
  }
  double rps = r.wall_s > 0 ? static_cast<double>(r.ok) / r.wall_s : 0;
  return {{"requests", r.requests},
          {"ok", r.ok},
          {"errors", r.error_count()},
          {"errors_by_status", errors},
          {"dropped", r.dropped},
          {"unfinished", r.unfinished},
          {"interrupted", r.interrupted},
          {"wall_s", r.wall_s},
          {"throughput", {{"requests_per_s", rps}, {"items_per_s", rps * items_per_request}}},
          {"latency_ms",
           {{"p50", s.median}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}, {"mean", s.mean}}}};
}

}  // namespace ipfs_accelerate::bench
