#include "http/WebrtcRoutes.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "http/ApiQuery.h"
#include "http/HttpText.h"
#include "http/WebAssets.h"

namespace sluice::http {
namespace {

constexpr std::string_view kAllowMethods = "OPTIONS, GET, POST, PATCH, DELETE";
constexpr std::string_view kAllowHeaders = "Authorization, Content-Type, If-Match";
constexpr std::string_view kIndexRowsMarker = "<!--SLUICE_PATH_ROWS-->";

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string withQuery(std::string location, const std::string& query) {
  if (query.empty()) return location;
  // The query is the client's, copied into a header: control bytes (CR, LF, NUL...) are sent
  // percent-encoded, never raw (found by http_route_fuzz).
  static constexpr char kHex[] = "0123456789ABCDEF";
  location += '?';
  for (unsigned char c : query) {
    if (c < 0x20 || c == 0x7f) {
      location += '%';
      location += kHex[c >> 4];
      location += kHex[c & 0xf];
    } else {
      location += static_cast<char>(c);
    }
  }
  return location;
}

int errorStatus(int status) { return (status >= 400 && status <= 599) ? status : 500; }

std::string defaultReason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 401:
      return "authentication failed";
    case 404:
      return "session not found";
    default:
      return "internal error";
  }
}

HttpResponse errorFrom(int status, const std::string& message) {
  int code = errorStatus(status);
  return jsonErrorResponse(code, message.empty() ? defaultReason(code) : message);
}

HttpResponse createdResponse(const std::string& pathName, const std::string& query,
                             const std::vector<std::string>& links, bool hadCredentials, WhepCreateResult r) {
  const bool failed = !r.error.empty() || r.status < 200 || r.status >= 300;
  if (failed) {
    const int status = errorStatus(r.status);
    if (status == 401 && !hadCredentials) {
      // Like MediaMTX: a bare challenge, so that a browser asks the user for credentials.
      HttpResponse challenge;
      challenge.status = 401;
      challenge.setHeader("WWW-Authenticate", "Basic realm=\"mediamtx\"");
      return challenge;
    }
    return errorFrom(status, r.error);
  }
  HttpResponse res = textResponse(201, "application/sdp", std::move(r.answer));
  res.setHeader("Access-Control-Expose-Headers", "ETag, ID, Accept-Patch, Link, Location");
  res.setHeader("ETag", "*");
  res.setHeader("ID", r.sessionId);
  res.setHeader("Accept-Patch", "application/trickle-ice-sdpfrag");
  for (const std::string& link : links) res.addHeader("Link", link);
  res.setHeader("Location", withQuery("/" + percentEncodePath(pathName) + "/whep/" + r.secret, query));
  return res;
}

}  // namespace

WebrtcRoute matchWebrtcRoute(std::string_view path) {
  WebrtcRoute route;
  // Go's '.' doesn't match a newline, so neither regex matches a path containing one.
  if (path.size() < 2 || path[0] != '/' || path.find('\n') != std::string_view::npos) return route;

  constexpr std::string_view kEndpointSuffix = "/whep";
  if (path.size() >= 1 + 1 + kEndpointSuffix.size() && endsWith(path, kEndpointSuffix)) {
    route.kind = WebrtcRouteKind::WhepEndpoint;
    route.pathName.assign(path.substr(1, path.size() - 1 - kEndpointSuffix.size()));
    return route;
  }
  // Lazy "(.+?)": the first "/whep/" that leaves a non-empty name and secret.
  constexpr std::string_view kSessionInfix = "/whep/";
  for (size_t pos = path.find(kSessionInfix, 2); pos != std::string_view::npos;
       pos = path.find(kSessionInfix, pos + 1)) {
    if (pos + kSessionInfix.size() < path.size()) {
      route.kind = WebrtcRouteKind::WhepSession;
      route.pathName.assign(path.substr(1, pos - 1));
      route.secret.assign(path.substr(pos + kSessionInfix.size()));
      return route;
    }
  }
  return route;
}

void WebrtcRoutes::handle(const HttpRequest& request, HttpResponder respond) {
  const std::string& method = request.method;

  // CORS preflight, for any URL and without auth, so cross-origin players can POST.
  if (method == "OPTIONS" && !request.header("Access-Control-Request-Method").empty()) {
    HttpResponse res;
    res.status = 204;
    res.setHeader("Access-Control-Allow-Methods", std::string(kAllowMethods));
    res.setHeader("Access-Control-Allow-Headers", std::string(kAllowHeaders));
    return respond(std::move(res));
  }

  const WebrtcRoute route = matchWebrtcRoute(request.path);
  switch (route.kind) {
    case WebrtcRouteKind::WhepEndpoint:
      if (method == "OPTIONS") {
        return readGate(request, route.pathName, std::move(respond),
                        [this](const HttpRequest&, const HttpResponder& allowed) { allowed(whepOptions()); });
      }
      if (method == "POST") {
        return readGate(request, route.pathName, std::move(respond),
                        [this, route](const HttpRequest& held, HttpResponder allowed) {
                          postWhep(held, route, std::move(allowed));
                        });
      }
      if (method == "GET" || method == "HEAD" || method == "PUT") {
        // WHIP/WHEP drafts: the endpoint MUST answer 405 to GET, HEAD and PUT.
        HttpResponse res = jsonErrorResponse(405, "method not allowed");
        res.setHeader("Allow", "OPTIONS, POST");
        return respond(std::move(res));
      }
      return respond(notFoundResponse());
    case WebrtcRouteKind::WhepSession:
      if (method == "PATCH") return respond(patchWhep(request, route));
      if (method == "DELETE") return respond(deleteWhep(route));
      return respond(notFoundResponse());
    case WebrtcRouteKind::Other:
      break;
  }
  if (method != "GET" && method != "HEAD") return respond(notFoundResponse());
  // The player page of a path needs read access to it, as in MediaMTX.
  const std::string& path = request.path;
  if (path.size() > 2 && path.back() == '/') {
    return readGate(request, path.substr(1, path.size() - 2), std::move(respond),
                    [this](const HttpRequest& held, const HttpResponder& allowed) { allowed(page(held)); });
  }
  respond(page(request));
}

void WebrtcRoutes::readGate(const HttpRequest& request, const std::string& pathName, HttpResponder respond,
                            std::function<void(const HttpRequest&, HttpResponder)> next) {
  // MediaMTX looks the path up before it authenticates: an unknown path is answered as such
  // (by `next`), whoever asks.
  if (!app_.pathConfigured(pathName)) return next(request, std::move(respond));
  // The check may answer later (after the pause of a wrong password): keep the request.
  auto held = std::make_shared<const HttpRequest>(request);
  admit(access_, *held, kActionRead, pathName, std::move(respond),
        [held, next = std::move(next)](HttpResponder allowed) { next(*held, std::move(allowed)); });
}

HttpResponse WebrtcRoutes::whepOptions() {
  HttpResponse res;
  res.status = 204;
  res.setHeader("Access-Control-Allow-Methods", std::string(kAllowMethods));
  res.setHeader("Access-Control-Allow-Headers", std::string(kAllowHeaders));
  res.setHeader("Access-Control-Expose-Headers", "Accept-Post, Link");
  res.setHeader("Accept-Post", "application/sdp");
  for (std::string& link : app_.iceServerLinks()) res.addHeader("Link", std::move(link));
  return res;
}

void WebrtcRoutes::postWhep(const HttpRequest& request, const WebrtcRoute& route, HttpResponder respond) {
  if (mediaType(request.header("Content-Type")) != "application/sdp") {
    return respond(jsonErrorResponse(400, "invalid Content-Type"));
  }
  WhepCreateRequest create;
  create.path = route.pathName;
  create.query = request.query;
  create.offer = request.body;
  create.remoteAddress = request.remoteAddress;
  create.authorization = std::string(request.header("Authorization"));
  const bool hadCredentials = !create.authorization.empty();

  // Everything the answer needs is captured by value: the app may call `done` late.
  app_.createWhepSession(
      std::move(create), [respond = std::move(respond), pathName = route.pathName, query = request.query,
                          links = app_.iceServerLinks(), hadCredentials](WhepCreateResult result) {
        respond(createdResponse(pathName, query, links, hadCredentials, std::move(result)));
      });
}

HttpResponse WebrtcRoutes::patchWhep(const HttpRequest& request, const WebrtcRoute& route) {
  std::string secret;
  if (!canonicalUuid(route.secret, secret)) return jsonErrorResponse(400, "invalid secret");
  if (mediaType(request.header("Content-Type")) != "application/trickle-ice-sdpfrag") {
    return jsonErrorResponse(400, "invalid Content-Type");
  }
  std::string error;
  const int status = app_.patchWhepSession(route.pathName, secret, request.body, error);
  if (status >= 200 && status < 300 && error.empty()) {
    HttpResponse res;
    res.status = status;
    return res;
  }
  return errorFrom(status, error);
}

HttpResponse WebrtcRoutes::deleteWhep(const WebrtcRoute& route) {
  std::string secret;
  if (!canonicalUuid(route.secret, secret)) return jsonErrorResponse(400, "invalid secret");
  std::string error;
  const int status = app_.deleteWhepSession(route.pathName, secret, error);
  if (status >= 200 && status < 300 && error.empty()) {
    return textResponse(200, "application/json; charset=utf-8", "{\"status\":\"ok\"}");
  }
  return errorFrom(status, error);
}

HttpResponse WebrtcRoutes::page(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/") return indexPage(request);
  if (path == "/favicon.ico") return notFoundResponse();
  if (endsWith(path, "/reader.js")) {
    std::optional<std::string_view> script = findWebAsset("reader.js");
    if (!script) return notFoundResponse();
    HttpResponse res = textResponse(200, "application/javascript", std::string(*script));
    res.setHeader("Cache-Control", "max-age=3600");
    return res;
  }
  if (path.back() != '/') {
    std::string name = path.substr(1);
    if (!app_.pathConfigured(name)) return notFoundResponse();
    // The page loads "whep" and "reader.js" relative to its own URL: it needs the slash.
    HttpResponse res;
    res.status = 302;
    res.setHeader("Location", withQuery("/" + percentEncodePath(name) + "/", request.query));
    return res;
  }
  std::string name = path.substr(1, path.size() - 2);
  if (name.empty() || !app_.pathConfigured(name)) return notFoundResponse();
  std::optional<std::string_view> html = findWebAsset("player.html");
  if (!html) return notFoundResponse();
  HttpResponse res = textResponse(200, "text/html", std::string(*html));
  res.setHeader("Cache-Control", "no-cache");
  return res;
}

// Everything "/" shows (the page's rows, "/?list" and so the wall's tiles) comes from
// here, for this request: the one place to narrow the list to what its client may read.
std::vector<PathListing> WebrtcRoutes::listedPaths(const HttpRequest& /*request*/) {
  std::vector<PathListing> paths = app_.listPaths();
  std::sort(paths.begin(), paths.end(),
            [](const PathListing& a, const PathListing& b) { return a.name < b.name; });
  return paths;
}

HttpResponse WebrtcRoutes::indexPage(const HttpRequest& request) {
  const std::vector<PathListing> paths = listedPaths(request);
  if (hasQueryParam(request.query, "list")) {
    // For scripts and for the wall's own polling.
    std::string json = "{\"items\":[";
    for (const PathListing& p : paths) {
      if (json.back() != '[') json += ',';
      json += "{\"name\":\"" + jsonEscape(p.name) + "\",\"ready\":" + (p.ready ? "true" : "false") +
              ",\"sourceOnDemand\":" + (p.sourceOnDemand ? "true" : "false") + "}";
    }
    json += "]}";
    HttpResponse res = textResponse(200, "application/json; charset=utf-8", std::move(json));
    res.setHeader("Cache-Control", "no-cache");
    return res;
  }

  // The wall builds its tiles from "/?list"; these rows are the same list for people
  // without JavaScript and for scripts reading the HTML.
  std::string rows;
  for (const PathListing& p : paths) {
    const std::string href = htmlEscape("/" + percentEncodePath(p.name) + "/");
    // data-* attributes let scripts and tests read the table without scraping text.
    rows +=
        "<tr data-path=\"" + htmlEscape(p.name) + "\" data-ready=\"" + (p.ready ? "true" : "false") + "\">";
    rows += "<td><a href=\"" + href + "\">" + htmlEscape(p.name) + "</a></td>";
    rows += p.ready ? "<td class=\"ready\">ready</td></tr>\n" : "<td class=\"waiting\">not ready</td></tr>\n";
  }
  if (paths.empty()) rows = "<tr><td colspan=\"2\" class=\"empty\">no paths configured</td></tr>\n";

  std::optional<std::string_view> asset = findWebAsset("wall.html");
  std::string html(asset.value_or(kIndexRowsMarker));
  size_t marker = html.find(kIndexRowsMarker);
  if (marker != std::string::npos) html.replace(marker, kIndexRowsMarker.size(), rows);
  HttpResponse res = textResponse(200, "text/html", std::move(html));
  res.setHeader("Cache-Control", "no-cache");
  return res;
}

}  // namespace sluice::http
