#pragma once
// HTTP's side of authentication: the AuthRequest of an HTTP request (Authorization header and
// client address), which app's access callback (http::AccessCheck) hands to
// AccessControl::check(), and MediaMTX's pause after wrong credentials.
#include <chrono>
#include <optional>
#include <string_view>

#include "auth/AuthManager.h"

namespace sluice::auth {

// The AuthRequest of an HTTP request, for AccessControl::check(): credentials from the
// Authorization header (parseHttpAuthorization), the client's IP, the action and path. nullopt
// for an unknown action. MediaMTX's internal method takes nothing from the query string, and
// neither does Sluice's; with authMethod http the caller adds the query (AuthRequest::query),
// which the authentication server reads as it likes (`?token=`).
std::optional<AuthRequest> httpAuthRequest(std::string_view authorization, std::string_view remoteIp,
                                           std::string_view action, std::string_view path = {});

// Authenticates an HTTP request for `action` ("api", "metrics", "pprof", or "read"/"publish"
// with `path` for WebRTC). `authorization` is the Authorization header value (empty if absent);
// `remoteIp` is the client's address without port. An unknown action is Denied.
AuthResult authenticateHttp(const AuthManager& manager, std::string_view authorization,
                            std::string_view remoteIp, std::string_view action, std::string_view path = {});

// MediaMTX waits a random 0-4 s before answering a request whose credentials were wrong
// (AuthResult::Denied), to slow down password guessing. The wait must not block an I/O thread:
// use a timer.
std::chrono::milliseconds deniedResponseDelay();

}  // namespace sluice::auth
