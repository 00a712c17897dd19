#pragma once
// The check behind the HTTP listeners' access callback (http::AccessCheck): app builds the
// callback from this function, passing the request's Authorization header and client address.
#include <chrono>
#include <string_view>

#include "auth/AuthManager.h"

namespace sluice::auth {

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
