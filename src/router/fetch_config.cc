#include "router/fetch_config.h"

#include <algorithm>
#include <cmath>

namespace ipfs_accelerate::router {

std::string GatewayBaseUrl(std::string url) {
  auto trim_slashes = [&url] {
    while (!url.empty() && url.back() == '/') url.pop_back();
  };
  trim_slashes();
  // Only a path's last segment: "http://ipfs" names a host called ipfs.
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path != std::string::npos && url.ends_with("/ipfs") && url.size() - 5 >= path) {
    url.resize(url.size() - 5);
    trim_slashes();
  }
  return url;
}

FetchRequest FetchRequestFromConfig(const Config& config) {
  FetchRequest request;
  request.local_node = config.String("ipfs.local_node");
  for (const std::string& url : config.List("ipfs.gateway")) {
    request.gateways.push_back(GatewayBaseUrl(url));
  }
  request.routers = config.List("ipfs.routers");
  // The key is a number of seconds > 0 (held below 32 years here, so that it fits); a request
  // gets at least a millisecond.
  double seconds = std::min(config.Number("ipfs.timeout"), 1e9);
  request.timeout = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
  request.retries = static_cast<int>(config.Int("ipfs.retry_count"));
  request.pin = true;
  return request;
}

MissPolicy MissPolicyFromConfig(const Config& config, bool offline_flag) {
  return {.offline = offline_flag || config.Bool("ipfs.offline"),
          .request = FetchRequestFromConfig(config)};
}

}  // namespace ipfs_accelerate::router
