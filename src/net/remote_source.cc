#include "net/remote_source.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::net {

RemoteBlockSource::RemoteBlockSource(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

std::string RemoteBlockSource::down_reason() const {
  std::lock_guard lock(mu_);
  return down_reason_;
}

void RemoteBlockSource::MarkDown(const std::string& why) {
  std::lock_guard lock(mu_);
  if (down_reason_.empty()) down_reason_ = why;
  down_ = true;
}

RemoteBlockSource::Stats RemoteBlockSource::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

double RemoteBlockSource::ExpectedMs(uint64_t bytes) const {
  std::lock_guard lock(mu_);
  const Stats& s = stats_;
  if (s.requests == 0) return s.in_flight;  // untried: each gets a first request, spread out
  double transfer = s.bytes_per_ms > 0 ? static_cast<double>(bytes) / s.bytes_per_ms : 0;
  double reliability = (s.requests - s.failures + 1.0) / (s.requests + 2.0);
  return (s.latency_ms + transfer) * (1 + s.in_flight) / reliability;
}

void RemoteBlockSource::Record(bool ok, uint64_t bytes, double ms) {
  constexpr double kWeight = 0.2;  // of the newest sample in the moving averages
  std::lock_guard lock(mu_);
  Stats& s = stats_;
  --s.in_flight;
  ++s.requests;
  auto blend = [&](double& avg, double sample) {
    avg = s.requests == 1 || avg == 0 ? sample : avg + kWeight * (sample - avg);
  };
  if (!ok) {
    ++s.failures;
    ++failures_in_a_row_;
    blend(s.latency_ms, ms);  // a failure costs what it took
    return;
  }
  failures_in_a_row_ = 0;
  s.bytes += bytes;
  // Small answers measure latency, large ones bandwidth (the latency part taken out).
  if (bytes < (64 << 10)) {
    blend(s.latency_ms, ms);
  } else {
    blend(s.bytes_per_ms, static_cast<double>(bytes) / std::max(ms - s.latency_ms, 0.01));
  }
}

void RemoteBlockSource::RecordFailure(const Status& error, double ms) {
  // Not having the block is an answer, and so is not serving CARs; anything else counts against
  // the source.
  const bool answered =
      error.code() == StatusCode::kNotFound || error.code() == StatusCode::kUnsupported;
  Record(answered, 0, ms);
  if (answered) return;
  bool give_up;
  {
    std::lock_guard lock(mu_);
    give_up = failures_in_a_row_ >= kMaxFailuresInARow;
  }
  if (give_up) {
    MarkDown(std::to_string(kMaxFailuresInARow) +
             " requests in a row failed, the last: " + error.message());
  }
}

Status RemoteBlockSource::Verify(const store::Cid& cid, std::span<const uint8_t> bytes) {
  Status ok = store::VerifyMultihash(cid.multihash(), bytes);
  if (ok.ok() || ok.code() != StatusCode::kCorruption) return ok;  // a hash we cannot check
  const std::string why = "it sent " + std::to_string(bytes.size()) + " bytes for " +
                          cid.ToString() + " that do not hash to that CID";
  MarkDown(why);
  return Status::Corruption(url_ + ": " + why + " (nothing stored; source marked down)");
}

Result<std::string> RemoteBlockSource::GetBlock(const store::Cid& cid) {
  if (down_) return Status::Unavailable(url_ + " is down: " + down_reason());
  {
    std::lock_guard lock(mu_);
    ++stats_.in_flight;
  }
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> got = Request(cid);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!got.ok()) {
    RecordFailure(got.status(), ms);
    return got.status();
  }
  std::string bytes = std::move(*got);
  Status ok = Verify(cid, store::AsBytes(bytes));
  Record(ok.ok(), bytes.size(), ms);
  if (!ok.ok()) return ok;
  return bytes;
}

Status RemoteBlockSource::StreamCar(
    const store::Cid& root, const std::function<Status(std::span<const uint8_t>)>& on_bytes) {
  if (down_) return Status::Unavailable(url_ + " is down: " + down_reason());
  {
    std::lock_guard lock(mu_);
    ++stats_.in_flight;
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  Status s = RequestCar(root, [&](std::span<const uint8_t> piece) {
    bytes += piece.size();
    return on_bytes(piece);
  });
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (s.ok()) {
    Record(true, bytes, ms);
  } else {
    RecordFailure(s, ms);
  }
  return s;
}

Status RemoteBlockSource::RequestCar(const store::Cid&,
                                     const std::function<Status(std::span<const uint8_t>)>&) {
  return Status::Unsupported(url_ + " is not asked for CARs (a block at a time only)");
}

namespace {

// The media type of a Content-Type value, lower-cased, without its parameters.
std::string MediaType(const std::string& content_type) {
  std::string out = content_type.substr(0, content_type.find(';'));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A short, printable excerpt of an error body for a message.
std::string Excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  return out;
}

// Streams a 2xx answer's body to `on_bytes` once its Content-Type says it is a CAR
// (application/vnd.ipld.car; also application/octet-stream with `octet_ok`); kUnsupported
// otherwise. Other statuses come back as the reply, for the caller to read.
Result<HttpReply> StreamCarReply(const HttpCall& call, const std::string& what, bool octet_ok,
                                 const std::function<Status(std::span<const uint8_t>)>& on_bytes) {
  auto check = [&](const std::string& content_type) -> Status {
    const std::string type = MediaType(content_type);
    if (type == "application/vnd.ipld.car" || (octet_ok && type == "application/octet-stream")) {
      return Status::Ok();
    }
    return Status::Unsupported(what + ": answered Content-Type '" + content_type +
                               "', not application/vnd.ipld.car");
  };
  bool checked = false;
  IA_ASSIGN_OR_RETURN(
      HttpReply reply,
      HttpStream(call, [&](const HttpReply& head, std::span<const uint8_t> bytes) -> Status {
        if (!checked) {
          checked = true;
          IA_RETURN_IF_ERROR(check(head.content_type));
        }
        return on_bytes(bytes);
      }));
  if (reply.status == 200 && !checked) IA_RETURN_IF_ERROR(check(reply.content_type));
  return reply;
}

}  // namespace

Result<std::string> GatewaySource::Request(const store::Cid& cid) {
  HttpCall call;
  call.url = url_ + "/ipfs/" + cid.ToString() + "?format=raw";
  call.headers = {"Accept: application/vnd.ipld.raw"};
  call.max_body_bytes = kMaxRemoteBlockBytes;
  call.timeout = timeout_;
  IA_ASSIGN_OR_RETURN(HttpReply reply, HttpFetch(call));
  const std::string what = "gateway " + url_ + " for " + cid.ToString();
  if (reply.status == 404 || reply.status == 410) {
    return Status::NotFound(what + ": it does not have the block (HTTP " +
                            std::to_string(reply.status) + ")");
  }
  if (reply.status != 200) {
    return Status::Unavailable(what + ": HTTP " + std::to_string(reply.status) + " " +
                               Excerpt(reply.body));
  }
  if (MediaType(reply.content_type) != "application/vnd.ipld.raw") {
    return Status::Unavailable(what + ": answered Content-Type '" + reply.content_type +
                               "', not application/vnd.ipld.raw (not a trustless gateway?)");
  }
  return std::move(reply.body);
}

Status GatewaySource::RequestCar(const store::Cid& root,
                                 const std::function<Status(std::span<const uint8_t>)>& on_bytes) {
  HttpCall call;
  call.url = url_ + "/ipfs/" + root.ToString() + "?format=car&dag-scope=all&car-dups=n";
  call.headers = {"Accept: application/vnd.ipld.car; version=1; order=dfs; dups=n"};
  call.timeout = timeout_;
  const std::string what = "gateway " + url_ + " for a CAR of " + root.ToString();
  IA_ASSIGN_OR_RETURN(HttpReply reply, StreamCarReply(call, what, false, on_bytes));
  if (reply.status == 404 || reply.status == 410) {
    return Status::NotFound(what + ": it does not have the root block (HTTP " +
                            std::to_string(reply.status) + ")");
  }
  if (reply.status == 400 || reply.status == 406 || reply.status == 501) {
    return Status::Unsupported(what + ": it does not serve this CAR (HTTP " +
                               std::to_string(reply.status) + " " + Excerpt(reply.body) + ")");
  }
  if (reply.status != 200) {
    return Status::Unavailable(what + ": HTTP " + std::to_string(reply.status) + " " +
                               Excerpt(reply.body));
  }
  return Status::Ok();
}

namespace {

// Kubo's error body, {"Message": "...", "Code": 0, "Type": "error"}, as a status for `what`.
Status KuboError(const std::string& what, const HttpReply& reply) {
  std::string message = Excerpt(reply.body);
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("Message") && json["Message"].is_string()) {
    message = json["Message"].get<std::string>();
  }
  if (message.find("not found") != std::string::npos) {
    return Status::NotFound(what + ": " + message);
  }
  return Status::Unavailable(what + ": HTTP " + std::to_string(reply.status) + " " + message);
}

}  // namespace

Status KuboRpcSource::RequestCar(const store::Cid& root,
                                 const std::function<Status(std::span<const uint8_t>)>& on_bytes) {
  HttpCall call;
  call.method = "POST";
  call.url = url_ + "/api/v0/dag/export?arg=" + root.ToString() + "&progress=false";
  call.timeout = timeout_;
  const std::string what = "IPFS node " + url_ + " for a CAR of " + root.ToString();
  // Kubo streams the CAR as its own type or as plain bytes; the parser checks the rest.
  IA_ASSIGN_OR_RETURN(HttpReply reply, StreamCarReply(call, what, true, on_bytes));
  if (reply.status == 404 || reply.status == 405 || reply.status == 501) {
    return Status::Unsupported(what + ": it does not export DAGs (HTTP " +
                               std::to_string(reply.status) + ")");
  }
  if (reply.status != 200) return KuboError(what, reply);
  return Status::Ok();
}

Result<std::string> KuboRpcSource::Request(const store::Cid& cid) {
  HttpCall call;
  call.method = "POST";
  call.url = url_ + "/api/v0/block/get?arg=" + cid.ToString();
  call.max_body_bytes = kMaxRemoteBlockBytes;
  call.timeout = timeout_;
  IA_ASSIGN_OR_RETURN(HttpReply reply, HttpFetch(call));
  if (reply.status == 200) return std::move(reply.body);
  return KuboError("IPFS node " + url_ + " for " + cid.ToString(), reply);
}

}  // namespace ipfs_accelerate::net
