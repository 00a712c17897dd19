#include "http/AccessGate.h"

#include <string>
#include <utility>

#include "http/HttpText.h"

namespace sluice::http {

std::string_view remoteIp(std::string_view remoteAddress) {
  if (!remoteAddress.empty() && remoteAddress.front() == '[') {
    size_t close = remoteAddress.find(']');
    if (close == std::string_view::npos) return {};
    return remoteAddress.substr(1, close - 1);
  }
  size_t colon = remoteAddress.rfind(':');
  // Exactly one colon means "ip:port"; none or several means a bare address.
  if (colon != std::string_view::npos && remoteAddress.find(':') == colon) {
    return remoteAddress.substr(0, colon);
  }
  return remoteAddress;
}

bool isDefaultLocalIp(std::string_view ip) {
  // Zone suffixes ("::1%lo") never match an IP network in Go either.
  if (ip == "127.0.0.1" || ip == "::1") return true;
  return iequals(ip, "::ffff:127.0.0.1") || ip == "0:0:0:0:0:0:0:1" ||
         iequals(ip, "0:0:0:0:0:ffff:127.0.0.1");
}

AccessCheck defaultUsersAccess() {
  return [](const HttpRequest& request, std::string_view action, std::string_view, const AccessDone& done) {
    const bool pathAction = action == kActionRead || action == "publish" || action == "playback";
    const bool allowed = pathAction || isDefaultLocalIp(remoteIp(request.remoteAddress));
    done({allowed ? AccessVerdict::Allowed : AccessVerdict::AskCredentials, {}});
  };
}

AccessCheck loopbackOnlyAccess() {
  return [](const HttpRequest& request, std::string_view, std::string_view, const AccessDone& done) {
    const bool allowed = isDefaultLocalIp(remoteIp(request.remoteAddress));
    done({allowed ? AccessVerdict::Allowed : AccessVerdict::AskCredentials, {}});
  };
}

HttpResponse unauthorizedResponse() {
  HttpResponse res = jsonErrorResponse(401, "authentication error");
  res.setHeader("WWW-Authenticate", "Basic realm=\"mediamtx\"");
  return res;
}

HttpResponse refusalResponse(const AccessResult& result) {
  switch (result.verdict) {
    case AccessVerdict::AskCredentials:
      return unauthorizedResponse();
    case AccessVerdict::Throttled:
      return jsonErrorResponse(429, result.message.empty() ? "too many requests" : result.message);
    case AccessVerdict::Allowed:
    case AccessVerdict::Denied:
      break;
  }
  return jsonErrorResponse(401, "authentication error");
}

void admit(const AccessCheck& check, const HttpRequest& request, std::string_view action,
           std::string_view path, HttpResponder respond, std::function<void(HttpResponder)> next) {
  if (!check) return respond(unauthorizedResponse());
  check(request, action, path,
        [respond = std::move(respond), next = std::move(next)](const AccessResult& result) {
          if (result.verdict == AccessVerdict::Allowed) return next(respond);
          respond(refusalResponse(result));
        });
}

bool isPreflight(const HttpRequest& request) {
  return request.method == "OPTIONS" && !request.header("Access-Control-Request-Method").empty();
}

HttpResponse preflightResponse(std::string_view allowMethods, std::string_view allowHeaders) {
  HttpResponse res;
  res.status = 204;
  res.setHeader("Access-Control-Allow-Methods", std::string(allowMethods));
  res.setHeader("Access-Control-Allow-Headers", std::string(allowHeaders));
  return res;
}

}  // namespace sluice::http
