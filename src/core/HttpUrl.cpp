#include "core/HttpUrl.h"

#include "core/ListenAddress.h"

namespace sluice::core {

std::optional<HttpUrl> parseHttpUrl(std::string_view url, std::string& error) {
  HttpUrl out;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    out.tls = true;
    rest = url.substr(8);
  } else {
    error = "the URL must start with http:// or https://";
    return std::nullopt;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = "the URL contains a space or a control character";
      return std::nullopt;
    }
  }
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target[0] == '?') out.target.insert(0, "/");
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  out.hostHeader = std::string(authority);
  out.port = out.tls ? 443 : 80;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  const bool hasPort = authority.find(bracketed ? "]:" : ":") != std::string_view::npos;
  if (hasPort) {
    // host:port as the listeners' addresses are split; a URL's port is never 0.
    if (!splitListenAddress(authority, out.host, out.port, error) || out.port == 0) {
      error = "invalid host or port in the URL";
      return std::nullopt;
    }
  } else if (bracketed) {
    if (authority.back() != ']') {
      error = "missing ']' in the URL's host";
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, authority.size() - 2));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) {
    error = "the URL has no host";
    return std::nullopt;
  }
  return out;
}

}  // namespace sluice::core
