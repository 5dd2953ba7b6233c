#include "server/gateway.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

#include "router/store_ops.h"
#include "server/app.h"

namespace ipfs_accelerate::server {
namespace {

constexpr std::string_view kRaw = "application/vnd.ipld.raw";
constexpr std::string_view kCar = "application/vnd.ipld.car";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// What the client asked for: a raw block or a CAR with its parameters (from the query, else the
// Accept header's first raw or CAR media range).
struct Wanted {
  bool car = false;
  std::string version, order, dups;  // CAR parameters as asked ("" when not)
};

Result<Wanted> Negotiate(const HttpRequest& request) {
  Wanted w;
  std::optional<std::string> format = request.QueryParam("format");
  const std::string accept = request.Header("accept");
  if (format) {
    if (*format != "raw" && *format != "car") {
      return Status::InvalidArgument("format=" + format->substr(0, 40) +
                                     " is not served: this trustless gateway answers "
                                     "format=raw (one block) and format=car");
    }
    w.car = *format == "car";
  }
  // Accept: "application/vnd.ipld.car; version=1; order=dfs; dups=y, application/json;q=0.5"
  bool matched = false;
  std::string_view rest = accept;
  while (!rest.empty() && !matched) {
    size_t comma = rest.find(',');
    std::string_view range = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t semi = range.find(';');
    std::string_view type = Trim(range.substr(0, semi));
    if (type != kRaw && type != kCar) continue;
    if (format && (type == kCar) != w.car) continue;  // format= takes precedence
    matched = true;
    w.car = type == kCar;
    while (semi != std::string_view::npos) {
      range = range.substr(semi + 1);
      semi = range.find(';');
      std::string_view param = Trim(range.substr(0, semi));
      size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = Trim(param.substr(0, eq)), value = Trim(param.substr(eq + 1));
      if (key == "version") w.version = value;
      if (key == "order") w.order = value;
      if (key == "dups") w.dups = value;
    }
  }
  if (!format && !matched) {
    return Status::Unsupported(
        accept.empty()
            ? "this is a trustless gateway: ask for a raw block (?format=raw or Accept: "
              "application/vnd.ipld.raw) or a CAR (?format=car or Accept: application/vnd.ipld.car)"
            : "none of the types in Accept is served: this trustless gateway answers "
              "application/vnd.ipld.raw and application/vnd.ipld.car (or add ?format=raw|car)");
  }
  // The query's CAR parameters take precedence over the media type's.
  if (auto v = request.QueryParam("car-version")) w.version = *v;
  if (auto v = request.QueryParam("car-order")) w.order = *v;
  if (auto v = request.QueryParam("car-dups")) w.dups = *v;
  return w;
}

// A CAR response's body: pieces of the stored CAR as the connection asks for them.
class CarBody : public BodyStream {
 public:
  explicit CarBody(std::unique_ptr<router::StoredCar> car) : car_(std::move(car)) {}
  Result<bool> Next(std::string* out) override { return car_->Next(out); }

 private:
  std::unique_ptr<router::StoredCar> car_;
};

HttpResponse Refuse(int status, const Status& why) {
  return HttpResponse::Error(status, why.message());
}

// The path of a request, as it goes into an Etag: "/a/b", with '"', '%' and bytes outside
// printable ASCII escaped as %XX (an Etag is a quoted string).
std::string EtagPath(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& name : path) {
    out += '/';
    for (unsigned char c : name) {
      if (c < 0x21 || c > 0x7e || c == '"' || c == '%') {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out;
}

}  // namespace

HttpResponse ServeGateway(const HttpRequest& request, const std::vector<std::string>& segments,
                          const std::string& repo_path) {
  if (segments.size() < 2) {
    return HttpResponse::Error(400, "ask for /ipfs/{cid}?format=raw or /ipfs/{cid}?format=car");
  }
  auto wanted = Negotiate(request);
  if (!wanted.ok()) {
    bool no_accept = request.Header("accept").empty();
    return Refuse(wanted.status().code() == StatusCode::kUnsupported && !no_accept ? 406 : 400,
                  wanted.status());
  }
  if (segments.size() > 2 && !wanted->car) {
    return HttpResponse::Error(
        400,
        "raw block requests take no path: ask for /ipfs/{cid}?format=raw, or for the path's "
        "blocks as a CAR (/ipfs/{cid}/{path}?format=car)");
  }
  auto cid = store::Cid::Parse(segments[1]);
  if (!cid.ok()) return HttpResponse::Error(400, cid.status().message());
  const std::string name = cid->ToString();
  const bool only_cached =
      request.Header("cache-control").find("only-if-cached") != std::string::npos;

  HttpResponse r;
  std::string etag;
  store::CarSelection selection;
  if (wanted->car) {
    if (!wanted->version.empty() && wanted->version != "1") {
      return HttpResponse::Error(400, "car-version " + wanted->version.substr(0, 20) +
                                          " is not served: this gateway writes CARv1 (version=1)");
    }
    if (!wanted->order.empty() && wanted->order != "dfs" && wanted->order != "unk") {
      return HttpResponse::Error(400, "car-order " + wanted->order.substr(0, 20) +
                                          " is not served: this gateway writes order=dfs");
    }
    if (!wanted->dups.empty() && wanted->dups != "y" && wanted->dups != "n") {
      return HttpResponse::Error(400, "car-dups must be y or n, not " + wanted->dups.substr(0, 20));
    }
    selection.dups = wanted->dups == "y";
    selection.path.assign(segments.begin() + 2, segments.end());
    if (auto scope = request.QueryParam("dag-scope")) {
      auto parsed = store::ParseDagScope(*scope);
      if (!parsed.ok()) return Refuse(400, parsed.status());
      selection.scope = *parsed;
    }
    if (auto range = request.QueryParam("entity-bytes")) {
      auto parsed = store::ParseEntityBytes(*range);
      if (!parsed.ok()) return Refuse(400, parsed.status());
      selection.entity_bytes = *parsed;
      selection.scope = store::DagScope::kEntity;
    }
    const char* dups = selection.dups ? "y" : "n";
    etag = "\"" + name + EtagPath(selection.path) + ".car." + store::DagScopeName(selection.scope) +
           (selection.entity_bytes ? "." + selection.entity_bytes->ToString() : "") + ".dfs." +
           dups + "\"";
    r.content_type = std::string(kCar) + "; version=1; order=dfs; dups=" + dups;
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + ".car\"");
  } else {
    etag = "\"" + name + ".raw\"";
    r.content_type = std::string(kRaw);
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + ".bin\"");
  }
  r.headers.insert(r.headers.begin(), {{"Cache-Control", "public, max-age=29030400, immutable"},
                                       {"Etag", etag},
                                       {"X-Content-Type-Options", "nosniff"},
                                       {"Vary", "Accept"}});

  auto refuse_missing = [&](const Status& why) {
    if (why.code() == StatusCode::kNotFound) return Refuse(only_cached ? 412 : 404, why);
    return Refuse(HttpStatusFor(why), why);
  };
  if (wanted->car) {
    auto car = router::StoredCar::Open(repo_path, *cid, selection);
    if (!car.ok()) return refuse_missing(car.status());
    if (request.Header("if-none-match") == etag) {
      r.status = 304;
      r.content_type.clear();
      return r;
    }
    r.stream = std::make_shared<CarBody>(std::move(*car));
    return r;
  }
  auto block = router::ReadStoredBlock(repo_path, *cid);
  if (!block.ok()) return refuse_missing(block.status());
  if (request.Header("if-none-match") == etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.body = std::move(*block);
  return r;
}

}  // namespace ipfs_accelerate::server
