#include "server/routing_routes.h"

#include <cctype>
#include <ctime>

#include "net/peer_id.h"
#include "net/routing.h"
#include "store/cid.h"

namespace ipfs_accelerate::server {
namespace {

// The spec: shorter for no results (15 s), longer for results (5 min); stale answers may be used
// for an hour while revalidating or when we are down (what we hold changes only by add or gc).
constexpr char kCacheFound[] =
    "public, max-age=300, stale-while-revalidate=3600, stale-if-error=3600";
constexpr char kCacheNone[] =
    "public, max-age=15, stale-while-revalidate=3600, stale-if-error=3600";

std::string HttpDateNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The value of `key` in a raw query string ("" when absent), not percent-decoded but for "%2C".
std::string QueryValue(const std::string& query, const std::string& key) {
  size_t at = 0;
  while (at <= query.size()) {
    size_t end = query.find('&', at);
    if (end == std::string::npos) end = query.size();
    if (query.compare(at, key.size() + 1, key + "=") == 0) {
      std::string v = query.substr(at + key.size() + 1, end - at - key.size() - 1);
      for (size_t p; (p = Lower(v).find("%2c")) != std::string::npos;) v.replace(p, 3, ",");
      return v;
    }
    at = end + 1;
  }
  return "";
}

// IPIP-484's filter-protocols: keeps the records that list one of the names ("unknown": those
// listing none); no filter keeps every record.
std::vector<net::ProviderRecord> FilterProtocols(std::vector<net::ProviderRecord> records,
                                                 const std::string& filter) {
  if (filter.empty()) return records;
  std::vector<std::string> wanted;
  for (size_t at = 0; at <= filter.size();) {
    size_t comma = filter.find(',', at);
    if (comma == std::string::npos) comma = filter.size();
    if (comma > at) wanted.push_back(Lower(filter.substr(at, comma - at)));
    at = comma + 1;
  }
  std::vector<net::ProviderRecord> out;
  for (net::ProviderRecord& r : records) {
    bool keep = false;
    for (const std::string& w : wanted) {
      if (w == "unknown" && r.protocols.empty()) keep = true;
      for (const std::string& p : r.protocols) keep = keep || Lower(p) == w;
    }
    if (keep) out.push_back(std::move(r));
  }
  return out;
}

HttpResponse WithCors(HttpResponse r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

// 200 with `records` as JSON or NDJSON (as the client's Accept asks), or 404 when there are none.
HttpResponse Records(const HttpRequest& request, std::vector<net::ProviderRecord> records,
                     const std::string& list, const std::string& none) {
  HttpResponse r;
  const bool ndjson = request.Header("accept").find(net::kNdjsonType) != std::string::npos;
  if (records.empty()) {
    r = HttpResponse::Error(404, none);
    r.headers.emplace_back("Cache-Control", kCacheNone);
  } else if (ndjson) {
    r.content_type = net::kNdjsonType;
    r.body = net::EncodeProvidersNdjson(records);
    r.headers.emplace_back("Cache-Control", kCacheFound);
  } else {
    if (records.size() > net::kMaxJsonProviders) records.resize(net::kMaxJsonProviders);
    r.content_type = net::kJsonType;
    r.body = net::EncodeProvidersJson(records, list);
    r.headers.emplace_back("Cache-Control", kCacheFound);
  }
  r.headers.emplace_back("Vary", "Accept");
  r.headers.emplace_back("Last-Modified", HttpDateNow());
  return r;
}

HttpResponse Answer(const HttpRequest& request, const std::vector<std::string>& s,
                    const router::ProviderDirectory* directory) {
  const size_t n = s.size();
  const bool providers = n == 4 && s[1] == "v1" && s[2] == "providers";
  const bool peers = n == 4 && s[1] == "v1" && s[2] == "peers";
  if (!providers && !peers) {
    if (n >= 3 && s[1] == "v1" && (s[2] == "ipns" || s[2] == "dht")) {
      return HttpResponse::Error(501, "this node does not implement /routing/v1/" + s[2] +
                                          " (it answers providers/{cid} and peers/{peer-id})");
    }
    return HttpResponse::Error(400, "no routing endpoint " + request.path +
                                        " (this node answers GET /routing/v1/providers/{cid} "
                                        "and /routing/v1/peers/{peer-id})");
  }
  if (request.method == "OPTIONS") {
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    r.headers = {{"Access-Control-Allow-Methods", "GET, OPTIONS"},
                 {"Access-Control-Allow-Headers", "*"},
                 {"Access-Control-Max-Age", "86400"}};
    return r;
  }
  if (request.method != "GET") {
    HttpResponse r =
        HttpResponse::Error(405, request.path + " takes GET (or OPTIONS), not " + request.method);
    r.headers.emplace_back("Allow", "GET, OPTIONS");
    return r;
  }
  if (!directory) return HttpResponse::Error(501, "this server does not answer routing requests");
  const std::string filter = QueryValue(request.query, "filter-protocols");
  if (providers) {
    auto cid = store::Cid::Parse(s[3]);
    if (!cid.ok()) return HttpResponse::Error(422, cid.status().message());
    return Records(request, FilterProtocols(directory->ProvidersOf(*cid), filter), "Providers",
                   "no provider of " + s[3] + " is known here");
  }
  if (auto id = net::ParsePeerId(s[3]); !id.ok()) {
    return HttpResponse::Error(422, id.status().message());
  }
  std::vector<net::ProviderRecord> found;
  if (auto peer = directory->FindPeer(s[3])) found.push_back(std::move(*peer));
  return Records(request, FilterProtocols(std::move(found), filter), "Peers",
                 "no peer " + s[3] + " is known here");
}

}  // namespace

HttpResponse RoutingResponse(const HttpRequest& request, const std::vector<std::string>& segments,
                             const router::ProviderDirectory* directory) {
  return WithCors(Answer(request, segments, directory));
}

}  // namespace ipfs_accelerate::server
