#pragma once
// CORS origin policy of MediaMTX's HTTP servers (webrtcAllowOrigins, apiAllowOrigins, ...):
// echo the request's Origin when it matches an allowed entry, else "*" when "*" is listed.
// Echoing the origin instead of "*" matters: browsers reject "*" for credentialed requests.
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

// True when `origin` ("https://a.example.com") matches one allowed entry. Entries are
// origins, optionally with '*' wildcards in the host or port ("http://*.example.com",
// "http://localhost:*"). "*." also matches nothing, so "https://*.example.com" allows
// "https://example.com". Scheme and (default-normalised) port must match; comparison
// is case-insensitive. A bare "*" entry is not handled here (see allowedOrigin).
bool originMatches(std::string_view origin, std::string_view allowed);

// Value for Access-Control-Allow-Origin, or empty when the header must be omitted.
std::string allowedOrigin(std::string_view origin, const std::vector<std::string>& allowOrigins);

}  // namespace sluice::http
