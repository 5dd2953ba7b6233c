// The load generator's pure parts: URLs, inputs and the summary.
#include "server/loadgen.h"

#include <algorithm>

#include "bench/inputs.h"
#include "bench/statistics.h"
#include "core/parse_number.h"
#include "engine/graph.h"

namespace ipfs_accelerate::server {

using json = nlohmann::json;

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

Result<router::NamedTensors> MakeLoadgenInputs(const router::ModelInfo& model,
                                               const DynamicDims& dims,
                                               const std::map<std::string, Tensor>& given,
                                               uint64_t seed,
                                               std::vector<std::string>* synthesized) {
  std::string names;
  for (const auto& in : model.inputs) names += (names.empty() ? "" : ", ") + in.name;
  for (const auto& [name, t] : given) {
    auto it = std::find_if(model.inputs.begin(), model.inputs.end(),
                           [&name = name](const router::TensorInfo& r) { return r.name == name; });
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
    std::string input = dot == std::string::npos ? "" : key.substr(0, dot);
    auto it = std::find_if(
        model.inputs.begin(), model.inputs.end(),
        [&](const router::TensorInfo& r) { return !input.empty() && r.name == input; });
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
  IA_ASSIGN_OR_RETURN(auto made, bench::SynthesizeInputs(m, bench::InputShape{}, {}, seed));
  router::NamedTensors out;
  for (const auto& in : model.inputs) {
    auto g = given.find(in.name);
    out.emplace_back(in.name, g != given.end() ? g->second : made.at(in.name));
  }
  return out;
}

int64_t ItemsPerRequest(const router::NamedTensors& inputs) {
  if (inputs.empty() || inputs[0].second.rank() == 0) return 1;
  return inputs[0].second.dim(0);
}

uint64_t LoadgenResult::error_count() const {
  uint64_t n = 0;
  for (const auto& [status, count] : errors) n += count;
  return n;
}

json LoadgenSummaryJson(const LoadgenResult& r, int64_t items_per_request) {
  bench::SampleStats s = bench::Summarize(r.latencies_ms);
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

}  // namespace ipfs_accelerate::server
