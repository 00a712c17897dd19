#pragma once
// Credentials of an HTTP request (WebRTC/WHEP, control API, metrics, pprof), read from the
// Authorization header as MediaMTX does (internal/auth/credentials.go): "Bearer user:pass",
// "Bearer <token>" (a JWT, which the internal method never accepts), or "Basic base64(user:pass)".
// MediaMTX takes no user/pass from the HTTP query, and neither does Sluice.
#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

struct Credentials {
  std::string user, pass;
  std::string token;  // a bearer token that is not "user:pass"

  // Nothing was supplied: a failed check then asks for credentials (401 with a challenge).
  bool empty() const { return user.empty() && pass.empty() && token.empty(); }
};

struct BasicCredentials {
  std::string user, pass;
};

// "Basic <base64(user:pass)>", scheme case-insensitive. The password is everything after the
// first ':' of the decoded text. nullopt for another scheme, bad base64 or no ':'.
std::optional<BasicCredentials> parseBasicAuthorization(std::string_view header);

// The credentials of an Authorization header value (empty `header` = none). "Bearer " is
// case-sensitive and its value is user and pass only when it has exactly one ':', as in
// MediaMTX; a malformed header gives no credentials.
Credentials parseHttpAuthorization(std::string_view header);

}  // namespace sluice::auth
