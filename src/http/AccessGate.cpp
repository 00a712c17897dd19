#include "http/AccessGate.h"

#include <string>

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
  return equalsIgnoreCase(ip, "::ffff:127.0.0.1") || ip == "0:0:0:0:0:0:0:1" ||
         equalsIgnoreCase(ip, "0:0:0:0:0:ffff:127.0.0.1");
}

AccessCheck loopbackOnlyAccess() {
  return [](const HttpRequest& request, std::string_view) {
    return isDefaultLocalIp(remoteIp(request.remoteAddress));
  };
}

HttpResponse unauthorizedResponse() {
  HttpResponse res = jsonErrorResponse(401, "authentication error");
  res.setHeader("WWW-Authenticate", "Basic realm=\"mediamtx\"");
  return res;
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
