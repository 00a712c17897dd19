#pragma once
// The access check of the HTTP listeners. MediaMTX runs the requests of its API, metrics and
// pprof servers through its auth manager with the action "api", "metrics" or "pprof", and
// the WebRTC listener's WHEP POST, non-preflight OPTIONS /<path>/whep and player page
// GET /<path>/ with "read" and the path. The check is an injected callable so that http/
// knows nothing about users, passwords or IP ranges (app builds it from auth::AccessControl).
//
// The check answers through a callback, at once or later: a wrong password is answered only
// after a pause (MediaMTX's random 0-4 s), and that pause must not hold the server's thread,
// which keeps serving other clients meanwhile.
#include <functional>
#include <string>
#include <string_view>

#include "http/HttpMessage.h"

namespace sluice::http {

// Action names, as in MediaMTX's permissions.
inline constexpr std::string_view kActionApi = "api";
inline constexpr std::string_view kActionMetrics = "metrics";
inline constexpr std::string_view kActionPprof = "pprof";
inline constexpr std::string_view kActionRead = "read";

enum class AccessVerdict {
  Allowed,
  AskCredentials,  // 401 + WWW-Authenticate: nothing was supplied
  Denied,          // 401: wrong credentials (the pause, if any, has already been waited)
  Throttled,       // 429: too many failures from this client
};

struct AccessResult {
  AccessVerdict verdict = AccessVerdict::Denied;
  std::string message;  // Throttled: the error sent in the 429 body
};

using AccessDone = std::function<void(AccessResult)>;
// Decides whether `request` may perform `action` (on `path` for "read"). Called on the
// server's io_context thread; calls `done` exactly once, on that thread, either before it
// returns or later.
using AccessCheck = std::function<void(const HttpRequest& request, std::string_view action,
                                       std::string_view path, AccessDone done)>;

// The IP part of HttpRequest::remoteAddress ("1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1").
std::string_view remoteIp(std::string_view remoteAddress);

// True for exactly the addresses of MediaMTX's default: 127.0.0.1 and ::1 (also in the
// IPv4-mapped form ::ffff:127.0.0.1). Other 127.x addresses are not in that list.
bool isDefaultLocalIp(std::string_view ip);

// MediaMTX's default authInternalUsers without credentials: read, publish and playback for
// anyone; api, metrics and pprof from localhost only. Answers at once.
AccessCheck defaultUsersAccess();
// Anonymous access for any action, from localhost only. Answers at once.
AccessCheck loopbackOnlyAccess();

// The answer to a refused request: 401 with `WWW-Authenticate: Basic realm="mediamtx"` for
// AskCredentials, 401 for Denied, 429 for Throttled; MediaMTX's JSON error body.
HttpResponse refusalResponse(const AccessResult& result);
// 401 with `WWW-Authenticate: Basic realm="mediamtx"` and MediaMTX's JSON error body, so
// browsers and curl know to retry with credentials.
HttpResponse unauthorizedResponse();

// Runs `check` and calls `next` once the request is allowed; otherwise answers the refusal
// through `respond`. A missing check allows nothing.
void admit(const AccessCheck& check, const HttpRequest& request, std::string_view action,
           std::string_view path, HttpResponder respond, std::function<void(HttpResponder)> next);

// CORS preflight (OPTIONS with Access-Control-Request-Method), which MediaMTX answers
// before the auth check, so cross-origin dashboards can send credentials afterwards.
bool isPreflight(const HttpRequest& request);
HttpResponse preflightResponse(std::string_view allowMethods, std::string_view allowHeaders);

}  // namespace sluice::http
