#pragma once
// The access check shared by the control API, metrics and pprof listeners. MediaMTX runs
// every request of those servers through its auth manager with the action "api",
// "metrics" or "pprof"; its default authInternalUsers allow them anonymously from
// 127.0.0.1 and ::1 only. The check is an injected callable so that the auth module can
// later plug in users, passwords, JWTs and IP ranges without http/ knowing about them.
#include <functional>
#include <string_view>

#include "http/HttpMessage.h"

namespace sluice::http {

// Action names, as in MediaMTX's permissions.
inline constexpr std::string_view kActionApi = "api";
inline constexpr std::string_view kActionMetrics = "metrics";
inline constexpr std::string_view kActionPprof = "pprof";

// True when the request may perform `action`. Called on the server's io_context thread,
// so it must not block (a credential check that wants MediaMTX's 0-4 s delay after a
// wrong password has to be made asynchronous first; see the report).
using AccessCheck = std::function<bool(const HttpRequest&, std::string_view action)>;

// The IP part of HttpRequest::remoteAddress ("1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1").
std::string_view remoteIp(std::string_view remoteAddress);

// True for exactly the addresses of MediaMTX's default: 127.0.0.1 and ::1 (also in the
// IPv4-mapped form ::ffff:127.0.0.1). Other 127.x addresses are not in that list.
bool isDefaultLocalIp(std::string_view ip);

// The default check: anonymous access for any action, from localhost only.
AccessCheck loopbackOnlyAccess();

// 401 with `WWW-Authenticate: Basic realm="mediamtx"` and MediaMTX's JSON error body, so
// browsers and curl know to retry with credentials.
HttpResponse unauthorizedResponse();

// CORS preflight (OPTIONS with Access-Control-Request-Method), which MediaMTX answers
// before the auth check, so cross-origin dashboards can send credentials afterwards.
bool isPreflight(const HttpRequest& request);
HttpResponse preflightResponse(std::string_view allowMethods, std::string_view allowHeaders);

}  // namespace sluice::http
