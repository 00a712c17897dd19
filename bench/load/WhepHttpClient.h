#pragma once
// A minimal blocking HTTP/1.1 client for WHEP signalling (POST the offer, DELETE the session).
// It runs on the control thread only: signalling is a handful of requests per session, so one
// short-lived TCP connection per request ("Connection: close") is simpler than pooling and
// costs nothing measurable next to the media path.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::load {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";  // path and query, as sent on the request line

  // "http://host[:port][/path][?query]"; https is not supported (WHEP over loopback).
  static std::optional<HttpUrl> parse(std::string_view url, std::string& error);
  // A Location header value (absolute URL, absolute path or relative path) resolved
  // against this URL.
  HttpUrl resolve(std::string_view location) const;
  std::string toString() const;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string> header(std::string_view name) const;
};

// Sends one request and reads the whole response (Content-Length, chunked, or until the
// server closes). nullopt and `error` on network failure or a malformed response; HTTP
// error statuses are returned as responses.
std::optional<HttpResponse> httpRequest(std::string_view method, const HttpUrl& url,
                                        std::string_view contentType, std::string_view body,
                                        std::chrono::milliseconds timeout, std::string& error);

}  // namespace sluice::load
