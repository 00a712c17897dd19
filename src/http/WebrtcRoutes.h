#pragma once
// The routes of the WebRTC listener (webrtcAddress, :8889), with MediaMTX's URLs,
// statuses and headers: WHEP signalling, the player page and its script, plus a camera
// wall at "/" and its path list at "/?list" (our additions). Sessions and paths belong to the app, reached
// through WebrtcHttpHandler.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/AccessGate.h"
#include "http/HttpMessage.h"
#include "http/WebrtcHttpHandler.h"

namespace sluice::http {

enum class WebrtcRouteKind {
  Other,         // pages, scripts, unknown URLs
  WhepEndpoint,  // /<path>/whep
  WhepSession,   // /<path>/whep/<secret>
};

struct WebrtcRoute {
  WebrtcRouteKind kind = WebrtcRouteKind::Other;
  std::string pathName;  // non-empty for the WHEP kinds
  std::string secret;    // raw (not yet validated), WhepSession only
};

// Classifies a decoded URL path the way MediaMTX's regexes do: "^/(.+?)/whep$" first,
// then "^/(.+?)/whep/(.+?)$". Path names may contain '/'.
WebrtcRoute matchWebrtcRoute(std::string_view path);

class WebrtcRoutes {
 public:
  // `access` decides `read` on a path for the WHEP POST, the non-preflight OPTIONS of the WHEP
  // endpoint and the player page.
  explicit WebrtcRoutes(WebrtcHttpHandler& app, AccessCheck access = defaultUsersAccess())
      : app_(app), access_(std::move(access)) {}

  void handle(const HttpRequest& request, HttpResponder respond);
  // Adapter for HttpServer. The routes object must outlive the server's use of it.
  HttpHandler handler() {
    return [this](const HttpRequest& request, HttpResponder respond) { handle(request, std::move(respond)); };
  }

 private:
  // Calls `next` once `read` on `pathName` is granted (at once for a path that is not
  // configured: `next` answers that); otherwise answers the refusal.
  void readGate(const HttpRequest& request, const std::string& pathName, HttpResponder respond,
                std::function<void(const HttpRequest&, HttpResponder)> next);
  void postWhep(const HttpRequest& request, const WebrtcRoute& route, HttpResponder respond);
  HttpResponse patchWhep(const HttpRequest& request, const WebrtcRoute& route);
  HttpResponse deleteWhep(const WebrtcRoute& route);
  HttpResponse whepOptions();
  HttpResponse page(const HttpRequest& request);
  HttpResponse indexPage(const HttpRequest& request);
  std::vector<PathListing> listedPaths(const HttpRequest& request);

  WebrtcHttpHandler& app_;
  AccessCheck access_;
};

}  // namespace sluice::http
