#pragma once
// An http:// or https:// URL that Sluice calls as a client (authHTTPAddress), split into what
// the request needs. Not a general URL parser: no fragments, no IDNA, the path and query kept
// as written (the request target).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::core {

struct HttpUrl {
  bool tls = false;        // https
  std::string host;        // without brackets for IPv6
  uint16_t port = 0;       // 80 or 443 unless given
  std::string target;      // path and query, "/" when the URL has none
  std::string userinfo;    // "user:pass" before '@' (sent as Basic credentials), "" if none
  std::string hostHeader;  // the Host header: host[:port] as written in the URL
};

// nullopt with `error` (e.g. "the URL must start with http:// or https://") if `url` is not one.
std::optional<HttpUrl> parseHttpUrl(std::string_view url, std::string& error);

}  // namespace sluice::core
