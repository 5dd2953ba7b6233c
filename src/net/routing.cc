#include "net/routing.h"

#include <algorithm>
#include <cctype>

#include "core/json_util.h"
#include "net/http_client.h"
#include "net/multiaddr.h"
#include "net/peer_id.h"

namespace ipfs_accelerate::net {
namespace {

using nlohmann::json;

// Routing records are flat: a record inside a list inside an object.
constexpr int kMaxRoutingJsonDepth = 8;
constexpr size_t kMaxFieldText = 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media type of a Content-Type value, lower case, without parameters.
std::string MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  return Lower(t);
}

// Reads a list of strings (absent or null: empty). Returns false with `why` set when it is not one.
bool StringList(const json& j, const char* name, size_t max, std::vector<std::string>* out,
                std::string* why) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) {
    *why = std::string(name) + " is not a list";
    return false;
  }
  for (const json& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxFieldText) {
      *why = std::string(name) + " holds " + (v.is_string() ? "a string too long" : "a non-string");
      return false;
    }
    if (out->size() < max) out->push_back(v.get<std::string>());
  }
  return true;
}

enum class RecordKind { kKept, kUnknownSchema, kBad };

// One record of an answer, checked; `why` says what is wrong when kBad.
RecordKind ReadRecord(const json& j, ProviderRecord* out, std::string* why) {
  if (!j.is_object()) {
    *why = "not a JSON object";
    return RecordKind::kBad;
  }
  auto schema = j.find("Schema");
  if (schema == j.end() || !schema->is_string()) {
    *why = "no Schema string";
    return RecordKind::kBad;
  }
  const std::string& s = schema->get_ref<const std::string&>();
  if (s != "peer" && s != "bitswap" && s != "graphsync-filecoinv1") {
    return RecordKind::kUnknownSchema;
  }
  out->schema = "peer";
  auto id = j.find("ID");
  if (id == j.end() || !id->is_string()) {
    *why = "no ID string";
    return RecordKind::kBad;
  }
  out->id = id->get<std::string>();
  if (auto parsed = ParsePeerId(out->id); !parsed.ok()) {
    *why = parsed.status().message();
    return RecordKind::kBad;
  }
  if (!StringList(j, "Addrs", kMaxRecordAddrs, &out->addrs, why)) return RecordKind::kBad;
  if (!StringList(j, "Protocols", 64, &out->protocols, why)) return RecordKind::kBad;
  auto legacy = j.find("Protocol");  // legacy schemas name their one protocol
  if (legacy != j.end() && legacy->is_string() &&
      std::find(out->protocols.begin(), out->protocols.end(), legacy->get<std::string>()) ==
          out->protocols.end()) {
    out->protocols.push_back(legacy->get<std::string>());
  }
  return RecordKind::kKept;
}

void Take(const json& j, size_t index, ProvidersAnswer* answer) {
  if (answer->records.size() >= kMaxProviderRecords) return;
  ProviderRecord record;
  std::string why;
  switch (ReadRecord(j, &record, &why)) {
    case RecordKind::kKept:
      answer->records.push_back(std::move(record));
      if (answer->records.size() == kMaxProviderRecords) {
        answer->problems.push_back("more than " + std::to_string(kMaxProviderRecords) +
                                   " records: the rest were left out");
      }
      break;
    case RecordKind::kUnknownSchema:
      ++answer->unknown_schema;
      break;
    case RecordKind::kBad:
      answer->problems.push_back("record " + std::to_string(index + 1) + ": " + why);
      break;
  }
}

}  // namespace

json ProviderRecord::ToJson() const {
  return {{"Schema", schema}, {"ID", id}, {"Addrs", addrs}, {"Protocols", protocols}};
}

Result<ProvidersAnswer> ParseProviders(std::string_view body, std::string_view content_type) {
  if (body.size() > kMaxRoutingBodyBytes) {
    return Status::ResourceExhausted("a routing answer of " + std::to_string(body.size()) +
                                     " bytes is over the limit of " +
                                     std::to_string(kMaxRoutingBodyBytes));
  }
  ProvidersAnswer answer;
  const std::string type = MediaType(content_type);
  if (type == kNdjsonType) {
    size_t index = 0;
    for (size_t at = 0; at < body.size();) {
      size_t end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(at, end - at);
      at = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto j = ParseJson(line, "line", kMaxRoutingJsonDepth);
      if (!j.ok()) {
        answer.problems.push_back("record " + std::to_string(index + 1) + ": " +
                                  j.status().message());
      } else {
        Take(*j, index, &answer);
      }
      ++index;
    }
    return answer;
  }
  if (type != kJsonType) {
    return Status::InvalidArgument("a routing answer of Content-Type \"" +
                                   std::string(content_type.substr(0, 80)) + "\", not " +
                                   kJsonType + " or " + kNdjsonType);
  }
  IA_ASSIGN_OR_RETURN(json j, ParseJson(body, "the routing answer", kMaxRoutingJsonDepth));
  if (!j.is_object()) return Status::InvalidArgument("the routing answer is no JSON object");
  auto list = j.find("Providers");
  if (list == j.end()) list = j.find("Peers");
  if (list == j.end()) {
    return Status::InvalidArgument("the routing answer has no \"Providers\" list");
  }
  if (list->is_null()) return answer;
  if (!list->is_array()) {
    return Status::InvalidArgument("the routing answer's \"Providers\" is not a list");
  }
  for (size_t i = 0; i < list->size(); ++i) Take((*list)[i], i, &answer);
  return answer;
}

std::string EncodeProvidersJson(std::span<const ProviderRecord> records, const std::string& list) {
  json out = json::array();
  for (const ProviderRecord& r : records) out.push_back(r.ToJson());
  return DumpJson(json{{list, std::move(out)}});
}

std::string EncodeProvidersNdjson(std::span<const ProviderRecord> records) {
  std::string out;
  for (const ProviderRecord& r : records) out += DumpJson(r.ToJson()) + "\n";
  return out;
}

std::vector<std::string> GatewayUrls(const ProviderRecord& record,
                                     std::vector<std::string>* problems) {
  std::vector<std::string> urls;
  for (const std::string& addr : record.addrs) {
    auto url = GatewayUrlFromMultiaddr(addr);
    if (url.ok()) {
      if (std::find(urls.begin(), urls.end(), *url) == urls.end()) urls.push_back(*url);
    } else if (url.status().code() == StatusCode::kInvalidArgument && problems) {
      problems->push_back("provider " + record.id.substr(0, 80) + ": " + url.status().message());
    }
  }
  return urls;
}

Result<ProvidersAnswer> FindProviders(const std::string& router_url, const store::Cid& cid,
                                      std::chrono::milliseconds timeout) {
  std::string base = router_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  IA_ASSIGN_OR_RETURN(store::Cid v1, cid.ToVersion(1));
  HttpCall call;
  call.url = base + "/routing/v1/providers/" + v1.ToString();
  call.headers = {std::string("Accept: ") + kNdjsonType + ", " + kJsonType};
  call.max_body_bytes = kMaxRoutingBodyBytes;
  call.timeout = timeout;
  auto reply = HttpFetch(call);
  if (!reply.ok()) return reply.status().WithContext("router " + base);
  auto snippet = [&] { return reply->body.substr(0, 200); };
  if (reply->status == 404) return ProvidersAnswer{};
  if (reply->status == 422) {
    return Status::InvalidArgument("router " + base + " refused " + v1.ToString() +
                                   " as unprocessable (422): " + snippet());
  }
  if (reply->status != 200) {
    return Status::IoError("router " + base + " answered HTTP " + std::to_string(reply->status) +
                           " for " + call.url + ": " + snippet());
  }
  auto answer = ParseProviders(reply->body, reply->content_type);
  if (!answer.ok()) return answer.status().WithContext("router " + base);
  return answer;
}

}  // namespace ipfs_accelerate::net
