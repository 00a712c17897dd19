// module: http
// Feeds arbitrary request targets through the URL splitter, percent coding, the WebRTC
// route matcher and the full route dispatch (against a stub app), and arbitrary
// Origin/allow-list pairs through the CORS matcher. Input: "<target>\n<origin>\n<allowed>".
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/CorsOrigin.h"
#include "http/HttpText.h"
#include "http/WebrtcRoutes.h"

using namespace sluice::http;

namespace {

class StubApp : public WebrtcHttpHandler {
 public:
  void createWhepSession(WhepCreateRequest request, std::function<void(WhepCreateResult)> done) override {
    WhepCreateResult r;
    r.answer = request.offer;
    r.sessionId = "11111111-2222-4333-8444-555555555555";
    r.secret = "0f8fad5b-d9cb-469f-a165-70867728950e";
    if (request.path.size() % 3 == 0) r = WhepCreateResult{404, "no stream", "", "", ""};
    if (request.path.size() % 3 == 1) done(r);  // else dropped: must turn into a 500
  }
  int patchWhepSession(const std::string& path, const std::string& secret, const std::string&,
                       std::string& error) override {
    if (secret.size() != 36) std::abort();  // the routes validate before calling
    error = path.empty() ? "x" : "";
    return path.empty() ? 404 : 204;
  }
  int deleteWhepSession(const std::string& path, const std::string& secret, std::string&) override {
    if (secret.size() != 36) std::abort();
    return path.size() % 2 ? 200 : 404;
  }
  bool pathConfigured(const std::string& path) override { return path.size() % 2 == 0; }
  std::vector<PathListing> listPaths() override { return {{"cam", true}, {"<x>&\"", false}}; }
  std::vector<std::string> iceServerLinks() override { return {"<stun:a:3478>; rel=\"ice-server\""}; }
};

void checkTarget(std::string_view target) {
  std::string path, query;
  if (!splitRequestTarget(target, path, query)) return;
  std::string encoded = percentEncodePath(path);
  if (encoded.find_first_of("\r\n ?#\"<>") != std::string::npos) std::abort();
  std::string decoded;
  if (!percentDecode(encoded, decoded) || decoded != path) std::abort();

  WebrtcRoute route = matchWebrtcRoute(path);
  switch (route.kind) {
    case WebrtcRouteKind::WhepEndpoint:
      if (route.pathName.empty() || "/" + route.pathName + "/whep" != path) std::abort();
      break;
    case WebrtcRouteKind::WhepSession: {
      if (route.pathName.empty() || route.secret.empty()) std::abort();
      if ("/" + route.pathName + "/whep/" + route.secret != path) std::abort();
      std::string canonical, again;
      if (canonicalUuid(route.secret, canonical)) {
        if (canonical.size() != 36 || !canonicalUuid(canonical, again) || again != canonical) std::abort();
      }
      break;
    }
    case WebrtcRouteKind::Other:
      break;
  }
}

void checkDispatch(std::string_view target, std::string_view body, size_t selector) {
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS", "PUT", "BREW"};
  HttpRequest request;
  request.method = kMethods[selector % 8];
  request.target.assign(target);
  if (!splitRequestTarget(target, request.path, request.query)) return;
  if (request.path.empty() || request.path[0] != '/') return;  // the server answers these itself
  request.body.assign(body);
  if (selector & 8) request.headers.emplace_back("Content-Type", "application/sdp");
  if (selector & 16) request.headers.emplace_back("Content-Type", "application/trickle-ice-sdpfrag");
  if (selector & 32) request.headers.emplace_back("Access-Control-Request-Method", "POST");

  StubApp app;
  WebrtcRoutes routes(app);
  int answers = 0;
  int status = 0;
  {
    HttpResponder respond([&](HttpResponse r) {
      ++answers;
      status = r.status;
      for (const auto& [name, value] : r.headers) {
        if (name.empty() || value.find_first_of("\r\n") != std::string::npos) std::abort();
      }
    });
    routes.handle(request, respond);
  }
  if (answers != 1 || status < 100 || status > 599) std::abort();
}

void checkOrigin(std::string_view origin, std::string_view allowed) {
  bool match = originMatches(origin, allowed);
  std::string value = allowedOrigin(origin, {std::string(allowed), "*"});
  if (match && value != origin) std::abort();
  if (!match && value != "*") std::abort();
  if (!allowedOrigin(origin, {}).empty()) std::abort();
  // Any parseable http origin matches itself, wildcards included.
  if (origin.find("://") != std::string_view::npos && originMatches(origin, "http://*") &&
      !originMatches(origin, origin)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t first = input.find('\n');
  std::string_view target = input.substr(0, first);
  std::string_view rest = first == std::string_view::npos ? std::string_view() : input.substr(first + 1);
  size_t second = rest.find('\n');
  std::string_view origin = rest.substr(0, second);
  std::string_view allowed = second == std::string_view::npos ? std::string_view() : rest.substr(second + 1);

  checkTarget(target);
  checkDispatch(target, rest, size);
  checkOrigin(origin, allowed);

  std::string media = mediaType(input);
  if (media.find(';') != std::string::npos) std::abort();
  std::string json = jsonEscape(input);
  for (char c : json) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '<' || c == '>') std::abort();
  }
  if (htmlEscape(input).find_first_of("<>\"'") != std::string::npos) std::abort();
  return 0;
}
