#pragma once
// Plain request/response values exchanged between HttpServer and route handlers, so that
// handlers (WHEP, control API, metrics) never see Beast types and stay cheap to compile.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::http {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // as received, e.g. "GET"
  std::string target;  // raw request target
  std::string path;    // percent-decoded, starts with '/'
  std::string query;   // raw query string after '?', not decoded
  HttpHeaders headers;
  std::string body;
  // "ip:port"; IPv6 as "[ip]:port"; v4-mapped shown as IPv4. Behind a trusted proxy, the
  // forwarded client address with the proxy connection's port (HttpServerOptions::trustedProxies).
  std::string remoteAddress;

  // First value of a header (case-insensitive name), empty when absent.
  std::string_view header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;  // repeated names are sent as repeated header lines (Link)
  std::string body;

  // Replaces every header of that name.
  void setHeader(std::string_view name, std::string value);
  void addHeader(std::string_view name, std::string value);
  std::string_view header(std::string_view name) const;
};

// Builders for the canned answers every route needs.
HttpResponse textResponse(int status, std::string_view contentType, std::string body);
// {"status":"error","error":"..."} with Content-Type application/json.
HttpResponse jsonErrorResponse(int status, std::string_view message);
// Go's default "404 page not found" (text/plain), which MediaMTX answers for unknown URLs.
HttpResponse notFoundResponse();

// One-shot reply channel handed to a handler. Copies share state: the first call sends,
// later calls are ignored. If every copy is dropped without a reply, the client gets a
// 500 so that a forgetful handler can't wedge a keep-alive connection forever.
// Call it on the server's io_context thread (from another thread it is posted there).
class HttpResponder {
 public:
  HttpResponder() = default;
  explicit HttpResponder(std::function<void(HttpResponse)> send);

  void operator()(HttpResponse response) const;
  bool responded() const;
  explicit operator bool() const { return state_ != nullptr; }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

using HttpHandler = std::function<void(HttpRequest request, HttpResponder respond)>;

}  // namespace sluice::http
