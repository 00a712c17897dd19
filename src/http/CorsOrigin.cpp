#include "http/CorsOrigin.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "http/HttpText.h"

namespace sluice::http {
namespace {

struct OriginParts {
  std::string scheme;
  std::string hostPort;  // lowercase "host:port", port defaulted for http/https
};

std::optional<OriginParts> parseOrigin(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  OriginParts parts;
  parts.scheme = toLowerAscii(text.substr(0, sep));
  for (char c : parts.scheme) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok) return std::nullopt;
  }
  std::string_view rest = text.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);

  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
  }
  if (host.empty()) return std::nullopt;
  std::string portText(port);
  if (portText.empty()) {
    if (parts.scheme == "http") portText = "80";
    if (parts.scheme == "https") portText = "443";
  }
  parts.hostPort = toLowerAscii(host) + ":" + portText;
  return parts;
}

// Glob over "host:port": '*' is any run of characters; "*." is "nothing, or anything
// ending with a dot" (so *.example.com covers example.com). Dynamic programming over the
// text keeps it linear in pattern x text, whatever the input (the fuzzer feeds it junk).
bool hostGlobMatches(std::string_view pattern, std::string_view text) {
  const size_t n = text.size();
  std::vector<char> dp(n + 1, 0), next(n + 1, 0);
  dp[0] = 1;
  size_t i = 0;
  while (i < pattern.size()) {
    std::fill(next.begin(), next.end(), 0);
    if (pattern[i] == '*') {
      bool optionalDotRun = i + 1 < pattern.size() && pattern[i + 1] == '.';
      char reachable = 0;  // OR of dp[0..j-1] (optional form) / dp[0..j] (plain star)
      for (size_t j = 0; j <= n; ++j) {
        if (optionalDotRun) {
          next[j] = dp[j] || (j > 0 && text[j - 1] == '.' && reachable);
          reachable = reachable || dp[j];
        } else {
          reachable = reachable || dp[j];
          next[j] = reachable;
        }
      }
      i += optionalDotRun ? 2 : 1;
    } else {
      for (size_t j = 0; j < n; ++j) next[j + 1] = dp[j] && text[j] == pattern[i];
      i += 1;
    }
    dp.swap(next);
  }
  return dp[n] != 0;
}

}  // namespace

bool originMatches(std::string_view origin, std::string_view allowed) {
  std::optional<OriginParts> o = parseOrigin(origin);
  std::optional<OriginParts> a = parseOrigin(allowed);
  if (!o || !a || o->scheme != a->scheme) return false;
  if (a->hostPort.find('*') == std::string::npos) return a->hostPort == o->hostPort;
  return hostGlobMatches(a->hostPort, o->hostPort);
}

std::string allowedOrigin(std::string_view origin, const std::vector<std::string>& allowOrigins) {
  bool wildcard = false;
  for (const std::string& entry : allowOrigins) {
    if (entry == "*") {
      wildcard = true;
    } else if (!origin.empty() && originMatches(origin, entry)) {
      return std::string(origin);
    }
  }
  // "*" only as the last resort: it blocks cross-origin requests that carry credentials.
  return wildcard ? "*" : "";
}

}  // namespace sluice::http
