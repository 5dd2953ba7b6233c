#include "net/multiaddr.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <vector>

namespace ipfs_accelerate::net {
namespace {

constexpr size_t kMaxMultiaddrText = 1024;

// Protocols by how many values follow them in the text form. Those not listed are unknown here.
bool TakesValue(std::string_view name, bool* known) {
  static constexpr std::string_view kWithValue[] = {
      "ip4", "ip6",  "dns", "dns4",     "dns6",      "dnsaddr", "tcp",      "udp",
      "p2p", "ipfs", "sni", "certhash", "http-path", "ip6zone", "garlic64", "onion3"};
  static constexpr std::string_view kBare[] = {"http",
                                               "https",
                                               "tls",
                                               "ws",
                                               "wss",
                                               "quic",
                                               "quic-v1",
                                               "noise",
                                               "webtransport",
                                               "webrtc",
                                               "webrtc-direct",
                                               "p2p-circuit",
                                               "p2p-webrtc-direct"};
  *known = true;
  for (std::string_view n : kWithValue) {
    if (n == name) return true;
  }
  for (std::string_view n : kBare) {
    if (n == name) return false;
  }
  *known = false;
  return false;
}

bool ValidDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

struct Component {
  std::string_view name, value;
};

}  // namespace

Result<std::string> GatewayUrlFromMultiaddr(std::string_view text) {
  std::string shown(text.substr(0, 120));
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("malformed multiaddr \"" + shown + "\": " + why);
  };
  auto not_http = [&](const std::string& why) {
    return Status::Unsupported("multiaddr \"" + shown + "\" is no HTTP gateway address (" + why +
                               ")");
  };
  if (text.empty()) return bad("empty");
  if (text.size() > kMaxMultiaddrText) return bad("longer than 1024 characters");
  if (text[0] != '/') return bad("a multiaddr starts with '/' (e.g. /ip4/127.0.0.1/tcp/8080/http)");

  // Split into components, checking each known protocol has its value.
  std::vector<std::string_view> parts;
  for (size_t at = 1; at <= text.size();) {
    size_t slash = text.find('/', at);
    if (slash == std::string_view::npos) slash = text.size();
    parts.push_back(text.substr(at, slash - at));
    at = slash + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // one trailing '/'
  std::vector<Component> c;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return bad("an empty protocol name (\"//\")");
    bool known = false;
    bool with_value = TakesValue(parts[i], &known);
    if (!known) return not_http("protocol \"" + std::string(parts[i].substr(0, 40)) + "\"");
    if (with_value) {
      if (i + 1 >= parts.size() || parts[i + 1].empty()) {
        return bad("/" + std::string(parts[i]) + " needs a value");
      }
      c.push_back({parts[i], parts[i + 1]});
      ++i;
    } else {
      c.push_back({parts[i], {}});
    }
  }
  if (c.empty()) return bad("no protocols");

  // host: /ip4, /ip6, /dns, /dns4, /dns6
  std::string host;
  const Component& h = c[0];
  std::string value(h.value);
  if (h.name == "ip4") {
    in_addr a4;
    if (inet_pton(AF_INET, value.c_str(), &a4) != 1) return bad("\"" + value + "\" is no IPv4");
    host = value;
  } else if (h.name == "ip6") {
    in6_addr a6;
    if (inet_pton(AF_INET6, value.c_str(), &a6) != 1) return bad("\"" + value + "\" is no IPv6");
    host = "[" + value + "]";
  } else if (h.name == "dns" || h.name == "dns4" || h.name == "dns6") {
    if (!ValidDnsName(value)) return bad("\"" + value + "\" is no host name");
    host = value;
  } else {
    return not_http("it starts with /" + std::string(h.name) + ", not an IP address or DNS name");
  }
  // Ports of every /tcp and /udp are checked, wherever they are.
  for (const Component& x : c) {
    if (x.name != "tcp" && x.name != "udp") continue;
    bool digits = !x.value.empty() && x.value.size() <= 5;
    for (char ch : x.value) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
    if (!digits || std::stoul(std::string(x.value)) > 65535) {
      return bad("\"" + std::string(x.value.substr(0, 40)) + "\" is no port");
    }
  }
  if (c.size() < 3 || c[1].name != "tcp") return not_http("no /tcp/PORT after the host");
  std::string port(c[1].value);
  if (std::stoul(port) == 0) return bad("port 0 cannot be connected to");
  size_t i = 2;
  bool tls = false;
  if (c[i].name == "tls") {
    tls = true;
    ++i;
    if (i < c.size() && c[i].name == "sni") ++i;  // the name to present: the host serves
  }
  if (i >= c.size() || (c[i].name != "http" && c[i].name != "https")) {
    return not_http("it has no /http or /https after /tcp/PORT");
  }
  if (c[i].name == "https") {
    if (tls) return bad("/tls/https is /tls twice");
    tls = true;
  }
  ++i;
  if (i < c.size() && c[i].name == "p2p") ++i;
  if (i != c.size()) return not_http("/" + std::string(c[i].name) + " after /http");
  return std::string(tls ? "https://" : "http://") + host + ":" + port;
}

std::string HttpMultiaddr(const std::string& host, uint16_t port, bool tls) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in_addr a4;
  in6_addr a6;
  std::string out;
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    out = "/ip4/" + h;
  } else if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) {
    out = "/ip6/" + h;
  } else {
    out = "/dns/" + h;
  }
  return out + "/tcp/" + std::to_string(port) + (tls ? "/tls/http" : "/http");
}

Result<std::string> HttpMultiaddrOfUrl(std::string_view url) {
  const bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument("'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  std::string_view rest = url.substr(tls ? 8 : 7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view host = rest, port_text;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("'" + std::string(url) + "' has an unclosed '['");
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("'" + std::string(url) + "' has no host");
  uint32_t port = tls ? 443 : 80;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::InvalidArgument("'" + std::string(url) + "' has a bad port");
    }
  }
  return HttpMultiaddr(std::string(host), static_cast<uint16_t>(port), tls);
}

}  // namespace ipfs_accelerate::net
