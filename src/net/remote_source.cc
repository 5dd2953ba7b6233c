#include "net/remote_source.h"

#include <nlohmann/json.hpp>

#include "store/multihash.h"

namespace ipfs_accelerate::net {

RemoteBlockSource::RemoteBlockSource(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

std::string RemoteBlockSource::down_reason() const {
  std::lock_guard lock(reason_mu_);
  return down_reason_;
}

void RemoteBlockSource::MarkDown(const std::string& why) {
  std::lock_guard lock(reason_mu_);
  if (down_reason_.empty()) down_reason_ = why;
  down_ = true;
}

Result<std::string> RemoteBlockSource::GetBlock(const store::Cid& cid) {
  if (down_) return Status::IoError(url_ + " is down: " + down_reason());
  IA_ASSIGN_OR_RETURN(std::string bytes, Request(cid));
  Status ok = store::VerifyMultihash(
      cid.multihash(), {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (!ok.ok()) {
    if (ok.code() != StatusCode::kCorruption) return ok;  // a hash we cannot check: not its fault
    const std::string why = "it sent " + std::to_string(bytes.size()) + " bytes for " +
                            cid.ToString() + " that do not hash to that CID";
    MarkDown(why);
    return Status::Corruption(url_ + ": " + why + " (nothing stored; source marked down)");
  }
  return bytes;
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
    return Status::IoError(what + ": HTTP " + std::to_string(reply.status) + " " +
                           Excerpt(reply.body));
  }
  if (MediaType(reply.content_type) != "application/vnd.ipld.raw") {
    return Status::IoError(what + ": answered Content-Type '" + reply.content_type +
                           "', not application/vnd.ipld.raw (not a trustless gateway?)");
  }
  return std::move(reply.body);
}

Result<std::string> KuboRpcSource::Request(const store::Cid& cid) {
  HttpCall call;
  call.method = "POST";
  call.url = url_ + "/api/v0/block/get?arg=" + cid.ToString();
  call.max_body_bytes = kMaxRemoteBlockBytes;
  call.timeout = timeout_;
  IA_ASSIGN_OR_RETURN(HttpReply reply, HttpFetch(call));
  const std::string what = "IPFS node " + url_ + " for " + cid.ToString();
  if (reply.status == 200) return std::move(reply.body);
  // Kubo's errors: {"Message": "...", "Code": 0, "Type": "error"}.
  std::string message = Excerpt(reply.body);
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("Message") && json["Message"].is_string()) {
    message = json["Message"].get<std::string>();
  }
  if (message.find("not found") != std::string::npos) {
    return Status::NotFound(what + ": " + message);
  }
  return Status::IoError(what + ": HTTP " + std::to_string(reply.status) + " " + message);
}

}  // namespace ipfs_accelerate::net
