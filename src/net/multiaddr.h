// The text form of multiaddrs, as much of it as delegated routing needs: reading the addresses of
// a provider record into gateway URLs, and writing this node's own HTTP address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate::net {

// The URL of the HTTP server a multiaddr names: "/ip4/127.0.0.1/tcp/8080/http" ->
// "http://127.0.0.1:8080"; also /ip6 ("http://[::1]:8080"), /dns, /dns4, /dns6, /https and
// /tls/http (-> https://), with an optional /tls/sni/NAME and a trailing /p2p/PEER.
// Errors: kInvalidArgument naming the address and what is wrong in it for text that is no
// multiaddr (no leading '/', a bad IP address, port or host name, a protocol without its value);
// kUnsupported for a well-formed address that is not an HTTP one (a libp2p transport such as
// /tcp/4001 or /quic-v1, or a protocol this reader does not know), which a caller skips quietly.
Result<std::string> GatewayUrlFromMultiaddr(std::string_view multiaddr);

// The multiaddr of an HTTP server listening on `host` (an IPv4 or IPv6 literal, or a DNS name) and
// `port`: "/ip4/127.0.0.1/tcp/8080/http", or ".../tls/http" when it speaks TLS.
std::string HttpMultiaddr(const std::string& host, uint16_t port, bool tls);

// The multiaddr of the server at an http(s) URL ("http://127.0.0.1:8001" ->
// "/ip4/127.0.0.1/tcp/8001/http"; the default port when none is given; a path is ignored).
// kInvalidArgument for a URL that is not http(s) or has a bad port.
Result<std::string> HttpMultiaddrOfUrl(std::string_view url);

}  // namespace ipfs_accelerate::net
